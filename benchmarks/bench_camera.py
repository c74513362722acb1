"""The camera reader on rendered data pages: per frame and per traveller, per format.

Each traveller is a random valid document of the format whose data page is rendered
``--frames`` times as a camera would see it (``host_tools.camera_pages``: tilt within
+-8 degrees, blur, noise, uneven light, JPEG; a new rng per frame). Per frame: *read
right* (a valid reading, and it is the document's own zone), *accepted, wrong data* (a
valid reading of another zone: check digits cannot see a misread name or nationality)
or *refused* (no valid reading: the kiosk keeps looking). Per traveller, through the
kiosk's rule (``Agreement``: ``--agree`` frames in a row that read the same zone): *read
right*, *accepted wrong*, *not read*. Times: localisation (``locate``) and recognition
(``read_located``: the model and the check-digit choice) per frame, one thread.

Tesseract (PassportEye's reader) is not installed with the project; where Debian's
``tesseract-ocr`` and ``pytesseract`` are, it reads the same located lines as an anchor.
"""

from __future__ import annotations

import argparse
import random
import time

from firmware.camera.locate import NotFound, locate
from firmware.camera.reader import Agreement, read_located, repaired_text
from firmware.camera.recognise import LineReader
from firmware.core import mrz
from host_tools.camera_pages import render_page
from host_tools.fake_documents import random_document

TODAY = (2026, 11, 23)
FORMATS = ("TD1", "TD2", "TD3")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench_camera")
    p.add_argument("--travellers", type=int, default=334, help="travellers per format (x frames: pages)")
    p.add_argument("--frames", type=int, default=3, help="frames rendered per traveller")
    p.add_argument("--agree", type=int, default=2, help="frames in a row that must agree (the kiosk's default)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--no-tesseract", action="store_true", help="skip the Tesseract anchor (about 1.3 s a frame)")
    a = p.parse_args(argv)
    reader = LineReader()
    tesseract = None if a.no_tesseract else _tesseract()
    rng = random.Random(a.seed)
    locate_ms: list[float] = []
    read_ms: list[float] = []
    tess_ms: list[float] = []
    tess = {"right": 0, "wrong": 0, "refused": 0, "t right": 0, "t wrong": 0, "t not read": 0}
    print(f"{'format':<7} {'frames':>7} {'right':>6} {'wrong':>6} {'refused':>8}   {'travellers':>10} {'right':>6} "
          f"{'wrong':>6} {'not read':>9}")
    for fmt in FORMATS:
        frame = {"right": 0, "wrong": 0, "refused": 0}
        traveller = {"right": 0, "wrong": 0, "not read": 0}
        for _ in range(a.travellers):
            doc = random_document(rng, today=TODAY, fmt=fmt)
            truth = "\n".join(doc.lines)
            agreement, accepted = Agreement(a.agree), None
            t_agreement, t_accepted = Agreement(a.agree), None
            for _ in range(a.frames):
                image, _ = render_page(doc, random.Random(rng.getrandbits(32)))
                t0 = time.perf_counter()
                located = locate(image)
                t1 = time.perf_counter()
                text = None
                if not isinstance(located, NotFound):
                    text = read_located(located, reader, TODAY)
                    if text is None:
                        other = locate(image, upside_down=not located.upside_down)
                        if not isinstance(other, NotFound):
                            text = read_located(other, reader, TODAY)
                t2 = time.perf_counter()
                locate_ms.append((t1 - t0) * 1000)
                read_ms.append((t2 - t1) * 1000)
                frame["refused" if text is None else "right" if text == truth else "wrong"] += 1
                agreed = agreement.add(text)
                if agreed is not None and accepted is None:
                    accepted = agreed
                if tesseract is not None:
                    t0 = time.perf_counter()
                    t_text = tesseract(located) if not isinstance(located, NotFound) else None
                    tess_ms.append((time.perf_counter() - t0) * 1000)
                    tess["refused" if t_text is None else "right" if t_text == truth else "wrong"] += 1
                    agreed = t_agreement.add(t_text)
                    if agreed is not None and t_accepted is None:
                        t_accepted = agreed
            traveller["not read" if accepted is None else "right" if accepted == truth else "wrong"] += 1
            if tesseract is not None:
                tess["t not read" if t_accepted is None else "t right" if t_accepted == truth else "t wrong"] += 1
        row = [a.travellers * a.frames, frame["right"], frame["wrong"], frame["refused"], a.travellers,
               traveller["right"], traveller["wrong"], traveller["not read"]]
        print(f"{fmt:<7} {row[0]:>7} {row[1]:>6} {row[2]:>6} {row[3]:>8}   {row[4]:>10} {row[5]:>6} {row[6]:>6} "
              f"{row[7]:>9}", flush=True)
    frame_ms = [x + y for x, y in zip(locate_ms, read_ms, strict=True)]
    print(f"per frame (1280x960, one thread): localisation p50 {_percentile(locate_ms, 0.5):.0f} ms, recognition "
          f"p50 {_percentile(read_ms, 0.5):.0f} ms; in all p50 {_percentile(frame_ms, 0.5):.0f} ms, "
          f"p90 {_percentile(frame_ms, 0.9):.0f} ms")
    if a.no_tesseract:
        print("tesseract: skipped (--no-tesseract)")
    elif tesseract is None:
        print("tesseract: not installed (Debian's tesseract-ocr and pytesseract): no anchor figures")
    else:
        print(f"tesseract on the same located lines (all formats): frames right {tess['right']}, accepted with "
              f"wrong data {tess['wrong']}, refused {tess['refused']}; travellers right {tess['t right']}, "
              f"accepted with wrong data {tess['t wrong']}, not read {tess['t not read']}; recognition p50 "
              f"{_percentile(tess_ms, 0.5):.0f} ms per frame")
    return 0


def _tesseract():  # type: ignore[no-untyped-def]
    """PassportEye's way of reading: Tesseract on each located line, the MRZ alphabet only,
    then the same parser and check digits (for the anchor row; None when not installed)."""
    try:
        import pytesseract  # type: ignore[import-not-found]

        pytesseract.get_tesseract_version()
    except Exception:  # not installed, or no tesseract binary
        return None
    config = "--psm 7 -c tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

    def read(located):  # type: ignore[no-untyped-def]
        from PIL import Image

        for length in getattr(located, "lengths", ()) or (located.length,):
            lines = ["".join(pytesseract.image_to_string(Image.fromarray(line), config=config).split())
                     for line in located.lines]
            if any(len(line) != length for line in lines):
                continue
            try:
                doc = mrz.parse("\n".join(lines), today=TODAY)
            except mrz.MRZError:
                continue
            if doc.valid:
                return repaired_text(doc)
        return None

    return read


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))

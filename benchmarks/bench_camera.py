"""The camera reader on rendered data pages: per frame and per traveller, per format.

Each traveller is a random valid document of the format whose data page is rendered
``--frames`` times as a camera would see it (``host_tools.camera_pages``: tilt within
+-8 degrees, blur, noise, uneven light, JPEG; a new rng per frame). Per frame: *read
right* (a valid reading, and it is the document's own zone), *accepted, wrong data* (a
valid reading of another zone: check digits cannot see a misread name or nationality)
or *refused* (no valid reading: the kiosk keeps looking). Per traveller, through the
kiosk's rule (``Agreement``: ``--agree`` frames in a row that read the same zone): *read
right*, *accepted wrong*, *not read*. Times: localisation (``locate``) and recognition
(``read_zone``: the model and the check-digit choice) per frame, one thread.

Tesseract (PassportEye's reader) is not installed with the project; where Debian's
``tesseract-ocr`` and ``pytesseract`` are, it reads the same located lines as an anchor.

``--real [DIR]`` (default ``../shared/camera-real`` beside the repository; never copied into it): each
image of ``truth.jsonl`` read alone by the kiosk's ``read_frame`` (EXIF orientation honoured, both
orientations tried, as a technician's ``safar camera read``): *read exactly* (every line is the truth),
*accepted with wrong text*, *refused* (with the reason), per format and kind, per image and per document
(several images of one document count once: it is read when all of them are); the images printed with
wrong check digits apart (each must be refused). ``--scenes N`` also composes each check-passing image into
N phone-photo-like frames at the kiosk camera's 1280x960 (``host_tools.camera_scenes``, in memory, a fixed
seed) and counts them apart.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from firmware.camera.locate import NotFound, locate
from firmware.camera.reader import NO_VALID_READING, Agreement, read_frame, read_zone, repaired_text
from firmware.camera.recognise import LineReader
from firmware.camera.sources import load_image
from firmware.core import mrz
from host_tools.camera_pages import render_page
from host_tools.camera_scenes import compose_scene
from host_tools.fake_documents import random_document

TODAY = (2026, 11, 23)
FORMATS = ("TD1", "TD2", "TD3")
REAL_DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "camera-real"
# images of one document (the set's README): counted once per document
SAME_DOCUMENT = (("pcheck_passport.jpg", "pcheck_mrz.jpg"), ("blinkid_cro_ID_back1.jpg", "blinkid_back.jpg"))
KINDS = ("scan", "phone photo", "synthetic specimen", "screenshot")


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
    p.add_argument("--real", nargs="?", type=Path, const=REAL_DEFAULT, metavar="DIR",
                   help=f"real images with truth.jsonl instead of rendered pages (default {REAL_DEFAULT})")
    p.add_argument("--scenes", type=int, default=0, metavar="N",
                   help="with --real: also N phone-photo-like scenes per check-passing image")
    p.add_argument("--list", action="store_true", help="with --real: one line per image (outcome and reason)")
    a = p.parse_args(argv)
    reader = LineReader()
    if a.real is not None:
        return _real(a.real, reader, a.scenes, a.seed, a.list)
    tesseract = None if a.no_tesseract else _tesseract()
    rng = random.Random(a.seed)
    locate_ms: list[float] = []
    read_ms: list[float] = []
    frame_cpu: list[float] = []
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
                t0, c0 = time.perf_counter(), time.thread_time()
                located = locate(image)
                t1 = time.perf_counter()
                text = None
                if not isinstance(located, NotFound):  # read_frame's steps, timed apart
                    result = read_zone(located, reader, TODAY)
                    if result.reason == NO_VALID_READING:
                        other = locate(image, upside_down=not located.upside_down)
                        if not isinstance(other, NotFound):
                            turned = read_zone(other, reader, TODAY)
                            result = turned if turned.reason != NO_VALID_READING else result
                    text = result.text
                t2, c2 = time.perf_counter(), time.thread_time()
                locate_ms.append((t1 - t0) * 1000)
                read_ms.append((t2 - t1) * 1000)
                frame_cpu.append((c2 - c0) * 1000)
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
          f"p90 {_percentile(frame_ms, 0.9):.0f} ms; thread CPU p50 {_percentile(frame_cpu, 0.5):.0f} ms, "
          f"p90 {_percentile(frame_cpu, 0.9):.0f} ms")
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


def _outcome(text: str | None, truth: str) -> str:
    return "refused" if text is None else "exact" if text == truth else "wrong"


def _timed_read(image: object, reader: LineReader) -> tuple[str | None, str, float, float]:
    """The reading, its reason, and its time in ms: wall clock, and the reading thread's CPU time (what a frame
    costs on a quiet machine: the same on a shared one, where the wall clock also counts other jobs' turns)."""
    t0, c0 = time.perf_counter(), time.thread_time()
    result = read_frame(image, reader, TODAY)
    return result.text, result.reason, (time.perf_counter() - t0) * 1000, (time.thread_time() - c0) * 1000


def _times(label: str, wall: list[float], cpu: list[float]) -> None:
    print(f"{label}: wall p50 {_percentile(wall, 0.5):.0f} ms, p90 {_percentile(wall, 0.9):.0f} ms; thread CPU "
          f"p50 {_percentile(cpu, 0.5):.0f} ms, p90 {_percentile(cpu, 0.9):.0f} ms")


def _table(title: str, rows: dict[str, Counter[str]], documents: dict[str, Counter[str]] | None) -> None:
    head = f"{title:<20} {'images':>6} {'exact':>6} {'wrong':>6} {'refused':>8}"
    print(head + (f"   {'documents':>9} {'exact':>6} {'wrong':>6} {'refused':>8}" if documents is not None else ""))
    for name, c in rows.items():
        line = f"{name:<20} {c.total():>6} {c['exact']:>6} {c['wrong']:>6} {c['refused']:>8}"
        if documents is not None:
            d = documents[name]
            line += f"   {d.total():>9} {d['exact']:>6} {d['wrong']:>6} {d['refused']:>8}"
        print(line)


def _document_outcome(outcomes: list[str]) -> str:
    """A document is read exactly when every image of it is, wrong when any image was accepted wrong."""
    return "wrong" if "wrong" in outcomes else "exact" if all(o == "exact" for o in outcomes) else "refused"


def _real(folder: Path, reader: LineReader, scenes: int, seed: int, listing: bool) -> int:
    if not (folder / "truth.jsonl").is_file():
        print(f"bench_camera: no truth.jsonl in {folder} (give the folder: --real DIR)")
        return 2
    entries = [json.loads(line) for line in (folder / "truth.jsonl").read_text().splitlines() if line.strip()]
    group = {name: names[0] for names in SAME_DOCUMENT for name in names}
    good = [e for e in entries if e["checks_pass"]]
    bad = [e for e in entries if not e["checks_pass"]]
    print(f"real images: {folder} ({len(entries)}: {len(good)} whose check digits pass, {len(bad)} printed with "
          "wrong ones)")
    times: list[float] = []
    cpu: list[float] = []
    outcomes: dict[str, tuple[str, str]] = {}
    for e in entries:
        text, reason, ms, cpu_ms = _timed_read(load_image(folder / "images" / e["file"]), reader)
        times.append(ms)
        cpu.append(cpu_ms)
        outcomes[e["file"]] = (_outcome(text, "\n".join(e["lines"])), reason)
        if listing:
            print(f"  {e['file'][:60]:<60} {e['format']:<4} {e['kind'][:6]:<6} "
                  f"{'pass' if e['checks_pass'] else 'FAIL'} {outcomes[e['file']][0]:<8} {reason} {ms:.0f} ms")
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    per_document: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for e in good:
        outcome = outcomes[e["file"]][0]
        document = group.get(e["file"], e["file"])
        for name in (e["format"], e["kind"], "all"):
            rows[name][outcome] += 1
            per_document[name][document].append(outcome)
    order = [n for n in (*FORMATS, *KINDS, "all") if n in rows]
    documents = {n: Counter(_document_outcome(o) for o in per_document[n].values()) for n in order}
    _table("check digits pass", {n: rows[n] for n in order}, documents)
    reasons = Counter(outcomes[e["file"]][1] for e in good if outcomes[e["file"]][0] == "refused")
    print("refused because: " + (", ".join(f"{r} {n}" for r, n in reasons.most_common()) or "-"))
    accepted = [e["file"] for e in bad if outcomes[e["file"]][0] != "refused"]
    print(f"wrong check digits (each must be refused): {len(bad)} images, refused {len(bad) - len(accepted)}, "
          f"accepted {len(accepted)}" + (f" ({', '.join(accepted)})" if accepted else ""))
    _times(f"per image as given ({len(times)} images)", times, cpu)
    if scenes > 0:
        _scenes(folder, good, reader, scenes, seed)
    return 0


def _scenes(folder: Path, good: list[dict[str, object]], reader: LineReader, count: int, seed: int) -> None:
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: Counter[str] = Counter()
    times: list[float] = []
    cpu: list[float] = []
    for e in good:
        document = load_image(folder / "images" / str(e["file"]))
        rng = random.Random(f"{seed}:{e['file']}")
        truth = "\n".join(e["lines"])  # type: ignore[arg-type]
        for _ in range(count):
            image, how = compose_scene(document, rng)
            text, reason, ms, cpu_ms = _timed_read(image, reader)
            times.append(ms)
            cpu.append(cpu_ms)
            outcome = _outcome(text, truth)
            if outcome == "refused":
                reasons[reason] += 1
            for name in (str(e["format"]), str(e["kind"]), f"on {how['background']}", "all"):
                rows[name][outcome] += 1
    order = [n for n in (*FORMATS, *KINDS) if n in rows] + sorted(n for n in rows if n.startswith("on ")) + ["all"]
    print(f"\nscenes: {count} per check-passing image (1280x960, seed {seed})")
    _table("scenes", {n: rows[n] for n in order}, None)
    print("refused because: " + (", ".join(f"{r} {n}" for r, n in reasons.most_common()) or "-"))
    _times("per frame (1280x960, one thread)", times, cpu)


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

"""`safar demo`: the whole kiosk, end to end, on a workstation.

Builds a demo ban list from a CSV (Cyrillic records, as the officials send them),
signs it with throwaway demo keys, installs it into a temporary kiosk state
directory through the real verifier, starts the scanner emulator on a pty, runs
the real kiosk loop with the PNG display, and scans demo passports: no record, a
document-key match, a name-variant match, an expired passport and an unreadable
read. Every screen is written to the output folder with an index.html.

Every person here is made up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import logging
import random
import shutil
import sys
import tempfile
import threading
import time
import tomllib
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from firmware.app.compose import Devices, build
from firmware.app.config import EXAMPLE, KioskConfig
from firmware.camera.reader import CameraLink, Links
from firmware.camera.recognise import LineReader
from firmware.cliutil import command_parser, run_cli
from firmware.deadline import Deadline
from firmware.fleet.health import KioskHealth
from firmware.kiosk.screen import SUPPORTED_SIZES, Screen, supported_size
from firmware.printer.escpos import SlipPrinter
from firmware.scanner.framing import encode
from firmware.scanner.link import ScannerLink
from firmware.update import install, provision
from host_tools.fake_documents import random_document
from host_tools.listbuild.bundle import write_bundle
from host_tools.listbuild.csvinput import read_list
from host_tools.scanner_emulator import EmulatedScanner
from host_tools.signing import make_demo_repository
from kiosk_ui.display import PngDisplay

DEMO_CSV = """\
фамилия;имя;отчество;дата рождения;гражданство;номер паспорта;запрет до;номер записи
Раҳимов;Фирдавс;Ҳасанович;12.03.1988;TJK;401234567;15.06.2031;DEMO-1
Ҷӯраев;Баҳтиёр;Қодирович;05.09.1990;TJK;;;DEMO-2
Ғафуров;Суҳроб;;00.00.1979;TJK;;01.02.2029;DEMO-3
Назарова;Мадина;Алиевна;21.11.1995;TJK;400987654;;DEMO-4
"""


class DemoError(Exception):
    """The demo could not build its list or the kiosk did not show what was expected."""


def _yymmdd(d: dt.date) -> str:
    return d.strftime("%y%m%d")


def demo_passports(today: dt.date) -> list[tuple[str, str, list[str]]]:
    """(caption, expected screen, MRZ lines) for each demo scan."""
    rng = random.Random(2026)
    now = (today.year, today.month, today.day)
    future = _yymmdd(today + dt.timedelta(days=365 * 5))
    clean = random_document(rng, today=now, surname="SAIDOV", given_names="UMED",
                            nationality="TJK", document_number="402555111", birth_date="910704", expiry_date=future)
    strong = random_document(rng, today=now, surname="RAHIMOV",
                             given_names="FIRDAVS", nationality="TJK", document_number="401234567",
                             birth_date="880312", expiry_date=future)
    # The list writes Ҷӯраев Баҳтиёр; this passport spells it the Russian way, with a newer number.
    possible = random_document(rng, today=now, surname="DZHURAEV",
                               given_names="BAKHTIYOR", nationality="TJK", document_number="409871234",
                               birth_date="900905", expiry_date=future)
    expired = random_document(rng, today=now, surname="KARIMOVA",
                              given_names="ZARINA", nationality="UZB", document_number="AB1234567",
                              birth_date="990214", expiry_date=_yymmdd(today - dt.timedelta(days=120)), sex="F")
    afghan = random_document(rng, today=now, surname="AHMADI", given_names="FARID", nationality="AFG",
                             document_number="P0123456", birth_date="930101", expiry_date=future)
    no_birth = random_document(rng, today=now, surname="NAZAROV", given_names="ALISHER", nationality="TJK",
                               document_number="403111222", birth_date="<<<<<<", expiry_date=future)
    bad = list(clean.lines)
    bad[1] = bad[1][:19] + str((int(bad[1][19]) + 3) % 10) + bad[1][20:]  # a birth-date check digit misread
    return [
        ("Tajik passport, no record in the list", "no_record", clean.lines),
        ("Document-key match: nationality, passport number and birth date are on the list", "strong", strong.lines),
        ("Name-variant match: the list's Ҷӯраев Баҳтиёр vs the passport's DZHURAEV BAKHTIYOR", "possible",
         possible.lines),
        ("Expired Uzbek passport, no record: extra advice", "no_record", expired.lines),
        ("Afghan passport: the language chooser comes first", "choose_language", afghan.lines),
        ("A passport without a year of birth: the kiosk cannot check it, and says so", "not_checked",
         no_birth.lines),
        ("Unreadable read (a check digit does not match)", "read_failed", bad),
    ]


def prepare_state(work: Path, today: dt.date) -> Path:
    """Builds, signs and installs the demo list; returns the kiosk's state directory."""
    list_date = today - dt.timedelta(days=22)
    result = read_list(DEMO_CSV.encode("utf-8"), "demo-list.csv", list_date)
    if result.errors:
        raise DemoError(f"demo list has bad rows: {'; '.join(str(e) for e in result.errors)}")
    bundle = work / "bundle"
    write_bundle(result.entries, bundle, list_version=int(list_date.strftime("%Y%m%d")), list_date=list_date,
                 valid_until=list_date + dt.timedelta(days=200), deployment="safar-demo")
    repo, root_json = make_demo_repository(work / "signing", bundle, deployment="safar-demo")
    state = work / "state"
    provision(state, root_json)
    install(state, repo)
    return state


class _HeldPassport:
    """The camera's view in the demo: nothing, or a passport's data page rendered as a camera
    would see it (``host_tools.camera_pages``), a slightly different frame each time."""

    name = "demo camera (rendered data pages)"

    def __init__(self) -> None:
        self._document: Any = None
        self._rng = random.Random(7)
        self._lock = threading.Lock()

    def hold(self, lines: list[str]) -> None:
        with self._lock:
            self._document = types.SimpleNamespace(lines=list(lines))

    def take_away(self) -> None:
        with self._lock:
            self._document = None

    def frame(self) -> Any:
        from host_tools.camera_pages import render_page

        with self._lock:
            document = self._document
        if document is None:
            return Image.new("RGB", (1280, 960), (90, 90, 95))  # an empty desk
        image, _ = render_page(document, self._rng, tilt=self._rng.uniform(-3, 3), glare="none")
        return image

    def close(self) -> None:
        pass


class _Recorder:
    def __init__(self) -> None:
        self.shots: list[tuple[Screen, Path, str]] = []
        self.caption = ""


def demo_config(work: Path, scanner_port: str) -> KioskConfig:
    """The example config, with the scanner on the emulator's pty and the slip printer on: it
    "prints" into a file (ESC/POS bytes)."""
    data = tomllib.loads(EXAMPLE)
    device = work / "printer.escpos"
    device.touch()
    data["printer"] = {"enabled": True, "device": str(device), "paper_width_mm": 80}
    data["scanner"]["port"] = scanner_port
    return KioskConfig(data, "<demo>")


class _PreviewPrinter:
    """The slip printer, and a PNG of each slip beside the screens."""

    def __init__(self, printer: SlipPrinter, out: Path) -> None:
        self.printer = printer
        self.out = out
        self.slips: list[Path] = []

    def print_image(self, image: Image.Image) -> None:
        path = self.out / f"slip-{len(self.slips) + 1}.png"
        image.save(path)
        self.slips.append(path)
        self.printer.print_image(image)


def run(out: Path, size: tuple[int, int] = (1024, 600)) -> list[tuple[Screen, Path, str]]:
    today = dt.date.today()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="safar-demo-") as tmp:
        work = Path(tmp)
        print("demo: building, signing and installing the demo list ...", flush=True)
        state = prepare_state(work, today)
        display = PngDisplay(out, size)
        rec = _Recorder()
        scanner = EmulatedScanner(link=str(work / "scanner"))
        print(f"demo: scanner emulator on {scanner.name} (-> {scanner.path})", flush=True)
        config = demo_config(work, scanner.name)
        link = ScannerLink(scanner.name, today=lambda: (today.year, today.month, today.day), inter_byte_timeout=0.15)
        previews = _PreviewPrinter(SlipPrinter(config.printer_device), out)

        def on_frame(screen: Screen, drawn: Any) -> None:
            rec.shots.append((screen, display.frames[-1], rec.caption))

        health = KioskHealth(out / "safar.prom", state, write_every=1.0)  # what a fleet's monitoring reads
        # The kiosk's own composition root: only the devices differ from a kiosk's.
        kiosk = build(config, state, Devices(link=link, display=display, printer=previews, health=health),
                      today=lambda: today, on_frame=on_frame)

        def settle(kind: str, frames: int, timeout: float = 8.0, until: Any = None) -> None:
            """Steps until a frame after the ``frames``-th shows ``kind`` (and ``until()`` holds)."""
            deadline = Deadline(timeout)
            while not deadline.expired():
                kiosk.step(0.05)
                if kiosk.state.kind == kind and kiosk.frames > frames and (until is None or until()):
                    return
            raise DemoError(f"the kiosk did not reach the {kind} screen (it shows {kiosk.state.kind})")

        def press(key: str, caption: str, kind: str | None = None) -> None:
            rec.caption = caption
            before = kiosk.frames
            kiosk.press(key)
            if kind is not None:
                settle(kind, before)

        rec.caption = "Start: kiosk ready, waiting for a passport"
        before = kiosk.frames
        kiosk.start()  # as the service does: the list read back in full before the first frame
        settle("idle", before)
        for caption, expected, lines in demo_passports(today):
            rec.caption = caption
            before = kiosk.frames
            # Paced like a reader at 9600 baud, from another thread: the kiosk shows
            # "reading" while the frame arrives.
            writer = threading.Thread(target=scanner.write, args=(encode(lines, "accessis"),),
                                      kwargs={"split": 8, "delay": 0.008})
            writer.start()
            settle(expected, before)
            writer.join()
            print(f"demo: {caption[:70]:<70} -> {expected}", flush=True)
            if expected == "choose_language":
                press("lang:ru", "The traveller chose Русский: the result, in Russian", "no_record")
            if expected == "strong":
                press("lang:en", "The same result after the traveller touched 'English'")
                press("more_time", "'More time' touched: the countdown starts again from the full time")
                press("print", "'Print the next steps' touched: the slip prints (no personal data on it)")
                settle("strong", kiosk.frames - 1, until=lambda: kiosk.state.printed)
                press("large_text", "'Large text' touched")
            press("done", "Back to the start screen ('start again' touched): nothing of the traveller remains",
                  "idle")
        for n in (2, 3):
            rec.caption = (f"Unreadable read number {n}: "
                           + ("now in large text" if n == 2 else "now the kiosk says to ask at the desk"))
            before = kiosk.frames
            scanner.send(demo_passports(today)[-1][2], "rte")
            settle("read_failed", before)
        press("done", "After the 'start again' button", "idle")
        rec.caption = "A passport taken away in the middle of the reading"
        before = kiosk.frames
        scanner.write(encode(demo_passports(today)[0][2], "accessis")[:40])
        settle("read_failed", before, timeout=10)
        press("done", "After the 'start again' button", "idle")
        rec.caption = "Scanner unplugged: out of service"
        before = kiosk.frames
        scanner.unplug()
        settle("out_of_service", before)
        rec.caption = "Scanner plugged in again: back in service"
        before = kiosk.frames
        scanner.plug()
        settle("idle", before)
        # The camera reader beside the scanner (docs/camera.md): the first good read wins.
        camera_view = _HeldPassport()
        camera = CameraLink(lambda: camera_view, LineReader(), frames_to_agree=2, read_timeout=15,
                            today=lambda: (today.year, today.month, today.day))
        kiosk.link = Links(link, camera)
        rec.caption = "Camera reader: the rendered data page of the listed passport held under the camera"
        before = kiosk.frames
        strong_lines = demo_passports(today)[1][2]
        camera_view.hold(strong_lines)
        settle("strong", before, timeout=60)
        print(f"demo: {'Camera read of a rendered data page (2 frames agree)':<70} -> strong", flush=True)
        camera_view.take_away()
        press("done", "Back to the start screen", "idle")
        rec.caption = "Service mode (technician)"
        kiosk.enter_service()
        press("done", "'Leave service mode' touched", "idle")
        camera.close()
        health.close()
        link.close()
        scanner.unplug()
        printed = Path(config.printer_device).stat().st_size
    print(f"demo: {len(previews.slips)} slip(s) printed ({printed} bytes of ESC/POS), previews in {out}", flush=True)
    print(f"demo: fleet health (node_exporter textfile, {health.scans} scans counted, nothing about anyone) "
          f"in {out / 'safar.prom'}", flush=True)
    write_index(out, rec.shots, size, previews.slips)
    return rec.shots


def write_index(out: Path, shots: list[tuple[Screen, Path, str]], size: tuple[int, int],
                slips: Sequence[Path] = ()) -> Path:
    half_w, half_h = size[0] // 2, size[1] // 2
    rows = []
    for i, (screen, path, caption) in enumerate(shots, 1):
        rows.append(
            f"<figure><img src='{html.escape(path.name)}' width='{half_w}' height='{half_h}' "
            f"alt='{screen.kind} screen in {screen.lang}'><figcaption>{i}. <b>{screen.kind.replace('_', ' ')}</b> "
            f"({screen.lang}) — {html.escape(caption)}</figcaption></figure>")
    page = ("<!doctype html><meta charset='utf-8'><title>Safar demo</title>"
            "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:1em;vertical-align:top;"
            f"max-width:{half_w + 20}px}}img{{border:1px solid #888}}</style>"
            "<h1>Safar demo: every screen the kiosk showed</h1>"
            f"<p>Generated {dt.date.today().isoformat()}. The people are made up. Screens are {size[0]}x{size[1]}; "
            f"shown at half size.</p>{chr(10).join(rows)}"
            + "".join(f"<h2>Printed slip {i}</h2><img src='{html.escape(p.name)}' alt='printed next-steps slip'>"
                      for i, p in enumerate(slips, 1)))
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _screen_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("must be WIDTHxHEIGHT, e.g. 800x480") from None
    if not supported_size(w, h):
        raise argparse.ArgumentTypeError(f"{w}x{h} is not a supported display size: {SUPPORTED_SIZES}")
    return w, h


def parser() -> argparse.ArgumentParser:
    p = command_parser("safar demo", __doc__.split("\n\n")[0], doc="docs/kiosk.md")
    p.add_argument("--out", type=Path, default=Path("demo-out"),
                   help="folder for the PNG screens and index.html (default demo-out)")
    p.add_argument("--size", type=_screen_size, default=(1024, 600), metavar="WxH",
                   help="screen size WxH (default 1024x600)")
    return p


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    t0 = time.monotonic()
    shots = run(args.out, args.size)
    print(f"demo: {len(shots)} screens written to {args.out} (open {args.out / 'index.html'}) "
          f"in {time.monotonic() - t0:.1f} s")
    return 0


def main(argv: list[str]) -> int:
    return run_cli(parser(), _run, argv, errors=(DemoError,))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The kiosk loop: resident memory over many scans, and scan-to-frame latency.

Two phases, each the real ``firmware.kiosk.loop.Kiosk`` with the demo's signed list, wired
by the kiosk's own composition root (``firmware/app/compose.py``) over the devices below:

1. **loop** (``--scans``, default 100,000): a stand-in link that feeds each generated zone,
   framed as the reader sends it, through the link's own decoder and event code
   (``FrameDecoder``, ``frame_event``: the real MRZ parser, ``DocumentRead`` or, now and then,
   ``ReadFailed``) without a port, and a stand-in renderer that returns a ``Rendered`` without
   drawing; the clock moves 2 s a scan, so the list is re-read every 30 scans and checked in
   the background as on a kiosk. It measures what the loop, the state machine, the list's
   lookups, the parser and the logging keep: no drawing, no display.
2. **real** (``--real-scans``, default 2,000): the emulator writes each zone to a pty, the
   real ``ScannerLink`` reads it, the real renderer draws the result and it is encoded for an
   RGB565 framebuffer (render + encode + copy); then "done" back to the start screen.
   Latency: from the zone's last byte to the frame written. Before it is measured, the
   warm-up draws every layout in every language of the config (``every_screen``: large
   text, passport notes, pages, every countdown second "more time" reaches) and re-reads the
   list once, as the loop does each minute, so the renderer's bounded caches are full.

Memory: VmRSS of this process (kiosk, emulator and generated passports together), with its
anonymous part (the heap: what a leak grows) and its file-backed part (libraries, fonts and
the list mapped in), after each phase's warm-up and after its scans. Goal: the growth after
warm-up stays under ``GOAL_MB``. ``--trace`` adds tracemalloc's largest growths between the
two points (tracemalloc slows the loop about tenfold: use fewer scans with it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from array import array
from pathlib import Path
from typing import Any

from firmware.app.compose import Devices, build
from firmware.app.config import KioskConfig
from firmware.kiosk.kinds import SCREEN_FOR_MATCH
from firmware.kiosk.loop import Kiosk
from firmware.kiosk.screen import CHOOSE_LANGUAGE, DONE, LANG_KEY, LARGE_TEXT, MORE_TIME, Screen
from firmware.kiosk.state import MORE_TIME_TIMES
from firmware.scanner.events import Event, ScannerAvailable
from firmware.scanner.framing import FrameDecoder, encode
from firmware.scanner.link import ScannerLink, frame_event
from host_tools.fake_documents import random_document
from host_tools.scanner_emulator import EmulatedScanner

GOAL_MB = 2.0
SECONDS_PER_SCAN = 2.0  # the loop phase's clock: a traveller every 2 s
TRACE_FRAMES = 8
TRACE_TOP = 10
CURVE_POINTS = 10  # VmRSS samples printed along each phase


class Memory:
    """VmRSS and its anonymous and file-backed parts, in MB (/proc/self/status)."""

    __slots__ = ("rss", "anon", "file")

    def __init__(self) -> None:
        gc.collect()
        values = {}
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                values[name] = int(rest.split()[0]) / 1024
        self.rss, self.anon, self.file = values["VmRSS"], values["RssAnon"], values["RssFile"]

    def __str__(self) -> str:
        return f"{self.rss:.1f} MB (anonymous {self.anon:.1f}, files {self.file:.1f})"


class ZoneLink:
    """A scanner link without a port: ``send`` frames a zone as the reader would and runs it
    through the link's own decoder and ``frame_event``; ``read_events`` hands the events over."""

    def __init__(self, today: tuple[int, int, int]) -> None:
        self.today = today
        self.decoder = FrameDecoder()
        self._events: list[Event] = [ScannerAvailable("stand-in")]  # as the link's first poll says

    @property
    def receiving(self) -> bool:
        return not self.decoder.idle

    def send(self, data: bytes) -> None:
        self._events += [frame_event(r, self.today) for r in self.decoder.feed(data)]

    def read_events(self, timeout: float) -> list[Event]:
        events, self._events = self._events, []
        return events

    def close(self) -> None:
        self.decoder.reset()


class SketchRenderer:
    """A renderer that draws nothing: every screen gets the same blank image, no buttons."""

    def __init__(self, size: tuple[int, int]) -> None:
        from PIL import Image

        from kiosk_ui.render import Rendered

        self._rendered = Rendered
        self._image = Image.new("RGB", size)

    def render(self, screen: Screen, size: tuple[int, int]) -> Any:
        return self._rendered(self._image, [], [])


class NullDisplay:
    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size

    def show(self, image: Any, name: str = "") -> None:
        pass

    def close(self) -> None:
        pass


class FramebufferSink:
    """A display that encodes like the framebuffer does (RGB565) but keeps nothing."""

    def __init__(self, size: tuple[int, int]) -> None:
        from kiosk_ui.display import FramebufferFormat

        self.size = size
        self.format = FramebufferFormat(size[0], size[1], 16, size[0] * 2)
        self.buffer = bytearray(self.format.stride * size[1])

    def show(self, image: Any, name: str = "") -> None:
        data = self.format.encode(image)
        self.buffer[: len(data)] = data

    def close(self) -> None:
        pass


class Zones:
    """Passports as the reader frames them: mostly new random ones; every 10th one of the
    demo's (a strong and a possible match, an Afghan passport, no year of birth, an expired
    passport, a misread); every 20th with a misread check digit and every 50th cut short
    (both end in ``ReadFailed``)."""

    def __init__(self, seed: int, today: dt.date) -> None:
        from host_tools.demo import demo_passports

        self.rng = random.Random(seed)
        self.today = (today.year, today.month, today.day)
        self.demo = [lines for _, _, lines in demo_passports(today)]

    def framed(self, n: int) -> bytes:
        if n % 10 == 4:
            return encode(self.demo[n // 10 % len(self.demo)], "accessis")
        lines = list(random_document(self.rng, today=self.today).lines)
        if n % 20 == 19:
            digit = lines[1][9]
            lines[1] = lines[1][:9] + str((int(digit) + 1) % 10) + lines[1][10:]
        elif n % 50 == 49:
            lines = [lines[0], lines[1][:30]]
        return encode(lines, "accessis")


def visit(kiosk: Kiosk, rng: random.Random, n: int) -> None:
    """What a traveller might press on the result: now and then another language, large
    text, more time or the language chooser; then "done"."""
    languages = kiosk.settings.languages
    if n % 7 == 3:
        kiosk.press(LANG_KEY + rng.choice(languages))
    if n % 11 == 5:
        kiosk.press(LARGE_TEXT)
    if n % 13 == 7:
        kiosk.press(MORE_TIME)
    if n % 17 == 11:
        kiosk.press(CHOOSE_LANGUAGE)
        kiosk.press(LANG_KEY + rng.choice(languages))
    kiosk.press(DONE)


class Frames:
    """How many frames the kiosk has shown, and when the last one was (no list of them: the
    bench must not grow with the scans it measures)."""

    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0

    def shown(self, screen: Screen, rendered: Any) -> None:
        self.count += 1
        self.last = time.perf_counter()


class Tracer:
    """tracemalloc snapshots around a phase (``--trace``)."""

    def __init__(self, on: bool) -> None:
        self.on = on
        self._before: Any = None

    def start(self) -> None:
        if self.on:
            tracemalloc.start(TRACE_FRAMES)
            gc.collect()
            self._before = tracemalloc.take_snapshot()

    def report(self, phase: str) -> None:
        if not self.on:
            return
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        noise = (tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__))
        growth = after.filter_traces(noise).compare_to(self._before.filter_traces(noise), "traceback")
        total = sum(s.size_diff for s in growth)
        print(f"  tracemalloc, {phase} (it slows this phase: its latencies below include it): "
              f"Python allocations {total / 1e6:+.2f} MB in all; largest changes:")
        for stat in growth[:TRACE_TOP]:
            frames = [f for f in stat.traceback if "/benchmarks/" not in f.filename][-3:] or list(stat.traceback)[-1:]
            where = " < ".join(f"{_short(f.filename)}:{f.lineno}" for f in reversed(frames))
            print(f"    {stat.size_diff / 1024:+8.1f} KiB {stat.count_diff:+7d} blocks  {where}")


def _short(path: str) -> str:
    for root in ("/firmware/", "/kiosk_ui/", "/host_tools/", "/site-packages/", "/lib/python"):
        if root in path:
            return path[path.index(root) + 1:]
    return path


def report_memory(warm: Memory, after: Memory, scans: int, curve: list[float]) -> bool:
    growth = after.rss - warm.rss
    ok = growth < GOAL_MB
    print(f"  memory after warm-up: {warm}")
    if curve:
        step = max(1, scans // CURVE_POINTS)
        print(f"  VmRSS every {step:,} scans: " + " ".join(f"{v:.1f}" for v in curve) + " MB")
    print(f"  memory after {scans:,} scans: {after}")
    print(f"  growth after warm-up: {growth:+.2f} MB (anonymous {after.anon - warm.anon:+.2f}, "
          f"files {after.file - warm.file:+.2f}); goal < {GOAL_MB:.0f} MB: {'met' if ok else 'NOT MET'}")
    return ok


def loop_phase(state: Path, config: KioskConfig, today: dt.date, size: tuple[int, int], scans: int, warm: int,
               tracer: Tracer) -> bool:
    ymd = (today.year, today.month, today.day)
    clock = [0.0]
    link = ZoneLink(ymd)
    # the fleet metrics as on a kiosk: a textfile rewritten every 15 s of the loop's clock
    from firmware.fleet.health import KioskHealth

    health = KioskHealth(state.parent / "safar.prom", state)
    kiosk = build(config, state, Devices(link=link, display=NullDisplay(size), renderer=SketchRenderer(size),
                                         health=health), clock=lambda: clock[0], today=lambda: today)
    kiosk.start()
    rng = random.Random(1)
    zones = Zones(1, today)

    def run(count: int, start: int, curve: list[float] | None = None) -> None:
        for n in range(start, start + count):
            if curve is not None and (n - start) % max(1, count // CURVE_POINTS) == 0 and n > start:
                curve.append(Memory().rss)
            link.send(zones.framed(n))
            clock[0] += SECONDS_PER_SCAN / 2
            kiosk.step(0)
            visit(kiosk, rng, n)
            clock[0] += SECONDS_PER_SCAN / 2
            kiosk.step(0)

    print(f"loop phase: stand-in link and renderer, {warm:,} scans of warm-up, then {scans:,} scans")
    run(warm, 0)
    first = Memory()
    tracer.start()
    t0 = time.perf_counter()
    curve: list[float] = []
    run(scans, warm, curve)
    took = time.perf_counter() - t0
    after = Memory()
    tracer.report("loop phase")
    print(f"  {scans / took:,.0f} scans/s; with the warm-up {kiosk.scans:,} scans answered, {kiosk.frames:,} frames, "
          f"{clock[0] / 3600:,.0f} hours of the kiosk's clock")
    link.close()
    return report_memory(first, after, scans, curve)


def every_screen(kiosk: Kiosk, config: KioskConfig) -> list[Screen]:
    """Every layout the renderer can be asked for, in the config's languages, with the installed
    list's dates: the test suite's catalogue of screens in normal and large text; each result
    with and without a passport note, on both pages, at a countdown of one, two and three
    digits (the digits are as wide as each other, so these are all the layouts); and the
    countdown's button label at every second "more time" can reach."""
    from tests.kiosk_screens import all_screens

    listed = kiosk.state.list
    dates: dict[str, Any] = {"list_date": listed.list_date, "valid_until": listed.valid_until}
    actions = (CHOOSE_LANGUAGE, LARGE_TEXT, MORE_TIME)
    longest = MORE_TIME_TIMES * config.result_seconds
    screens = []
    for lang in config.languages:
        for screen in all_screens(lang).values():
            values = {k: getattr(screen, k) for k in Screen.__slots__}
            if values["list_date"] is not None:
                values.update(dates)
            for large in (False, True):
                screens.append(Screen(**(values | {"large": large})))
        for large in (False, True):
            for left in (5, 30, min(120, longest)):
                for kind in SCREEN_FOR_MATCH.values():  # every screen a scan leads to
                    for passport in (None, ("expired", "2025-02-01"), ("expiring", "2027-02-01")):
                        for page in (0, 1):
                            screens.append(Screen(kind, lang, passport=passport, large=large, page=page,
                                                  ban_end="2031" if kind == "strong" else None,
                                                  seconds_left=left, actions=actions, **dates))
                for failures in (1, 2, 3):
                    screens.append(Screen("read_failed", lang, failures=failures, large=large, seconds_left=left,
                                          actions=actions, **dates))
            for left in range(longest + 1):
                screens.append(Screen("no_record", lang, seconds_left=left, large=large, actions=actions, **dates))
    return screens


def renderer_caches(renderer: Any) -> str:
    from kiosk_ui import render

    widths = render._remembered_length.cache_info()
    return f"{widths.currsize:,} text widths remembered (of {widths.maxsize:,}), {len(renderer.fonts._cache)} fonts"


def real_phase(work: Path, state: Path, config: KioskConfig, today: dt.date, size: tuple[int, int], scans: int,
               warm: int, tracer: Tracer) -> bool:
    ymd = (today.year, today.month, today.day)
    scanner = EmulatedScanner(link=str(work / "scanner"))
    link = ScannerLink(scanner.name, today=lambda: ymd)
    frames = Frames()
    display = FramebufferSink(size)
    kiosk = build(config, state, Devices(link=link, display=display), today=lambda: today, on_frame=frames.shown)
    kiosk.start()
    for _ in range(20):
        kiosk.step(0.02)
    idle = Memory()
    rng = random.Random(2)
    zones = Zones(2, today)

    def run(count: int, start: int, latencies: array | None = None, curve: list[float] | None = None) -> None:
        for n in range(start, start + count):
            if curve is not None and (n - start) % max(1, count // CURVE_POINTS) == 0 and n > start:
                curve.append(Memory().rss)
            scanner.write(zones.framed(n))
            t0 = time.perf_counter()
            k = frames.count
            while frames.count == k:
                kiosk.step(0.5)
            if latencies is not None:
                latencies[n - start] = (frames.last - t0) * 1000
            visit(kiosk, rng, n)

    screens = every_screen(kiosk, config)
    print(f"real phase: pty scanner, renderer, RGB565 encode; warm-up: {len(screens):,} screens drawn, "
          f"{warm:,} scans and a re-read of the list, then {scans:,} scans")
    t0 = time.perf_counter()
    for screen in screens:
        display.show(kiosk.renderer.render(screen, size).image)
    run(warm // 2, 0)
    kiosk.refresh_list()  # the loop's check of the list each minute (its first one moves the heap once)
    run(warm - warm // 2, warm // 2)
    print(f"  warm-up took {time.perf_counter() - t0:.0f} s; memory before it (idle after start): {idle}")
    print(f"  renderer after warm-up: {renderer_caches(kiosk.renderer)}")
    latencies = array("d", bytes(8 * scans))  # made before the first measurement: the bench keeps no more
    curve: list[float] = []
    first = Memory()
    tracer.start()
    t0 = time.perf_counter()
    run(scans, warm, latencies, curve)
    took = time.perf_counter() - t0
    after = Memory()
    print(f"  renderer after the scans: {renderer_caches(kiosk.renderer)}")
    tracer.report("real phase")
    link.close()
    scanner.unplug()
    ordered = sorted(latencies)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    print(f"  scan-to-frame ({size[0]}x{size[1]}): p50 {statistics.median(ordered):.1f} ms, "
          f"p99 {p99:.1f} ms, max {ordered[-1]:.1f} ms over {scans:,} scans")
    print(f"  {scans / took:.1f} scans/s, including what the traveller presses and the return to the start")
    return report_memory(first, after, scans, curve)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench_kiosk", description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--scans", type=int, default=100_000, help="loop phase: scans after warm-up (default 100,000)")
    p.add_argument("--warm-scans", type=int, default=2_000, help="loop phase: warm-up scans (default 2,000)")
    p.add_argument("--real-scans", type=int, default=2_000, help="real phase: scans after warm-up (default 2,000; "
                   "0 skips the phase)")
    p.add_argument("--real-warm-scans", type=int, default=300, help="real phase: warm-up scans (default 300)")
    p.add_argument("--size", default="800x480", help="display size (default 800x480)")
    p.add_argument("--trace", action="store_true", help="tracemalloc's largest growths after warm-up (slow)")
    a = p.parse_args(argv)
    try:
        w, h = (int(v) for v in a.size.split("x"))
    except ValueError:
        p.error(f"--size {a.size!r}: expected WIDTHxHEIGHT such as 800x480")
    if min(a.scans, a.warm_scans, a.real_scans, a.real_warm_scans) < 0 or a.scans == 0:
        p.error("scan counts must not be negative, and --scans must be positive")
    from host_tools.demo import prepare_state

    # INFO lines are formatted and written, as a kiosk hands them to the journal (they carry no zone).
    today = dt.date.today()
    config = KioskConfig.example()
    tracer = Tracer(a.trace)
    with open(os.devnull, "w") as devnull, tempfile.TemporaryDirectory() as tmp:
        logging.basicConfig(level=logging.INFO, handlers=[logging.StreamHandler(devnull)])
        work = Path(tmp)
        state = prepare_state(work, today)
        print(f"the example config ({', '.join(config.languages)}), the demo list, {w}x{h}, start: {Memory()}")
        results = [loop_phase(state, config, today, (w, h), a.scans, a.warm_scans, tracer)]
        if a.real_scans:
            results.append(real_phase(work, state, config, today, (w, h), a.real_scans, a.real_warm_scans, tracer))
    return 0 if all(results) else 1


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))


"""The kiosk loop: scan-to-frame latency and resident memory.

Latency: the emulator writes a zone to the pty; the clock starts after its last
byte and stops when the kiosk has written the result frame (PNG back-end: render +
encode + write; the framebuffer back-end writes raw pixels and is faster). Memory:
VmRSS of this process (kiosk, emulator and the generated passports together) when
idle after start, and after N scans.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from firmware.kiosk.config import KioskConfig
from firmware.kiosk.lists import InstalledList
from firmware.kiosk.loop import Kiosk
from firmware.scanner.framing import encode
from firmware.scanner.link import ScannerLink
from host_tools.fake_documents import random_document
from host_tools.scanner_emulator import EmulatedScanner


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Sink:
    """A display that encodes like the framebuffer does but keeps nothing."""

    def __init__(self, size: tuple[int, int]) -> None:
        from kiosk_ui.display import FramebufferFormat

        self.size = size
        self.format = FramebufferFormat(size[0], size[1], 16, size[0] * 2)
        self.buffer = bytearray(self.format.stride * size[1])

    def show(self, image: object, name: str = "") -> None:
        data = self.format.encode(image)  # type: ignore[arg-type]
        self.buffer[: len(data)] = data


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench_kiosk")
    p.add_argument("--scans", type=int, default=10_000)
    p.add_argument("--size", default="800x480")
    a = p.parse_args(argv)
    w, h = (int(v) for v in a.size.split("x"))
    from host_tools.demo import prepare_state
    from kiosk_ui.render import Renderer

    today = dt.date.today()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        state = prepare_state(work, today)
        config = KioskConfig.example()
        scanner = EmulatedScanner(link=str(work / "scanner"))
        link = ScannerLink(scanner.name, today=lambda: (today.year, today.month, today.day))
        framed: list[float] = []
        kiosk = Kiosk(config, link, InstalledList(state, config.false_alarm_limits), _Sink((w, h)),
                      Renderer(config.branding), (w, h), today=lambda: today,
                      on_frame=lambda s, r: framed.append(time.perf_counter()))
        kiosk.start()
        for _ in range(20):
            kiosk.step(0.02)
        idle = rss_mb()
        rng = random.Random(1)
        latencies = []
        t_start = time.perf_counter()
        for _ in range(a.scans):
            doc = random_document(rng, today=(today.year, today.month, today.day))
            data = encode(doc.lines, "accessis")
            scanner.write(data)
            t0 = time.perf_counter()
            n = len(framed)
            while len(framed) == n:
                kiosk.step(0.5)
            latencies.append((framed[-1] - t0) * 1000)
            kiosk.press("done")
        total = time.perf_counter() - t_start
        after = rss_mb()
        link.close()
        scanner.unplug()
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(f"scan-to-frame ({w}x{h}, framebuffer RGB565 encode): p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms over {a.scans} scans")
    print(f"throughput: {a.scans / total:.1f} scans/s including the return to idle")
    print(f"resident memory: idle {idle:.1f} MB, after {a.scans} scans {after:.1f} MB (growth {after - idle:.1f} MB)")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))

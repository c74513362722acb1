"""Scanner link: frame-to-event latency through a pty, and how fast noise is chewed.

Latency: the emulator writes one frame to the pty; the clock starts after its last
byte is written and stops when ``ScannerLink.read_events`` returns the parsed
document (decode + MRZ parse included). Noise: bytes/s of random binary noise the
decoder alone, and the whole link through a pty, get through.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time

from firmware.scanner.events import DocumentRead
from firmware.scanner.framing import FRAMINGS, FrameDecoder, encode
from firmware.scanner.link import ScannerLink
from host_tools.fake_documents import random_document
from host_tools.scanner_emulator import EmulatedScanner


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def latency(n: int) -> None:
    rng = random.Random(1)
    docs = [random_document(rng, fmt=rng.choice(["TD1", "TD2", "TD3"])) for _ in range(n)]
    with tempfile.TemporaryDirectory() as d:
        em = EmulatedScanner(link=os.path.join(d, "scanner"))
        link = ScannerLink(em.name, inter_byte_timeout=0.2)
        link.read_events(1.0)
        print(f"{'framing':<9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'read right':>11} "
              f"{'accepted with wrong data':>24}")
        for framing in FRAMINGS:
            lat: list[float] = []
            right = wrong = 0
            for truth in docs:
                data = encode(truth.lines, framing)
                em.write(data)
                t0 = time.perf_counter()
                got: list[DocumentRead] = []
                while not got:
                    got = [e for e in link.read_events(2.0) if isinstance(e, DocumentRead)]
                lat.append((time.perf_counter() - t0) * 1000)
                d = got[0].document
                same = (d.document_number, d.birth_date.raw, d.expiry_date.raw, d.surname, d.nationality) == (
                    truth.document_number, truth.birth_date, truth.expiry_date, truth.surname, truth.nationality)
                right += same
                wrong += not same
            print(f"{framing:<9} {statistics.median(lat):8.3f} {_pct(lat, 99):8.3f} {max(lat):8.3f} {right:11d} "
                  f"{wrong:24d}")
        link.close()
        em.unplug()


def noise_rate(megabytes: int) -> None:
    rng = random.Random(2)
    data = rng.randbytes(megabytes * 1_000_000)
    d = FrameDecoder()
    t0 = time.perf_counter()
    for i in range(0, len(data), 4096):
        d.feed(data[i:i + 4096])
    dt = time.perf_counter() - t0
    print(f"decoder alone:      {len(data) / dt / 1e6:6.2f} MB/s of random noise ({megabytes} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        em = EmulatedScanner(link=os.path.join(tmp, "scanner"))
        link = ScannerLink(em.name)
        link.read_events(1.0)
        writer = threading.Thread(target=em.write, args=(data,))
        t0 = time.perf_counter()
        writer.start()
        accepted = 0
        while link.decoder.bytes_in < len(data):
            accepted += sum(1 for e in link.read_events(0.5) if isinstance(e, DocumentRead))
        dt = time.perf_counter() - t0
        writer.join()
        print(f"link through a pty: {len(data) / dt / 1e6:6.2f} MB/s of random noise; documents accepted out of "
              f"noise (all wrong data): {accepted}")
        link.close()
        em.unplug()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench_scanner")
    p.add_argument("--frames", type=int, default=300, help="frames per framing for the latency (default 300)")
    p.add_argument("--noise-mb", type=int, default=5)
    a = p.parse_args(argv)
    latency(a.frames)
    noise_rate(a.noise_mb)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))

"""The service port against a hostile line: random cuts, flips and crafted frames, then a clean flash.

Issue 12: no exception leaves the decoder or the kiosk, and no garbage wedges the port (a
clean flash right after it always installs). A seeded loop, bounded to a few seconds;
the kiosk runs on a fake clock, fed synchronously, so every run is the same run.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import zlib
from pathlib import Path

import pytest
from update_world import World

from firmware.serviceport import protocol as p
from firmware.serviceport.server import ServicePort
from firmware.update import provision
from host_tools import flash

NOW = dt.date(2026, 12, 5)
SECONDS = 3.0


def crafted(rng: random.Random) -> bytes:
    """A frame with a correct CRC and content meant to hurt: bombs, wrong types, odd names, bad bounds."""
    kind = rng.randrange(7)
    if kind == 0:
        return p.encode(p.BEGIN, rng.choice([b"[", b"{\"a\":", b"\xff"]) * rng.randrange(1, 12000))
    if kind == 1:
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
        ftype = rng.randrange(256)
        head = p.HEADER.pack(p.MAGIC, ftype, len(body))
        return head + body + p.CRC.pack(zlib.crc32(head[3:] + body))
    if kind == 2:
        name = rng.choice(["targets/x\n", "../x", "targets/a", "metadata/root.json", "targets/" + "a" * 200])
        return p.encode_json(p.BEGIN, {"files": [{"name": name, "length": rng.randrange(-1, 1 << 40),
                                                  "sha256": "0" * 64}]})
    if kind == 3:
        return p.pack_data(rng.choice(["targets/a", "x"]), rng.randrange(1 << 64), bytes(rng.randrange(100)))
    if kind == 4:
        return p.encode(p.DATA, bytes(rng.randrange(12)))
    if kind == 5:
        return p.encode_json(rng.choice([p.COMMIT, p.ACK, p.INFO, p.HELLO]), {"x": [1] * rng.randrange(10)})
    length = rng.choice([0, 1, p.CHUNK, p.MAX_PAYLOAD, 1 << 31])
    return p.HEADER.pack(p.MAGIC, rng.choice(list(p.NAMES)), length)  # a header whose frame never comes


def garbage(rng: random.Random) -> bytes:
    """Cut frames, flipped bits, crafted frames and noise, in random order."""
    parts = []
    for _ in range(rng.randrange(1, 6)):
        kind = rng.randrange(4)
        if kind == 0:
            frame = p.pack_data("targets/a", rng.randrange(1 << 20), bytes(rng.randrange(p.CHUNK)))
            parts.append(frame[:rng.randrange(len(frame))])
        elif kind == 1:
            flipped = bytearray(rng.choice([p.encode_json(p.HELLO, {}), p.pack_data("targets/a", 0, bytes(5000))]))
            for _ in range(rng.randrange(1, 4)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            parts.append(bytes(flipped))
        elif kind == 2:
            parts.append(crafted(rng))
        else:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randrange(200))) + p.MAGIC[:rng.randrange(4)])
    return b"".join(parts)


def test_no_garbage_raises_or_wedges_the_decoder() -> None:
    rng = random.Random(12)
    hello = p.encode_json(p.HELLO, {})
    deadline = time.monotonic() + SECONDS
    runs = 0
    while time.monotonic() < deadline:
        runs += 1
        dec, now = p.Decoder(), 0.0
        junk = garbage(rng)
        i = 0
        while i < len(junk):  # arrives in random pieces, sometimes after a pause
            n = rng.randrange(1, 5000)
            now += rng.choice([0.0, 0.001, 0.3, 5.0])
            dec.feed(junk[i:i + n], now)
            i += n
        assert len(dec._buf) <= max(p.MAX_LENGTH.values()) + p.HEADER.size + p.CRC.size
        # the technician's HELLO, right after; the host asks again every 5 s
        got: list[p.ServiceFrame] = []
        for _ in range(3):
            got += dec.feed(hello, now)
            for _ in range(25):  # the kiosk reads every 0.2 s
                now += 0.2
                got += dec.feed(b"", now)
            if got:
                break
        assert p.ServiceFrame(p.HELLO, b"{}") in got, (runs, junk[:64])
    assert runs > 50


class Line:
    """Host and kiosk joined in one thread: the host's write is the kiosk's read; each host read lets
    the kiosk poll once, 0.2 s later on the kiosk's fake clock."""

    def __init__(self, state: Path) -> None:
        self.clock = 0.0
        self.to_kiosk = bytearray()
        self.to_host = bytearray()
        self.kiosk = ServicePort(self, state, now=lambda: NOW, clock=lambda: self.clock)
        self.host = Host(self)

    def drain(self) -> None:
        """The kiosk reads until nothing is waiting (no exception may leave it)."""
        while self.kiosk.poll() or self.to_kiosk:
            pass

    # the kiosk's side
    def read(self, size: int = 1) -> bytes:
        data = bytes(self.to_kiosk[:size])
        del self.to_kiosk[:size]
        return data

    def write(self, data: bytes, /) -> int:
        self.to_host += data
        return len(data)


class Host:
    def __init__(self, line: Line) -> None:
        self.line = line

    def read(self, size: int = 1) -> bytes:
        self.line.clock += 0.2
        self.line.drain()
        data = bytes(self.line.to_host[:size])
        del self.line.to_host[:size]
        return data

    def write(self, data: bytes, /) -> int:
        self.line.to_kiosk += data
        return len(data)


@pytest.mark.slow(seconds=8)
def test_a_clean_flash_installs_right_after_any_garbage(world: World, tmp_path: Path) -> None:
    repo = world.repo(world.bundle(version=20261201, list_date=dt.date(2026, 12, 1), name="b-fuzz"), name="r-fuzz")
    state = tmp_path / "kiosk"
    provision(state, world.root)
    rng = random.Random(1212)
    deadline = time.monotonic() + SECONDS
    runs = 0
    while time.monotonic() < deadline or runs < 3:
        runs += 1
        line = Line(state)
        for _ in range(rng.randrange(1, 4)):
            line.to_kiosk += garbage(rng)
            line.drain()
            line.clock += rng.choice([0.0, 0.05, 3.0])
        out = flash.flash(line.host, repo, timeout=5.0)
        assert out["result"]["ok"], (runs, out)
    assert runs >= 3

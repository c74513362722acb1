"""`safar scanner-emulator`: a desk MRZ reader without the desk or the passport.

Creates a pseudo-terminal (printing the path the kiosk should open) or writes to a
real serial port, and sends zones in any framing, with noise, split writes, delays
and simulated unplugging. The tests, the demo and technicians all use this one.

A pty's path changes each time it is created, so ``--link PATH`` keeps a symlink
pointing at the current one, the way ``/dev/serial/by-id/…`` does for a real reader:
after a simulated unplug and replug the kiosk finds the reader again under the same
name.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import tty
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from firmware.cliutil import command_parser, run_cli
from firmware.durable import atomic_symlink
from firmware.scanner.framing import FRAMINGS, encode, encode_plain, encode_rte
from firmware.scanner.link import PortSettings

_NOISE_ALPHABETS = ("binary", "mrz")


class EmulatedScanner:
    """One emulated reader: a pty (``EmulatedScanner()``) or a real port (``port=``)."""

    def __init__(self, port: str | None = None, link: str | None = None,
                 settings: PortSettings | None = None) -> None:
        self.port = port
        self.link = Path(link) if link else None
        self.settings = settings or PortSettings()
        self._master: int | None = None
        self._slave: int | None = None
        self._serial = None
        self.path = ""
        self.plug()

    # -- the cable --------------------------------------------------------------

    def plug(self) -> str:
        """Connects (a new pty, or opens the real port); returns the device path."""
        if self.port is not None:
            import serial

            self._serial = serial.Serial(self.port, **self.settings.serial_kwargs())
            self.path = self.port
        else:
            master, slave = os.openpty()
            # Raw from the start: a cooked pty would turn CR into LF and echo bytes
            # back before the kiosk opens it (a reader does neither).
            tty.setraw(slave)
            self._master, self._slave = master, slave
            self.path = os.ttyname(slave)
        if self.link is not None:
            atomic_symlink(self.path, self.link)
        return self.path

    def unplug(self) -> None:
        """Pulls the cable: the pty disappears (the kiosk sees EIO) and the link too."""
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()
        if self._serial is not None:
            self._serial.close()
            self._serial = None
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None

    close = unplug

    def __enter__(self) -> EmulatedScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.unplug()

    @property
    def name(self) -> str:
        """What the kiosk should open: the stable link if there is one."""
        return str(self.link) if self.link is not None else self.path

    # -- sending ----------------------------------------------------------------

    def write(self, data: bytes, split: int = 0, delay: float = 0.0, rng: random.Random | None = None) -> None:
        """Writes ``data``; ``split`` > 0 writes chunks of 1..split bytes with
        ``delay`` seconds between them."""
        if split <= 0:
            self._write_all(data)
            return
        rng = rng or random.Random()
        i = 0
        while i < len(data):
            n = rng.randint(1, split)
            self._write_all(data[i:i + n])
            i += n
            if delay:
                time.sleep(delay)

    def _write_all(self, data: bytes) -> None:
        if self._serial is not None:
            self._serial.write(data)
            self._serial.flush()
        else:
            if self._master is None:
                raise OSError("the emulated scanner is unplugged")
            view = memoryview(data)
            while view:
                n = os.write(self._master, view)
                view = view[n:]

    def send(self, mrz: str | Sequence[str], framing: str = "plain", **kw: object) -> bytes:
        """Sends one zone in ``framing``; returns the bytes sent."""
        data = encode(mrz, framing)
        self.write(data, **kw)  # type: ignore[arg-type]
        return data


def noise(rng: random.Random, n: int, alphabet: str = "binary") -> bytes:
    """Random bytes (``binary``) or MRZ characters with stray line ends (``mrz``),
    the two kinds of rubbish a reader's line actually carries."""
    if alphabet == "mrz":
        pool = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<<<<<\r\n"
        return bytes(rng.choice(pool) for _ in range(n))
    return rng.randbytes(n)


def frames_with_noise(zones: Iterable[Sequence[str]], framings: Sequence[str], rng: random.Random,
                      noise_bytes: int, alphabet: str = "binary") -> Iterator[bytes]:
    """Each zone encoded (framing chosen at random) with noise in front of it.

    Plain frames in noise get a line end before them: a plain frame is only
    delimited by line ends, so MRZ characters glued to its first line would be
    indistinguishable from it (the decoder keeps the last line-width characters).
    """
    for lines in zones:
        framing = rng.choice(list(framings))
        junk = noise(rng, rng.randint(0, noise_bytes), alphabet) if noise_bytes else b""
        frame = encode(lines, framing)
        if framing == "plain":
            frame = b"\r\n" + frame
        yield junk + frame


class EmulatorError(Exception):
    """What stops the emulator before it sends: a zone source or a port it cannot use."""


def zones_from(source: str, count: int, seed: int) -> list[list[str]]:
    """``specimens``, ``generated`` or a file of zones separated by blank lines;
    raises ``EmulatorError`` for a file that holds none."""
    if source == "specimens":
        from host_tools.specimens import specimen_lines

        base = specimen_lines()
        return [base[i % len(base)] for i in range(count)] if count else base
    if source == "generated":
        from host_tools.fake_documents import random_document

        rng = random.Random(seed)
        fmts = ["TD3", "TD3", "TD3", "TD1", "TD2"]
        return [random_document(rng, fmt=rng.choice(fmts)).lines for _ in range(count or 10)]
    path = Path(source)
    try:
        text = path.read_text("ascii")
    except FileNotFoundError as e:
        raise EmulatorError(f"{source}: no such file (use specimens, generated or a file)") from e
    except UnicodeDecodeError as e:
        raise EmulatorError(f"{source}: byte {e.start} is not ASCII; an MRZ file holds A-Z, 0-9 and '<'") from e
    zones: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines() + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            zones.append(current)
            current = []
    if not zones:
        raise EmulatorError(f"{source}: no zones found (zones are separated by blank lines)")
    return zones if not count else [zones[i % len(zones)] for i in range(count)]


def _port_settings(text: str) -> PortSettings:
    try:
        return PortSettings.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def _parser() -> argparse.ArgumentParser:
    p = command_parser("safar scanner-emulator", (__doc__ or "").split("\n\n")[0], doc="docs/scanner.md")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--port", help="write to this real serial port instead of creating a pty")
    where.add_argument("--link", help="keep a symlink at this path pointing at the pty (stable name across replugs; "
                                      "a real port already has one)")
    p.add_argument("--settings", type=_port_settings, default=PortSettings(),
                   help="port settings BAUD,DPS (default 9600,8N1; e.g. 9600,7E1)")
    p.add_argument("--source", default="specimens",
                   help="specimens (default), generated, or a file of zones separated by blank lines")
    p.add_argument("--count", type=int, default=0,
                   help="number of zones to send (default: every zone once; 10 generated)")
    p.add_argument("--framing", default="plain", choices=FRAMINGS + ("mixed",),
                   help="frame format, or mixed for one chosen at random per zone (default plain)")
    p.add_argument("--noise", type=int, default=0, metavar="N", help="up to N random bytes of noise before each zone")
    p.add_argument("--noise-kind", default="binary", choices=_NOISE_ALPHABETS,
                   help="binary: random bytes (default); mrz: MRZ characters with stray line ends")
    p.add_argument("--split", type=int, default=0, metavar="N", help="write in chunks of 1..N bytes")
    p.add_argument("--byte-delay", type=float, default=0.0, metavar="S", help="seconds between chunks (with --split)")
    p.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds between zones (default 1)")
    p.add_argument("--wait", type=float, default=2.0, metavar="S",
                   help="seconds to wait after printing the path (default 2)")
    p.add_argument("--unplug-after", type=int, default=0, metavar="N", help="simulate an unplug after every N zones")
    p.add_argument("--unplug-for", type=float, default=2.0, metavar="S",
                   help="seconds the reader stays unplugged (default 2)")
    p.add_argument("--bad-bcc", action="store_true", help="corrupt the checksum of every RTE frame (a counted reject)")
    p.add_argument("--seed", type=int, default=1,
                   help="seed of the random choices: framings, noise, splits, generated zones (default 1)")
    return p


def _emulate(a: argparse.Namespace) -> int:
    zones = zones_from(a.source, a.count, a.seed)
    rng = random.Random(a.seed)
    try:
        scanner = EmulatedScanner(port=a.port, link=a.link, settings=a.settings)
    except OSError as e:
        raise EmulatorError(f"cannot open {a.port}: {e}") from e
    print(scanner.name, flush=True)
    framings = FRAMINGS if a.framing == "mixed" else (a.framing,)
    try:
        time.sleep(a.wait)
        for i, lines in enumerate(zones):
            framing = rng.choice(list(framings))
            if a.noise:
                scanner.write(noise(rng, rng.randint(0, a.noise), a.noise_kind), split=a.split, delay=a.byte_delay,
                              rng=rng)
            if framing == "rte" and a.bad_bcc:
                data = encode_rte(lines, bcc_xor=0x5A)
            elif framing == "plain" and a.noise:
                data = b"\r\n" + encode_plain(lines)
            else:
                data = encode(lines, framing)
            scanner.write(data, split=a.split, delay=a.byte_delay, rng=rng)
            print(f"sent zone {i + 1}/{len(zones)} ({framing}, {len(data)} bytes)", file=sys.stderr, flush=True)
            if a.unplug_after and (i + 1) % a.unplug_after == 0 and i + 1 < len(zones):
                scanner.unplug()
                print(f"unplugged for {a.unplug_for:.1f} s", file=sys.stderr, flush=True)
                time.sleep(a.unplug_for)
                scanner.plug()
                print(f"plugged in again: {scanner.name}", file=sys.stderr, flush=True)
            time.sleep(a.interval)
    except KeyboardInterrupt:
        pass
    finally:
        scanner.unplug()
    return 0


def main(argv: list[str]) -> int:
    return run_cli(_parser(), _emulate, argv, errors=(EmulatorError,))

"""Serial flashing: the service-port frames, and a kiosk and a technician over a real pty pair."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import shutil
import threading
import tty
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st
from update_world import World

from firmware.serviceport import protocol as p
from firmware.serviceport.server import ServicePort
from firmware.serviceport.transport import FdTransport
from firmware.update import audit_entries, installed, provision
from firmware.update.layout import StateLayout
from host_tools import flash

NOW = dt.date(2026, 12, 5)


# ---------------------------------------------------------------- frames


def test_frames_survive_noise_splits_and_corruption() -> None:
    frames = [p.encode_json(p.HELLO, {}), p.pack_data("targets/a", 7, b"\x00\xa5SP" * 100),
              p.encode_json(p.ACK, {"name": "targets/a", "offset": 407})]
    bad = bytearray(p.encode_json(p.COMMIT, {"x": 1}))
    bad[-6] ^= 0xFF  # a corrupted frame is dropped, not misread
    stream = b"noise\xa5S\xa5" + frames[0] + bytes(bad) + b"\xa5SP\xff\xff\xff\xff" + frames[1] + b"\r\n" + frames[2]
    for step in (1, 3, 7, len(stream)):
        dec = p.Decoder()
        got = []
        for i in range(0, len(stream), step):
            got += dec.feed(stream[i:i + step])
        assert [(f.type, f.payload) for f in got] == [(p.HELLO, b"{}"), (p.DATA, frames[1][8:-4]),
                                                      (p.ACK, frames[2][8:-4])]
        assert dec.bad_frames >= 1
    name, offset, data = p.unpack_data(got[1].payload)
    assert (name, offset, data) == ("targets/a", 7, b"\x00\xa5SP" * 100)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000), st.integers(0, 50))
def test_decoder_never_crashes_and_stays_bounded(noise: bytes, cut: int) -> None:
    dec = p.Decoder()
    frame = p.encode_json(p.INFO, {"ok": True})
    got = dec.feed(noise[:cut]) + dec.feed(noise[cut:])
    got += dec.feed(frame)
    assert got[-1] == p.ServiceFrame(p.INFO, b'{"ok":true}') or len(dec._buf) <= p.MAX_PAYLOAD + 16
    assert len(dec._buf) <= p.MAX_PAYLOAD + 16


# ---------------------------------------------------------------- over a pty


class Kiosk:
    """A ServicePort serving in a thread on one end of a pty pair."""

    def __init__(self, state: Path, transport: object) -> None:
        self.port = ServicePort(transport, state, now=lambda: NOW)  # type: ignore[arg-type]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.port.serve, args=(self.stop,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


@pytest.fixture()
def pty_pair() -> Iterator[tuple[int, int]]:
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    yield master, slave
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


@pytest.fixture()
def kiosk_state(world: World, tmp_path: Path) -> Path:
    state = tmp_path / "kiosk"
    provision(state, world.root)
    return state


@pytest.fixture(scope="module")
def repo(world: World) -> Path:
    return world.repo(world.bundle(version=20261201, list_date=dt.date(2026, 12, 1), name="b-flash"),
                      name="r-flash")


def test_flash_over_a_pty_installs_the_list(kiosk_state: Path, repo: Path, pty_pair: tuple[int, int]) -> None:
    master, slave = pty_pair
    port = serial.Serial(os.ttyname(slave), 115200, timeout=0.05)
    kiosk = Kiosk(kiosk_state, port)
    try:
        seen: list[int] = []
        out = flash.flash(FdTransport(master, 0.05), repo, progress=lambda d, t: seen.append(d))
    finally:
        kiosk.close()
        port.close()
    assert out["result"]["ok"] and out["result"]["action"] == "installed", out
    assert out["info"]["list_version"] is None and out["resumed"] == 0 and out["sent"] == out["total"]
    assert seen and seen[-1] == out["total"]
    with installed(kiosk_state, now=NOW) as inst:
        assert inst.list_version == 20261201 and inst.banlist is not None
    assert audit_entries(kiosk_state)[-1]["source"] == "serial"
    assert not list(StateLayout(kiosk_state).incoming.iterdir())


class Unplug:
    """A transport whose cable is pulled after ``limit`` bytes written."""

    def __init__(self, inner: FdTransport, limit: int) -> None:
        self.inner, self.limit, self.written = inner, limit, 0

    def read(self, size: int = 1) -> bytes:
        return self.inner.read(size)

    def write(self, data: bytes, /) -> int:
        if self.written + len(data) > self.limit:
            raise OSError(5, "cable pulled")
        self.written += len(data)
        return self.inner.write(data)


@pytest.mark.slow
def test_a_pulled_cable_resumes(world: World, kiosk_state: Path, pty_pair: tuple[int, int], tmp_path: Path) -> None:
    # a bigger list so there are many frames
    rng = random.Random(5)
    rows = "".join(f"Фамилия{i},Имя{rng.randrange(10**6)},{rng.randrange(1, 28):02d}.01.19{rng.randrange(50, 99)},"
                   f"TJK,{rng.randrange(10**8, 10**9)},\n" for i in range(50000))
    big = world.repo(world.bundle(version=20261202, list_date=dt.date(2026, 12, 1), name="b-big",
                                  csv="surname,given_names,birth_date,nationality,document_number,ban_end\n" + rows),
                     name="r-big")
    master, slave = pty_pair
    kiosk = Kiosk(kiosk_state, FdTransport(slave, 0.05))
    try:
        total = sum(f["length"] for f in flash.repository_files(big))
        assert total > 200_000  # 7 frames or more
        with pytest.raises(OSError, match="cable pulled"):
            flash.flash(Unplug(FdTransport(master, 0.05), total // 2), big)
        out = flash.flash(FdTransport(master, 0.05), big)
    finally:
        kiosk.close()
    assert out["result"]["ok"], out
    assert out["resumed"] > total // 4 and out["sent"] < total * 3 // 4, out
    with installed(kiosk_state, now=NOW, verify_hashes=True) as inst:
        assert inst.list_version == 20261202


def test_flash_cli_and_a_refused_list(kiosk_state: Path, repo: Path, pty_pair: tuple[int, int],
                                      tmp_path: Path) -> None:
    master, slave = pty_pair
    kiosk = Kiosk(kiosk_state, FdTransport(master, 0.05))
    name = os.ttyname(slave)
    bad = tmp_path / "bad"
    shutil.copytree(repo, bad)
    victim = sorted((bad / "targets").glob("*.gcs"))[0]
    data = victim.read_bytes()
    victim.write_bytes(data[:-3] + bytes([data[-3] ^ 1]) + data[-2:])
    try:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = flash.main(["--port", name, str(bad)])
        assert code == 1 and '"code": "tampered"' in out.getvalue(), err.getvalue()
        with redirect_stdout(out), redirect_stderr(err):
            code = flash.main(["--port", name, "--timeout", "5", str(repo)])
        assert code == 0, err.getvalue()
    finally:
        kiosk.close()
    with installed(kiosk_state, now=NOW) as inst:
        assert inst.list_version == 20261201


class Refusing:
    """A kiosk that answers every frame with ERROR."""

    def __init__(self) -> None:
        self.frames = 0

    def read(self, size: int = 1) -> bytes:
        return p.encode_json(p.ERROR, {"reason": "busy"}) if self.frames else b""

    def write(self, data: bytes, /) -> int:
        self.frames += 1
        return len(data)


def test_an_error_frame_is_not_sent_again(repo: Path) -> None:
    kiosk = Refusing()
    with pytest.raises(flash.KioskRefused, match="busy"):
        flash.flash(kiosk, repo, timeout=0.5)
    assert kiosk.frames == 1


def test_the_kiosk_refuses_bad_names_and_early_commits(kiosk_state: Path) -> None:
    port = ServicePort(FdTransport(-1), kiosk_state)
    sha = "0" * 64

    def ask(ftype: int, obj: dict[str, object]) -> p.ServiceFrame:
        (reply,) = port.handle(p.ServiceFrame(ftype, p.encode_json(ftype, obj)[8:-4]))
        return p.Decoder().feed(reply)[0]

    for name in ("../etc/passwd", "metadata/../../x", "/abs", "other/x", "targets/.hidden"):
        r = ask(p.BEGIN, {"files": [{"name": name, "length": 1, "sha256": sha}]})
        assert r.type == p.ERROR and "not allowed" in r.json()["reason"]
    r = ask(p.BEGIN, {"files": [{"name": "targets/a", "length": 5 << 30, "sha256": sha}]})
    assert r.type == p.ERROR
    r = ask(p.BEGIN, {"files": [{"name": "targets/a", "length": 3, "sha256": sha}]})
    assert r.type == p.READY and r.json()["offsets"] == {"targets/a": 0}
    assert ask(p.COMMIT, {}).type == p.ERROR
    (reply,) = port.handle(p.ServiceFrame(p.DATA, p.pack_data("targets/a", 0, b"abcd")[8:-4]))
    assert p.Decoder().feed(reply)[0].type == p.ERROR  # past the announced length
    (reply,) = port.handle(p.ServiceFrame(p.DATA, p.pack_data("targets/a", 0, b"abc")[8:-4]))
    ack = p.Decoder().feed(reply)[0].json()
    assert ack["restart"] and ack["offset"] == 0  # wrong sha256: the file starts over

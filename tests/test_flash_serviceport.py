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
from fd_transport import FdTransport, WriteTimeout
from hypothesis import given, settings
from hypothesis import strategies as st
from update_world import World

from firmware.app.serviceport_cli import main as server_main
from firmware.serviceport import protocol as p
from firmware.serviceport.server import ServicePort
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
            got += dec.feed(stream[i:i + step], now=0.0)
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
    got = dec.feed(noise[:cut], 0.0) + dec.feed(noise[cut:], 0.0)
    got += dec.feed(frame, 0.0)
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
    def letters(n: int) -> str:  # names have no digits (the list builder refuses them)
        return "".join("абвгдежзик"[int(d)] for d in str(n))

    rows = "".join(f"Фамилия{letters(i)},Имя{letters(rng.randrange(10**6))},"
                   f"{rng.randrange(1, 28):02d}.01.19{rng.randrange(50, 99)},TJK,{rng.randrange(10**8, 10**9)},\n"
                   for i in range(50000))
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
    """A kiosk that answers every frame with ERROR (after a refusal of somebody else's frame)."""

    def __init__(self) -> None:
        self.frames = 0
        self.replies = p.encode_json(p.ERROR, {"reason": "not yours", "refused": 12345})

    def read(self, size: int = 1) -> bytes:
        replies, self.replies = self.replies, b""
        return replies

    def write(self, data: bytes, /) -> int:
        self.frames += 1
        self.replies += p.encode_json(p.ERROR, {"reason": "busy", "refused": p.frame_crc(data)})
        return len(data)


def test_an_error_frame_is_not_sent_again(repo: Path) -> None:
    kiosk = Refusing()
    with pytest.raises(flash.KioskRefused, match="busy"):
        flash.flash(kiosk, repo, timeout=0.5)
    assert kiosk.frames == 1


def test_the_kiosk_names_the_frame_it_refuses(kiosk_state: Path) -> None:
    port = ServicePort(FdTransport(-1), kiosk_state)
    commit = p.encode_json(p.COMMIT, {})
    (reply,) = port.handle(p.Decoder().feed(commit, now=0.0)[0])
    assert p.Decoder().feed(reply, now=0.0)[0].json()["refused"] == p.frame_crc(commit)


def test_the_kiosk_refuses_bad_names_and_early_commits(kiosk_state: Path) -> None:
    port = ServicePort(FdTransport(-1), kiosk_state)
    sha = "0" * 64

    def ask(ftype: int, obj: dict[str, object]) -> p.ServiceFrame:
        (reply,) = port.handle(p.ServiceFrame(ftype, p.encode_json(ftype, obj)[8:-4]))
        return p.Decoder().feed(reply, now=0.0)[0]

    for name in ("../etc/passwd", "metadata/../../x", "/abs", "other/x", "targets/.hidden"):
        r = ask(p.BEGIN, {"files": [{"name": name, "length": 1, "sha256": sha}]})
        assert r.type == p.ERROR and "not allowed" in r.json()["reason"]
    r = ask(p.BEGIN, {"files": [{"name": "targets/a", "length": 5 << 30, "sha256": sha}]})
    assert r.type == p.ERROR
    r = ask(p.BEGIN, {"files": [{"name": "targets/a", "length": 3, "sha256": sha}]})
    assert r.type == p.READY and r.json()["offsets"] == {"targets/a": 0}
    assert ask(p.COMMIT, {}).type == p.ERROR
    (reply,) = port.handle(p.ServiceFrame(p.DATA, p.pack_data("targets/a", 0, b"abcd")[8:-4]))
    assert p.Decoder().feed(reply, now=0.0)[0].type == p.ERROR  # past the announced length
    (reply,) = port.handle(p.ServiceFrame(p.DATA, p.pack_data("targets/a", 0, b"abc")[8:-4]))
    ack = p.Decoder().feed(reply, now=0.0)[0].json()
    assert ack["restart"] and ack["offset"] == 0  # wrong sha256: the file starts over


# ---------------------------------------------------------------- issue 12: the port never wedges, never dies


def cut_data_frame(n: int = 1000) -> bytes:
    """What a pulled cable leaves: the first bytes of a full DATA frame."""
    return p.pack_data("targets/a", 0, bytes(p.CHUNK))[:n]


def test_a_cut_frame_is_abandoned_when_the_line_goes_quiet() -> None:
    dec = p.Decoder()
    assert dec.feed(cut_data_frame(), now=0.0) == []
    assert dec.feed(p.encode_json(p.HELLO, {}), now=10.0) == [p.ServiceFrame(p.HELLO, b"{}")]


def test_a_hello_swallowed_by_a_cut_frame_is_found_once_the_line_is_quiet() -> None:
    dec = p.Decoder()
    assert dec.feed(cut_data_frame() + p.encode_json(p.HELLO, {}), now=0.0) == []
    assert dec.feed(b"", now=p.IDLE_TIMEOUT / 2) == []  # a frame may still be arriving
    assert dec.feed(b"", now=p.IDLE_TIMEOUT + 0.1) == [p.ServiceFrame(p.HELLO, b"{}")]
    assert len(dec._buf) < len(p.MAGIC)


def test_a_length_over_its_types_bound_is_dropped_at_once() -> None:
    dec = p.Decoder()
    forged = p.HEADER.pack(p.MAGIC, p.HELLO, p.MAX_LENGTH[p.HELLO] + 1)
    assert dec.feed(forged + p.encode_json(p.HELLO, {}), now=0.0) == [p.ServiceFrame(p.HELLO, b"{}")]
    assert dec.bad_frames == 1
    with pytest.raises(ValueError):
        p.encode(p.ACK, bytes(p.MAX_LENGTH[p.ACK] + 1))


def test_a_bit_flipped_length_costs_one_frame() -> None:
    dec = p.Decoder()
    frame = bytearray(p.pack_data("targets/a", 0, bytes(p.CHUNK)))
    frame[5] ^= 0x01  # the length grows by 256: the decoder waits for bytes that never come
    assert dec.feed(bytes(frame) + p.encode_json(p.HELLO, {}), now=0.0) == []
    assert dec.feed(b"", now=p.IDLE_TIMEOUT + 0.1) == [p.ServiceFrame(p.HELLO, b"{}")]


def test_a_deeply_nested_payload_is_refused_not_fatal(kiosk_state: Path) -> None:
    bomb = p.ServiceFrame(p.BEGIN, b"[" * 60000)
    with pytest.raises(p.ServicePortError):
        bomb.json()
    port = ServicePort(FdTransport(-1), kiosk_state)
    (reply,) = port.handle(bomb)
    assert p.Decoder().feed(reply, now=0.0)[0].type == p.ERROR


def test_a_name_with_a_final_newline_is_not_allowed(kiosk_state: Path) -> None:
    port = ServicePort(FdTransport(-1), kiosk_state)
    (reply,) = port.handle(p.ServiceFrame(p.BEGIN, p.encode_json(
        p.BEGIN, {"files": [{"name": "targets/x\n", "length": 1, "sha256": "0" * 64}]})[8:-4]))
    assert p.Decoder().feed(reply, now=0.0)[0].type == p.ERROR


def test_flash_right_after_a_cut_frame_succeeds(kiosk_state: Path, repo: Path, pty_pair: tuple[int, int]) -> None:
    master, slave = pty_pair
    kiosk = Kiosk(kiosk_state, FdTransport(slave, 0.05))
    try:
        host = FdTransport(master, 0.05)
        host.write(cut_data_frame())
        out = flash.flash(host, repo, timeout=3.0)
    finally:
        kiosk.close()
    assert out["result"]["ok"], out


def test_a_write_nobody_reads_times_out(pty_pair: tuple[int, int]) -> None:
    master, _ = pty_pair
    host = FdTransport(master, 0.05, write_timeout=0.3)
    failed: list[BaseException] = []

    def write_forever() -> None:
        try:
            host.write(bytes(1 << 20))  # far more than a pty buffers
        except OSError as e:
            failed.append(e)

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    writer.join(5)
    assert not writer.is_alive(), "write() blocked with nobody reading"
    assert failed and isinstance(failed[0], WriteTimeout)


def test_both_ends_open_their_serial_port_with_a_write_timeout(monkeypatch: pytest.MonkeyPatch, repo: Path,
                                                               tmp_path: Path) -> None:
    opened: list[dict[str, object]] = []

    class Opened(Exception):
        pass

    def capture(*args: object, **kwargs: object) -> None:
        opened.append(kwargs)
        raise Opened

    monkeypatch.setattr(serial, "serial_for_url", capture)
    monkeypatch.setattr(serial, "Serial", capture)
    for run in (lambda: flash.main(["--port", "/dev/null", str(repo)]),
                lambda: server_main(["--port", "/dev/null", "--state", str(tmp_path)])):
        with pytest.raises(Opened):
            run()
    assert len(opened) == 2 and all(o.get("write_timeout") for o in opened), opened


class StuckWriter:
    """A serial port whose writes time out (the host stopped reading) after one good HELLO."""

    def __init__(self) -> None:
        self.queued = [p.encode_json(p.HELLO, {}), p.encode_json(p.HELLO, {})]
        self.written = 0

    def read(self, size: int = 1) -> bytes:
        return self.queued.pop(0) if self.queued else b""

    def write(self, data: bytes, /) -> int:
        self.written += 1
        raise WriteTimeout("nobody reads")


def test_a_reply_nobody_reads_does_not_stop_the_kiosk(kiosk_state: Path) -> None:
    writer = StuckWriter()
    port = ServicePort(writer, kiosk_state, now=lambda: NOW)
    assert port.poll() == 1 and port.poll() == 1
    assert writer.written == 2 and port.lost_replies == 2

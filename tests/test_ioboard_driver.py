"""The Pi-side driver against a board played on a pty by the real protocol code.

`FakeBoard` runs the same `BoardState` + `LineReader` the firmware's main loop
runs, on the master side of a pseudo-terminal; the driver opens the slave side
with pyserial exactly as it opens /dev/safar-ioboard.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from firmware.deadline import Deadline
from firmware.ioboard.driver import BoardEvent, IOBoard, IOBoardError, PortBusy
from firmware.ioboard.protocol import BoardState, encode
from tests.fake_board import FakeBoard


@pytest.fixture
def board() -> Iterator[FakeBoard]:
    b = FakeBoard().start()
    yield b
    b.stop()


def _collect(io: IOBoard, n: int, seconds: float, kind: str | None = None) -> list[BoardEvent]:
    """Events (of ``kind``, or all) polled with ``events()``, as the kiosk loop does, until ``n``
    came or ``seconds`` passed."""
    deadline = Deadline(seconds)
    got: list[BoardEvent] = []
    while len(got) < n and not deadline.expired():
        got += [ev for ev in io.events() if kind is None or ev.kind == kind]
        time.sleep(0.01)
    return got


def _drain_boot_events(io: IOBoard) -> list[BoardEvent]:
    """The first stable input levels are reported after the debounce time."""
    return _collect(io, 2, 2)


def test_commands_and_status(board: FakeBoard) -> None:
    with IOBoard(board.path, timeout=2) as io:
        io.ping()
        io.led("red", "blink")
        io.led("green", "on")
        io.buzz(150)
        io.arm_watchdog(30)
        io.kick()
        st = io.status()
        assert st == {"tamper": 0, "presence": 0, "wdt": 30, "resets": 0, "errors": 0}
        assert board.state.leds == {"green": "on", "amber": "off", "red": "blink"}
        assert board.state.buzzer_on(FakeBoard._now())
        io.disarm_watchdog()
        assert io.status()["wdt"] == 0
        assert io.errors == 0


def test_refusals_raise_with_the_board_reason(board: FakeBoard) -> None:
    with IOBoard(board.path, timeout=2) as io:
        with pytest.raises(IOBoardError) as e:
            io.kick()
        assert e.value.reason == "not-armed"
        with pytest.raises(IOBoardError) as e:
            io.buzz(99999)
        assert e.value.reason == "bad-duration"
        with pytest.raises(IOBoardError) as e:
            io.arm_watchdog(2)
        assert e.value.reason == "bad-timeout"
        n = len(board.received)
        with pytest.raises(ValueError):
            io.led("blue", "on")  # refused before anything is sent
        assert len(board.received) == n
        assert io.status()["errors"] == 3


def test_events_are_queued_while_waiting_for_a_reply(board: FakeBoard) -> None:
    with IOBoard(board.path, timeout=2) as io:
        assert _drain_boot_events(io) == [BoardEvent("TAMPER", 0), BoardEvent("PRESENCE", 0)]
        board.before_reply.append(encode(["EVT", "HB", "42"]) + encode(["EVT", "BOOT"]))
        io.ping()
        assert io.events() == [BoardEvent("HB", 42), BoardEvent("BOOT", None)]
        assert io.uptime == 42 and io.last_heartbeat is not None
        board.inputs = (1, 1)  # lid opened, someone steps up: debounced on the board, then reported
        assert _collect(io, 2, 2) == [BoardEvent("TAMPER", 1), BoardEvent("PRESENCE", 1)]
        assert io.events() == []
        assert io.status()["tamper"] == 1


def test_heartbeats_arrive(board: FakeBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("firmware.ioboard.protocol.HEARTBEAT_MS", 100)
    board.state = BoardState(FakeBoard._now())
    board.heartbeats = True
    with IOBoard(board.path, timeout=2) as io:
        beats = _collect(io, 2, 3, kind="HB")
        assert len(beats) >= 2 and io.last_heartbeat is not None


def test_noise_and_bad_checksums_are_dropped_and_counted(board: FakeBoard) -> None:
    bad = bytearray(encode(["OK"]))
    bad[0] ^= 0x01  # one flipped bit: checksum mismatch, must not be taken as the reply
    board.before_reply.append(b"\x00\xff\xfe garbage\r\n" + bytes(bad) + b"X" * 300 + b"\n" + b"HELLO *00\n")
    with IOBoard(board.path, timeout=2) as io:
        st = io.status()
        assert st["wdt"] == 0
        assert io.error_counts == {"noise": 1, "bad-checksum": 2, "too-long": 1}, io.error_counts
        assert io.errors == 4


def test_silent_board_times_out_and_a_late_reply_is_not_misread(board: FakeBoard) -> None:
    board.silent = True
    with IOBoard(board.path, timeout=0.3) as io:
        t0 = time.monotonic()
        with pytest.raises(IOBoardError) as e:
            io.status()
        assert e.value.reason == "timeout"
        assert 0.25 <= time.monotonic() - t0 < 2
        # the board finally answers the old STATUS; the next command must get its own reply
        board.send(encode(["STATUS", "tamper=1", "presence=0", "wdt=0", "resets=0", "errors=0"]))
        time.sleep(0.1)
        board.silent = False
        # Were the stale STATUS taken as PING's reply, PING's own OK would then be
        # taken as the next STATUS reply and fail to parse; the real state has tamper=0.
        io.ping()
        assert io.status()["tamper"] == 0


def test_missing_port_raises_oserror() -> None:
    with pytest.raises(OSError):
        IOBoard("/nonexistent/safar-ioboard")


def test_second_opener_gets_port_busy(board: FakeBoard) -> None:
    with IOBoard(board.path, timeout=2) as io:
        with pytest.raises(PortBusy) as e:
            IOBoard(board.path)
        assert e.value.reason == "busy"
        io.ping()
    with IOBoard(board.path, timeout=2) as io2:  # free again once closed
        io2.ping()

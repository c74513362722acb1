"""The kiosk and its I/O board: the real loop drives the real driver over a pty, to a
board played by the board's own protocol code (``tests/fake_board.py``: the same
``BoardState`` the Pico runs). Lamps per screen, the answer cue and quiet hours, the
presence sensor and the dark screen, the service door, call staff, the Pi watchdog,
and a board that goes away or falls silent while travellers are served."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from firmware.app.compose import settings_from
from firmware.app.config import EXAMPLE, ConfigError, KioskConfig
from firmware.ioboard.protocol import BoardState, encode
from firmware.kiosk import board as board_module
from firmware.kiosk.board import KioskBoard, in_quiet_hours, lamps_for, parse_quiet_hours
from firmware.kiosk.kinds import KindName
from firmware.kiosk.lists import InstalledList
from firmware.kiosk.loop import Kiosk
from firmware.kiosk.parts import KioskParts
from firmware.kiosk.screen import Screen
from firmware.kiosk.state import KioskState
from host_tools.fake_documents import FakeDocument, random_document
from tests.fake_board import FakeBoard, MicroPythonBoard
from tests.test_kiosk import OK, TODAY, FakeScannerLink, SteppedClock, _NoPixels, misread, signed_state

NIGHT = dt.datetime(2026, 11, 23, 23, 30)
DAY = dt.datetime(2026, 11, 23, 11, 0)


class DarkablePixels(_NoPixels):
    """A display that records when the screen goes dark."""

    def __init__(self) -> None:
        super().__init__()
        self.blanks = 0

    def blank(self) -> None:
        self.blanks += 1
        self.names.append("blank")


@pytest.fixture
def fake_board() -> Iterator[FakeBoard]:
    b = FakeBoard().start()
    yield b
    b.stop()


@pytest.fixture(params=["cpython", "micropython"])
def either_board(request: pytest.FixtureRequest) -> Iterator[FakeBoard]:
    """The board's protocol code on CPython, and under MicroPython as on the Pico."""
    b = (FakeBoard() if request.param == "cpython" else MicroPythonBoard()).start()
    yield b
    b.stop()
    if request.param == "micropython":
        assert b.implementation == "micropython"  # type: ignore[attr-defined]


class Rig:
    """A kiosk with a signed list of ``people``, a stepped clock and ``board`` on ``port``."""

    def __init__(self, tmp_path: Path, people: list[FakeDocument], port: str, wall: dt.datetime = DAY,
                 blank_after: float = 0.0, watchdog_seconds: int = 60) -> None:
        self.clock = SteppedClock()
        self.link = FakeScannerLink()
        self.pixels = DarkablePixels()
        self.shown: list[Screen] = []
        self.audited: list[tuple[str, str]] = []
        self.wall = wall
        self.board = KioskBoard(port, watchdog_seconds=watchdog_seconds, cue_ms=80,
                                quiet_hours=parse_quiet_hours("22:00-07:00"), timeout=2, wall=lambda: self.wall)
        config = KioskConfig.example()
        settings = dataclasses.replace(settings_from(config), blank_after=blank_after)
        self.kiosk = Kiosk(settings, KioskParts(
            self.link, InstalledList(signed_state(tmp_path, people), config.false_alarm_limits), self.pixels,
            self.pixels, clock=self.clock, today=lambda: TODAY, on_frame=lambda s, r: self.shown.append(s),
            board=self.board, audit=lambda action, result: self.audited.append((action, result))))
        self.kiosk.refresh_list()
        self.kiosk.step(0)

    def step(self, seconds: float = 0.0) -> None:
        self.clock.now += seconds
        self.kiosk.step(0)

    def until(self, condition: Callable[[], bool], what: str) -> None:
        """Steps (without moving the kiosk's clock) until the board's reply or event arrived."""
        deadline = time.monotonic() + 5
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.01)
            self.kiosk.step(0)


def lit(b: FakeBoard) -> dict[str, str]:
    return dict(b.state.leds)


def test_lamps_never_tell_the_hall_which_answer_a_traveller_got() -> None:
    answers: tuple[KindName, ...] = ("no_record", "possible", "strong", "not_checked", "read_failed",
                                     "choose_language")
    assert len({tuple(sorted(lamps_for(kind).items())) for kind in answers}) == 1
    assert lamps_for("idle") == {"green": "on", "amber": "off", "red": "off"}
    assert lamps_for("reading")["green"] == "blink"
    assert lamps_for("out_of_service")["red"] == "on" and lamps_for("service")["red"] == "blink"
    assert lamps_for("strong", staff_called=True)["amber"] == "blink"


def test_quiet_hours_parse_and_wrap_midnight() -> None:
    night = parse_quiet_hours("22:00-07:00")
    assert night == (1320, 420)
    assert in_quiet_hours(night, NIGHT) and in_quiet_hours(night, NIGHT.replace(hour=6, minute=59))
    assert not in_quiet_hours(night, DAY) and not in_quiet_hours(night, NIGHT.replace(hour=7, minute=0))
    assert in_quiet_hours((60, 120), NIGHT.replace(hour=1)) and not in_quiet_hours((60, 120), NIGHT)
    assert not in_quiet_hours(None, NIGHT)
    for bad in ("22-07", "25:00-07:00", "22:00-07:00-08:00", "07:00-07:00", "ab:cd-07:00"):
        with pytest.raises(ValueError):
            parse_quiet_hours(bad)


def test_ioboard_settings_are_checked_with_their_name(tmp_path: Path) -> None:
    base = KioskConfig.example()
    assert base.ioboard_port is None and base.ioboard_quiet_hours == (1320, 420)
    for setting, value, words in (("watchdog_seconds", "30", "60 to 3600"), ("cue_ms", "2000", "not an alarm"),
                                  ("quiet_hours", '"late"', "time range"), ("blank_after_minutes", "-1", "240")):
        text = EXAMPLE + f'\n[ioboard]\nport = "/dev/safar-ioboard"\n{setting} = {value}\n'
        path = tmp_path / "kiosk.toml"
        path.write_text(text)
        with pytest.raises(ConfigError) as e:
            KioskConfig.load(path)
        assert e.value.key == f"ioboard.{setting}" and words in str(e.value)
    path.write_text(EXAMPLE + '\n[ioboard]\nport = "/dev/safar-ioboard"\nquiet_hours = ""\n')
    config = KioskConfig.load(path)
    assert config.ioboard_port == "/dev/safar-ioboard" and config.ioboard_quiet_hours is None


def test_the_board_follows_a_traveller_from_start_to_answer_to_staff(tmp_path: Path, either_board: FakeBoard) -> None:
    rng = random.Random(30)
    listed = random_document(rng, today=(2026, 11, 23), nationality="TJK")
    stranger = random_document(rng, today=(2026, 11, 23), nationality="TJK")
    rig = Rig(tmp_path, [listed], either_board.path)
    assert rig.board.up and rig.kiosk.state.kind == "idle"
    assert lit(either_board) == {"green": "on", "amber": "off", "red": "off"}
    assert either_board.state.wdt_s == 60  # armed at connect

    rig.link.scan(listed.lines)
    rig.step()
    assert rig.kiosk.state.kind == "strong"
    strong_lamps = lit(either_board)
    assert strong_lamps == {"green": "off", "amber": "on", "red": "off"}
    assert len(either_board.commands(b"BUZZ")) == 1 and either_board.commands(b"BUZZ")[0].startswith(b"BUZZ 80 ")

    rig.kiosk.press("call_staff")
    assert rig.shown[-1].staff_called and lit(either_board)["amber"] == "blink"
    assert either_board.commands(b"BUZZ")[-1].startswith(b"BUZZ 300 ")
    rig.kiosk.press("done")
    rig.step()
    assert not rig.kiosk.state.staff_called and lit(either_board) == {"green": "on", "amber": "off", "red": "off"}

    rig.link.scan(stranger.lines)
    rig.step()
    assert rig.kiosk.state.kind == "no_record" and lit(either_board) == strong_lamps  # the same light, any answer
    assert len(either_board.commands(b"BUZZ")) == 3  # and the same cue
    rig.step(61)  # the answer times out
    assert rig.kiosk.state.kind == "idle" and lit(either_board)["green"] == "on"

    rig.link.scan(misread(stranger))
    rig.step()
    assert rig.kiosk.state.kind == "read_failed" and lit(either_board)["amber"] == "on"

    kicks = len(either_board.commands(b"KICK"))
    rig.step(board_module.KICK_SECONDS)
    assert len(either_board.commands(b"KICK")) == kicks + 1

    rig.kiosk.enter_service()
    rig.step()
    assert lit(either_board) == {"green": "off", "amber": "off", "red": "blink"}
    rig.kiosk.press("done")
    rig.step()
    assert rig.kiosk.state.kind == "idle" and lit(either_board)["green"] == "on"
    assert rig.board.health()[1] == "pass"


def test_no_cue_in_quiet_hours_but_a_call_for_staff_still_beeps(tmp_path: Path, fake_board: FakeBoard) -> None:
    person = random_document(random.Random(31), today=(2026, 11, 23))
    rig = Rig(tmp_path, [], fake_board.path, wall=NIGHT)
    rig.link.scan(person.lines)
    rig.step()
    assert rig.kiosk.state.kind == "no_record" and fake_board.commands(b"BUZZ") == []
    rig.kiosk.press("call_staff")
    assert [c[:8] for c in fake_board.commands(b"BUZZ")] == [b"BUZZ 300"]


def test_an_open_service_door_takes_the_kiosk_out_of_service_and_is_audited(
        tmp_path: Path, either_board: FakeBoard) -> None:
    person = random_document(random.Random(32), today=(2026, 11, 23))
    rig = Rig(tmp_path, [], either_board.path)
    rig.link.scan(person.lines)
    rig.step()
    assert rig.kiosk.state.kind == "no_record"
    either_board.inputs = (1, 0)  # the door opens (debounced on the board, then EVT TAMPER 1)
    rig.until(lambda: rig.kiosk.state.kind == "out_of_service", "the tamper event")
    assert ("enclosure_open", None) in rig.shown[-1].reasons
    assert lit(either_board) == {"green": "off", "amber": "off", "red": "on"}
    assert rig.audited == [("enclosure", "opened")]
    assert rig.board.health()[1] == "fail"
    rig.link.scan(person.lines)
    rig.step()
    assert rig.kiosk.state.kind == "out_of_service"  # no answers while the door is open

    # A technician in service mode opened it: the service screen stays; leaving with it open does not serve.
    rig.kiosk.enter_service()
    rig.step()
    assert rig.kiosk.state.kind == "service"
    rig.kiosk.press("done")
    rig.step()
    assert rig.kiosk.state.kind == "out_of_service"
    either_board.inputs = (0, 0)
    rig.until(lambda: rig.kiosk.state.kind == "idle", "the door closing")
    assert rig.audited == [("enclosure", "opened"), ("enclosure", "closed")]


def test_a_kiosk_restarted_with_the_door_open_starts_out_of_service(tmp_path: Path, fake_board: FakeBoard) -> None:
    fake_board.inputs = (1, 0)
    deadline = time.monotonic() + 5
    while not fake_board.state.tamper:  # the board noticed before the kiosk started
        assert time.monotonic() < deadline
        time.sleep(0.01)
    rig = Rig(tmp_path, [], fake_board.path)
    assert rig.kiosk.state.kind == "out_of_service" and rig.audited == [("enclosure", "opened")]


def test_nobody_in_front_darkens_the_start_screen_and_someone_wakes_it(tmp_path: Path, fake_board: FakeBoard) -> None:
    person = random_document(random.Random(33), today=(2026, 11, 23))
    rig = Rig(tmp_path, [], fake_board.path, blank_after=300)
    rig.step(299)
    assert rig.pixels.blanks == 0
    rig.step(2)
    assert rig.kiosk.blanked and rig.pixels.blanks == 1
    frames = rig.kiosk.frames
    rig.step(100)
    assert rig.kiosk.frames == frames and rig.pixels.blanks == 1  # stays dark, drawn once

    fake_board.inputs = (0, 1)  # someone steps up
    rig.until(lambda: not rig.kiosk.blanked, "the presence event")
    assert rig.pixels.names[-1].startswith("idle") and rig.kiosk.frames == frames + 1
    fake_board.inputs = (0, 0)  # and leaves: the clock starts from when they were last seen
    rig.until(lambda: rig.board.presence is False, "the presence sensor clearing")
    rig.step(299)
    assert not rig.kiosk.blanked
    rig.step(2)
    assert rig.kiosk.blanked

    rig.link.scan(person.lines)  # a passport laid on a dark kiosk gets its answer
    rig.step()
    assert not rig.kiosk.blanked and rig.kiosk.state.kind == "no_record" and rig.pixels.names[-1].startswith(
        "no_record")


def test_without_a_working_sensor_the_screen_never_goes_dark(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [], str(tmp_path / "no-board"), blank_after=60)
    rig.step(3600)
    assert not rig.board.up and not rig.kiosk.blanked and rig.pixels.blanks == 0


def test_board_loss_does_not_stop_travellers_being_served_and_the_board_is_found_again(tmp_path: Path) -> None:
    rng = random.Random(34)
    listed = random_document(rng, today=(2026, 11, 23), nationality="RUS")
    port = tmp_path / "ioboard"
    first = FakeBoard().start()
    port.symlink_to(first.path)
    rig = Rig(tmp_path, [listed], str(port))
    assert rig.board.up
    first.stop()  # unplugged
    rig.link.scan(listed.lines)
    rig.step()
    assert rig.kiosk.state.kind == "strong" and not rig.board.up
    assert rig.board.health()[1] == "fail" and "still served" in rig.board.health()[2]
    rig.kiosk.press("call_staff")  # nothing can call staff now: the screen must not say it did
    assert not rig.shown[-1].staff_called
    rig.kiosk.press("done")
    rig.step()
    assert rig.kiosk.state.kind == "idle"  # not out of service

    second = FakeBoard().start()
    try:
        port.unlink()
        port.symlink_to(second.path)
        rig.step(board_module.RECONNECT_SECONDS)
        assert rig.board.up and lit(second)["green"] == "on" and second.state.wdt_s == 60
    finally:
        second.stop()


def test_a_silent_board_is_given_up_quickly_and_the_loop_goes_on(tmp_path: Path, fake_board: FakeBoard) -> None:
    person = random_document(random.Random(35), today=(2026, 11, 23))
    rig = Rig(tmp_path, [], fake_board.path)
    rig.board.timeout = 0.2
    fake_board.silent = True
    rig.link.scan(person.lines)
    rig.step()  # the cue times out: the board is down, the answer is shown
    assert rig.kiosk.state.kind == "no_record" and not rig.board.up
    sent = len(fake_board.received)
    rig.step(1)
    rig.step(1)
    assert len(fake_board.received) == sent  # no more waits until the next reconnect attempt


def test_a_restarted_board_is_armed_and_lit_again(tmp_path: Path, fake_board: FakeBoard) -> None:
    rig = Rig(tmp_path, [], fake_board.path)
    fake_board.state = BoardState(FakeBoard._now())  # power cycled: all dark, watchdog disarmed
    fake_board.send(encode(["EVT", "BOOT"]))
    rig.until(lambda: fake_board.state.wdt_s == 60, "the watchdog re-armed")
    assert lit(fake_board)["green"] == "on"


def test_a_clean_stop_disarms_the_watchdog(tmp_path: Path, fake_board: FakeBoard) -> None:
    rig = Rig(tmp_path, [], fake_board.path)
    assert fake_board.state.wdt_s == 60
    rig.kiosk.close()
    assert fake_board.state.wdt_s == 0 and lit(fake_board)["red"] == "on"


@pytest.mark.slow(seconds=8)
def test_a_hung_loop_stops_kicking_and_the_board_resets_the_pi(
        tmp_path: Path, either_board: FakeBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real time: the loop turns in a thread; then its scanner read never returns."""
    monkeypatch.setattr(board_module, "KICK_SECONDS", 0.2)
    hang = threading.Event()
    stop = threading.Event()

    class HangingLink(FakeScannerLink):
        def read_events(self, timeout: float) -> list[Any]:
            if hang.is_set():
                stop.wait()  # the loop is stuck here
            time.sleep(timeout)
            return super().read_events(0)

    config = KioskConfig.example()
    pixels = _NoPixels()
    board = KioskBoard(either_board.path, watchdog_seconds=5, timeout=2)
    kiosk = Kiosk(settings_from(config), KioskParts(
        HangingLink(), InstalledList(signed_state(tmp_path, []), config.false_alarm_limits), pixels, pixels,
        today=lambda: TODAY, board=board))
    kiosk.refresh_list()

    def run() -> None:
        while not stop.is_set():
            kiosk.step(0.05)

    loop = threading.Thread(target=run, daemon=True)
    loop.start()
    try:
        time.sleep(1.5)
        kicking = len(either_board.commands(b"KICK"))
        assert kicking >= 4 and either_board.pi_resets == []
        hang.set()
        time.sleep(0.3)
        stuck = len(either_board.commands(b"KICK"))
        deadline = time.monotonic() + 7
        while not either_board.pi_resets:
            assert time.monotonic() < deadline, "the board never reset the Pi"
            time.sleep(0.05)
        assert len(either_board.commands(b"KICK")) == stuck  # not one kick since the loop hung
    finally:
        stop.set()
        loop.join(5)


def test_the_state_keeps_the_service_screen_while_the_door_is_open() -> None:
    k = KioskState(("tg", "en"), "tg", 20)
    k.set_list(OK, 0)
    k.set_scanner(True, 0)
    k.enter_service(1)
    k.set_enclosure(True, 2)
    assert k.screen().kind == "service"
    k.leave_service(3)
    assert k.screen().kind == "out_of_service" and ("enclosure_open", None) in k.screen().reasons
    k.set_enclosure(False, 4)
    assert k.screen().kind == "idle"


def test_diag_beside_the_running_kiosk_reports_the_board_as_the_kiosk_sees_it(tmp_path: Path) -> None:
    """The kiosk holds the port; diagnostics read its health file instead (fresh ones only)."""
    from firmware.diag import checks
    from firmware.fleet.health import KioskHealth

    root = tmp_path / "root"
    metrics = root / checks.KIOSK_METRICS.lstrip("/")
    metrics.parent.mkdir(parents=True)
    board = FakeBoard().start()
    try:
        rig = Rig(tmp_path, [], board.path)
        rig.kiosk.health = KioskHealth(metrics, tmp_path / "state", write_every=15)

        def diag() -> Any:
            return checks.check_ioboard(checks.DiagContext(root=root, state_dir=tmp_path / "state",
                                                           ioboard_port=board.path))

        rig.step()
        found = diag()
        assert found.status == "pass" and "running kiosk" in found.message, found.message
        board.inputs = (1, 0)
        rig.until(lambda: rig.kiosk.state.kind == "out_of_service", "the tamper event")
        found = diag()
        assert found.status == "fail" and "enclosure is open" in found.message, found.message
        # A file the kiosk stopped writing long ago says nothing: the port is merely busy.
        text = metrics.read_text()
        stamp = next(line for line in text.splitlines() if line.startswith("safar_metrics_written_timestamp"))
        old = time.time() - checks.KIOSK_METRICS_FRESH_SECONDS - 5
        metrics.write_text(text.replace(stamp, f"safar_metrics_written_timestamp_seconds {old}"))
        found = diag()
        assert found.status == "warn" and "held by the running kiosk" in found.message, found.message
    finally:
        board.stop()

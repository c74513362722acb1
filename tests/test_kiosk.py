"""The kiosk: state machine, framebuffer and PNG back-ends, input, config, the real
loop over a pty with a signed installed list, privacy, systemd notify, and the demo."""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from firmware.core import mrz
from firmware.kiosk.config import EXAMPLE, ConfigError, KioskConfig
from firmware.kiosk.lists import InstalledList
from firmware.kiosk.loop import Kiosk, passport_validity
from firmware.kiosk.printer import SlipPrinter
from firmware.kiosk.screen import Button, Screen
from firmware.kiosk.state import READING_SECONDS, KioskState, ListStatus
from firmware.kiosk.systemd import Notifier
from firmware.scanner.events import DocumentRead, Event, ReadFailed, ScannerAvailable
from firmware.scanner.link import ScannerLink
from host_tools.fake_documents import FakeDocument, random_document
from host_tools.scanner_emulator import EmulatedScanner
from kiosk_ui.display import DisplayError, FramebufferDisplay, FramebufferFormat, PngDisplay
from kiosk_ui.i18n import Texts
from kiosk_ui.input import BTN_TOUCH, EV_ABS, EV_KEY, EV_SYN, KEY_ENTER, KEY_F2, KEY_L, EventTranslator
from kiosk_ui.render import Renderer
from kiosk_ui.slip import render_slip
from tests.deployable import write_config

TODAY = dt.date(2026, 11, 23)
OK = ListStatus(True, "2026-11-01", "2027-05-20")


def machine() -> KioskState:
    k = KioskState(("tg", "ru", "uz", "en"), "tg", 20)
    k.set_list(OK, 0)
    k.set_scanner(True, 0)
    return k


# -- state machine ---------------------------------------------------------------------


def test_idle_result_timeout_back_to_idle_in_default_language() -> None:
    k = machine()
    assert k.screen().kind == "idle"
    k.reading(1)
    assert k.screen().kind == "reading"
    k.scanned("strong", "2031", "RUS", None, 2)
    s = k.screen()
    assert (s.kind, s.lang, s.ban_end, s.list_date) == ("strong", "ru", "2031", "2026-11-01")
    k.tick(21.9)
    assert k.screen().kind == "strong"
    k.tick(22.0)
    s = k.screen()
    assert (s.kind, s.lang, s.ban_end) == ("idle", "tg", None)


def test_language_switch_restarts_the_timeout_and_done_ends_early() -> None:
    k = machine()
    k.scanned("possible", None, "UZB", ("expired", "2025-01-01"), 0)
    assert k.screen().lang == "uz" and k.screen().passport == ("expired", "2025-01-01")
    k.press("lang:en", 15)
    k.tick(30)
    assert k.screen().kind == "possible" and k.screen().lang == "en"
    k.press("done", 31)
    assert k.screen().kind == "idle" and k.screen().passport is None and k.screen().lang == "tg"
    k.press("lang:xx", 32)  # not enabled: ignored
    assert k.screen().lang == "tg"


def test_unknown_nationality_reads_in_english_or_the_default() -> None:
    k = machine()
    k.scanned("none", None, "GBR", None, 0)
    assert k.screen().lang == "en"
    k2 = KioskState(("tg", "ru"), "ru", 20)
    k2.set_list(OK, 0)
    k2.set_scanner(True, 0)
    k2.scanned("none", None, "GBR", None, 0)
    assert k2.screen().lang == "ru"


def test_repeated_read_failures_ask_for_staff_and_a_good_read_resets() -> None:
    k = machine()
    for n in (1, 2, 3):
        k.read_failed(n)
        assert k.screen().failures == n
    k.press("done", 4)
    k.read_failed(5)
    assert k.screen().failures == 4
    k.scanned("none", None, "TJK", None, 6)
    k.tick(27)
    k.read_failed(28)
    assert k.screen().failures == 1


def test_a_reading_that_stops_says_so_and_counts_as_a_failure() -> None:
    k = machine()
    k.reading(0)
    k.tick(READING_SECONDS - 0.1)
    assert k.screen().kind == "reading"
    k.tick(READING_SECONDS + 0.1)
    s = k.screen()
    assert (s.kind, s.reasons, s.failures) == ("read_failed", (("incomplete", None),), 1)


def test_out_of_service_for_no_list_expired_list_and_missing_scanner() -> None:
    k = KioskState(("tg", "ru", "uz", "en"), "tg", 20)
    assert k.screen().kind == "out_of_service"
    k.set_list(OK, 0)
    assert k.screen().reasons == (("scanner_missing", None),)
    k.set_scanner(True, 0)
    assert k.screen().kind == "idle"
    k.scanned("strong", None, "TJK", None, 1)
    k.set_list(ListStatus(False, "2026-11-01", "2027-05-20", (("list_expired", "2027-05-20"),)), 2)
    s = k.screen()
    assert s.kind == "out_of_service" and s.reasons == (("list_expired", "2027-05-20"),) and s.ban_end is None
    k.scanned("strong", None, "TJK", None, 3)  # no list: a scan changes nothing
    assert k.screen().kind == "out_of_service"
    k.set_list(OK, 4)
    assert k.screen().kind == "idle"


def test_a_result_shows_its_countdown_and_more_time_extends_it() -> None:
    k = machine()
    k.scanned("strong", None, "TJK", None, 0)
    assert k.screen(0).seconds_left == 20 and k.screen(7.5).seconds_left == 13
    assert "more_time" in k.screen(0).actions and "choose_language" in k.screen(0).actions
    k.press("more_time", 15)  # 5 s were left: now 25
    k.tick(39)
    assert k.screen().kind == "strong" and k.screen().seconds_left == 1
    for _ in range(10):  # at most MORE_TIME_TIMES x result_seconds ahead
        k.press("more_time", 39)
    assert k.screen(39).seconds_left == 100
    k.tick(139)
    assert k.screen().kind == "idle"


def test_an_afghan_passport_gets_the_language_chooser_first() -> None:
    k = KioskState(("tg", "ru", "uz", "en", "prs"), "tg", 20)
    k.set_list(OK, 0)
    k.set_scanner(True, 0)
    k.scanned("possible", None, "AFG", None, 0)
    assert k.screen().kind == "choose_language"
    k.press("lang:en", 5)
    s = k.screen(5)
    assert (s.kind, s.lang, s.seconds_left) == ("possible", "en", 20)
    # nobody chooses: the result in Dari
    k.press("done", 6)
    k.scanned("none", None, "AFG", None, 7)
    k.tick(7 + 20)
    assert (k.screen().kind, k.screen().lang) == ("no_record", "prs")
    # without Dari enabled: Tajik, after the chooser
    k2 = machine()
    k2.scanned("none", None, "AFG", None, 0)
    k2.tick(30)
    assert (k2.screen().kind, k2.screen().lang) == ("no_record", "tg")


def test_a_traveller_can_reopen_the_chooser_and_large_text_follows_them() -> None:
    k = machine()
    k.scanned("none", None, "TJK", None, 0)
    k.press("choose_language", 10)
    assert k.screen().kind == "choose_language"
    k.press("lang:ru", 11)
    assert (k.screen().kind, k.screen().lang, k.screen(11).seconds_left) == ("no_record", "ru", 20)
    k.press("large_text", 12)
    assert k.screen().large
    k.press("done", 13)
    assert k.screen().kind == "idle" and not k.screen().large  # the next traveller starts afresh


def test_two_unreadable_scans_switch_to_large_text() -> None:
    k = machine()
    k.read_failed(0)
    assert not k.screen().large
    k.read_failed(1)
    assert k.screen().large
    k.press("done", 2)
    assert k.screen().large  # still failing: the next try is in large text too
    k.scanned("none", None, "TJK", None, 3)
    k.press("done", 4)
    assert not k.screen().large


def test_a_passport_without_a_year_of_birth_is_not_reported_as_no_match() -> None:
    k = machine()
    k.scanned("unchecked", None, "TJK", None, 0)
    assert k.screen().kind == "not_checked"


def test_staff_called_only_when_the_signal_went_out() -> None:
    k = KioskState(("tg", "en"), "tg", 20, can_call_staff=True)
    k.set_list(OK, 0)
    k.set_scanner(True, 0)
    assert "call_staff" in k.screen().actions
    k.read_failed(0)
    k.staff_signalled(False, 1)
    assert not k.screen().staff_called
    k.staff_signalled(True, 2)
    assert k.screen().staff_called
    k.press("done", 3)
    assert not k.screen().staff_called  # the traveller has gone


def test_without_a_printer_or_a_staff_signal_no_screen_offers_them() -> None:
    k = machine()
    for event in (lambda: k.scanned("strong", None, "TJK", None, 0), lambda: k.read_failed(1)):
        event()
        assert not {"print", "call_staff"} & set(k.screen().actions)


def test_service_mode_by_pin_has_a_done_and_an_inactivity_timeout() -> None:
    from firmware.kiosk.state import SERVICE_IDLE_SECONDS

    k = machine()
    k.press("service_request", 0)
    k.pin_checked(True, 1)
    assert k.screen().kind == "service" and k.service_by == "pin"
    k.leave_service(2, by="key")  # a stick poll does not end a PIN-opened service mode
    assert k.screen().kind == "service"
    k.press("done", 3)
    assert k.screen().kind == "idle" and not k.service
    k.press("service_request", 4)
    k.pin_checked(True, 5)
    k.press("digit:1", 5 + SERVICE_IDLE_SECONDS - 10)  # a technician at work
    k.tick(5 + SERVICE_IDLE_SECONDS + 1)
    assert k.screen().kind == "service"
    k.tick(5 + 2 * SERVICE_IDLE_SECONDS)
    assert k.screen().kind == "idle" and not k.service


def test_service_mode_enter_and_leave() -> None:
    k = machine()
    k.set_checks((("clock", "warn", "Not synchronised."),))
    k.enter_service(0)
    assert k.screen().kind == "service" and k.screen().checks[0][0] == "clock"
    k.scanned("strong", None, "TJK", None, 1)
    assert k.screen().kind == "service"
    k.leave_service(2)
    assert k.screen().kind == "idle"


def test_a_pin_verdict_is_not_a_key() -> None:
    k = machine()
    k.press("service_request", 0)
    for key in ("digit:1", "digit:2", "pin:back", "digit:3"):
        k.press(key, 1)
    assert k.screen().kind == "pin_entry" and k.screen().digits_typed == 2 and k.screen().failures == 0
    for not_a_key in ("pin_good", "service", "pin:ok"):  # a key press never opens service mode by itself
        k.press(not_a_key, 2)
    assert k.screen().kind == "pin_entry" and not k.service
    k.pin_checked(False, 3)
    assert k.screen().reasons == (("wrong_pin", None),) and k.screen().digits_typed == 0
    k.pin_checked(True, 4)
    assert k.screen().kind == "service"
    k.leave_service(5)
    k.pin_checked(True, 6)  # a verdict with no PIN screen open changes nothing
    assert k.screen().kind == "idle" and not k.service


def test_passport_validity() -> None:
    class D:
        def __init__(self, y: int | None, m: int | None, d: int | None) -> None:
            self.year, self.month, self.day = y, m, d

    assert passport_validity(D(2026, 11, 22), TODAY) == ("expired", "2026-11-22")
    assert passport_validity(D(2027, 3, 1), TODAY) == ("expiring", "2027-03-01")
    assert passport_validity(D(2027, 7, 1), TODAY) is None
    assert passport_validity(D(2027, None, None), TODAY) is None


# -- display and input -----------------------------------------------------------------


def fake_fb(root: Path, w: int, h: int, bpp: int, stride: int) -> Path:
    sysfs = root / "sys/class/graphics/fb0"
    sysfs.mkdir(parents=True)
    (sysfs / "virtual_size").write_text(f"{w},{h}\n")
    (sysfs / "bits_per_pixel").write_text(f"{bpp}\n")
    (sysfs / "stride").write_text(f"{stride}\n")
    dev = root / "fb0"
    dev.write_bytes(b"\x00" * stride * h)
    return dev


@pytest.mark.parametrize("bpp,stride", [(16, 64), (16, 80), (32, 128), (32, 160)])
def test_framebuffer_formats_and_stride(tmp_path: Path, bpp: int, stride: int) -> None:
    dev = fake_fb(tmp_path, 32, 8, bpp, stride)
    fb = FramebufferDisplay(dev, sysfs_root=tmp_path)
    img = Image.new("RGB", (32, 8), (255, 0, 0))
    img.putpixel((1, 2), (0, 0, 255))
    fb.show(img)
    fb.close()
    data = dev.read_bytes()
    px = bpp // 8

    def pixel(x: int, y: int) -> bytes:
        return data[y * stride + x * px: y * stride + (x + 1) * px]

    if bpp == 16:
        assert pixel(0, 0) == (0xF800).to_bytes(2, "little") and pixel(1, 2) == (0x001F).to_bytes(2, "little")
    else:
        assert pixel(0, 0)[:3] == b"\x00\x00\xff" and pixel(1, 2)[:3] == b"\xff\x00\x00"  # B, G, R
    assert data[32 * px: stride] == b"\x00" * (stride - 32 * px)  # the padding is left alone


def test_framebuffer_errors_say_which_file(tmp_path: Path) -> None:
    dev = fake_fb(tmp_path, 32, 8, 24, 96)
    with pytest.raises(DisplayError, match="bits_per_pixel: 24 bits"):
        FramebufferDisplay(dev, sysfs_root=tmp_path)
    with pytest.raises(DisplayError, match="virtual_size"):
        FramebufferFormat.read(tmp_path / "nowhere")


def test_png_display_numbers_frames(tmp_path: Path) -> None:
    d = PngDisplay(tmp_path / "out", (10, 10))
    d.show(Image.new("RGB", (10, 10)), "idle-tg")
    d.show(Image.new("RGB", (10, 10)), "strong-ru")
    assert [p.name for p in d.frames] == ["0001-idle-tg.png", "0002-strong-ru.png"]
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_recorded_touch_and_key_sequences() -> None:
    buttons = [Button("lang:tg", (0, 400, 200, 480)), Button("done", (600, 400, 800, 480))]
    t = EventTranslator(["tg", "ru", "uz", "en"], (800, 480), abs_range=(4095, 4095))
    # A tap on "done" as a resistive panel reports it (raw 0..4095), then a slide off a button.
    tap = [(EV_ABS, 0, 3600), (EV_ABS, 1, 3800), (EV_KEY, BTN_TOUCH, 1), (EV_SYN, 0, 0), (EV_KEY, BTN_TOUCH, 0),
           (EV_SYN, 0, 0)]
    assert t.feed(tap, buttons) == ["done"]
    slide = [(EV_ABS, 0, 100), (EV_ABS, 1, 3800), (EV_KEY, BTN_TOUCH, 1), (EV_ABS, 0, 2500), (EV_ABS, 1, 1000),
             (EV_KEY, BTN_TOUCH, 0)]
    assert t.feed(slide, buttons) == []
    keys = [(EV_KEY, KEY_F2, 1), (EV_KEY, KEY_F2, 0), (EV_KEY, KEY_L, 1), (EV_KEY, KEY_ENTER, 1)]
    assert t.feed(keys, buttons) == ["lang:ru", "lang:uz", "enter"]


# -- config ----------------------------------------------------------------------------


def test_config_errors_name_file_key_and_line(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(EXAMPLE.replace('uz = "Migratsiya xizmati"\n', "", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kiosk.toml: contacts\[0\].name.uz: missing"):
        KioskConfig.load(f)
    f.write_text(EXAMPLE.replace("result_seconds = 60", "result_seconds = 2"), encoding="utf-8")
    with pytest.raises(ConfigError, match="result_seconds: must be between 10 and 600"):
        KioskConfig.load(f)
    f.write_text(EXAMPLE + "\nhotlne = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="hotlne: unknown setting"):
        KioskConfig.load(f)
    f.write_text(EXAMPLE.replace('deployment = "', 'deployment = '), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        KioskConfig.load(f)
    assert e.value.line == next(i for i, x in enumerate(EXAMPLE.splitlines(), 1) if x.startswith("deployment"))
    f.write_text(EXAMPLE.replace('settings = "9600,8N1"', 'settings = "9600,9N1"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="scanner.settings"):
        KioskConfig.load(f)
    with pytest.raises(ConfigError, match="cannot read"):
        KioskConfig.load(tmp_path / "missing.toml")
    f.write_text(EXAMPLE.replace("max_false_strong = 1e-7", "max_false_strong = 0.5"), encoding="utf-8")
    with pytest.raises(ConfigError, match="matching.max_false_strong: must be a probability"):
        KioskConfig.load(f)
    f.write_text(EXAMPLE.replace("max_false_possible = 1e-6", "max_false_possible = 1e-9"), encoding="utf-8")
    assert KioskConfig.load(f).false_alarm_limits == (1e-7, 1e-9)


def test_kiosk_command_reports_a_bad_config(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text("deployment = \n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "kiosk", "--config", str(f)], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1 and "kiosk.toml:1" in p.stderr and "not valid TOML" in p.stderr


# -- systemd -----------------------------------------------------------------------------


def test_sd_notify_ready_and_watchdog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2)
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    n = Notifier(path)
    n.ready("idle")
    assert server.recv(100) == b"READY=1\nSTATUS=idle"
    n.ping()
    assert server.recv(100) == b"WATCHDOG=1"
    n.ping()  # within the interval: nothing sent
    server.setblocking(False)
    with pytest.raises(BlockingIOError):
        server.recv(100)
    server.close()
    assert Notifier("").send("READY=1") is False


# -- the real loop ---------------------------------------------------------------------


def birth_date_as_written(p: FakeDocument) -> str:
    """DD.MM.YYYY, the way the officials' list and a traveller write it (birth dates are in the past)."""
    b = p.birth_date
    century = "19" if int(b[:2]) > TODAY.year % 100 else "20"
    return f"{b[4:]}.{b[2:4]}.{century}{b[:2]}"


def signed_state(tmp_path: Path, people: list[FakeDocument], list_date: dt.date = dt.date(2026, 11, 1)) -> Path:
    """A state directory with ``people`` installed as a signed list, built with the default
    false-alarm budgets (and a fixed salt, so which strangers a set lets through is fixed too)."""
    from firmware.update import install, provision
    from host_tools.listbuild.bundle import write_bundle
    from host_tools.listbuild.csvinput import read_list
    from host_tools.signing import make_demo_repository

    rows = ["surname,given names,birth date,nationality,document number,ban end"]
    for p in people:
        rows.append(f"{p.surname},{p.given_names},{birth_date_as_written(p)},{p.nationality},{p.document_number},"
                    "01.06.2030")
    entries = read_list("\n".join(rows).encode(), "people.csv", list_date).entries
    assert len(entries) == len(people)
    write_bundle(entries, tmp_path / "bundle", list_version=1, list_date=list_date,
                 valid_until=list_date + dt.timedelta(days=200), deployment="safar-demo", salt=b"safar-kiosk-test")
    repo, root = make_demo_repository(tmp_path / "signing", tmp_path / "bundle")
    state = tmp_path / "state"
    provision(state, root)
    install(state, repo, now=TODAY)
    return state


class Run:
    def __init__(self, tmp_path: Path, state: Path, size: tuple[int, int] = (800, 480)) -> None:
        self.scanner = EmulatedScanner(link=str(tmp_path / "scanner"))
        config = KioskConfig.example()
        # Frames go beside the state directory: a real kiosk writes them to the framebuffer.
        self.display = PngDisplay(tmp_path / "screens", size)
        self.screens: list = []
        self.link = ScannerLink(self.scanner.name, today=lambda: (2026, 11, 23), inter_byte_timeout=0.1)
        self.kiosk = Kiosk(config, self.link, InstalledList(state, config.false_alarm_limits), self.display,
                           Renderer(config.branding), size, today=lambda: TODAY,
                           on_frame=lambda s, r: self.screens.append(s))
        self.kiosk.refresh_list()

    def until(self, kind: str | tuple[str, ...], timeout: float = 5.0) -> None:
        start = len(self.screens)
        deadline = time.monotonic() + timeout
        kinds = (kind,) if isinstance(kind, str) else kind
        while time.monotonic() < deadline:
            self.kiosk.step(0.02)
            if any(s.kind in kinds for s in self.screens[start:]):
                return
        raise AssertionError(f"no {kind} screen; saw {[s.kind for s in self.screens[start:]]}")

    def close(self) -> None:
        self.link.close()
        self.scanner.unplug()


def test_loop_over_a_pty_with_a_signed_list(tmp_path: Path) -> None:
    rng = random.Random(5)
    banned = random_document(rng, today=(2026, 11, 23), nationality="TJK")
    state = signed_state(tmp_path, [banned])
    run = Run(tmp_path, state)
    try:
        run.until("idle")
        run.scanner.send(banned.lines, "rte")
        run.until("strong")
        assert run.screens[-1].ban_end == "2030" and run.screens[-1].lang == "tg"
        run.kiosk.press("done")
        assert run.screens[-1].kind == "idle"
        # Same person, renewed passport (new number), name spelled with KH for Ҳ/Х: a name match.
        surname = banned.surname.replace("H", "KH", 1) if "H" in banned.surname else banned.surname
        renewed = random_document(rng, today=(2026, 11, 23), surname=surname, given_names=banned.given_names,
                                  birth_date=banned.birth_date, nationality="TJK", document_number="999888777")
        run.scanner.send(renewed.lines, "plain")
        run.until("possible")
        run.kiosk.press("done")
        stranger = random_document(rng, today=(2026, 11, 23), nationality="UZB", surname="TESTOV", expiry_date="250101")
        run.scanner.send(stranger.lines, "accessis")
        run.until("no_record")
        assert run.screens[-1].passport == ("expired", "2025-01-01") and run.screens[-1].lang == "uz"
        l2 = stranger.lines[1]
        run.scanner.send([stranger.lines[0], l2[:19] + str((int(l2[19]) + 3) % 10) + l2[20:]], "accessis")
        run.until("read_failed")
        run.scanner.unplug()
        run.until("out_of_service")
        run.scanner.plug()
        run.until("idle")
    finally:
        run.close()


def test_a_list_looser_than_the_kiosk_allows_is_not_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    people = [random_document(random.Random(3), today=(2026, 11, 23))]
    state = signed_state(tmp_path, people)
    # the list meets the default budgets (1e-7, 1e-6 per traveller); this kiosk asks for less
    status, banlist = InstalledList(state, (1e-8, 1e-6))(TODAY)
    assert banlist is None and not status.usable and status.reasons == (("list_budget", None),)
    assert "false strong answers 1e-07 per traveller, more than this kiosk's limit of 1e-08" in caplog.text
    status, banlist = InstalledList(state, (1e-7, 1e-6))(TODAY)
    assert status.usable and banlist is not None
    banlist.close()
    renderer = Renderer(KioskConfig.example().branding)
    said = {lang: renderer.blocks(Screen("out_of_service", lang, reasons=(("list_budget", None),)))[1][0][1]
            for lang in ("en", "ru", "tg", "uz")}
    assert said["en"] == "The installed list cannot be used on this kiosk."
    assert len(set(said.values())) == 4  # translated in every language
    renderer.render(Screen("out_of_service", "tg", reasons=(("list_budget", None),)), (800, 480))  # it fits


def test_no_installed_list_is_out_of_service(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    run = Run(tmp_path, state)
    try:
        run.until("out_of_service")
        assert ("no_list", None) in run.screens[-1].reasons
    finally:
        run.close()


class FakeScannerLink:
    """Stands in for ``ScannerLink`` without a pty: each zone given to ``scan`` comes out of
    ``read_events`` as the event the real link makes of it (``DocumentRead`` for a valid
    zone, ``ReadFailed`` with a reason free of content otherwise)."""

    receiving = False

    def __init__(self) -> None:
        self._events: list[Event] = [ScannerAvailable("fake")]

    def scan(self, lines: list[str]) -> None:
        try:
            doc = mrz.parse("\n".join(lines), today=(2026, 11, 23))
        except mrz.MRZError:
            self._events.append(ReadFailed("unreadable zone", "plain"))
            return
        if doc.valid:
            self._events.append(DocumentRead(doc, "plain"))
        else:
            failed = sorted(name for name, ok in doc.checks.items() if not ok)
            self._events.append(ReadFailed("check digits do not match: " + ", ".join(failed), "plain"))

    def read_events(self, timeout: float) -> list[Event]:
        events, self._events = self._events, []
        return events

    def close(self) -> None:
        pass


class _Blank:
    image = None
    buttons: list[Button] = []


class _NoPixels:
    """A renderer and display that draw nothing: the kiosk's screen decisions stay real."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def render(self, screen: Screen, size: tuple[int, int]) -> _Blank:
        return _Blank()

    def show(self, image: Any, name: str = "frame") -> None:
        self.names.append(name)


def misread(p: FakeDocument) -> list[str]:
    """``p``'s zone with a check digit misread (the birth date's on TD3, the number's on TD1)."""
    lines = list(p.lines)
    i = 1 if len(lines) == 2 else 0
    col = 19 if len(lines) == 2 else 14
    lines[i] = lines[i][:col] + str((int(lines[i][col]) + 3) % 10) + lines[i][col + 1:]
    return lines


def personal_data(p: FakeDocument) -> list[str]:
    """What of a scanned passport must never reach a log, stdout/stderr or the disk."""
    b = p.birth_date
    iso = "-".join(reversed(birth_date_as_written(p).split(".")))
    return [p.document_number, p.lines[0][5:25], p.lines[-1][:15], p.lines[1][:20], birth_date_as_written(p), iso,
            f"{p.surname} {p.given_names}", f"{p.surname}<<{p.given_names}", "|" + b]  # the last: a key string


def assert_nothing_personal(people: list[FakeDocument], blobs: list[bytes]) -> None:
    haystack = b"\n".join(blobs)
    for p in people:
        for secret in personal_data(p):
            assert secret.encode() not in haystack, "found personal data of a scanned passport"


def written_under(*dirs: Path) -> list[bytes]:
    """Every file the kiosk left in ``dirs``, with its name."""
    return [path.name.encode() + b"\n" + path.read_bytes() for d in dirs for path in d.rglob("*") if path.is_file()]


def test_privacy_1000_passports_through_the_loop_leave_nothing_in_state_or_logs(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(1000)
    people = [random_document(rng, today=(2026, 11, 23), fmt=rng.choice(["TD1", "TD3"])) for _ in range(1000)]
    listed = people[::10]
    state = signed_state(tmp_path, listed)
    caplog.set_level(logging.DEBUG)
    config = KioskConfig.example()
    link, pixels, shown = FakeScannerLink(), _NoPixels(), []
    # The slip printer path for real, into a file: render_slip -> ESC/POS -> "device".
    device = tmp_path / "printer"
    device.touch()
    printer, texts, slips = SlipPrinter(str(device)), Texts(), []

    def print_slip(screen: Screen) -> None:
        printer.print_image(render_slip(config.branding, texts, screen.lang, screen.list_date or "?",
                                        screen.valid_until or "?", 576))
        slips.append((screen.lang, device.read_bytes()))  # a file "device" is rewritten by each slip

    kiosk = Kiosk(config, link, InstalledList(state, config.false_alarm_limits), pixels, pixels, (800, 480),
                  today=lambda: TODAY, on_frame=lambda s, r: shown.append(s), print_slip=print_slip)
    kiosk.refresh_list()
    kiosk.step(0)
    for i, p in enumerate(people):
        if i % 50 == 7:
            link.scan(misread(p))
            kiosk.step(0)
            assert kiosk.state.kind == "read_failed"
        link.scan(p.lines)
        kiosk.step(0)
        if kiosk.state.kind == "choose_language":  # an Afghan passport: the chooser first
            kiosk.press("lang:en")
        # The default budgets allow about one false alarm in a million travellers: none among these 900.
        assert kiosk.state.kind == ("strong" if i % 10 == 0 else "no_record"), i
        if kiosk.state.kind == "strong":
            kiosk.press("print")
            kiosk._printing.join(10)  # type: ignore[union-attr]
            kiosk.step(0)
            assert kiosk.state.printed
        kiosk.press("done")
        assert kiosk.state.kind == "idle"
    assert kiosk.scans == 1020 and sum(s.kind == "strong" for s in shown) >= 100
    assert len(slips) == 100
    # A slip depends on its language and the list alone: the same bytes for every traveller
    # of a language (a name, a number or a ban end on it would make them differ).
    assert len({data for _, data in slips}) == len({lang for lang, _ in slips})
    out, err = capfd.readouterr()
    # What the renderer was given (a frame is drawn from nothing else), the frames' names, the logs,
    # stdout/stderr and everything in the state directory.
    blobs = [repr([[getattr(s, k) for k in Screen.__slots__] for s in shown]).encode(), repr(pixels.names).encode(),
             caplog.text.encode(), out.encode(), err.encode(), *written_under(state), *{data for _, data in slips}]
    assert_nothing_personal(people, blobs)


def test_privacy_over_a_pty_with_real_frames(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(20)
    people = [random_document(rng, today=(2026, 11, 23), fmt=rng.choice(["TD1", "TD3"])) for _ in range(20)]
    state = signed_state(tmp_path, people[::10])
    caplog.set_level(logging.DEBUG)
    run = Run(tmp_path, state, size=(1024, 600))
    try:
        run.until("idle")
        for i, p in enumerate(people):
            run.scanner.send(p.lines, rng.choice(["plain", "rte", "accessis"]))
            run.until(("strong" if i % 10 == 0 else "no_record", "choose_language"))
            if run.kiosk.state.kind == "choose_language":
                run.kiosk.press("lang:ru")
            assert run.kiosk.state.kind == ("strong" if i % 10 == 0 else "no_record")
            run.kiosk.press("done")
        run.scanner.send(misread(people[1]), "plain")
        run.until("read_failed")
    finally:
        run.close()
    assert run.kiosk.scans == 21 and len(run.display.frames) >= 41
    out, err = capfd.readouterr()
    assert_nothing_personal(people, [caplog.text.encode(), out.encode(), err.encode(),
                                     *written_under(state, tmp_path / "screens")])


def test_demo_command_end_to_end(tmp_path: Path) -> None:
    # The timeout is only for a demo that hangs (it takes about 10 s; its speed is not a test's business).
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "demo", "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    names = sorted(x.name for x in (tmp_path / "out").glob("*.png"))
    kinds = {n.split("-")[1] for n in names if not n.startswith("slip-")}
    assert {"idle", "reading", "choose_language", "no_record", "strong", "possible", "not_checked", "read_failed",
            "out_of_service", "service"} <= kinds
    slips = [n for n in names if n.startswith("slip-")]
    assert slips and "1 slip(s) printed" in p.stdout
    index = (tmp_path / "out" / "index.html").read_text("utf-8")
    assert all(n in index for n in names)
    # The demo's expired passport gets the extra advice on its result screen.
    assert "Expired Uzbek passport" in index
    # An unsupported size is refused before anything runs.
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "demo", "--size", "480x320", "--out",
                        str(tmp_path / "small")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "480x320 is not a supported display size" in p.stderr


def test_technician_key_on_usb_opens_and_closes_service_mode(tmp_path: Path) -> None:
    import hashlib
    import tomllib

    from firmware.kiosk.technician import TechnicianKey

    secret = os.urandom(64)
    media = tmp_path / "media"
    (media / "STICK").mkdir(parents=True)
    key = TechnicianKey(hashlib.sha256(secret).hexdigest(), root=tmp_path)
    assert not key.present()
    (media / "STICK" / "SAFAR-SERVICE.key").write_bytes(b"wrong")
    assert not key.present()
    data = tomllib.loads(EXAMPLE)
    data["service_key_sha256"] = "abc"
    with pytest.raises(ConfigError, match="service_key_sha256"):
        KioskConfig(data)

    state = tmp_path / "state"
    state.mkdir()
    run = Run(tmp_path, state)
    run.kiosk.technician = key
    run.kiosk.checks = lambda: (("clock", "pass", "Synchronised."),)
    try:
        run.until("out_of_service")  # no list: still, a technician can get in
        (media / "STICK" / "SAFAR-SERVICE.key").write_bytes(secret)
        run.kiosk._technician_checked = -1e9
        run.until("service")
        assert run.screens[-1].checks == (("clock", "pass", "Synchronised."),)
        (media / "STICK" / "SAFAR-SERVICE.key").unlink()
        run.kiosk._technician_checked = -1e9
        run.until("out_of_service")
    finally:
        run.close()


def test_safar_kiosk_process_notifies_ready_shows_results_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal

    rng = random.Random(9)
    person = random_document(rng, today=(2026, 11, 23), nationality="TJK")
    state = signed_state(tmp_path, [person], list_date=dt.date.today() - dt.timedelta(days=10))
    scanner = EmulatedScanner(link=str(tmp_path / "scanner"))
    screens = tmp_path / "screens"
    config = tmp_path / "kiosk.toml"
    write_config(config, scanner={"port": scanner.name}, display={"backend": "png", "output": str(screens)})
    sock_path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(20)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="400000")
    p = subprocess.Popen([sys.executable, "-m", "firmware.cli", "kiosk", "--config", str(config),
                          "--state", str(state)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert sock.recv(200).startswith(b"READY=1")
        assert sock.recv(200) == b"WATCHDOG=1"
        scanner.send(person.lines, "plain")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(screens.glob("*-strong-*.png")):
            time.sleep(0.1)
        assert list(screens.glob("*-strong-tg.png"))
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
        scanner.unplug()
        sock.close()
    assert p.returncode == 0, err
    for secret in (person.surname, person.document_number, person.lines[1][:20]):
        assert secret not in out + err


def test_service_pin_by_button_sequence_with_lockout(tmp_path: Path) -> None:
    import tomllib

    from firmware.kiosk.state import PIN_LOCKOUT_SECONDS
    from firmware.kiosk.technician import check_pin, hash_pin
    from kiosk_ui.input import KEY_0, KEY_1, KEY_F1, KEY_F4

    stored = hash_pin("2580", iterations=20_000)
    assert check_pin("2580", stored) and not check_pin("2581", stored)
    with pytest.raises(ValueError):
        hash_pin("12a4")
    data = tomllib.loads(EXAMPLE)
    data["service_pin"] = "2580"
    with pytest.raises(ConfigError, match="service_pin: must look like pbkdf2_sha256"):
        KioskConfig(data)
    data["service_pin"] = stored

    now = [0.0]
    state = tmp_path / "state"
    state.mkdir()
    run = Run(tmp_path, state)
    run.kiosk.config = KioskConfig(data)
    run.kiosk.clock = lambda: now[0]
    run.kiosk.checks = lambda: (("clock", "pass", "Synchronised."),)
    t = EventTranslator(["tg", "ru", "uz", "en"], (800, 480), clock=lambda: now[0])

    def keys(*codes: int) -> None:
        for key in t.feed([(EV_KEY, c, 1) for c in codes], []):
            run.kiosk.press(key)

    def digit(d: int) -> int:
        return KEY_0 if d == 0 else KEY_1 + d - 1

    try:
        run.kiosk.step(0.01)
        keys(KEY_F4, KEY_F1, KEY_F4, KEY_F1)
        assert run.kiosk.state.kind == "pin_entry"
        keys(*(digit(d) for d in (1, 1, 1, 1)), KEY_ENTER)
        assert run.screens[-1].reasons == (("wrong_pin", None),) and run.screens[-1].digits_typed == 0
        for _ in range(2):
            keys(digit(9), KEY_ENTER)
        assert run.screens[-1].reasons == (("locked", None),)
        keys(*(digit(d) for d in (2, 5, 8, 0)), KEY_ENTER)  # the right PIN, but locked out
        assert run.kiosk.state.kind == "pin_entry" and not run.kiosk.state.service
        now[0] += PIN_LOCKOUT_SECONDS + 1
        run.kiosk.step(0.01)
        assert run.kiosk.state.kind != "pin_entry"  # timed out
        # Five taps in the top-left corner also ask for the PIN.
        tap = [(EV_ABS, 0, 10), (EV_ABS, 1, 10), (EV_KEY, BTN_TOUCH, 1), (EV_KEY, BTN_TOUCH, 0)]
        for _ in range(5):
            for key in t.feed(tap, run.kiosk._buttons):
                run.kiosk.press(key)
        assert run.kiosk.state.kind == "pin_entry"
        keys(*(digit(d) for d in (2, 5, 8, 0)))
        assert run.screens[-1].digits_typed == 4 and "2580" not in repr(run.screens[-1])
        keys(KEY_ENTER)
        assert run.kiosk.state.kind == "service" and run.screens[-1].checks[0][0] == "clock"
    finally:
        run.close()


# -- reading the installed list back -----------------------------------------------------


class SteppedClock:
    """The loop's clock, moved by the test: no sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def clocked_kiosk(state: Path, clock: SteppedClock) -> tuple[Kiosk, list[Screen]]:
    config = KioskConfig.example()
    pixels, shown = _NoPixels(), []
    kiosk = Kiosk(config, FakeScannerLink(), InstalledList(state, config.false_alarm_limits), pixels, pixels,
                  (800, 480), clock=clock, today=lambda: TODAY, on_frame=lambda s, r: shown.append(s))
    return kiosk, shown


def test_bit_rot_takes_the_kiosk_out_of_service_within_one_pass_and_at_the_next_start(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from bitrot import zero_a_block_the_canaries_miss

    from firmware.kiosk.loop import CHECK_BYTES_PER_SECOND
    from firmware.update.layout import StateLayout

    rng = random.Random(6)
    people = [random_document(rng, today=(2026, 11, 23)) for _ in range(6000)]
    state = signed_state(tmp_path, people)
    clock = SteppedClock()
    kiosk, shown = clocked_kiosk(state, clock)
    kiosk.start()
    kiosk.step(0)
    assert shown[-1].kind == "idle"
    total = kiosk.list_check.total
    assert total > 16 * 4096
    zero_a_block_the_canaries_miss(StateLayout(state).current.resolve(), "documents.fps")
    ticks = 0
    while kiosk.state.kind != "out_of_service":
        before = kiosk.list_check.read
        clock.now += 1.0
        kiosk.step(0)
        ticks += 1
        if kiosk.list_check is not None:
            assert kiosk.list_check.read - before <= CHECK_BYTES_PER_SECOND  # the I/O stays bounded
        assert ticks <= -(-total // CHECK_BYTES_PER_SECOND) + 1, "not noticed within one pass"
    assert shown[-1].reasons == (("no_list", None),) and kiosk.banlist is None
    assert "installed list damaged, not used" in caplog.text and "documents.fps" in caplog.text
    for _ in range(180):  # the minute-by-minute check still passes the list: it stays unused
        clock.now += 1.0
        kiosk.step(0)
        assert kiosk.state.kind == "out_of_service"
    # restarted, the kiosk reads the list back before its first frame
    clock2 = SteppedClock()
    kiosk2, shown2 = clocked_kiosk(state, clock2)
    kiosk2.start()
    kiosk2.step(0)
    assert [s.kind for s in shown2] == ["out_of_service"] and shown2[0].reasons == (("no_list", None),)
    assert_nothing_personal(people, [caplog.text.encode()])


def test_a_damaged_current_list_gives_way_to_the_previous_one(world: Any, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    from firmware.update import install, provision
    from firmware.update.layout import StateLayout

    state = tmp_path / "state"
    provision(state, world.root)
    for version, day in ((20261101, 1), (20261115, 15)):
        bundle = world.bundle(version=version, list_date=dt.date(2026, 11, day), name=f"kiosk-{version}")
        assert install(state, world.repo(bundle, name=f"kiosk-repo-{version}"), now=TODAY).action == "installed"
    clock = SteppedClock()
    kiosk, shown = clocked_kiosk(state, clock)
    kiosk.start()
    kiosk.step(0)
    assert shown[-1].kind == "idle" and kiosk.banlist.manifest.list_version == 20261115
    # one bit set in a class byte: every member, canaries too, is still found
    victim = StateLayout(state).current.resolve() / "names.fps"
    data = victim.read_bytes()
    i = next(i for i in range(len(data) - 1, 64, -1) if data[i] != 0xFF)
    bit = next(b for b in range(8) if not data[i] >> b & 1)
    with open(victim, "r+b") as f:
        f.seek(i)
        f.write(bytes([data[i] | 1 << bit]))
    for _ in range(200):
        clock.now += 1.0
        kiosk.step(0)
        assert kiosk.state.kind == "idle"
    assert kiosk.banlist.manifest.list_version == 20261101 and kiosk.state.list.list_date == "2026-11-01"
    assert "names.fps" in caplog.text and "using the previous installed list" in caplog.text


# -- next steps: printing, calling staff, could-not-check, placeholders --------------------


def _loop(tmp_path: Path, people: list[FakeDocument], **kw: Any) -> tuple[Kiosk, FakeScannerLink, list[Screen]]:
    state = signed_state(tmp_path, people)
    config = KioskConfig.example()
    link, pixels, shown = FakeScannerLink(), _NoPixels(), []
    kiosk = Kiosk(config, link, InstalledList(state, config.false_alarm_limits), pixels, pixels, (800, 480),
                  today=lambda: TODAY, on_frame=lambda s, r: shown.append(s), **kw)
    kiosk.refresh_list()
    kiosk.step(0)
    return kiosk, link, shown


def test_a_passport_without_a_birth_year_could_not_be_checked(tmp_path: Path) -> None:
    rng = random.Random(13)
    listed = random_document(rng, today=(2026, 11, 23), nationality="TJK")
    unknown = random_document(rng, today=(2026, 11, 23), nationality="TJK", birth_date="<<<<<<")
    kiosk, link, _ = _loop(tmp_path, [listed])
    link.scan(unknown.lines)
    kiosk.step(0)
    assert kiosk.state.kind == "not_checked"  # never "no match found": nothing was looked up


def test_a_passport_without_a_surname_or_a_nationality_is_matched_on_its_document(tmp_path: Path) -> None:
    # docs/name-folding.md: a single name (P<IND<<RAVI) gives no name key; a card that prints no
    # nationality ('<<<', Macau) is keyed under its issuing state. Both read, with warnings.
    rng = random.Random(15)
    listed = random_document(rng, today=(2026, 11, 23), surname="KUMAR", given_names="RAVI", nationality="IND")
    resident = random_document(rng, today=(2026, 11, 23), surname="CHAN", given_names="TAI MAN", nationality="MAC")
    kiosk, link, _ = _loop(tmp_path, [listed, resident])
    single_name = random_document(rng, today=(2026, 11, 23), surname="", given_names="RAVI", nationality="IND",
                                  document_number=listed.document_number, birth_date=listed.birth_date)
    link.scan(single_name.lines)
    kiosk.step(0)
    assert kiosk.state.kind == "strong"
    namesake = random_document(rng, today=(2026, 11, 23), surname="", given_names="RAVI", nationality="IND",
                               document_number="Z7654321", birth_date=listed.birth_date)
    link.scan(namesake.lines)
    kiosk.step(0)
    assert kiosk.state.kind == "no_record"  # the same single name and birth date: no name key to share
    no_nationality = mrz.generate("TD1", "I", "MAC", resident.surname, resident.given_names,
                                  resident.document_number, "", resident.birth_date, resident.sex,
                                  resident.expiry_date)
    link.scan(no_nationality)
    kiosk.step(0)
    assert kiosk.state.kind == "strong"


def test_a_broken_printer_says_so_and_the_kiosk_goes_on(tmp_path: Path) -> None:
    rng = random.Random(14)
    listed = random_document(rng, today=(2026, 11, 23), nationality="TJK")

    def print_slip(screen: Screen) -> None:
        SlipPrinter(str(tmp_path / "no-printer")).print_image(Image.new("1", (8, 8)))

    kiosk, link, shown = _loop(tmp_path, [listed], print_slip=print_slip)
    link.scan(listed.lines)
    kiosk.step(0)
    assert "print" in kiosk.state.screen().actions
    kiosk.press("print")
    kiosk._printing.join(10)  # type: ignore[union-attr]
    kiosk.step(0)
    assert shown[-1].reasons == (("print_failed", None),) and not shown[-1].printed
    kiosk.press("done")
    link.scan(listed.lines)
    kiosk.step(0)
    assert kiosk.state.kind == "strong"


def test_a_pin_opened_service_mode_outlives_the_stick_poll_and_a_key_one_ends_once(tmp_path: Path) -> None:
    from firmware.kiosk.loop import TECHNICIAN_POLL_SECONDS

    class Stick:
        present_now = False

        def present(self) -> bool:
            return self.present_now

    clock = SteppedClock()
    stick = Stick()
    kiosk, _, shown = _loop(tmp_path, [], clock=clock, technician=stick)

    def polls(present: bool, times: int = 1) -> str:
        """The stick ``present`` (or not) for ``times`` polls; what the kiosk shows then."""
        stick.present_now = present
        for _ in range(times):
            clock.now += TECHNICIAN_POLL_SECONDS + 0.1
            kiosk.step(0)
        return kiosk.state.kind

    kiosk.state.press("service_request", clock.now)
    kiosk.state.pin_checked(True, clock.now)
    assert polls(False, 5) == "service"  # no stick: the technician who typed the PIN stays
    kiosk.press("done")
    assert kiosk.state.kind == "idle"
    assert polls(True) == "service" and kiosk.state.service_by == "key"  # the key: service mode
    kiosk.press("done")  # left with the key still in: no way back in until it is pulled
    assert polls(True, 3) == "idle"
    assert polls(False) == "idle"
    assert polls(True) == "service"
    assert polls(False) == "idle"


def test_safar_kiosk_refuses_to_start_with_placeholder_contacts(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(EXAMPLE, encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "kiosk", "--config", str(f), "--state",
                        str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "still a placeholder" in p.stderr and "docs/next-steps.md" in p.stderr, p.stderr


def test_dari_without_the_text_layout_library_stops_the_kiosk_at_start(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import features

    from firmware.kiosk.service import check_text_layout

    data = tomllib.loads(EXAMPLE)
    data["languages"] = ["tg", "prs"]
    check_text_layout(KioskConfig(data))  # raqm is here
    monkeypatch.setattr(features, "check", lambda name: False)
    with pytest.raises(ConfigError, match="languages: prs is written right to left.*libfribidi0"):
        check_text_layout(KioskConfig(data))
    check_text_layout(KioskConfig.example())  # no right-to-left language: nothing needed

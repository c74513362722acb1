"""The composition root (firmware/app/compose.py): what the settings name reaches the kiosk,
and the same wiring serves the service and anyone who passes their own devices (the demo)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from firmware.app.compose import Devices, build, devices_from, settings_from
from firmware.app.config import EXAMPLE, KioskConfig
from firmware.fleet.health import KioskHealth
from firmware.kiosk.board import KioskBoard
from firmware.kiosk.technician import hash_pin
from firmware.printer.escpos import SlipPrinter
from kiosk_ui.display import PngDisplay


def _deployment(tmp_path: Path) -> KioskConfig:
    """Every optional device on, each where a test may open it: PNG frames, a printer into a file,
    a board on a port that is not there, the metrics textfile in the test's folder."""
    data = tomllib.loads(EXAMPLE)
    printer = tmp_path / "printer.escpos"
    printer.touch()
    data["display"] |= {"backend": "png", "output": str(tmp_path / "screens")}
    data["scanner"]["port"] = str(tmp_path / "no-scanner")
    data["printer"] = {"enabled": True, "device": str(printer)}
    data["ioboard"] = {"port": str(tmp_path / "no-board"), "blank_after_minutes": 5}
    data["metrics"] = {"enabled": True, "textfile": str(tmp_path / "safar.prom")}
    data["service_pin"] = hash_pin("2468", salt=bytes(8), iterations=10_000)
    return KioskConfig(data, "<test>")


def test_the_service_gets_every_device_its_settings_name(tmp_path: Path) -> None:
    config = _deployment(tmp_path)
    devices = devices_from(config, tmp_path / "state")
    assert isinstance(devices.display, PngDisplay) and devices.display.size == (800, 480)
    assert isinstance(devices.printer, SlipPrinter) and isinstance(devices.board, KioskBoard)
    assert isinstance(devices.health, KioskHealth) and devices.inputs is None and devices.camera is None
    kiosk = build(config, tmp_path / "state", devices)
    assert kiosk.print_slip is not None and kiosk.state.can_print and kiosk.state.can_call_staff
    assert kiosk.settings == settings_from(config)
    assert kiosk.settings.blank_after == 300.0 and kiosk.settings.service_pin == config.service_pin
    assert kiosk.size == (800, 480)
    kiosk.link.close()


def test_the_service_screens_checks_name_the_printer_and_the_boards_own_view(tmp_path: Path) -> None:
    """diag would find the board's port busy: the kiosk's own view of the board replaces it."""
    config = _deployment(tmp_path)
    devices = devices_from(config, tmp_path / "state")
    kiosk = build(config, tmp_path / "state", devices)
    assert kiosk.checks is not None
    names = [name for name, _, _ in kiosk.checks()]
    assert "printer" in names
    assert names.count("ioboard") == 1
    ioboard = next(check for check in kiosk.checks() if check[0] == "ioboard")
    assert devices.board is not None and ioboard == devices.board.health()
    kiosk.link.close()


def test_devices_passed_in_get_the_same_wiring_as_the_services(tmp_path: Path) -> None:
    """The demo's way: its own devices, and still the slip, the checks and the audit of a kiosk."""
    config = _deployment(tmp_path)
    own = devices_from(config, tmp_path / "state")
    printed: list[object] = []

    class Printer:
        def print_image(self, image: object) -> None:
            printed.append(image)

    display = PngDisplay(tmp_path / "frames", (1024, 600))
    kiosk = build(config, tmp_path / "state", Devices(link=own.link, display=display, printer=Printer()))
    assert kiosk.size == (1024, 600) and kiosk.board is None and kiosk.health is None
    assert kiosk.print_slip is not None and kiosk.checks is not None and kiosk.audit is not None
    from firmware.kiosk.screen import Screen

    kiosk.print_slip(Screen("strong", "en", list_date="2026-11-01", valid_until="2027-05-01"))
    assert len(printed) == 1 and getattr(printed[0], "width", 0) == config.printer_dots
    assert "printer" in [name for name, _, _ in kiosk.checks()]
    kiosk.link.close()

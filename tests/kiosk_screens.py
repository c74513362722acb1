"""Every screen the kiosk can show, with fixed values, for the golden and layout tests."""

from __future__ import annotations

from typing import Any

from firmware.kiosk.screen import Screen

LIST: dict[str, Any] = {"list_date": "2026-11-01", "valid_until": "2027-05-20"}
CHECKS = (
    ("scanner", "pass", "Scanner port /dev/safar-scanner opens; last frame 2 min ago."),
    ("display", "pass", "Framebuffer fb0: 800x480, 16 bits per pixel (RGB565)."),
    ("storage", "warn", "Root filesystem is writable: the overlay is not active."),
    ("list", "pass", "List 20261101 of 01.11.2026, valid until 20.05.2027."),
    ("clock", "fail", "Clock is earlier than the last verified list: check NTP."),
)


def all_screens(lang: str) -> dict[str, Screen]:
    return {
        "idle": Screen("idle", lang, **LIST),
        "reading": Screen("reading", lang, **LIST),
        "no_record": Screen("no_record", lang, **LIST),
        "no_record_expired_passport": Screen("no_record", lang, passport=("expired", "2026-07-26"), **LIST),
        "possible": Screen("possible", lang, **LIST),
        "strong": Screen("strong", lang, ban_end="2031", **LIST),
        "strong_expiring_passport": Screen("strong", lang, passport=("expiring", "2027-02-01"), **LIST),
        "read_failed": Screen("read_failed", lang, failures=1),
        "read_failed_ask_staff": Screen("read_failed", lang, failures=3),
        "out_of_service_no_list": Screen("out_of_service", lang, reasons=(("no_list", None),)),
        "out_of_service_all": Screen("out_of_service", lang,
                                     reasons=(("list_expired", "2026-05-20"), ("scanner_missing", None))),
        "service": Screen("service", lang, checks=CHECKS),
        "pin_entry": Screen("pin_entry", lang, digits_typed=3),
        "pin_entry_wrong": Screen("pin_entry", lang, reasons=(("wrong_pin", None),)),
    }

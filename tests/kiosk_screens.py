"""Every screen the kiosk can show, with fixed values, for the golden and layout tests."""

from __future__ import annotations

from typing import Any

from firmware.kiosk.screen import CALL_STAFF, CHOOSE_LANGUAGE, LARGE_TEXT, MORE_TIME, PRINT, Screen

LIST: dict[str, Any] = {"list_date": "2026-11-01", "valid_until": "2027-05-20"}
CHECKS = (
    ("scanner", "pass", "Scanner port /dev/safar-scanner opens; last frame 2 min ago."),
    ("display", "pass", "Framebuffer fb0: 800x480, 16 bits per pixel (RGB565)."),
    ("storage", "warn", "Root filesystem is writable: the overlay is not active."),
    ("list", "pass", "List 20261101 of 01.11.2026, valid until 20.05.2027."),
    ("clock", "fail", "Clock is earlier than the last verified list: check NTP."),
)
RESULT = (CHOOSE_LANGUAGE, LARGE_TEXT, MORE_TIME)
MATCH = RESULT + (PRINT, CALL_STAFF)  # a kiosk with a printer and a staff signal


def all_screens(lang: str) -> dict[str, Screen]:
    return {
        "idle": Screen("idle", lang, actions=(LARGE_TEXT,), **LIST),
        "idle_call_staff": Screen("idle", lang, actions=(LARGE_TEXT, CALL_STAFF), **LIST),
        "reading": Screen("reading", lang, **LIST),
        "choose_language": Screen("choose_language", lang, **LIST),
        "no_record": Screen("no_record", lang, seconds_left=60, actions=RESULT, **LIST),
        "no_record_expired_passport": Screen("no_record", lang, passport=("expired", "2026-07-26"), seconds_left=42,
                                             actions=RESULT, **LIST),
        "possible": Screen("possible", lang, seconds_left=60, actions=RESULT, **LIST),
        "strong": Screen("strong", lang, ban_end="2031", seconds_left=60, actions=MATCH, **LIST),
        "strong_expiring_passport": Screen("strong", lang, passport=("expiring", "2027-02-01"), seconds_left=7,
                                           actions=MATCH, **LIST),
        "strong_printed_staff_called": Screen("strong", lang, ban_end="2031", seconds_left=60, printed=True,
                                              staff_called=True, actions=MATCH, **LIST),
        "strong_large": Screen("strong", lang, ban_end="2031", seconds_left=60, actions=MATCH, large=True, **LIST),
        "not_checked": Screen("not_checked", lang, seconds_left=60, actions=RESULT + (PRINT,), **LIST),
        "read_failed": Screen("read_failed", lang, failures=1, seconds_left=60, actions=RESULT, **LIST),
        "read_failed_incomplete": Screen("read_failed", lang, failures=1, reasons=(("incomplete", None),),
                                         seconds_left=60, actions=RESULT, **LIST),
        "read_failed_ask_staff": Screen("read_failed", lang, failures=3, seconds_left=60, large=True,
                                        actions=RESULT, **LIST),
        "read_failed_ask_staff_call": Screen("read_failed", lang, failures=3, seconds_left=60,
                                             actions=RESULT + (CALL_STAFF,), **LIST),
        "out_of_service_no_list": Screen("out_of_service", lang, reasons=(("no_list", None),),
                                         actions=(LARGE_TEXT,)),
        "out_of_service_all": Screen("out_of_service", lang,
                                     reasons=(("list_expired", "2026-05-20"), ("scanner_missing", None),
                                              ("enclosure_open", None)),
                                     actions=(LARGE_TEXT, CALL_STAFF), **LIST),
        "out_of_service_budget": Screen("out_of_service", lang, reasons=(("list_budget", None),),
                                        actions=(LARGE_TEXT, CALL_STAFF), staff_called=True, **LIST),
        "strong_print_failed": Screen("strong", lang, seconds_left=60, reasons=(("print_failed", None),),
                                      actions=MATCH, **LIST),
        "strong_page_2": Screen("strong", lang, passport=("expiring", "2027-02-01"), seconds_left=7,
                                actions=MATCH, page=1, **LIST),
        "service": Screen("service", lang, checks=CHECKS),
        "pin_entry": Screen("pin_entry", lang, digits_typed=3),
        "pin_entry_wrong": Screen("pin_entry", lang, reasons=(("wrong_pin", None),)),
        "pin_entry_locked": Screen("pin_entry", lang, reasons=(("locked", None),)),
    }

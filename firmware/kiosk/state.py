"""The kiosk's state machine: pure, clock passed in, nothing personal kept.

idle -> reading -> result -> idle (after ``result_seconds`` or "done"); unreadable
scans count up to "ask staff"; no valid list or no scanner -> out of service;
service mode on a technician's request. A scan arrives here already reduced to
what the screen needs (match kind, ban end, nationality, passport validity): the
document itself never enters the state.
"""

from __future__ import annotations

from firmware.kiosk.screen import DIGIT_KEY, DONE, LANG_KEY, PIN_BACK, RESULT_KINDS, SERVICE_REQUEST, Screen

READING_SECONDS = 3.0  # bytes arrived but no zone yet: back to idle after this
PIN_MAX_DIGITS = 8
PIN_ATTEMPTS = 3  # wrong PINs in a row before the lockout
PIN_LOCKOUT_SECONDS = 300.0


class ListStatus:
    """What the installed list allows: ``usable`` or the reasons it is not."""

    __slots__ = ("usable", "list_date", "valid_until", "reasons")

    def __init__(self, usable: bool, list_date: str | None = None, valid_until: str | None = None,
                 reasons: tuple[tuple[str, str | None], ...] = ()) -> None:
        self.usable = usable
        self.list_date = list_date
        self.valid_until = valid_until
        self.reasons = reasons


class KioskState:
    def __init__(self, languages: tuple[str, ...], default_language: str, result_seconds: float) -> None:
        self.languages = languages
        self.default_language = default_language
        self.result_seconds = result_seconds
        self.kind = "idle"
        self.lang = default_language
        self.list = ListStatus(False, reasons=(("no_list", None),))
        self.scanner_ok = False
        self.failures = 0
        self.since = 0.0
        self._result: dict[str, object] = {}
        self.checks: tuple[tuple[str, str, str], ...] = ()
        self.service = False
        self.pin = ""
        self.pin_note: str | None = None
        self.pin_failures = 0
        self.locked_until = -1.0
        self._settle(0.0)

    # -- inputs ----------------------------------------------------------------------

    def set_list(self, status: ListStatus, now: float) -> None:
        self.list = status
        self._settle(now)

    def set_scanner(self, available: bool, now: float) -> None:
        self.scanner_ok = available
        self._settle(now)

    def reading(self, now: float) -> None:
        if self.kind in ("idle", "read_failed") + RESULT_KINDS and not self.service:
            self._clear()
            self._go("reading", now)

    def scanned(self, kind: str, ban_end: str | None, nationality: str, passport: tuple[str, str] | None,
                now: float) -> None:
        """A zone was read and matched (``kind``: none, possible, strong)."""
        if self.service or not self._operational() or self.kind == "pin_entry":
            return
        self.failures = 0
        self.lang = _language_for(nationality, self.languages, self.default_language)
        self._result = {"ban_end": ban_end, "passport": passport}
        self._go({"none": "no_record", "possible": "possible", "strong": "strong"}[kind], now)

    def read_failed(self, now: float) -> None:
        if self.service or not self._operational() or self.kind == "pin_entry":
            return
        self._clear()
        self.failures += 1
        self._go("read_failed", now)

    def press(self, key: str, now: float) -> None:
        """A key the traveller or technician pressed (``firmware.kiosk.screen``'s keys; "enter"
        and "pin:ok" are the loop's to resolve: checking a PIN needs the config)."""
        if key.startswith(LANG_KEY) and key[len(LANG_KEY):] in self.languages:
            self.lang = key[len(LANG_KEY):]
            self.since = now  # a traveller reading in another language gets the full time again
        elif key == DONE and self.kind in RESULT_KINDS + ("read_failed",):
            self._clear()
            if self.kind in RESULT_KINDS:
                self.failures = 0
            self.lang = self.default_language  # the next traveller starts afresh
            self._go("idle", now)
            self._settle(now)
        elif key == SERVICE_REQUEST and not self.service:
            # A technician's button sequence: ask for the PIN (no screen change while locked out).
            if now < self.locked_until:
                return
            self.pin, self.pin_note = "", None
            self._clear()
            self._go("pin_entry", now)
        elif self.kind == "pin_entry" and key.startswith(DIGIT_KEY) and key[len(DIGIT_KEY):].isdigit():
            if now >= self.locked_until and len(self.pin) < PIN_MAX_DIGITS:
                self.pin += key[len(DIGIT_KEY)]
            self.since = now
        elif self.kind == "pin_entry" and key == PIN_BACK:
            self.pin = self.pin[:-1]
            self.since = now
        elif self.kind == "pin_entry" and key == DONE:
            self.pin = ""
            self._go("idle", now)
            self._settle(now)

    def pin_checked(self, good: bool, now: float) -> None:
        """The verdict on the PIN typed so far: service mode, or a refusal (a lockout after
        ``PIN_ATTEMPTS`` in a row)."""
        if self.kind != "pin_entry":
            return
        if good:
            if now >= self.locked_until:
                self.enter_service(now)
            return
        self.pin = ""
        self.pin_failures += 1
        self.since = now
        if self.pin_failures >= PIN_ATTEMPTS:
            # Stay on the PIN screen saying so; it times out to idle as usual.
            self.pin_failures = 0
            self.locked_until = now + PIN_LOCKOUT_SECONDS
            self.pin_note = "locked"
        else:
            self.pin_note = "wrong_pin"

    def enter_service(self, now: float) -> None:
        """Service mode, from any screen: a technician's key, or a PIN found good."""
        self.pin, self.pin_failures = "", 0
        self.service = True
        self._clear()
        self._go("service", now)

    def leave_service(self, now: float) -> None:
        if self.service:
            self.service = False
            self._go("idle", now)
            self._settle(now)

    def set_checks(self, checks: tuple[tuple[str, str, str], ...]) -> None:
        self.checks = checks

    def tick(self, now: float) -> None:
        if self.kind in RESULT_KINDS + ("read_failed",) and now - self.since >= self.result_seconds:
            self._clear()
            if self.kind in RESULT_KINDS:
                self.failures = 0
            self.lang = self.default_language
            self._go("idle", now)
        elif self.kind == "reading" and now - self.since >= READING_SECONDS:
            self._go("idle", now)
        elif self.kind == "pin_entry" and now - self.since >= self.result_seconds:
            self.pin = ""
            self._go("idle", now)
        self._settle(now)

    # -- output ----------------------------------------------------------------------

    def screen(self) -> Screen:
        common = {"list_date": self.list.list_date, "valid_until": self.list.valid_until}
        if self.kind in RESULT_KINDS:
            return Screen(self.kind, self.lang, ban_end=self._result.get("ban_end"),  # type: ignore[arg-type]
                          passport=self._result.get("passport"), **common)  # type: ignore[arg-type]
        if self.kind == "read_failed":
            return Screen("read_failed", self.lang, failures=self.failures)
        if self.kind == "out_of_service":
            return Screen("out_of_service", self.lang, reasons=self._reasons())
        if self.kind == "service":
            return Screen("service", self.lang, checks=self.checks)
        if self.kind == "pin_entry":
            note = ((self.pin_note, None),) if self.pin_note else ()
            return Screen("pin_entry", self.lang, digits_typed=len(self.pin), reasons=note)
        return Screen(self.kind, self.lang, list_date=self.list.list_date, valid_until=self.list.valid_until)

    # -- machinery -------------------------------------------------------------------

    def _operational(self) -> bool:
        return self.list.usable and self.scanner_ok

    def _reasons(self) -> tuple[tuple[str, str | None], ...]:
        reasons = tuple(self.list.reasons) if not self.list.usable else ()
        if not self.scanner_ok:
            reasons += (("scanner_missing", None),)
        return reasons

    def _go(self, kind: str, now: float) -> None:
        self.kind = kind
        self.since = now

    def _clear(self) -> None:
        self._result = {}

    def _settle(self, now: float) -> None:
        if self.service or self.kind == "pin_entry":
            return
        if not self._operational():
            if self.kind != "out_of_service":
                self._clear()
                self._go("out_of_service", now)
        elif self.kind == "out_of_service":
            self.lang = self.default_language
            self._go("idle", now)


def _language_for(nationality: str, enabled: tuple[str, ...], default: str) -> str:
    by_nationality = {"TJK": "tg", "RUS": "ru", "UZB": "uz", "KGZ": "ru", "KAZ": "ru", "TKM": "ru", "AFG": "tg"}
    lang = by_nationality.get(nationality, "en")
    return lang if lang in enabled else default

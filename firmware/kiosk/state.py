"""The kiosk's state machine: pure, clock passed in, nothing personal kept.

idle -> reading -> result -> idle (after ``result_seconds``, more if the traveller asks,
or "start again"); a passport whose holder may not read the language its nationality
suggests (Afghan: Dari, Pashto, Uzbek, Tajik...) gets the language chooser first;
unreadable scans count up to large text and then "ask staff"; no valid list, no
scanner or an open service door -> out of service; service mode on a technician's
request, left by "done", by inactivity, or (when a USB key opened it) by pulling the key.

A scan arrives here already reduced to what the screen needs (match kind, ban end,
nationality, passport validity): the document itself never enters the state.
"""

from __future__ import annotations

import math

from firmware.kiosk.kinds import KINDS, SCREEN_FOR_MATCH, STAFF, KindName
from firmware.kiosk.screen import (
    CALL_STAFF,
    CHOOSE_LANGUAGE,
    DIGIT_KEY,
    DONE,
    LANG_KEY,
    LARGE_TEXT,
    MORE_TIME,
    PAGE_KEY,
    PIN_BACK,
    PRINT,
    SERVICE_REQUEST,
    Screen,
)

READING_SECONDS = 3.0  # bytes arrived but no zone yet: "moved too early" after this
CHOOSE_SECONDS = 20.0  # the language chooser before a result: then the result in the likeliest language
PIN_MAX_DIGITS = 8
PIN_ATTEMPTS = 3  # wrong PINs in a row before the lockout
PIN_LOCKOUT_SECONDS = 300.0
SERVICE_IDLE_SECONDS = 600.0  # service mode with nobody touching it ends after this
MORE_TIME_TIMES = 5  # "more time" adds result_seconds, up to this many times result_seconds ahead
STAFF_CALL_SECONDS = 300.0  # "staff have been called" stays this long on a screen without a countdown
LARGE_TEXT_AFTER_FAILURES = 2  # unreadable scans in a row before the kiosk switches to large text
# Nationalities whose holders often read none of the kiosk's languages well: choose first.
CHOOSE_FIRST = ("AFG",)


class ListStatus:
    """What the installed list allows: ``usable`` or the reasons it is not."""

    __slots__ = ("usable", "list_date", "valid_until", "reasons", "version")

    def __init__(self, usable: bool, list_date: str | None = None, valid_until: str | None = None,
                 reasons: tuple[tuple[str, str | None], ...] = (), version: int | None = None) -> None:
        self.usable = usable
        self.list_date = list_date
        self.valid_until = valid_until
        self.reasons = reasons
        self.version = version


class KioskState:
    """``can_print``: a slip printer is configured; ``can_call_staff``: something really
    signals staff (without it no screen offers "call staff", they say "ask at the desk")."""

    def __init__(self, languages: tuple[str, ...], default_language: str, result_seconds: float,
                 can_print: bool = False, can_call_staff: bool = False) -> None:
        self.languages = languages
        self.default_language = default_language
        self.result_seconds = result_seconds
        self.can_print = can_print
        self.can_call_staff = can_call_staff
        self.kind: KindName = "idle"
        self.lang = default_language
        self.list = ListStatus(False, reasons=(("no_list", None),))
        self.scanner_ok = False
        self.enclosure_open = False  # the I/O board's tamper switch
        self.failures = 0
        self.since = 0.0
        self.until = 0.0  # when a timed screen returns to the start
        self._result: dict[str, object] = {}
        self._after_choice: KindName | None = None  # the screen the language chooser leads back to
        self._notes: tuple[tuple[str, str | None], ...] = ()
        self.large = False
        self.staff_called = False
        self.printed = False
        self.page = 0
        self._staff_called_at = 0.0
        self._now = 0.0
        self.checks: tuple[tuple[str, str, str], ...] = ()
        self.service = False
        self.service_by: str | None = None  # "key" (a USB service key) or "pin"
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

    def set_enclosure(self, open_: bool, now: float) -> None:
        """The service door (tamper switch): open is out of service, except for the technician
        in service mode, who opened it; leaving service mode with it open is out of service."""
        self.enclosure_open = open_
        self._settle(now)

    def reading(self, now: float) -> None:
        if (self.kind == "idle" or self._timed_now()) and not self.service:
            self._clear()
            self._go("reading", now)

    def scanned(self, kind: str, ban_end: str | None, nationality: str, passport: tuple[str, str] | None,
                now: float) -> None:
        """A zone was read and matched (``kind``: none, possible, strong, unchecked)."""
        if self.service or not self._operational() or self.kind == "pin_entry":
            return
        self._clear()
        self.failures = 0
        self._result = {"ban_end": ban_end, "passport": passport}
        self.lang = _language_for(nationality, self.languages, self.default_language)
        self._timed(SCREEN_FOR_MATCH[kind], now)
        if nationality in CHOOSE_FIRST and len(self.languages) > 1:
            self._choose_language(now)

    def read_failed(self, now: float, reason: str | None = None) -> None:
        """An unreadable scan; ``reason`` "incomplete": the passport left before the zone ended."""
        if self.service or not self._operational() or self.kind == "pin_entry":
            return
        self._clear()
        self.failures += 1
        if self.failures >= LARGE_TEXT_AFTER_FAILURES:
            self.large = True
        self._notes = ((reason, None),) if reason else ()
        self._timed("read_failed", now)

    def press(self, key: str, now: float) -> None:
        """A key the traveller or technician pressed (``firmware.kiosk.screen``'s keys; "enter",
        "pin:ok", "print" and "call_staff" are the loop's to resolve: they need the config or
        a device, and end in ``pin_checked``, ``printed_slip`` and ``staff_signalled``)."""
        if key.startswith(LANG_KEY) and key[len(LANG_KEY):] in self.languages:
            self.lang = key[len(LANG_KEY):]
            if self.kind == "choose_language":
                self._back_from_choice(now)
            elif self._timed_now():
                self._extend(now)  # a traveller reading in another language gets the full time again
        elif key == CHOOSE_LANGUAGE and self._timed_now():
            self._choose_language(now)
        elif key.startswith(PAGE_KEY) and key[len(PAGE_KEY):].isdigit() and KINDS[self.kind].paged:
            self.page = int(key[len(PAGE_KEY):])
            if self._timed_now():
                self._extend(now)
        elif key == MORE_TIME and self._timed_now():
            self._more_time(now)
        elif key == LARGE_TEXT and not self._for_staff():
            self.large = not self.large
            if self._timed_now():
                self._extend(now)
        elif key == DONE and (self._timed_now() or self.kind == "choose_language"):
            self._to_start(now)
        elif key == DONE and self.kind == "service":
            self.leave_service(now, by=self.service_by)
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
        elif self.kind == "pin_entry" and key == DONE:  # "cancel"
            self.pin = ""
            self._go("idle", now)
            self._settle(now)
        elif self.service:
            self.since = now  # a technician at work: no inactivity timeout yet

    def pin_checked(self, good: bool, now: float) -> None:
        """The verdict on the PIN typed so far: service mode, or a refusal (a lockout after
        ``PIN_ATTEMPTS`` in a row)."""
        if self.kind != "pin_entry":
            return
        if good:
            if now >= self.locked_until:
                self.enter_service(now, by="pin")
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

    def enter_service(self, now: float, by: str = "key") -> None:
        """Service mode, from any screen: a technician's key (``by="key"``) or a PIN found good."""
        self.pin, self.pin_failures = "", 0
        self.service = True
        self.service_by = by
        self._clear()
        self._go("service", now)

    def leave_service(self, now: float, by: str | None = None) -> None:
        """Ends service mode; with ``by="key"`` (the key was pulled) only a mode the key opened:
        a technician who came in with the PIN is not thrown out by a stick poll."""
        if self.service and (by is None or by == self.service_by):
            self.service = False
            self.service_by = None
            self._go("idle", now)
            self._settle(now)

    def printed_slip(self, ok: bool, now: float) -> None:
        """The loop printed (or failed to print) the next-steps slip for this screen."""
        if KINDS[self.kind].printable:
            self.printed = ok
            self._notes = () if ok else (("print_failed", None),)
            self._extend(now)

    def staff_signalled(self, ok: bool, now: float) -> None:
        """The loop sent the call-staff signal; only a signal that went out is shown as sent."""
        if ok and not self._for_staff():
            self.staff_called = True
            self._staff_called_at = now
            if self._timed_now():
                self._extend(now)

    def set_checks(self, checks: tuple[tuple[str, str, str], ...]) -> None:
        self.checks = checks

    def tick(self, now: float) -> None:
        if self._timed_now() and now >= self.until:
            self._to_start(now, settle=False)
        elif self.kind == "choose_language" and now - self.since >= CHOOSE_SECONDS:
            self._back_from_choice(now)
        elif self.kind == "reading" and now - self.since >= READING_SECONDS:
            self.read_failed(now, "incomplete")
        elif self.kind == "pin_entry" and now - self.since >= self.result_seconds:
            self.pin = ""
            self._go("idle", now)
        elif self.kind == "service" and now - self.since >= SERVICE_IDLE_SECONDS:
            self.leave_service(now)
        if self.staff_called and not self._timed_now() and now - self._staff_called_at >= STAFF_CALL_SECONDS:
            self.staff_called = False
        self._settle(now)
        self._now = now

    # -- output ----------------------------------------------------------------------

    def screen(self, now: float | None = None) -> Screen:
        """What to draw; ``now`` (default: the last tick) sets the countdown."""
        now = self._now if now is None else now
        common = {"list_date": self.list.list_date, "valid_until": self.list.valid_until, "large": self.large,
                  "staff_called": self.staff_called, "page": self.page}
        kind = self.kind
        if self._timed_now():
            left = max(0, math.ceil(self.until - now))
            actions: tuple[str, ...] = (CHOOSE_LANGUAGE, LARGE_TEXT, MORE_TIME)
            if self.can_print and KINDS[kind].printable:
                actions += (PRINT,)
            if self.can_call_staff:
                actions += (CALL_STAFF,)
            if kind == "read_failed":
                return Screen(kind, self.lang, failures=self.failures, reasons=self._notes, seconds_left=left,
                              actions=actions, **common)  # type: ignore[arg-type]
            return Screen(kind, self.lang, ban_end=self._result.get("ban_end"),  # type: ignore[arg-type]
                          passport=self._result.get("passport"), reasons=self._notes,  # type: ignore[arg-type]
                          seconds_left=left, actions=actions, printed=self.printed, **common)  # type: ignore[arg-type]
        calls: tuple[str, ...] = (CALL_STAFF,) if self.can_call_staff else ()
        if kind == "out_of_service":
            return Screen(kind, self.lang, reasons=self._reasons(), actions=(LARGE_TEXT,) + calls,
                          **common)  # type: ignore[arg-type]
        if kind == "service":
            return Screen(kind, self.lang, checks=self.checks)
        if kind == "pin_entry":
            note = ((self.pin_note, None),) if self.pin_note else ()
            return Screen(kind, self.lang, digits_typed=len(self.pin), reasons=note)
        if kind == "choose_language":
            return Screen(kind, self.lang, large=self.large, list_date=self.list.list_date,
                          valid_until=self.list.valid_until)
        actions = (LARGE_TEXT,) + calls if kind == "idle" else ()
        return Screen(kind, self.lang, actions=actions, **common)  # type: ignore[arg-type]

    # -- machinery -------------------------------------------------------------------

    def _timed_now(self) -> bool:
        """The screen shown ends by itself after ``result_seconds``, with a countdown."""
        return KINDS[self.kind].timed

    def _for_staff(self) -> bool:
        return KINDS[self.kind].audience == STAFF

    def _operational(self) -> bool:
        return self.list.usable and self.scanner_ok and not self.enclosure_open

    def _reasons(self) -> tuple[tuple[str, str | None], ...]:
        reasons = tuple(self.list.reasons) if not self.list.usable else ()
        if not self.scanner_ok:
            reasons += (("scanner_missing", None),)
        if self.enclosure_open:
            reasons += (("enclosure_open", None),)
        return reasons

    def _go(self, kind: KindName, now: float) -> None:
        if kind != self.kind:
            self.page = 0
        self.kind = kind
        self.since = now

    def _timed(self, kind: KindName, now: float) -> None:
        self._go(kind, now)
        self.until = now + self.result_seconds

    def _extend(self, now: float) -> None:
        """At least the full ``result_seconds`` from now (the traveller is still reading)."""
        self.until = max(self.until, now + self.result_seconds)

    def _more_time(self, now: float) -> None:
        """``result_seconds`` more each time it is asked, up to ``MORE_TIME_TIMES`` that long."""
        self.until = min(max(self.until, now) + self.result_seconds, now + MORE_TIME_TIMES * self.result_seconds)

    def _choose_language(self, now: float) -> None:
        self._after_choice = self.kind
        self.kind, self.since, self.page = "choose_language", now, 0

    def _back_from_choice(self, now: float) -> None:
        kind: KindName = self._after_choice or "idle"
        self._after_choice = None
        if KINDS[kind].timed:
            self._timed(kind, now)  # the full time, in the language just chosen
        else:
            self._go(kind, now)

    def _to_start(self, now: float, settle: bool = True) -> None:
        """The traveller is done (or gone): nothing of them remains, the next one starts afresh."""
        if self.kind != "read_failed":
            self.failures = 0
        self._clear()
        if self.failures == 0:
            self.large = False
        self.lang = self.default_language
        self._go("idle", now)
        if settle:
            self._settle(now)

    def _clear(self) -> None:
        self._result = {}
        self._after_choice = None
        self._notes = ()
        self.staff_called = False
        self.printed = False

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
    by_nationality = {"TJK": "tg", "RUS": "ru", "UZB": "uz", "KGZ": "ru", "KAZ": "ru", "TKM": "ru", "AFG": "prs"}
    lang = by_nationality.get(nationality, "en")
    if lang == "prs" and lang not in enabled:
        lang = "tg"  # Dari's closest written neighbour on a kiosk without Dari
    return lang if lang in enabled else default

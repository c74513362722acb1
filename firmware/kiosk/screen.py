"""What the traveller should see, as plain values: the kiosk decides, ``kiosk_ui`` draws.

This module is all ``kiosk_ui`` may know of the kiosk (no I/O, no config file): the
``Screen`` to draw, the ``Branding`` of the deployment it is drawn with, and the
``Button`` a drawn frame offers to touch.

A ``Screen`` holds no personal data except, on a result, the passport's expiry
date (shown so the traveller can act on it) and it lives only until the result
times out.
"""

from __future__ import annotations

KINDS = ("idle", "reading", "no_record", "possible", "strong", "read_failed", "out_of_service", "service", "pin_entry")
RESULT_KINDS = ("no_record", "possible", "strong")

# The keys a traveller or technician presses, on the touch screen or the front
# buttons: LANG_KEY + language, "done", "enter" (done, or OK on the PIN screen),
# DIGIT_KEY + digit, PIN_BACK, PIN_OK, and SERVICE_REQUEST (the technician's
# button sequence).
LANG_KEY = "lang:"
DIGIT_KEY = "digit:"
DONE = "done"
ENTER = "enter"
PIN_BACK = "pin:back"
PIN_OK = "pin:ok"
SERVICE_REQUEST = "service_request"


class Screen:
    __slots__ = ("kind", "lang", "list_date", "valid_until", "ban_end", "passport", "failures", "digits_typed",
                 "reasons", "checks")

    def __init__(
        self,
        kind: str,
        lang: str,
        list_date: str | None = None,
        valid_until: str | None = None,
        ban_end: str | None = None,
        passport: tuple[str, str] | None = None,
        failures: int = 0,
        digits_typed: int = 0,
        reasons: tuple[tuple[str, str | None], ...] = (),
        checks: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown screen {kind!r}")
        self.kind = kind
        self.lang = lang
        self.list_date = list_date  # ISO dates
        self.valid_until = valid_until
        self.ban_end = ban_end
        self.passport = passport  # ('expired' | 'expiring', ISO date) or None
        self.failures = failures  # read_failed: consecutive unreadable scans
        self.digits_typed = digits_typed  # pin_entry: how many (never which) digits were typed
        # out of service: ('no_list' | 'list_expired' | 'list_budget' | 'scanner_missing', ISO date or None);
        # pin_entry: (('wrong_pin', None),) or (('locked', None),) after a refusal.
        self.reasons = reasons
        self.checks = checks  # service: (name, 'pass' | 'warn' | 'fail', sentence)

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Screen) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Screen({self.kind}, {self.lang})"


class Button:
    """A touch target of a drawn frame: touching inside ``box`` presses the key ``key``."""

    __slots__ = ("key", "box")

    def __init__(self, key: str, box: tuple[int, int, int, int]) -> None:
        self.key = key  # one of the keys above: 'lang:tg', 'done', 'digit:5', ...
        self.box = box  # x0, y0, x1, y1

    def contains(self, x: int, y: int) -> bool:
        return self.box[0] <= x < self.box[2] and self.box[1] <= y < self.box[3]

    def __repr__(self) -> str:
        return f"Button({self.key}, {self.box})"


class Contact:
    """Whom a traveller with a match should call: ``name`` per language, ``phone``."""

    __slots__ = ("name", "phone")

    def __init__(self, name: dict[str, str], phone: str) -> None:
        self.name = name
        self.phone = phone


class Branding:
    """What the screens show of the deployment, the renderer's whole view of the config:
    the languages offered (in button order), the contacts and hotline on a match, and
    the official link behind the QR code."""

    __slots__ = ("languages", "contacts", "hotline", "official_link")

    def __init__(self, languages: tuple[str, ...], contacts: tuple[Contact, ...], hotline: str,
                 official_link: str) -> None:
        self.languages = languages
        self.contacts = contacts
        self.hotline = hotline
        self.official_link = official_link

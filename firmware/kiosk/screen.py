"""What the traveller should see, as plain values: the kiosk decides, ``kiosk_ui`` draws.

This module and ``kinds.py`` (what each kind of screen is) are all ``kiosk_ui`` may know
of the kiosk (no I/O, no config file): the ``Screen`` to draw, the ``Branding`` of the
deployment it is drawn with, and the ``Button`` a drawn frame offers to touch.

A ``Screen`` holds no personal data except, on a result, the passport's expiry
date (shown so the traveller can act on it) and it lives only until the result
times out.
"""

from __future__ import annotations

from firmware.kiosk.kinds import KINDS, KindName

# The keys a traveller or technician presses, on the touch screen or the front
# buttons: LANG_KEY + language, "done" (start again; cancel on the PIN screen),
# "enter" (done, or OK on the PIN screen), DIGIT_KEY + digit, PIN_BACK, PIN_OK,
# SERVICE_REQUEST (the technician's button sequence), and the actions a screen may
# offer (``Screen.actions``): the language chooser, large text, more time, print the
# next steps, call staff.
LANG_KEY = "lang:"
PAGE_KEY = "page:"  # + page number: a screen whose text needs more than one page
DIGIT_KEY = "digit:"
DONE = "done"
ENTER = "enter"
PIN_BACK = "pin:back"
PIN_OK = "pin:ok"
SERVICE_REQUEST = "service_request"
MORE_TIME = "more_time"
PRINT = "print"
CALL_STAFF = "call_staff"
LARGE_TEXT = "large_text"
CHOOSE_LANGUAGE = "choose_language"
ACTIONS = (CHOOSE_LANGUAGE, LARGE_TEXT, MORE_TIME, PRINT, CALL_STAFF)

ASK_STAFF_AFTER_FAILURES = 3  # unreadable scans in a row before a screen sends the traveller to staff

# The display sizes the renderer lays out (``supported_size``); the config accepts no other.
MIN_SIDE, MAX_SIDE = 480, 4096
# The long side over the short one: no square screens, no strips; a portrait screen stacks the
# QR code under the text, so it must be taller (480x800 is 1.67).
MIN_ASPECT, MIN_PORTRAIT_ASPECT, MAX_ASPECT = 1.25, 1.6, 2.4


SUPPORTED_SIZES = (f"each side {MIN_SIDE} to {MAX_SIDE} pixels, the long side {MIN_ASPECT} (portrait: "
                   f"{MIN_PORTRAIT_ASPECT}) to {MAX_ASPECT} times the short one (such as 800x480, 1024x600, "
                   "480x800, 1920x1080)")


def supported_size(width: int, height: int) -> bool:
    """Whether the renderer lays out a ``width`` x ``height`` display without overflow."""
    short, long = min(width, height), max(width, height)
    least = MIN_PORTRAIT_ASPECT if height > width else MIN_ASPECT
    return MIN_SIDE <= short and long <= MAX_SIDE and least * short <= long <= MAX_ASPECT * short


class Screen:
    __slots__ = ("kind", "lang", "list_date", "valid_until", "ban_end", "passport", "failures", "digits_typed",
                 "reasons", "checks", "seconds_left", "actions", "large", "staff_called", "printed", "page")

    def __init__(
        self,
        kind: KindName,
        lang: str,
        list_date: str | None = None,
        valid_until: str | None = None,
        ban_end: str | None = None,
        passport: tuple[str, str] | None = None,
        failures: int = 0,
        digits_typed: int = 0,
        reasons: tuple[tuple[str, str | None], ...] = (),
        checks: tuple[tuple[str, str, str], ...] = (),
        seconds_left: int | None = None,
        actions: tuple[str, ...] = (),
        large: bool = False,
        staff_called: bool = False,
        printed: bool = False,
        page: int = 0,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown screen {kind!r}")
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown:
            raise ValueError(f"unknown action {unknown[0]!r}")
        self.kind = kind
        self.lang = lang
        self.list_date = list_date  # ISO dates
        self.valid_until = valid_until
        self.ban_end = ban_end
        self.passport = passport  # ('expired' | 'expiring', ISO date) or None
        self.failures = failures  # read_failed: consecutive unreadable scans
        self.digits_typed = digits_typed  # pin_entry: how many (never which) digits were typed
        # out of service: ('no_list' | 'list_expired' | 'list_budget' | 'scanner_missing' | 'enclosure_open',
        #   ISO date or None);
        # pin_entry: (('wrong_pin', None),) or (('locked', None),) after a refusal;
        # read_failed: (('incomplete', None),) when the passport was taken away mid-read.
        self.reasons = reasons
        self.checks = checks  # service: (name, 'pass' | 'warn' | 'fail', sentence)
        self.seconds_left = seconds_left  # whole seconds before the screen returns to the start
        self.actions = actions  # the ACTIONS this screen offers, in button order
        self.large = large  # large-text mode
        self.staff_called = staff_called  # the staff signal went out for this traveller
        self.printed = printed  # the next-steps slip was printed for this traveller
        self.page = page  # which page of a long text (the renderer knows how many there are)

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
    """Where a traveller can confirm or get help: ``name`` per language, ``phone``."""

    __slots__ = ("name", "phone")

    def __init__(self, name: dict[str, str], phone: str) -> None:
        self.name = name
        self.phone = phone


class Link:
    """An official page: ``label`` per language, ``url`` (drawn as a QR code)."""

    __slots__ = ("label", "url")

    def __init__(self, label: dict[str, str], url: str) -> None:
        self.label = label
        self.url = url


class Branding:
    """What the screens show of the deployment, the renderer's whole view of the config:
    the languages offered (in button order), who runs the kiosk (``operator``, per
    language), the contacts, and the official links (the first is the official check
    page, the QR code on every result)."""

    __slots__ = ("languages", "operator", "contacts", "links")

    def __init__(self, languages: tuple[str, ...], operator: dict[str, str], contacts: tuple[Contact, ...],
                 links: tuple[Link, ...]) -> None:
        if not links:
            raise ValueError("at least one official link is needed")
        self.languages = languages
        self.operator = operator
        self.contacts = contacts
        self.links = links

    @staticmethod
    def local(texts: dict[str, str], lang: str) -> str:
        """A deployment's text in ``lang`` (the config has one for every language it enables);
        English, or any, for a language it does not."""
        return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")

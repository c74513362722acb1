"""What each screen says, in its language: the title and the blocks of text, no geometry.

Pure: a ``Screen``, the deployment's ``Branding`` and the translations in, text out; the
renderer (``kiosk_ui/render.py``) only lays the text out and draws it. Each kind of screen
has one small function saying what is particular to it (``@_says``); what several kinds
say alike (the contacts, the passport's validity, the printer and staff notes) follows
from the kind's record in ``firmware/kiosk/kinds.py``.

The rules every text keeps: never "you are banned", never "you may travel"; a match is
information, the border service decides (``tests/test_kiosk_screens.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from firmware.kiosk.kinds import KINDS
from firmware.kiosk.screen import (
    ASK_STAFF_AFTER_FAILURES,
    CALL_STAFF,
    CHOOSE_LANGUAGE,
    DONE,
    LANG_KEY,
    LARGE_TEXT,
    MORE_TIME,
    PRINT,
    Branding,
    Screen,
)
from kiosk_ui.i18n import AUTONYMS, RTL_LANGUAGES, Texts

NBSP = "\u00a0"
# A block of a screen's body: (role, text), role in lead, body, note, contact, check.
Block = tuple[str, str]
# What a screen says: its title and its blocks.
Said = tuple[str, list[Block]]
# ``t(msgid, **values)``: the text in the screen's language.
Translate = Callable[..., str]

# Why the kiosk is out of service, by reason code (``Screen.reasons``).
OUT_OF_SERVICE = {
    "no_list": "No valid ban list is installed.",
    "list_expired": "The installed list expired on {date}.",
    "list_budget": "The installed list cannot be used on this kiosk.",
    "scanner_missing": "The passport scanner is not connected.",
    "enclosure_open": "The kiosk's service door is open.",
}
PIN_REFUSED = {"wrong_pin": "Wrong PIN. Try again.", "locked": "Too many wrong PINs. Try again later."}
CHECK_MARKS = {"pass": "✓", "warn": "!", "fail": "✗"}


def iso_to_local(iso: str | None) -> str:
    """2026-11-01 -> 01.11.2026, the way dates are written in the region."""
    if not iso:
        return "?"
    if "-" not in iso:
        return iso  # a year alone (ban ends are kept per year)
    y, m, d = iso.split("-")
    return f"{d}.{m}.{y}"


def ltr(text: str) -> str:
    """Left-to-right text (a date, a phone number, a Latin name) inside right-to-left text:
    a Unicode isolate, so the bidi algorithm neither reorders it nor moves its "+"."""
    return "\u2066" + text + "\u2069"


_Saying = Callable[["Wording", Screen, Translate], Said]
SAYS: dict[str, _Saying] = {}


def _says(*kinds: str) -> Callable[[_Saying], _Saying]:
    """Registers what the screens of ``kinds`` say (every kind has one: tested)."""
    def register(saying: _Saying) -> _Saying:
        for kind in kinds:
            SAYS[kind] = saying
        return saying
    return register


class Wording:
    """``Wording(branding, texts).blocks(screen) -> (title, blocks)``, and the other texts a
    frame shows: the subject line, the button labels, the page buttons, the QR caption."""

    def __init__(self, branding: Branding, texts: Texts | None = None) -> None:
        self.branding = branding
        self.texts = texts or Texts()

    def t(self, lang: str, msgid: str, **values: str) -> str:
        """``msgid`` in ``lang`` with ``values`` filled in (isolated in right-to-left text)."""
        if lang in RTL_LANGUAGES:
            values = {k: ltr(v) for k, v in values.items()}
        return self.texts.translate(lang, msgid, **values)

    def subject(self, s: Screen) -> str:
        """What the kiosk checks, on every traveller screen."""
        if s.list_date:
            return self.t(s.lang, "This kiosk checks the list of people barred from entering the Russian "
                          "Federation, received on {date}.", date=iso_to_local(s.list_date))
        return self.t(s.lang, "This kiosk checks the list of people barred from entering the Russian Federation.")

    def blocks(self, s: Screen) -> Said:
        """(title, [(role, text)]): what the kind says, then what its record adds."""
        t = functools.partial(self.t, s.lang)
        title, b = SAYS[s.kind](self, s, t)
        kind = KINDS[s.kind]
        if kind.contacts and self.branding.contacts:
            b += self._contacts(s, t, answer=kind.answer is not None)
        if kind.match is not None and s.passport is not None:
            b.append(("note", _passport_note(s.passport, t)))
        if any(reason == "print_failed" for reason, _ in s.reasons):
            b.append(("note", t("The printer is not working. Please write down the numbers or ask at the desk.")))
        if s.staff_called:
            b.append(("note", t("A member of staff has been called. Please wait here.")))
        return title, b

    def _contacts(self, s: Screen, t: Translate, answer: bool) -> list[Block]:
        """The deployment's contacts: before buying a ticket after an answer, else for questions."""
        heading = t("Before you buy a ticket, contact:") if answer else t("For questions about the list, contact:")
        b = [("body", heading)]
        for c in self.branding.contacts:
            phone = c.phone.replace(" ", NBSP)  # a phone number never breaks across lines
            b.append(("contact", f"{self.branding.local(c.name, s.lang)}: "
                      + (ltr(phone) if s.lang in RTL_LANGUAGES else phone)))
        return b

    def button_label(self, s: Screen, key: str) -> str:
        t = functools.partial(self.t, s.lang)
        if key.startswith(LANG_KEY):
            return AUTONYMS[key[len(LANG_KEY):]]
        if key == CHOOSE_LANGUAGE:
            return AUTONYMS[s.lang]
        if key == DONE:
            return self._done_label(s, t)
        if key == PRINT:
            return t("Take the slip below") if s.printed else t("Print the next steps")
        if key == CALL_STAFF:
            return t("Staff called: please wait") if s.staff_called else t("Call staff")
        return {LARGE_TEXT: t("Normal text") if s.large else t("Large text"), MORE_TIME: t("More time")}[key]

    @staticmethod
    def _done_label(s: Screen, t: Translate) -> str:
        if s.kind == "pin_entry":
            return t("Cancel")
        if s.kind == "service":
            return t("Leave service mode")
        label = t("Start again")
        if s.seconds_left is not None:
            label += "\n" + t("in {seconds} s", seconds=str(s.seconds_left))
        return label

    def page_labels(self, s: Screen, page: int, pages: int) -> tuple[str, str]:
        """The labels of the page buttons: back, and on to the next of ``pages``."""
        return "◀ " + self.t(s.lang, "Back"), self.t(s.lang, "Continue") + f" ({page + 1}/{pages}) ▶"

    def invitation(self) -> str:
        """"Choose your language" in every language offered."""
        # The separator sticks to the text before it, so a line never starts with one.
        return (NBSP + "· ").join(self.t(lang, "Choose your language") for lang in self.branding.languages)

    def qr_caption(self, s: Screen) -> str:
        """The label of the official check page, under its QR code."""
        return self.branding.local(self.branding.links[0].label, s.lang)

    @staticmethod
    def personal(s: Screen) -> tuple[str, ...]:
        """The traveller's values as a screen writes them (passport date, the record's end)."""
        return tuple(iso_to_local(v) for v in (s.passport[1] if s.passport else None, s.ban_end) if v)


def _passport_note(passport: tuple[str, str], t: Translate) -> str:
    state, when = passport
    if state == "expired":
        return (t("Your passport expired on {date}.", date=iso_to_local(when)) + " "
                + t("Renew your passport before you travel."))
    return t("Your passport expires on {date}. Many countries require six more months of validity.",
             date=iso_to_local(when))


# -- what each kind of screen says -----------------------------------------------------


@_says("idle")
def _idle(w: Wording, s: Screen, t: Translate) -> Said:
    b = [("lead", t("Place your passport on the scanner, photo page down.")),
         ("body", t("The check takes a few seconds. Nothing you show here is stored.")),
         ("body", t("Run by {operator}. Its answers are information, not a decision.",
                    operator=w.branding.local(w.branding.operator, s.lang)))]
    if s.valid_until:
        b.append(("body", t("The list is valid until {until}.", until=iso_to_local(s.valid_until))))
    return t("Check before you buy a ticket"), b


@_says("reading")
def _reading(w: Wording, s: Screen, t: Translate) -> Said:
    return t("Reading the passport…"), [("lead", t("Please keep the passport still."))]


@_says("choose_language")
def _choose_language(w: Wording, s: Screen, t: Translate) -> Said:
    return t("Choose your language"), []


@_says("no_record")
def _no_record(w: Wording, s: Screen, t: Translate) -> Said:
    return t("No match found"), [
        ("lead", t("Your passport was not found in this list.")),
        ("body", t("This result is not permission to enter: the border service decides at the border."))]


@_says("possible")
def _possible(w: Wording, s: Screen, t: Translate) -> Said:
    return t("Your details may match a record"), [
        ("lead", t("Your name and date of birth match a record in this list. "
                   "It may be another person with the same details.")),
        _ban_end(s, t)]


@_says("strong")
def _strong(w: Wording, s: Screen, t: Translate) -> Said:
    return t("Your details appear to match a record"), [
        ("lead", t("Your passport details appear to match a record in this list.")),
        ("body", t("The list or the reading can be wrong: only the official check is final.")),
        _ban_end(s, t)]


def _ban_end(s: Screen, t: Translate) -> Block:
    if s.ban_end:
        return "body", t("The restriction in this record ends in {date}.", date=iso_to_local(s.ban_end))
    return "body", t("The list gives no end date for this record.")


@_says("not_checked")
def _not_checked(w: Wording, s: Screen, t: Translate) -> Said:
    return t("Your passport could not be checked"), [
        ("lead", t("Your passport does not give a year of birth, which the check needs."))]


@_says("read_failed")
def _read_failed(w: Wording, s: Screen, t: Translate) -> Said:
    if any(reason == "incomplete" for reason, _ in s.reasons):
        b = [("lead", t("The passport was moved before the reading finished. Place it again and keep it still."))]
    else:
        b = [("lead", t("Place it again, photo page down, flat on the glass."))]
    if s.failures >= ASK_STAFF_AFTER_FAILURES and not s.staff_called:
        b.append(("note", t("Please ask at the desk for help.") if CALL_STAFF not in s.actions
                  else t("Touch “Call staff”, or ask at the desk.")))
    return t("Could not read the passport"), b


@_says("out_of_service")
def _out_of_service(w: Wording, s: Screen, t: Translate) -> Said:
    b = [("lead", t(OUT_OF_SERVICE[reason], date=iso_to_local(when)))
         for reason, when in s.reasons if reason in OUT_OF_SERVICE]
    b.append(("body", t("Please use another kiosk or ask at the desk.")))
    return t("Out of service"), b


@_says("pin_entry")
def _pin_entry(w: Wording, s: Screen, t: Translate) -> Said:
    b = [("lead", t("Enter the service PIN")),
         ("lead", " ".join("●" * s.digits_typed) if s.digits_typed else "–")]
    b += [("note", t(PIN_REFUSED[reason])) for reason, _ in s.reasons if reason in PIN_REFUSED]
    return t("Service mode"), b


@_says("service")
def _service(w: Wording, s: Screen, t: Translate) -> Said:
    labels = {"pass": t("OK"), "warn": t("Warning"), "fail": t("Fault")}
    b = [("lead", t("Technician checks (the messages are in English, for staff)"))]
    b += [("check", f"{CHECK_MARKS.get(status, '?')} {labels.get(status, status)} — {name}: {message}")
          for name, status, message in s.checks]
    return t("Service mode"), b

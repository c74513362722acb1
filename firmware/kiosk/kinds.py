"""Every kind of screen the kiosk shows, one record each: the one table of screen kinds.

The state machine (which screens time out, page, print), the I/O board (the lamp), the
fleet metrics (the mode, the answer counted), the loop and the renderer (band, pictogram,
QR code, contacts, the subject line) all read a kind's record here; no other module keeps a
list of kinds (``tests/test_architecture.py`` checks that, ``tests/test_screen_kinds.py``
that every record is whole). Adding a kind: docs/architecture.md, "Adding a screen kind".

Pure values, no I/O: ``kiosk_ui`` may read this module as it reads ``screen.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# The kinds, for the type checker; ``KINDS`` below holds one record for each (tested).
KindName = Literal["idle", "reading", "choose_language", "no_record", "possible", "strong", "not_checked",
                   "read_failed", "out_of_service", "service", "pin_entry"]
Audience = Literal["traveller", "staff"]
TRAVELLER: Audience = "traveller"
STAFF: Audience = "staff"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenKind:
    """What every part of the kiosk needs to know of one kind of screen (every field is
    required: a record cannot leave one out).

    ``audience``: a traveller reads it (it names what the kiosk checks, offers large text)
    or staff do (service mode). ``answer``: the label this answer is counted under in the
    fleet metrics (``safar_results_yesterday``), None for a screen that answers nothing;
    ``match``: the scan's match kind that shows it ("none", "possible", "strong", or
    "unchecked" when nothing could be looked up), None for a screen no scan leads to
    directly. ``mode``: the fleet metrics' mode while it shows. ``timed``: it ends by itself
    after the result time, with a countdown; ``paged``: its text may run over pages;
    ``printable``: it offers the next-steps slip. ``qr``: it shows the official check
    page's QR code; ``contacts``: it lists the deployment's contacts. ``lamp``: the panel
    lamp (colour, "on" | "blink"). ``band``: the renderer's header band, by meaning
    (``kiosk_ui.render.BANDS``); ``pictogram``: the sign drawn in it (``kiosk_ui.pictograms``).
    ``prompt``: the id of the spoken prompt for this screen. Nothing plays it yet: the
    guidance issue records and plays the prompts, keyed by these ids; staff screens say
    nothing aloud (None)."""

    name: KindName
    audience: Audience
    answer: str | None
    match: str | None
    mode: Literal["idle", "serving", "out_of_service", "service"]
    timed: bool
    paged: bool
    printable: bool
    qr: bool
    contacts: bool
    lamp: tuple[Literal["green", "amber", "red"], Literal["on", "blink"]]
    band: Literal["neutral", "attention", "retry", "halted", "staff"]
    pictogram: str
    prompt: str | None


# Colour marks attention, never a verdict: "no match" has the start screen's band and lamp,
# every match or could-not-check screen the same "attention" band and the same amber lamp.
_RECORDS = (
    ScreenKind(name="idle", audience=TRAVELLER, answer=None, match=None, mode="idle", timed=False, paged=True,
               printable=False, qr=True, contacts=False, lamp=("green", "on"), band="neutral", pictogram="passport",
               prompt="place_passport"),
    ScreenKind(name="reading", audience=TRAVELLER, answer=None, match=None, mode="serving", timed=False,
               paged=False, printable=False, qr=False, contacts=False, lamp=("green", "blink"), band="neutral",
               pictogram="hourglass", prompt="keep_still"),
    ScreenKind(name="choose_language", audience=TRAVELLER, answer=None, match=None, mode="serving", timed=False,
               paged=False, printable=False, qr=False, contacts=False, lamp=("amber", "on"), band="neutral",
               pictogram="globe", prompt="choose_language"),
    ScreenKind(name="no_record", audience=TRAVELLER, answer="no_record", match="none", mode="serving", timed=True,
               paged=True, printable=False, qr=True, contacts=False, lamp=("amber", "on"), band="neutral",
               pictogram="info", prompt="no_record"),
    ScreenKind(name="possible", audience=TRAVELLER, answer="possible", match="possible", mode="serving",
               timed=True, paged=True, printable=True, qr=True, contacts=True, lamp=("amber", "on"),
               band="attention", pictogram="ticket_check", prompt="possible_match"),
    ScreenKind(name="strong", audience=TRAVELLER, answer="strong", match="strong", mode="serving", timed=True,
               paged=True, printable=True, qr=True, contacts=True, lamp=("amber", "on"), band="attention",
               pictogram="ticket_check", prompt="strong_match"),
    ScreenKind(name="not_checked", audience=TRAVELLER, answer="not_checked", match="unchecked", mode="serving",
               timed=True, paged=True, printable=True, qr=True, contacts=True, lamp=("amber", "on"),
               band="attention", pictogram="ticket_question", prompt="not_checked"),
    ScreenKind(name="read_failed", audience=TRAVELLER, answer="read_failed", match=None, mode="serving",
               timed=True, paged=True, printable=False, qr=False, contacts=False, lamp=("amber", "on"),
               band="retry", pictogram="retry", prompt="place_again"),
    ScreenKind(name="out_of_service", audience=TRAVELLER, answer=None, match=None, mode="out_of_service",
               timed=False, paged=True, printable=False, qr=False, contacts=True, lamp=("red", "on"),
               band="halted", pictogram="pause", prompt="out_of_service"),
    ScreenKind(name="service", audience=STAFF, answer=None, match=None, mode="service", timed=False, paged=False,
               printable=False, qr=False, contacts=False, lamp=("red", "blink"), band="staff", pictogram="wrench",
               prompt=None),
    ScreenKind(name="pin_entry", audience=STAFF, answer=None, match=None, mode="service", timed=False,
               paged=False, printable=False, qr=False, contacts=False, lamp=("red", "blink"), band="staff",
               pictogram="wrench", prompt=None),
)
KINDS: dict[KindName, ScreenKind] = {record.name: record for record in _RECORDS}
KIND_NAMES: tuple[KindName, ...] = get_args(KindName)
# What a scan's match kind shows.
SCREEN_FOR_MATCH: dict[str, KindName] = {k.match: k.name for k in _RECORDS if k.match is not None}
# The labels answers are counted under, in the table's order.
ANSWERS: tuple[str, ...] = tuple(k.answer for k in _RECORDS if k.answer is not None)

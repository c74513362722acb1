"""The one table of screen kinds (``firmware/kiosk/kinds.py``): every record is whole and
every value is one its readers know; every kind says something, lights a lamp and has a
golden screen. docs/architecture.md, "Adding a screen kind", says what a new kind needs."""

from __future__ import annotations

import dataclasses
import re
import types
import typing

import pytest

from firmware.app.config import KioskConfig
from firmware.core.match import NONE, POSSIBLE, STRONG
from firmware.fleet.health import RESULTS
from firmware.kiosk.board import LAMPS, lamps_for
from firmware.kiosk.kinds import KIND_NAMES, KINDS, SCREEN_FOR_MATCH, STAFF, TRAVELLER, ScreenKind
from firmware.kiosk.screen import Screen
from firmware.kiosk.status import MODES
from kiosk_ui import wording
from kiosk_ui.pictograms import PICTOGRAMS
from kiosk_ui.render import BANDS
from tests.kiosk_screens import all_screens

FIELDS = [f.name for f in dataclasses.fields(ScreenKind)]


def _fits(value: object, hint: object) -> bool:
    """Whether ``value`` is of the type ``hint`` (the Literals, unions, bools and pairs a record uses)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is tuple:
        return isinstance(value, tuple) and len(value) == len(args) and all(map(_fits, value, args))
    if hint is type(None):
        return value is None
    return isinstance(value, typing.cast(type, hint))


def test_the_table_holds_one_record_for_each_kind_the_type_names() -> None:
    assert list(KINDS) == list(KIND_NAMES)
    assert all(name == record.name for name, record in KINDS.items())


@pytest.mark.parametrize("field", FIELDS)
def test_a_record_cannot_leave_a_field_out(field: str) -> None:
    whole = dataclasses.asdict(KINDS["idle"])
    del whole[field]
    with pytest.raises(TypeError, match=field):
        ScreenKind(**whole)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_field_of_every_record_has_a_value_its_type_allows(kind: str) -> None:
    hints = typing.get_type_hints(ScreenKind)
    record = KINDS[kind]  # type: ignore[index]
    wrong = [f"{f}={getattr(record, f)!r}" for f in FIELDS if not _fits(getattr(record, f), hints[f])]
    assert wrong == [], f"{kind}: {', '.join(wrong)}"


def test_every_value_is_one_its_reader_knows() -> None:
    for kind, record in KINDS.items():
        assert record.band in BANDS, f"{kind}: kiosk_ui/render.py has no band {record.band!r}"
        assert record.pictogram in PICTOGRAMS, f"{kind}: kiosk_ui/pictograms.py draws no {record.pictogram!r}"
        assert record.mode in MODES, kind
        assert record.lamp[0] in LAMPS, kind
        assert not record.printable or record.timed, f"{kind}: the slip is offered on a timed answer"
        assert not record.timed or record.paged, f"{kind}: a timed screen's text may need pages"


def test_every_traveller_screen_has_its_own_spoken_prompt_and_staff_screens_none() -> None:
    prompts = [r.prompt for r in KINDS.values() if r.audience == TRAVELLER]
    assert all(p is not None and re.fullmatch(r"[a-z_]+", p) for p in prompts), prompts
    assert len(set(prompts)) == len(prompts), "two kinds share a prompt"
    assert all(r.prompt is None for r in KINDS.values() if r.audience == STAFF)


def test_every_scan_leads_to_an_answer_counted_under_its_own_label() -> None:
    assert set(SCREEN_FOR_MATCH) == {NONE, POSSIBLE, STRONG, "unchecked"}
    shown = set(SCREEN_FOR_MATCH.values()) | {"read_failed"}
    assert {k for k, r in KINDS.items() if r.answer is not None} == shown
    assert len(set(RESULTS)) == len(RESULTS) == len(shown)


def test_every_kind_lights_exactly_one_lamp() -> None:
    """The board once kept its own list of kinds: one left out would have turned every lamp off."""
    for kind in KINDS:
        lamps = lamps_for(kind)
        assert sorted(lamps) == sorted(LAMPS) and list(lamps.values()).count("off") == len(LAMPS) - 1, kind


def test_every_kind_says_something_and_has_a_golden_screen() -> None:
    assert set(wording.SAYS) == set(KINDS)
    said = wording.Wording(KioskConfig.example().branding)
    for kind in KINDS:
        title, _ = said.blocks(Screen(kind, "en"))
        assert title, kind
    assert {s.kind for s in all_screens("en").values()} == set(KINDS)

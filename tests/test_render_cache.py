"""The renderer's remembered text widths: bounded, and never holding a traveller's values, so
scans add nothing once each layout has been drawn (benchmarks/bench_kiosk.py measures the memory)."""

from __future__ import annotations

import random

import pytest

from firmware.app.config import KioskConfig
from firmware.kiosk.screen import CHOOSE_LANGUAGE, LARGE_TEXT, MORE_TIME, Screen
from kiosk_ui import render
from kiosk_ui.render import LENGTH_CACHE_ENTRIES, Renderer
from kiosk_ui.wording import iso_to_local
from tests.kiosk_screens import LIST

SIZE = (800, 480)
RESULT = (CHOOSE_LANGUAGE, LARGE_TEXT, MORE_TIME)


@pytest.fixture()
def renderer() -> Renderer:
    render._remembered_length.cache_clear()
    return Renderer(KioskConfig.example().branding)


def result_screens(lang: str, dates: random.Random | None = None) -> list[Screen]:
    """Each layout of a result a scan can bring (kind, passport note, record end, large text),
    with fixed dates, or with a traveller's dates drawn from ``dates``."""
    out = []
    for kind in ("no_record", "possible", "strong", "not_checked"):
        for passport in (None, "expired", "expiring"):
            for large in (False, True):
                date, year = "2027-02-01", "2031"
                if dates is not None:
                    date = f"{dates.randint(2025, 2035)}-{dates.randint(1, 12):02d}-{dates.randint(1, 28):02d}"
                    year = str(dates.randint(2026, 2069))
                out.append(Screen(kind, lang, passport=(passport, date) if passport else None,
                                  ban_end=year if kind == "strong" else None, seconds_left=30, large=large,
                                  actions=RESULT, **LIST))
    return out


def test_a_travellers_values_add_no_widths(renderer: Renderer) -> None:
    for lang in renderer.branding.languages:
        for screen in result_screens(lang):
            renderer.render(screen, SIZE)
    warm = render._remembered_length.cache_info().currsize
    assert 0 < warm < LENGTH_CACHE_ENTRIES
    rng = random.Random(5)
    for _ in range(3):
        for lang in renderer.branding.languages:
            for screen in result_screens(lang, rng):
                renderer.render(screen, SIZE)
    assert render._remembered_length.cache_info().currsize == warm


def test_a_travellers_dates_are_drawn_but_not_remembered(renderer: Renderer, monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    expiry, ban_end = "2027-03-14", "2043"
    seen: list[str] = []
    original = render._remembered_length

    def spy(font: object, text: str, rtl: bool) -> float:
        seen.append(text)
        return original(font, text, rtl)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "_remembered_length", spy)
    for lang in renderer.branding.languages:
        drawn = [text for page in (0, 1) for _, _, text in renderer.render(
            Screen("strong", lang, passport=("expiring", expiry), ban_end=ban_end, seconds_left=30,
                   actions=RESULT, page=page, **LIST), SIZE).texts]
        assert any(iso_to_local(expiry) in text for text in drawn), lang
        assert any(ban_end in text for text in drawn), lang
    assert seen, "the layout measures through the cache"
    assert not [t for t in seen if iso_to_local(expiry) in t or ban_end in t]

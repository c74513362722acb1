"""Screens: golden images for every screen x language x golden size; text at least at the
legibility floors and never overflowing at any supported size, even with the longest texts
a deployment may configure; every traveller screen names what the kiosk checks.

Regenerate the golden images after an intended change, then look at every one:
    SAFAR_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_kiosk_screens.py
"""

from __future__ import annotations

import copy
import os
import tomllib
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from firmware.app.config import EXAMPLE, KioskConfig
from firmware.kiosk.kinds import KINDS, TRAVELLER
from firmware.kiosk.screen import (
    MAX_ASPECT,
    MAX_SIDE,
    MIN_ASPECT,
    MIN_SIDE,
    PAGE_KEY,
    Screen,
    supported_size,
)
from kiosk_ui.i18n import LANGUAGES, LOCALE_DIR, RTL_LANGUAGES, Texts, compile_catalogs
from kiosk_ui.render import (
    BANDS,
    BASE_SHORT_SIDE,
    BODY_FLOOR,
    BODY_ROLES,
    BOLD,
    REGULAR,
    SECONDARY_FLOOR,
    SECONDARY_ROLES,
    STRIP,
    Renderer,
    contrast,
)
from tests.kiosk_screens import all_screens

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_SIZES = [(800, 480), (1024, 600), (480, 800), (1920, 1080)]
SIZES = GOLDEN_SIZES + [(1280, 800), (600, 1024), (1080, 1920), (640, 480), (600, 480), (1152, 480),
                        (480, 1152), (480, 768)]
# What "the list's subject" is called in each language: every traveller screen must say it.
RUSSIA = {"tg": "Федератсияи Россия", "ru": "Российскую Федерацию", "uz": "Rossiya Federatsiyasi",
          "en": "Russian Federation", "prs": "فدراسیون روسیه"}


def every_language(data: dict) -> dict:
    """The example config with every language the kiosk has enabled (Dari too)."""
    data = copy.deepcopy(data)
    data["languages"] = list(LANGUAGES)
    return data


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(KioskConfig(every_language(tomllib.loads(EXAMPLE))).branding)


def longest_config() -> KioskConfig:
    """The most text a config may give the screens: 3 contacts and links, every text at its limit."""
    data = every_language(tomllib.loads(EXAMPLE))
    long_name = {"tg": "Хадамоти муҳоҷирати назди Ҳукумати Ҷумҳурии Тоҷикистон (вилоят)",
                 "ru": "Служба миграции при Правительстве Республики Таджикистан (обл.)",
                 "uz": "Tojikiston Respublikasi Hukumati huzuridagi Migratsiya xizmati",
                 "en": "Migration Service under the Government of Tajikistan (region)",
                 "prs": "ادارهٔ مهاجرت وابسته به حکومت جمهوری تاجیکستان، دفتر ولایتی آن"}
    long_name = {k: v[:60] for k, v in long_name.items()}
    data["operator"] = dict(long_name)
    data["contacts"] = [{"phone": "+992 (37) 221-17-65 1234", "name": long_name} for _ in range(3)]
    label = {k: v[:50] for k, v in long_name.items()}
    data["links"] = [{"url": "https://check.migration-service.tj/" + "a" * 85, "label": label} for _ in range(3)]
    config = KioskConfig(data)
    assert all(len(c.phone) == 24 for c in config.contacts) and len(config.links[0].url) == 120
    return config


@pytest.fixture(scope="module")
def long_renderer() -> Renderer:
    return Renderer(longest_config().branding)


def _golden_name(name: str, lang: str, size: tuple[int, int]) -> str:
    suffix = "" if size == (800, 480) else f"-{size[0]}x{size[1]}"
    return f"{name}-{lang}{suffix}.png"


@pytest.mark.parametrize("size", GOLDEN_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden_images(renderer: Renderer, lang: str, size: tuple[int, int]) -> None:
    regenerate = os.environ.get("SAFAR_REGENERATE_GOLDEN") == "1"
    for name, screen in all_screens(lang).items():
        image = renderer.render(screen, size).image
        path = GOLDEN / _golden_name(name, lang, size)
        if regenerate:
            image.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(path, optimize=True)
            continue
        assert path.exists(), f"{path} missing: regenerate (see this module's docstring)"
        want = Image.open(path).convert("RGB")
        diff = ImageChops.difference(want, image).convert("L").point(lambda v: 255 if v > 60 else 0)
        changed = sum(diff.histogram()[255:])
        # A FreeType update may move a few anti-aliased pixels; a layout change moves thousands.
        assert changed < 0.002 * image.width * image.height, f"{path.name} differs in {changed} pixels"


def test_every_golden_image_belongs_to_a_screen() -> None:
    wanted = {_golden_name(name, lang, size) for size in GOLDEN_SIZES for lang in LANGUAGES
              for name in all_screens(lang)}
    assert {p.name for p in GOLDEN.glob("*.png")} == wanted


def _floors(size: tuple[int, int]) -> tuple[int, int]:
    u = min(size) / BASE_SHORT_SIDE
    return max(BODY_FLOOR, round(BODY_FLOOR * u)), max(SECONDARY_FLOOR, round(SECONDARY_FLOOR * u))


def _check_floors(rendered: object, name: str, size: tuple[int, int]) -> None:
    body, secondary = _floors(size)
    texts = rendered.texts  # type: ignore[attr-defined]
    assert texts, name
    for role, px, text in texts:
        assert role in BODY_ROLES + SECONDARY_ROLES, role
        floor = body if role in BODY_ROLES else secondary
        assert px >= floor, f"{name} at {size}: {role} text {text!r} is {px} px, under the {floor} px floor"


def _all_pages(r: Renderer, screen: Screen, size: tuple[int, int]) -> list:
    """The screen's every page (a long text is split, with page buttons; the longest texts a
    config allows take 6 pages of large text at 600x480)."""
    pages, page = [], 0
    while True:
        fields = {k: getattr(screen, k) for k in Screen.__slots__}
        fields["page"] = page
        rendered = r.render(Screen(**fields), size)
        pages.append(rendered)
        nxt = [b for b in rendered.buttons if b.key == f"{PAGE_KEY}{page + 1}"]
        if not nxt:
            return pages
        page += 1
        assert page < 8, f"{screen.kind} needs more than 8 pages at {size}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_longest_texts_fit_at_the_floors_at_every_supported_size(long_renderer: Renderer,
                                                                     size: tuple[int, int]) -> None:
    assert supported_size(*size)
    for lang in LANGUAGES:
        for name, screen in all_screens(lang).items():
            for rendered in _all_pages(long_renderer, screen, size):  # LayoutOverflow would raise here
                assert rendered.image.size == size
                _check_floors(rendered, f"{name}/{lang}", size)
                for b in rendered.buttons:
                    assert 0 <= b.box[0] < b.box[2] <= size[0] and 0 <= b.box[1] < b.box[3] <= size[1]
                    assert b.box[3] - b.box[1] >= min(size) * 0.07  # a thumb-sized target


@settings(max_examples=8, deadline=None)
@given(short=st.integers(MIN_SIDE, 1600), ratio=st.floats(MIN_ASPECT, MAX_ASPECT), portrait=st.booleans(),
       lang=st.sampled_from(LANGUAGES))
def test_any_accepted_size_renders_every_screen(short: int, ratio: float, portrait: bool, lang: str) -> None:
    long = min(MAX_SIDE, int(short * ratio))
    size = (short, long) if portrait else (long, short)
    if not supported_size(*size):
        return
    r = Renderer(longest_config().branding)
    for name, screen in all_screens(lang).items():
        for rendered in _all_pages(r, screen, size):
            _check_floors(rendered, f"{name}/{lang}", size)


def test_the_floors_are_the_issue_s_floors_at_800x480() -> None:
    assert _floors((800, 480)) == (20, 16) and _floors((1920, 1080)) == (45, 36)


def test_every_traveller_screen_names_the_list_s_subject_in_every_language(renderer: Renderer) -> None:
    for lang in LANGUAGES:
        for name, screen in all_screens(lang).items():
            if KINDS[screen.kind].audience != TRAVELLER:
                continue
            subject = renderer.wording.subject(screen)
            assert RUSSIA[lang] in subject, f"{name}/{lang}: {subject!r} does not name the list"
            drawn = " ".join(text for _, _, text in renderer.render(screen, (800, 480)).texts)
            assert " ".join(subject.split()) in " ".join(drawn.split()), f"{name}/{lang}: the subject is not drawn"


def test_no_screen_says_banned_or_allowed() -> None:
    """The rule: never "you are banned", never "you may travel" (English source texts)."""
    r = Renderer(KioskConfig.example().branding)
    for screen in all_screens("en").values():
        title, blocks = r.wording.blocks(screen)
        text = " ".join([title] + [t for _, t in blocks]).lower()
        for phrase in ("you are banned", "you may travel", "you can travel", "you may enter", "approved",
                       "you are on the list"):
            assert phrase not in text, (screen.kind, phrase)
        if screen.kind == "strong":
            assert "appear" in text and "only the official check is final" in text


def test_band_and_strip_colours_have_a_contrast_of_at_least_7() -> None:
    for name, (band, ink) in BANDS.items():
        assert contrast(band, ink) >= 7, name
    assert contrast(*STRIP) >= 7
    # colour marks attention, never the verdict: "no match" looks like the start screen
    assert KINDS["no_record"].band == KINDS["idle"].band and KINDS["possible"].band == KINDS["strong"].band
    assert KINDS["not_checked"].band == KINDS["strong"].band


def test_right_to_left_text_is_right_aligned(renderer: Renderer) -> None:
    assert RTL_LANGUAGES == ("prs",)

    def body_ink(lang: str) -> tuple[int, int, int, int]:
        """The box around the ink of the body (below the subject line)."""
        image = renderer.render(Screen("reading", lang, list_date="2026-11-01"), (800, 480)).image.convert("L")
        box = image.crop((0, 150, 800, 300)).point(lambda v: 255 if v < 100 else 0).getbbox()
        assert box is not None
        return box

    dari, english = body_ink("prs"), body_ink("en")
    assert dari[2] > 780 and dari[0] > 100, dari  # a short Dari line hugs the right margin
    assert english[0] < 20 and english[2] < 780, english  # an English one the left


def _messages(mo: Path) -> dict[str, str]:
    import gettext

    with mo.open("rb") as f:
        catalog = dict(gettext.GNUTranslations(f)._catalog)  # type: ignore[attr-defined]
    catalog.pop("", None)  # the header holds a generation date
    return catalog


def test_catalogs_are_complete_nfc_and_compiled(tmp_path: Path) -> None:
    import shutil

    copy_dir = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy_dir)
    for mo in compile_catalogs(copy_dir):  # refuses a missing translation or a lost {placeholder}
        committed = LOCALE_DIR / mo.relative_to(copy_dir)
        fresh, old = (_messages(p) for p in (mo, committed))
        assert fresh == old, f"{committed} is stale: python -m kiosk_ui.i18n compile"
    texts = Texts()
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/safar.po"):
        text = po.read_text("utf-8")
        assert unicodedata.normalize("NFC", text) == text, po
    assert "ʻ" in texts.translate("uz", "Could not read the passport")  # U+02BB in oʻ


def test_every_text_the_screens_and_the_slip_use_is_translated() -> None:
    from kiosk_ui.slip import render_slip

    used: set[str] = set()

    class Recording(Texts):
        def translate(self, lang: str, msgid: str, **values: str) -> str:
            used.add(msgid)
            return super().translate(lang, msgid, **values)

    texts = Recording()
    branding = KioskConfig(every_language(tomllib.loads(EXAMPLE))).branding
    r = Renderer(branding, texts)
    for screen in all_screens("en").values():
        for rendered in _all_pages(r, screen, (800, 480)):
            assert rendered
    render_slip(branding, texts, "en", "2026-11-01", "2027-05-20", 576)
    for lang in LANGUAGES:
        if lang == "en":
            continue
        catalog = _messages(LOCALE_DIR / lang / "LC_MESSAGES" / "safar.mo")
        missing = sorted(m for m in used if m not in catalog)
        assert not missing, f"{lang} lacks {missing}"
        unused = sorted(m for m in catalog if m not in used)
        assert not unused, f"{lang} has texts no screen uses: {unused}"


def test_fonts_cover_every_character_of_every_translation() -> None:
    from babel.messages.pofile import read_po

    from kiosk_ui.i18n import AUTONYMS

    chars = set("".join(AUTONYMS.values()) + "✓✗!—…0123456789.:+◀▶●–·")
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/safar.po"):
        with po.open("rb") as f:
            for m in read_po(f):
                chars |= set(str(m.string)) | set(str(m.id))
    chars -= {"\u2066", "\u2069", "\u200c"}  # bidi isolates and the zero-width non-joiner: not drawn
    for font in (REGULAR, BOLD):
        cmap = TTFont(str(font)).getBestCmap()
        missing = sorted(c for c in chars if c.strip() and ord(c) not in cmap)
        assert not missing, f"{font.name} lacks {missing}"

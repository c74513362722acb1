"""Screens: golden images for every screen x language, and no text ever overflows at
any supported resolution, even with the longest contacts a deployment may set.

Regenerate the golden images after an intended change, then look at every one:
    SAFAR_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_kiosk_screens.py
"""

from __future__ import annotations

import os
import tomllib
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops

from firmware.kiosk.config import EXAMPLE, KioskConfig
from kiosk_ui.i18n import LANGUAGES, LOCALE_DIR, Texts, compile_catalogs
from kiosk_ui.render import BOLD, REGULAR, Renderer
from tests.kiosk_screens import all_screens

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_SIZE = (800, 480)
SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080), (480, 800), (600, 1024), (1080, 1920)]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(KioskConfig.example().branding)


@pytest.fixture(scope="module")
def long_renderer() -> Renderer:
    data = tomllib.loads(EXAMPLE)
    long_name = {"tg": "Хадамоти муҳоҷирати назди Ҳукумати Ҷумҳурии Тоҷикистон (шӯъбаи вилоятӣ)",
                 "ru": "Служба миграции при Правительстве Республики Таджикистан (областной отдел)",
                 "uz": "Tojikiston Respublikasi Hukumati huzuridagi Migratsiya xizmati (viloyat boʻlimi)",
                 "en": "Migration Service under the Government of the Republic of Tajikistan (regional office)"}
    data["contacts"] = [{"phone": f"+992 37 000 00 0{i}", "name": long_name} for i in range(2)]
    data["official_link"] = "https://migration.example.tj/" + "ban-check/" * 15
    return Renderer(KioskConfig(data).branding)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden_images(renderer: Renderer, lang: str) -> None:
    regenerate = os.environ.get("SAFAR_REGENERATE_GOLDEN") == "1"
    for name, screen in all_screens(lang).items():
        image = renderer.render(screen, GOLDEN_SIZE).image
        path = GOLDEN / f"{name}-{lang}.png"
        if regenerate:
            image.save(path)
            continue
        assert path.exists(), f"{path} missing: regenerate (see this module's docstring)"
        want = Image.open(path).convert("RGB")
        diff = ImageChops.difference(want, image).convert("L").point(lambda v: 255 if v > 40 else 0)
        changed = sum(diff.histogram()[255:])
        # A FreeType update may move a few anti-aliased pixels; a layout change moves thousands.
        assert changed < 0.002 * image.width * image.height, f"{path.name} differs in {changed} pixels"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_nothing_overflows_with_the_longest_texts(long_renderer: Renderer, size: tuple[int, int]) -> None:
    for lang in LANGUAGES:
        for screen in all_screens(lang).values():
            rendered = long_renderer.render(screen, size)  # raises LayoutOverflow when text would not fit
            assert rendered.image.size == size
            for b in rendered.buttons:
                assert 0 <= b.box[0] < b.box[2] <= size[0] and 0 <= b.box[1] < b.box[3] <= size[1]
                assert b.box[3] - b.box[1] >= min(size) * 0.07  # a thumb-sized target


def _messages(mo: Path) -> dict[str, str]:
    import gettext

    with mo.open("rb") as f:
        catalog = dict(gettext.GNUTranslations(f)._catalog)  # type: ignore[attr-defined]
    catalog.pop("", None)  # the header holds a generation date
    return catalog


def test_catalogs_are_complete_nfc_and_compiled(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy)
    for mo in compile_catalogs(copy):  # refuses a missing translation or a lost {placeholder}
        committed = LOCALE_DIR / mo.relative_to(copy)
        fresh, old = (_messages(p) for p in (mo, committed))
        assert fresh == old, f"{committed} is stale: python -m kiosk_ui.i18n compile"
    texts = Texts()
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/safar.po"):
        text = po.read_text("utf-8")
        assert unicodedata.normalize("NFC", text) == text, po
    assert "ʻ" in texts.translate("uz", "Could not read the passport")  # U+02BB in oʻ


def test_fonts_cover_every_character_of_every_translation() -> None:
    from babel.messages.pofile import read_po

    from kiosk_ui.i18n import AUTONYMS

    chars = set("".join(AUTONYMS.values()) + "✓✗!—…0123456789.:+")
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/safar.po"):
        with po.open("rb") as f:
            for m in read_po(f):
                chars |= set(str(m.string)) | set(str(m.id))
    for font in (REGULAR, BOLD):
        cmap = TTFont(str(font)).getBestCmap()
        missing = sorted(c for c in chars if c.strip() and ord(c) not in cmap)
        assert not missing, f"{font.name} lacks {missing}"

"""Screen texts in Tajik, Russian, Uzbek (Latin), English and Dari (Perso-Arabic script, right
to left), from gettext catalogs (docs/translations.md).

The ``.po`` files under ``locale/`` are the source; the ``.mo`` files next to them
are compiled from them (``python -m kiosk_ui.i18n compile``, which needs Babel on
the workstation) so the kiosk reads them with the standard library alone. Every
text is NFC-normalized: a decomposed Ӣ or oʻ would render as two glyphs.
"""

from __future__ import annotations

import gettext
import sys
import unicodedata
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "safar"
LANGUAGES = ("tg", "ru", "uz", "en", "prs")
# Shown on the language buttons, each in its own language.
AUTONYMS = {"tg": "Тоҷикӣ", "ru": "Русский", "uz": "Oʻzbekcha", "en": "English", "prs": "دری"}
# Written right to left (drawn with Pillow's raqm layout: bidi and Arabic shaping).
RTL_LANGUAGES = ("prs",)


class Texts:
    """``texts.get(lang)(msgid)``: the translation, NFC, or the English msgid."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self._tr: dict[str, gettext.NullTranslations] = {}
        for lang in LANGUAGES:
            mo = locale_dir / lang / "LC_MESSAGES" / (DOMAIN + ".mo")
            if lang == "en":
                self._tr[lang] = gettext.NullTranslations()
            elif not mo.exists():
                raise FileNotFoundError(f"translation catalog missing: {mo} (run: python -m kiosk_ui.i18n compile)")
            else:
                with mo.open("rb") as f:
                    self._tr[lang] = gettext.GNUTranslations(f)

    def translate(self, lang: str, msgid: str, **values: str) -> str:
        text = self._tr[lang].gettext(msgid)
        if values:
            text = text.format(**values)
        return unicodedata.normalize("NFC", text)


def _placeholders(text: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def compile_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """``.po`` -> ``.mo`` with Babel; refuses a catalog with a missing or
    placeholder-changing translation, naming the file and line."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id:
                continue
            where = f"{po}:{message.lineno}"
            if not message.string:
                raise ValueError(f"{where}: no translation for {message.id!r}")
            wanted, got = _placeholders(str(message.id)), _placeholders(str(message.string))
            if wanted != got:
                raise ValueError(f"{where}: placeholders {sorted(wanted)} of {message.id!r} differ from its "
                                 f"translation's {sorted(got)}")
            message.string = unicodedata.normalize("NFC", str(message.string))
        mo = po.with_suffix(".mo")
        with mo.open("wb") as f:
            write_mo(f, catalog)
        written.append(mo)
    return written


if __name__ == "__main__":
    if sys.argv[1:] != ["compile"]:
        sys.exit("usage: python -m kiosk_ui.i18n compile")
    for path in compile_catalogs():
        print(path)

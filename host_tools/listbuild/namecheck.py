"""Cells of the official list that could never match a passport, found before they are keyed.

The name key is built from the transliterated letters (docs/name-folding.md), and
``transliterate`` drops what it does not know. So a letter a spreadsheet turned into
``?`` (Windows-1251 has no Қ), a Latin ``c`` typed into a Cyrillic word (С is S, c is
C) or a digit 0 for the letter О gives a key no passport spelling has, and the person
is on the list without ever being found. These cells are refused with the one
character that is wrong, by code point and Unicode name: most of them look right on
screen, so the official could not find them otherwise. Only that one character is
named, never the cell (it is personal data).
"""

from __future__ import annotations

import functools
import unicodedata

from firmware.core.translit import CYRILLIC, LATIN_MARKS, transliterate

# Marks that belong inside a name and that transliteration drops on purpose: Uzbek
# Latin's oʻ gʻ and Tajik's Ъ written as an apostrophe, initials' dots.
NAME_MARKS = frozenset("'ʻʼ‘’`.")
SEPARATORS = frozenset(" -")
LOST = {"?": "a letter lost when the file was saved in an encoding that lacks it (Windows-1251 has no "
             "Қ Ҷ Ҳ Ғ Ӣ Ӯ); save the list as UTF-8 from the original",
        "\ufffd": "a character lost in a conversion of the file; save the list as UTF-8 from the original"}


def _with_lower(letters: str) -> frozenset[str]:
    return frozenset(letters) | {c.lower() for c in letters if len(c.lower()) == 1}


# Names wholly of these (the common case) need no closer look: one script, all keyed.
_PLAIN = (_with_lower("".join(CYRILLIC)) | SEPARATORS | NAME_MARKS,
          _with_lower("ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "".join(LATIN_MARKS)) | SEPARATORS | NAME_MARKS)

# Latin letters drawn like Cyrillic ones, and back: the common mix, invisible on screen.
_LOOK_ALIKES = dict(zip("AaBCcEeHKkMOoPpTXxyY", "АаВСсЕеНКкМОоРрТХхуУ", strict=True))
LOOK_ALIKES = _LOOK_ALIKES | {cyrillic: latin for latin, cyrillic in _LOOK_ALIKES.items()}


def describe(c: str) -> str:
    """One character as the official can find it: 'c' (U+0063 LATIN SMALL LETTER C)."""
    name = unicodedata.name(c, "")
    code = f"U+{ord(c):04X}"
    if unicodedata.category(c) in ("Cc", "Cf"):  # invisible, or breaks the report's line: no glyph
        return f"{code} {name}".rstrip()
    return f"'{c}' ({code} {name})" if name else f"'{c}' ({code})"


def invisible_character(cell: str) -> str | None:
    """Why ``cell`` is refused for a control or format character (NUL, a line break, a
    zero-width space), or None. Checked on every cell: no list has a reason to hold one."""
    if cell.isprintable():  # the common case, quickly: no Cc or Cf character is printable
        return None
    for c in cell:
        if unicodedata.category(c) in ("Cc", "Cf"):
            kind = "control" if unicodedata.category(c) == "Cc" else "invisible format"
            return f"{kind} character {describe(c)}"
    return None


@functools.cache
def _character(c: str) -> tuple[str | None, str | None]:
    """(script, why refused) of one character of a name: 'Latin' or 'Cyrillic' for a letter
    of either, None for a separator or a mark; cached, as a list has few distinct characters."""
    if c in LOST:
        return None, f"{describe(c)}: {LOST[c]}"
    if c.isdigit():
        return None, f"digit {describe(c)} in a name (a look-alike for a letter, 0 for О, 3 for З?)"
    if not unicodedata.category(c).startswith("L") or c in NAME_MARKS:
        return None, None
    name = unicodedata.name(c, "")
    script = next((s for s in ("Latin", "Cyrillic") if name.startswith(s.upper() + " ")), None)
    if script is None:
        return None, f"{describe(c)} is neither a Latin nor a Cyrillic letter"
    if not (transliterate(c).strip() or c.upper() in CYRILLIC):  # Ь is known, and keyed as nothing
        return script, (f"letter {describe(c)} has no transliteration (docs/name-folding.md); "
                        "write it as the passport does")
    return script, None


def name_problem(text: str) -> str | None:
    """Why the name ``text`` could never match, or None.

    Refused: ``?`` and U+FFFD (a lost letter), a digit, a letter of neither Latin nor
    Cyrillic or one transliteration would drop, and a word mixing Latin and Cyrillic
    letters, even a look-alike that keys the same (Latin o for о): the mix shows the
    cell was typed or converted wrongly, and whether the key survives depends on
    which letters were hit. A name wholly in Latin, or wholly in Cyrillic, is fine;
    so are words in different scripts (``Абдулло-Zade``).
    """
    chars = set(text)
    if any(chars <= plain for plain in _PLAIN):
        return None
    text = unicodedata.normalize("NFC", text)  # Й typed as И + breve is one letter
    word: dict[str, list[str]] = {"Latin": [], "Cyrillic": []}
    for c in text + " ":
        if c in SEPARATORS or c.isspace():
            mixed = _mixed_scripts(word)
            if mixed:
                return mixed
            word = {"Latin": [], "Cyrillic": []}
            continue
        script, problem = _character(c)
        if problem:
            return problem
        if script is not None:
            word[script].append(c)
    return None


def _mixed_scripts(letters: dict[str, list[str]]) -> str | None:
    """The first letter of a word's minority script (Latin on a tie), named, or None."""
    if not (letters["Latin"] and letters["Cyrillic"]):
        return None
    odd, among = ("Latin", "Cyrillic") if len(letters["Latin"]) <= len(letters["Cyrillic"]) else ("Cyrillic", "Latin")
    c = letters[odd][0]
    reason = f"{odd} letter {describe(c)} among {among} letters in one word"
    twin = LOOK_ALIKES.get(c)
    if twin is not None:
        reason += f" (it looks like {among} {describe(twin)})"
    return reason + "; write the word in one script"

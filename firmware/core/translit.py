"""Names to one Latin spelling skeleton, so a list entry and a passport agree.

The official list writes names in Cyrillic (Russian spelling, sometimes Tajik
letters); passports write them in Latin by ICAO 9303 Part 3 or by local practice.
``transliterate`` applies the ICAO table (plus Tajik letters); ``fold`` then maps
every known spelling variant to one skeleton. Both sides go through both steps.
The rule table and its reasons are in docs/name-folding.md. Portable (MicroPython).
"""

# ICAO Doc 9303 Part 3, Table for Cyrillic (Russian, Ukrainian, Belarusian letters),
# plus the Tajik letters as the Tajik passport office writes them.
CYRILLIC = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "ZH", "З": "Z",
    "И": "I", "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R",
    "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH",
    "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
    "Ґ": "G", "Є": "IE", "І": "I", "Ї": "I", "Ў": "U",
    # Tajik
    "Ғ": "GH", "Ӣ": "I", "Қ": "Q", "Ӯ": "U", "Ҳ": "H", "Ҷ": "J",
    # Kazakh/Uzbek Cyrillic letters seen in Central Asian lists
    "Ң": "NG", "Ә": "A", "Ө": "O", "Ү": "U", "Һ": "H",
}

# Latin letters with marks, as ICAO 9303 Part 3 writes them, and Uzbek Latin's
# apostrophes (oʻ gʻ, with U+02BB, U+2018, U+2019 or ').
LATIN_MARKS = {
    "Á": "A", "À": "A", "Â": "A", "Ä": "AE", "Ã": "A", "Å": "AA", "Ç": "C", "É": "E", "È": "E",
    "Ê": "E", "Ë": "E", "Í": "I", "Ì": "I", "Î": "I", "Ï": "I", "Ñ": "N", "Ó": "O", "Ò": "O",
    "Ô": "O", "Ö": "OE", "Õ": "O", "Ø": "OE", "Ú": "U", "Ù": "U", "Û": "U", "Ü": "UE",
    "Š": "S", "Ž": "Z", "Č": "C", "Ğ": "G", "Ş": "S", "İ": "I", "Ə": "A",
}

# Folding rules, applied in this order, repeatedly until nothing changes.
FOLD_RULES = (
    ("SHCH", "SH"),
    ("DZH", "J"),
    ("DJ", "J"),
    ("ZH", "J"),
    ("CH", "J"),
    ("KH", "H"),
    ("GH", "G"),
    ("TS", "C"),
    ("TC", "C"),
    ("Q", "K"),
    ("X", "H"),
    ("W", "V"),
    ("YU", "U"),
    ("IU", "U"),
    ("YA", "A"),
    ("IA", "A"),
    ("YE", "E"),
    ("IE", "E"),
    ("YO", "E"),
    ("IO", "E"),
    ("Y", "I"),
)


def _upper(c: str) -> str:
    # MicroPython's str.upper() handles ASCII only; Cyrillic case is an offset.
    o = ord(c)
    if 0x430 <= o <= 0x44F:
        return chr(o - 0x20)
    if 0x450 <= o <= 0x45F:
        return chr(o - 0x50)
    if 0x460 <= o <= 0x4FF and o % 2 == 1:
        return chr(o - 1)
    if 0xE0 <= o <= 0xFE and o != 0xF7:
        return chr(o - 0x20)
    return c.upper()


def transliterate(text: str) -> str:
    """Latin capitals, spaces and hyphens for any Cyrillic or Latin name."""
    out = []
    for c in text:
        u = _upper(c)
        if "A" <= u <= "Z":
            out.append(u)
        elif u in CYRILLIC:
            out.append(CYRILLIC[u])
        elif u in LATIN_MARKS:
            out.append(LATIN_MARKS[u])
        elif u in (" ", "-", "<", "\t"):
            out.append(" ")
        # anything else (apostrophes, dots, digits) is dropped
    return "".join(out)


def fold(text: str) -> str:
    """The spelling skeleton: letters only, variants merged, doubled letters single."""
    s = "".join([c for c in transliterate(text) if "A" <= c <= "Z"])
    for _ in range(6):
        before = s
        for a, b in FOLD_RULES:
            s = s.replace(a, b)
        if s == before:
            break
    out = []
    prev = ""
    for c in s:
        if c != prev:
            out.append(c)
        prev = c
    return "".join(out)


def words(text: str) -> "list[str]":
    """Name components after transliteration."""
    return [w for w in transliterate(text).split(" ") if w]

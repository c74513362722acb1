"""Identity keys: what the builder inserts and the kiosk looks up, computed the same way.

- document key ``D|nationality|number|birth``: a passport seen before (strong);
- name key ``N|surname|first given name|birth``: the same person under another
  passport, whatever the spelling (possible).

Birth dates are keyed as YYMMDD with '<<' for unknown parts: two digits of year on
both sides, so the MRZ's missing century never matters. An entry whose date is
partly unknown is stored at the precision it has, and a passport probes its own date
and the coarser ones; so that a passport with unknown parts still finds an entry
with a full date, entries also store *coarse* keys (``DC|``/``NC|``) that only such
passports probe. See docs/name-folding.md. Portable (MicroPython).
"""

from firmware.core.translit import fold, words

DIGITS = "0123456789"


def birth_key(year, month, day):
    """YYMMDD with '<<' for each unknown part (None)."""
    y = "<<" if year is None else "%02d" % (year % 100)
    m = "<<" if month is None else "%02d" % month
    d = "<<" if day is None else "%02d" % day
    return y + m + d


def coarser(birth):
    """The same date with the day, then also the month, made unknown."""
    out = []
    if birth[4:6] != "<<":
        out.append(birth[0:4] + "<<")
    if birth[2:4] != "<<":
        out.append(birth[0:2] + "<<<<")
    return out


def normalize_number(number):
    """Document numbers compared as typed by officials: letters and digits only,
    O read as 0 and I as 1 (the usual keying confusions)."""
    out = []
    for c in number.upper():
        if c == "O":
            out.append("0")
        elif c == "I":
            out.append("1")
        elif ("A" <= c <= "Z") or c in DIGITS:
            out.append(c)
    return "".join(out)


def document_key(nationality, number, birth):
    n = normalize_number(number)
    if not n:
        return None
    return "D|" + nationality.upper().replace("<", "") + "|" + n + "|" + birth


def name_key(surname, given_names, birth):
    s = fold(surname)
    first = words(given_names)
    g = fold(first[0]) if first else ""
    if not s:
        return None
    return "N|" + s + "|" + g + "|" + birth


def _split(key):
    """'N|SKELETON|GIVEN|YYMMDD' -> ('N', 'SKELETON|GIVEN', 'YYMMDD')."""
    kind, rest = key.split("|", 1)
    head, birth = rest.rsplit("|", 1)
    return kind, head, birth


def _with_coarse(key):
    """The key plus its coarse forms (marked 'C'), for the list side."""
    if key is None:
        return []
    kind, head, birth = _split(key)
    out = [key]
    for b in coarser(birth):
        out.append(kind + "C|" + head + "|" + b)
    return out


def entry_keys(surname, given_names, nationality, number, birth):
    """Keys the builder inserts for one list entry: (document keys, name keys)."""
    names = _with_coarse(name_key(surname, given_names, birth))
    if _HARD_SIGNS[0] in surname + given_names or _HARD_SIGNS[1] in surname + given_names:
        # Ъ is written IE by ICAO and dropped by Tajik passports: insert both.
        bare = name_key(_drop_hard_signs(surname), _drop_hard_signs(given_names), birth)
        for k in _with_coarse(bare):
            if k not in names:
                names.append(k)
    return _with_coarse(document_key(nationality, number or "", birth)), names


_HARD_SIGNS = ("Ъ", "ъ")


def _drop_hard_signs(text):
    return text.replace(_HARD_SIGNS[0], "").replace(_HARD_SIGNS[1], "")


def _probes(key):
    if key is None:
        return []
    kind, head, birth = _split(key)
    out = [key]
    for b in coarser(birth):
        out.append(kind + "|" + head + "|" + b)
    if "<" in birth:
        # This passport's own date is partly unknown: it may be any full date.
        out.append(kind + "C|" + head + "|" + birth)
    return out


def query_keys(surname, given_names, nationality, number, birth):
    """Keys the kiosk probes for one traveller: (document probes, name probes)."""
    return _probes(document_key(nationality, number or "", birth)), _probes(name_key(surname, given_names, birth))


def document_query_keys(doc):
    """Probes for a parsed MRZ ``Document``."""
    b = doc.birth_date
    birth = birth_key(b.year, b.month, b.day)
    return query_keys(" ".join(doc.surname_parts), " ".join(doc.given_name_parts), doc.nationality,
                      doc.document_number, birth)

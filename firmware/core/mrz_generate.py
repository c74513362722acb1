"""Writing a zone: the fields placed where the layout table puts them, then every
check digit over the spans the table says it covers.

Portable (MicroPython).
"""

from firmware.core import checkdigit
from firmware.core.mrz_layout import (
    CHECKS,
    DIGITS,
    FIELDS,
    FORMATS,
    LETTERS,
    LONG_NUMBER_FORMATS,
    SHAPES,
    covered_text,
    long_number_fields,
    span,
)


def _mrz_text(s: str) -> str:
    out = []
    for c in s.upper():
        if c in LETTERS or c in DIGITS:
            out.append(c)
        elif c in " -'<,.":
            out.append("<")
        else:
            raise ValueError("character %r needs transliteration before it can go in an MRZ" % c)
    return "".join(out)


def _fit(fmt: str, name: str, text: str, what: str) -> str:
    """``text`` padded with fillers to the width of field ``name``; ValueError when longer."""
    _, start, end, _ = span(fmt, name)
    width = end - start
    if len(text) > width:
        raise ValueError("%s %r longer than %d characters" % (what, text, width))
    return text + "<" * (width - len(text))


def name_field(surname: str, given_names: str, width: int) -> str:
    """Builds a name field, truncating the secondary identifier to fit."""
    primary = _mrz_text(surname.strip())
    secondary = _mrz_text(given_names.strip())
    text = primary if not secondary else primary + "<<" + secondary
    return (text + "<" * width)[:width]


def generate(fmt: str, document_code: str, issuing_state: str, surname: str, given_names: str,
             document_number: str, nationality: str, birth_date: str, sex: str, expiry_date: str,
             optional_data: str = "", optional_data2: str = "", empty_check: str = "<") -> "list[str]":
    """Lines of a valid zone.

    Dates are 'YYMMDD' strings ('<' for unknown parts); names are plain Latin text
    (spaces and hyphens become fillers). TD1/TD2 document numbers longer than 9
    characters are written the 8th-edition way. ``empty_check`` is the check digit
    written for an empty TD3 personal number ('<' or '0').
    """
    if fmt not in FORMATS:
        raise ValueError("unknown format %r" % fmt)
    values = {
        "document_code": _fit(fmt, "document_code", _mrz_text(document_code), "document code"),
        "issuing_state": _fit(fmt, "issuing_state", _mrz_text(issuing_state), "issuing state"),
        "nationality": _fit(fmt, "nationality", _mrz_text(nationality), "nationality"),
    }
    number = _mrz_text(document_number)
    opt = _mrz_text(optional_data)
    for d in (birth_date, expiry_date):
        if len(d) != 6:
            raise ValueError("date %r is not YYMMDD" % d)
    if sex not in ("F", "M", "<", "X"):
        raise ValueError("sex %r is not F, M, X or <" % sex)
    long_number = len(number) > 9
    if long_number:
        if fmt not in LONG_NUMBER_FORMATS:
            raise ValueError("%s document numbers have at most 9 characters" % fmt)
        number, rest = long_number_fields(number, checkdigit.compute(number))
        opt = rest + opt
    values["document_number"] = _fit(fmt, "document_number", number, "document number")
    values["birth_date"] = birth_date
    values["sex"] = sex
    values["expiry_date"] = expiry_date
    values["optional_data"] = _fit(fmt, "optional_data", opt, "personal number" if fmt == "TD3" else "optional data")
    if fmt == "TD1":
        values["optional_data2"] = _fit(fmt, "optional_data2", _mrz_text(optional_data2), "optional data 2")
    _, name_start, name_end, _ = span(fmt, "name")
    values["name"] = name_field(surname, given_names, name_end - name_start)

    count, width = SHAPES[fmt]
    rows = ["<" * width] * count
    for name, line, start, end, _ in FIELDS[fmt]:
        if name in values:
            rows[line] = rows[line][:start] + values[name] + rows[line][end:]
    for name, digit_field, covered in CHECKS[fmt]:
        text = covered_text(rows, covered)
        if name == "document_number" and long_number:
            digit = "<"  # the number's check digit follows its rest in the optional data
        elif name == "optional_data" and text == "<" * len(text):
            digit = empty_check
        else:
            digit = checkdigit.compute(text)
        line, pos, _, _ = span(fmt, digit_field)
        rows[line] = rows[line][:pos] + digit + rows[line][pos + 1:]
    return rows

"""Where each field of a machine-readable zone stands: the one layout table of ICAO
Doc 9303 Parts 4-7 that reading, repairing and writing all use.

A field is ``(name, line, start, end, kind)`` with 0-based, end-exclusive positions;
a check is ``(name, digit field, covered spans)`` with spans ``(line, start, end)``,
in the order the checks are reported.  Portable (MicroPython).
"""

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
CHARSET = LETTERS + DIGITS + "<"

# Field kinds: which characters a position may hold.
NUM = "n"  # digits (and '<' where a date part is unknown or a field is empty)
ALPHA = "a"  # letters and '<'
ALNUM = "x"  # letters, digits and '<'

FORMATS = ("TD1", "TD2", "TD3", "MRVA", "MRVB")
# format -> (lines, characters per line)
SHAPES = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44), "MRVA": (2, 44), "MRVB": (2, 36)}

def _two_line_fields(width):
    """The fields every two-line format shares; the name fills line 1 to ``width``."""
    return [
        ("document_code", 0, 0, 2, ALPHA),
        ("issuing_state", 0, 2, 5, ALPHA),
        ("name", 0, 5, width, ALPHA),
        ("document_number", 1, 0, 9, ALNUM),
        ("document_number_check", 1, 9, 10, NUM),
        ("nationality", 1, 10, 13, ALPHA),
        ("birth_date", 1, 13, 19, NUM),
        ("birth_date_check", 1, 19, 20, NUM),
        ("sex", 1, 20, 21, ALPHA),
        ("expiry_date", 1, 21, 27, NUM),
        ("expiry_date_check", 1, 27, 28, NUM),
    ]


def _fields_and_composite(fmt):
    """The fields of ``fmt`` and the spans its composite check digit covers (None: no composite)."""
    if fmt == "TD1":
        fields = (
            ("document_code", 0, 0, 2, ALPHA),
            ("issuing_state", 0, 2, 5, ALPHA),
            ("document_number", 0, 5, 14, ALNUM),
            ("document_number_check", 0, 14, 15, NUM),
            ("optional_data", 0, 15, 30, ALNUM),
            ("birth_date", 1, 0, 6, NUM),
            ("birth_date_check", 1, 6, 7, NUM),
            ("sex", 1, 7, 8, ALPHA),
            ("expiry_date", 1, 8, 14, NUM),
            ("expiry_date_check", 1, 14, 15, NUM),
            ("nationality", 1, 15, 18, ALPHA),
            ("optional_data2", 1, 18, 29, ALNUM),
            ("composite_check", 1, 29, 30, NUM),
            ("name", 2, 0, 30, ALPHA),
        )
        return fields, ((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29))
    fields = _two_line_fields(SHAPES[fmt][1])
    if fmt == "TD2":
        fields.append(("optional_data", 1, 28, 35, ALNUM))
        fields.append(("composite_check", 1, 35, 36, NUM))
        return tuple(fields), ((1, 0, 10), (1, 13, 20), (1, 21, 35))
    if fmt == "TD3":
        fields.append(("optional_data", 1, 28, 42, ALNUM))
        fields.append(("optional_data_check", 1, 42, 43, NUM))
        fields.append(("composite_check", 1, 43, 44, NUM))
        return tuple(fields), ((1, 0, 10), (1, 13, 20), (1, 21, 43))
    # MRVA, MRVB: the optional data runs to the end of line 2, no composite check.
    fields.append(("optional_data", 1, 28, SHAPES[fmt][1], ALNUM))
    return tuple(fields), None


def _checks(spans, composite):
    checks = []
    for name in ("document_number", "birth_date", "expiry_date", "optional_data"):
        if name + "_check" in spans:
            line, start, end, _ = spans[name]
            checks.append((name, name + "_check", ((line, start, end),)))
    if composite is not None:
        checks.append(("composite", "composite_check", composite))
    return tuple(checks)


FIELDS = {}  # type: dict[str, tuple]  # format -> fields, in zone order
CHECKS = {}  # type: dict[str, tuple]  # format -> checks, in reporting order
_SPANS = {}  # type: dict[str, dict]  # format -> {field name: (line, start, end, kind)}


def _build():
    for fmt in FORMATS:
        fields, composite = _fields_and_composite(fmt)
        spans = {}
        for name, line, start, end, kind in fields:
            spans[name] = (line, start, end, kind)
        FIELDS[fmt] = fields
        _SPANS[fmt] = spans
        CHECKS[fmt] = _checks(spans, composite)


_build()


def span(fmt, name):
    """``(line, start, end, kind)`` of field ``name`` in ``fmt``; KeyError when it has none."""
    return _SPANS[fmt][name]


def field_span(fmt, name):
    """``(line, start, end)`` of field ``name`` in format ``fmt``, or None when ``fmt``
    has no such field (or is no format)."""
    s = _SPANS.get(fmt, {}).get(name)
    return None if s is None else (s[0], s[1], s[2])


def kind_at(fmt, line, pos):
    """``(field name, kind)`` of a 0-based position; ``(None, ALNUM)`` outside every field."""
    for name, field_line, start, end, kind in FIELDS[fmt]:
        if field_line == line and start <= pos < end:
            return name, kind
    return None, ALNUM


# --- long document numbers (8th edition, Parts 5 and 6) --------------------------
# In TD1 and TD2 a number longer than 9 characters puts '<' at the check-digit
# position; its rest, then its check digit, then '<' open the optional data.

LONG_NUMBER_FORMATS = ("TD1", "TD2")


def long_number_end(fmt, rows):
    """Where a long number's rest ends in the optional data (its check digit is the
    character before), or -1 when the document number is not a long one."""
    if fmt not in LONG_NUMBER_FORMATS:
        return -1
    check_line, check_pos, _, _ = _SPANS[fmt]["document_number_check"]
    if rows[check_line][check_pos] != "<":
        return -1
    opt_line, opt_start, opt_end, _ = _SPANS[fmt]["optional_data"]
    end = rows[opt_line][opt_start:opt_end].find("<")
    return opt_end - opt_start if end == -1 else end


def long_number_fields(number, check_digit):
    """A long number written out: (its first nine characters, for the number field,
    and the start of the optional data); the check-digit position holds '<'."""
    return number[:9], number[9:] + check_digit + "<"


def covered_text(rows, spans):
    """The characters of ``spans`` (``(line, start, end)`` each), joined: what a check digit sums."""
    return "".join([rows[line][start:end] for (line, start, end) in spans])

"""Reading a zone: clean the input, tell the format, repair what the types force,
check every check digit and read every field into a ``Document``.

Portable (MicroPython).
"""

from firmware.core import checkdigit
from firmware.core.mrz_codes import is_known_code
from firmware.core.mrz_dates import parse_date
from firmware.core.mrz_document import Document, MRZError, MRZInternalError
from firmware.core.mrz_layout import CHARSET, CHECKS, FIELDS, SHAPES, covered_text, long_number_end, span
from firmware.core.mrz_repair import repair_zone, type_allows

# --- input cleaning -------------------------------------------------------------


def _to_text(data):
    if isinstance(data, (bytes, bytearray, memoryview)):
        out = []
        for b in bytes(data):
            out.append(chr(b) if b < 128 else "\x7f")
        return "".join(out)
    if isinstance(data, str):
        return data
    raise MRZError("expected bytes or text, got %s" % type(data).__name__, code="input")


def clean_lines(data):
    """Splits on CR/LF, drops whitespace and empty lines, upper-cases."""
    text = _to_text(data)
    lines = []
    for raw in text.replace("\r", "\n").split("\n"):
        kept = []
        for c in raw:
            if c not in " \t\x0b\x0c\x00":
                kept.append(c)
        line = "".join(kept).upper()
        if line:
            lines.append(line)
    if len(lines) == 1:
        only = lines[0]
        # A zone sent without line breaks.
        if len(only) == 90:
            lines = [only[0:30], only[30:60], only[60:90]]
        elif len(only) in (88, 72):
            half = len(only) // 2
            lines = [only[:half], only[half:]]
    return lines


def detect_format(lines):
    """Tells the format from line count, length and document code; raises MRZError."""
    n = len(lines)
    if n == 0:
        raise MRZError("no MRZ text found", code="lines")
    if n not in (2, 3):
        raise MRZError("an MRZ has 2 or 3 lines, found %d" % n, code="lines")
    width = len(lines[0])
    if n == 3:
        fmt = "TD1"
    elif width == 44:
        fmt = "MRVA" if lines[0][0] == "V" else "TD3"
    elif width == 36:
        fmt = "MRVB" if lines[0][0] == "V" else "TD2"
    elif width == 30:
        raise MRZError("a 30-character zone (TD1) has 3 lines, found 2", code="lines")
    else:
        raise MRZError("line length %d is not an MRZ length (30, 36 or 44)" % width, 1, min(width, 45), "length")
    expected = SHAPES[fmt][1]
    for i in range(n):
        if len(lines[i]) != expected:
            col = min(len(lines[i]), expected) + 1
            raise MRZError("line has %d characters, %s lines have %d" % (len(lines[i]), fmt, expected), i + 1, col,
                           "length")
    return fmt


# --- checks ---------------------------------------------------------------------


def check_results(fmt, rows):
    """``(name, ok, (line, position) of the check digit)`` per check, in reporting order."""
    out = []
    for name, digit_field, covered in CHECKS[fmt]:
        digit_line, digit_pos, _, _ = span(fmt, digit_field)
        digit = rows[digit_line][digit_pos]
        if name == "document_number" and long_number_end(fmt, rows) != -1:
            out.append(_long_number_check(fmt, rows))
            continue
        text = covered_text(rows, covered)
        if name == "optional_data" and text == "<" * len(text):
            # An empty personal number may carry '<' or '0' as its check digit.
            ok = digit in ("<", "0")
        else:
            ok = checkdigit.compute(text) == digit
        out.append((name, ok, (digit_line, digit_pos)))
    return out


def _long_number_check(fmt, rows):
    """The check of a long document number, whose check digit ends its rest in the optional data."""
    end = long_number_end(fmt, rows)
    if end < 2:  # no room for a rest and its check digit: the number cannot be read
        check_line, check_pos, _, _ = span(fmt, "document_number_check")
        return ("document_number", False, (check_line, check_pos))
    number_line, number_start, number_end, _ = span(fmt, "document_number")
    opt_line, opt_start, opt_end, _ = span(fmt, "optional_data")
    opt = rows[opt_line][opt_start:opt_end]
    number = rows[number_line][number_start:number_end] + opt[: end - 1]
    return ("document_number", checkdigit.compute(number) == opt[end - 1], (opt_line, opt_start + end - 1))


# --- names ----------------------------------------------------------------------


def _split_components(s):
    return [p for p in s.split("<") if p]


def parse_name(field):
    """(primary components, secondary components, truncated) from a name field."""
    truncated = field[-1] != "<"
    body = field.rstrip("<") if not truncated else field
    sep = body.find("<<")
    if sep == -1:
        return _split_components(body), [], truncated
    return _split_components(body[:sep]), _split_components(body[sep + 2:]), truncated


# --- state codes ----------------------------------------------------------------


def _read_codes(doc):
    """Codes off Part 3's list and a nationality left blank are warnings (states print both);
    a code that starts with a filler is not a code."""
    if doc.nationality == "<<<":
        # Macau's non-permanent resident card: the holder's nationality is not printed.
        doc.warnings.append("nationality: not given ('<<<'); the document key carries the issuing state")
    for label, code in (("issuing_state", doc.issuing_state), ("nationality", doc.nationality)):
        if code[0] == "<":
            if code != "<<<" or label != "nationality":
                doc.problems.append("%s: a country code starts with a letter" % label)
        elif not is_known_code(code):
            doc.warnings.append("%s: not a code of ICAO Doc 9303 Part 3" % label)


# --- the zone -------------------------------------------------------------------


def _today(today):
    if today is not None:
        return (int(today[0]), int(today[1]), int(today[2]))
    import time

    t = time.localtime()
    return (t[0], t[1], t[2])


def parse(data, today=None, repair=True):
    """Reads a zone (bytes or text, with line-break and whitespace noise).

    Returns a ``Document`` (``valid`` False when a check fails or a field is
    impossible); raises ``MRZError`` when the input is not a zone at all.
    ``repair`` False leaves even the type-forced repairs undone.
    """
    try:
        return read_zone(data, _today(today), repair)
    except MRZError:
        raise
    except Exception as e:  # a parser bug must still not crash the kiosk
        # not "from e": MicroPython has no exception chaining (and warns); ``cause`` keeps it
        raise MRZInternalError(e)  # noqa: B904


def read_zone(data, today, repair=True):
    """``parse`` without its safety net: a bug raises what it raises (the fuzz tests
    call this); ``today`` is a (year, month, day) tuple."""
    lines = clean_lines(data)
    fmt = detect_format(lines)
    for i in range(len(lines)):
        for j in range(len(lines[i])):
            if lines[i][j] not in CHARSET:
                raise MRZError("character %r is not in the MRZ character set" % lines[i][j], i + 1, j + 1, "charset")
    rows = list(lines)
    doc = Document()
    doc.format = fmt
    doc.lines = tuple(lines)
    if repair:
        doc.repairs = repair_zone(fmt, rows)

    def field(name):
        line, s, e, _ = span(fmt, name)
        return rows[line][s:e]

    for name, line, s, e, kind in FIELDS[fmt]:
        text = rows[line][s:e]
        for k in range(len(text)):
            if not type_allows(text[k], kind):
                doc.problems.append("%s: line %d, column %d: %r does not belong here"
                                    % (name, line + 1, s + k + 1, text[k]))
                break

    for name, ok, (digit_line, digit_pos) in check_results(fmt, rows):
        doc.checks[name] = ok
        if not ok:
            doc.problems.append("%s: check digit at line %d, column %d does not match"
                                % (name, digit_line + 1, digit_pos + 1))

    doc.document_code = field("document_code").rstrip("<")
    doc.issuing_state = field("issuing_state")
    doc.nationality = field("nationality")
    number = field("document_number")
    optional = field("optional_data")
    end = long_number_end(fmt, rows)
    if end != -1:
        number = number + optional[: max(end - 1, 0)]
        optional = optional[end + 1:]
    doc.document_number = number.replace("<", "")
    doc.optional_data = optional.strip("<")
    if fmt == "TD1":
        doc.optional_data2 = field("optional_data2").strip("<")

    doc.birth_date = parse_date(field("birth_date"), today, "birth")
    doc.expiry_date = parse_date(field("expiry_date"), today, "expiry")
    for label, d in (("birth_date", doc.birth_date), ("expiry_date", doc.expiry_date)):
        if d.problem is not None:
            doc.problems.append("%s: %s" % (label, d.problem))
    if doc.expiry_date.year is not None and not doc.expiry_date.is_complete():
        doc.warnings.append("expiry_date: partly unknown")

    sex = field("sex")
    doc.sex = sex
    if sex == "X":
        doc.warnings.append("sex: 'X' read as unspecified")
    elif sex not in ("F", "M", "<"):
        doc.problems.append("sex: %r is not F, M, X or '<'" % sex)

    _read_codes(doc)

    primary, secondary, truncated = parse_name(field("name"))
    doc.surname_parts = primary
    doc.given_name_parts = secondary
    doc.surname = " ".join(primary)
    doc.given_names = " ".join(secondary)
    doc.name_truncated = truncated
    if truncated:
        doc.warnings.append("name: truncated to fit the zone")
    if not primary and not secondary:
        doc.problems.append("name: no name at all")
    elif not primary:
        # A single name (Indian passports) stands as the secondary identifier; a name key
        # from it alone would join every such traveller of that name and birth date.
        doc.warnings.append("name: no primary identifier; the kiosk matches on the document key alone")
    if not doc.document_code or doc.document_code[0] not in "ACIPV":
        doc.problems.append("document_code: %r is not a travel-document code" % doc.document_code)
    doc.valid = not doc.problems
    return doc

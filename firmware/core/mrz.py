"""Machine-readable zones of travel documents, ICAO Doc 9303 (8th edition).

Reads TD1, TD2, TD3, MRV-A and MRV-B zones, checks every check digit, and writes
zones back (``generate``).  Pure and portable: runs unmodified on MicroPython, so
no dataclasses, enum or typing at run time.  ``parse`` raises nothing but
``MRZError``, whatever it is given.

Repairs are only the ones a field's type forces: a letter where only digits may
stand (a date, a check digit: 'O' -> '0') and a digit where only letters may stand
(a name, a country code: '0' -> 'O'), each reported in ``Document.repairs`` and then
checked like any other character.  A check digit that fails is never made to pass by
guessing: in an alphanumeric field (document number, optional / personal data) a
letter and a digit are both legal, so trying letter<->digit confusions until the sums
agree only picks *a* document number, not the printed one.  Most misreads are a digit
read as another digit, which no letter guess can undo (printed 478974673, read
478974773, "repaired" to 47B974773; the composite check cannot object, the number
sits at the same weights in both sums).  Such a read stays invalid, with a problem
naming the failing check, and the reader reads the document again.
"""

from firmware.core import checkdigit

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
CHARSET = LETTERS + DIGITS + "<"

# Field kinds: which characters a position may hold.
NUM = "n"  # digits (and '<' where a date part is unknown or a field is empty)
ALPHA = "a"  # letters and '<'
ALNUM = "x"  # letters, digits and '<'

# OCR confusions, per direction: what a misread character most likely was. Used only
# where the field's type rules the character out (see ``_repair``).
LETTER_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "7",
                   "Z": "2", "S": "5", "G": "6", "B": "8", "A": "4"}
DIGIT_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B"}

# Special codes of Part 3 (5.1): not states, but valid in the MRZ.
SPECIAL_CODES = {
    "UTO": "Utopia (specimen documents)",
    "XXA": "stateless person",
    "XXB": "refugee (1951 Convention)",
    "XXC": "refugee (other)",
    "XXX": "unspecified nationality",
    "D<<": "Germany",
}

FORMATS = ("TD1", "TD2", "TD3", "MRVA", "MRVB")


class MRZError(Exception):
    """The input cannot be read as a machine-readable zone.

    ``line`` and ``column`` are 1-based positions in the cleaned zone (None when the
    problem is not at one place); ``reason`` says what is wrong.
    """

    def __init__(self, reason, line=None, column=None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column

    def __str__(self):
        if self.line is None:
            return self.reason
        if self.column is None:
            return "line %d: %s" % (self.line, self.reason)
        return "line %d, column %d: %s" % (self.line, self.column, self.reason)

    def to_dict(self):
        return {"error": self.reason, "line": self.line, "column": self.column}


def days_in_month(year, month):
    if month == 2:
        if year is None:
            return 29
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            return 29
        return 28
    if month in (4, 6, 9, 11):
        return 30
    return 31


class MRZDate:
    """A YYMMDD date whose parts may be unknown ('<<'); ``year`` has its century."""

    __slots__ = ("raw", "year", "month", "day", "problem")

    def __init__(self, raw, year, month, day, problem=None):
        self.raw = raw
        self.year = year
        self.month = month
        self.day = day
        self.problem = problem

    def is_complete(self):
        return self.year is not None and self.month is not None and self.day is not None

    def as_tuple(self):
        return (self.year, self.month, self.day)

    def iso(self):
        """'YYYY-MM-DD' with 'XX' for unknown parts."""
        y = "XXXX" if self.year is None else "%04d" % self.year
        m = "XX" if self.month is None else "%02d" % self.month
        d = "XX" if self.day is None else "%02d" % self.day
        return y + "-" + m + "-" + d

    def __eq__(self, other):
        return isinstance(other, MRZDate) and self.raw == other.raw and self.year == other.year

    def __repr__(self):
        return "MRZDate(%s)" % self.iso()


def _two_digits(s):
    if s == "<<":
        return None
    if len(s) == 2 and s[0] in DIGITS and s[1] in DIGITS:
        return int(s)
    return -1


def parse_date(raw, today, kind):
    """Reads YYMMDD; ``kind`` 'birth' (never in the future) or 'expiry' (a 50-year window)."""
    yy = _two_digits(raw[0:2])
    mm = _two_digits(raw[2:4])
    dd = _two_digits(raw[4:6])
    if yy == -1 or mm == -1 or dd == -1:
        return MRZDate(raw, None, None, None, "not a date (digits or '<<' per part expected)")
    year = None
    if yy is not None:
        year = 2000 + yy
        if kind == "birth":
            # Born in the future is impossible: then it was the previous century.
            later = (year, mm or 1, dd or 1) > (today[0], today[1], today[2])
            if later:
                year -= 100
        elif year > today[0] + 50:
            year -= 100
    problem = None
    if mm is not None and not 1 <= mm <= 12:
        problem = "month %02d does not exist" % mm
    elif dd is not None and not 1 <= dd <= (31 if mm is None else days_in_month(year, mm)):
        problem = "day %02d does not exist in that month" % dd
    return MRZDate(raw, year, mm, dd, problem)


# --- layouts --------------------------------------------------------------------
# A layout lists fields as (name, line, start, end, kind) with 0-based, end-exclusive
# positions, and checks as (name, digit position, [covered ranges]).


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


def _layout(fmt):
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
        composite = ((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29))
        return fields, composite
    if fmt in ("TD2", "MRVB"):
        fields = _two_line_fields(36)
        if fmt == "TD2":
            fields.append(("optional_data", 1, 28, 35, ALNUM))
            fields.append(("composite_check", 1, 35, 36, NUM))
            return tuple(fields), ((1, 0, 10), (1, 13, 20), (1, 21, 35))
        fields.append(("optional_data", 1, 28, 36, ALNUM))
        return tuple(fields), None
    # TD3, MRVA
    fields = _two_line_fields(44)
    if fmt == "TD3":
        fields.append(("optional_data", 1, 28, 42, ALNUM))
        fields.append(("optional_data_check", 1, 42, 43, NUM))
        fields.append(("composite_check", 1, 43, 44, NUM))
        return tuple(fields), ((1, 0, 10), (1, 13, 20), (1, 21, 43))
    fields.append(("optional_data", 1, 28, 44, ALNUM))
    return tuple(fields), None


_LAYOUTS = {}
for _f in FORMATS:
    _LAYOUTS[_f] = _layout(_f)

SHAPES = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44), "MRVA": (2, 44), "MRVB": (2, 36)}


def _field_map(fmt):
    m = {}
    for name, line, start, end, kind in _LAYOUTS[fmt][0]:
        m[name] = (line, start, end, kind)
    return m


_FIELD_MAPS = {}
for _f in FORMATS:
    _FIELD_MAPS[_f] = _field_map(_f)


# --- input cleaning -------------------------------------------------------------


def _to_text(data):
    if isinstance(data, (bytes, bytearray, memoryview)):
        out = []
        for b in bytes(data):
            out.append(chr(b) if b < 128 else "\x7f")
        return "".join(out)
    if isinstance(data, str):
        return data
    raise MRZError("expected bytes or text, got %s" % type(data).__name__)


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
        raise MRZError("no MRZ text found")
    if n not in (2, 3):
        raise MRZError("an MRZ has 2 or 3 lines, found %d" % n)
    width = len(lines[0])
    if n == 3:
        fmt = "TD1"
    elif width == 44:
        fmt = "MRVA" if lines[0][0] == "V" else "TD3"
    elif width == 36:
        fmt = "MRVB" if lines[0][0] == "V" else "TD2"
    elif width == 30:
        raise MRZError("a 30-character zone (TD1) has 3 lines, found 2")
    else:
        raise MRZError("line length %d is not an MRZ length (30, 36 or 44)" % width, 1, min(width, 45))
    expected = SHAPES[fmt][1]
    for i in range(n):
        if len(lines[i]) != expected:
            col = min(len(lines[i]), expected) + 1
            raise MRZError("line has %d characters, %s lines have %d" % (len(lines[i]), fmt, expected), i + 1, col)
    return fmt


# --- checks and repair ----------------------------------------------------------


def _checks(fmt, rows):
    """Returns ordered list of (name, ok, digit (line, pos), covered [(line, s, e)])."""
    f = _FIELD_MAPS[fmt]
    out = []

    def field(name):
        line, s, e, _ = f[name]
        return rows[line][s:e]

    # Document number, possibly long (TD1/TD2, '<' at the check-digit position).
    dl, ds, de, _ = f["document_number"]
    cl, cs, ce, _ = f["document_number_check"]
    if fmt in ("TD1", "TD2") and rows[cl][cs] == "<":
        ol, os_, oe, _ = f["optional_data"]
        opt = rows[ol][os_:oe]
        end = opt.find("<")
        if end == -1:
            end = len(opt)
        if end >= 2:
            number = rows[dl][ds:de] + opt[: end - 1]
            ok = checkdigit.compute(number) == opt[end - 1]
            out.append(("document_number", ok, (ol, os_ + end - 1), [(dl, ds, de), (ol, os_, os_ + end - 1)]))
        else:
            out.append(("document_number", False, (cl, cs), [(dl, ds, de)]))
    else:
        out.append(("document_number", checkdigit.compute(field("document_number")) == rows[cl][cs],
                    (cl, cs), [(dl, ds, de)]))
    for name in ("birth_date", "expiry_date"):
        l, s, e, _ = f[name]
        l2, s2, _, _ = f[name + "_check"]
        out.append((name, checkdigit.compute(rows[l][s:e]) == rows[l2][s2], (l2, s2), [(l, s, e)]))
    if fmt == "TD3":
        l, s, e, _ = f["optional_data"]
        l2, s2, _, _ = f["optional_data_check"]
        data = rows[l][s:e]
        digit = rows[l2][s2]
        # An empty personal number may carry '<' or '0' as its check digit.
        ok = (digit in ("<", "0")) if data == "<" * (e - s) else checkdigit.compute(data) == digit
        out.append(("optional_data", ok, (l2, s2), [(l, s, e)]))
    composite = _LAYOUTS[fmt][1]
    if composite is not None:
        l2, s2, _, _ = f["composite_check"]
        text = "".join([rows[l][s:e] for (l, s, e) in composite])
        out.append(("composite", checkdigit.compute(text) == rows[l2][s2], (l2, s2), list(composite)))
    return out


def _kind_at(fmt, line, pos):
    for name, l, s, e, kind in _LAYOUTS[fmt][0]:
        if l == line and s <= pos < e:
            return name, kind
    return None, ALNUM


def _forced(c, kind):
    """The character ``c`` must have been, when its field's type rules it out; else None."""
    if kind == NUM:
        return LETTER_TO_DIGIT.get(c)
    if kind == ALPHA:
        return DIGIT_TO_LETTER.get(c)
    return None


def _type_ok(c, kind, fieldname):
    if kind == NUM:
        return c in DIGITS or c == "<"
    if kind == ALPHA:
        return c in LETTERS or c == "<"
    return True


def _set(rows, line, pos, c):
    r = rows[line]
    rows[line] = r[:pos] + c + r[pos + 1:]


def _repair(fmt, rows):
    """Repairs, in place, the characters their field's type rules out; returns the repairs.

    A letter in a digit field (a date, a check digit) becomes the digit it is usually
    mistaken for, a digit in a letter field (a name, a code) the letter; the check
    digits then judge the result like any read.  Nothing else is changed: a failing
    check digit is never "repaired" by trying letter<->digit confusions in the
    positions it covers.  In an alphanumeric field (document number, optional or
    personal data) both are legal, so such a change is a guess, and it is the wrong
    one for the commonest misread, a digit read as another digit: some letter
    elsewhere in the number then balances the sum and the number is still not the
    printed one.  The read stays invalid and the reader reads the document again.
    """
    repairs = []
    for line in range(len(rows)):
        for pos in range(len(rows[line])):
            c = rows[line][pos]
            name, kind = _kind_at(fmt, line, pos)
            if not _type_ok(c, kind, name):
                now = _forced(c, kind)
                if now is not None:
                    _set(rows, line, pos, now)
                    repairs.append({"line": line + 1, "column": pos + 1, "was": c, "now": now})
    return repairs


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


# --- the document ---------------------------------------------------------------


class Document:
    """A parsed zone: raw lines, every field, and the outcome of each check."""

    def __init__(self):
        self.format = None
        self.lines = ()
        self.document_code = ""
        self.issuing_state = ""
        self.document_number = ""
        self.nationality = ""
        self.birth_date = None
        self.expiry_date = None
        self.sex = ""
        self.surname = ""
        self.given_names = ""
        self.surname_parts = []
        self.given_name_parts = []
        self.name_truncated = False
        self.optional_data = ""
        self.optional_data2 = ""
        self.checks = {}
        self.repairs = []
        self.problems = []
        self.warnings = []
        self.valid = False

    def to_dict(self):
        def date(d):
            return {"raw": d.raw, "iso": d.iso(), "year": d.year, "month": d.month, "day": d.day,
                    "problem": d.problem}

        return {
            "format": self.format,
            "valid": self.valid,
            "lines": list(self.lines),
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "document_number": self.document_number,
            "nationality": self.nationality,
            "birth_date": date(self.birth_date),
            "sex": self.sex,
            "expiry_date": date(self.expiry_date),
            "surname": self.surname,
            "given_names": self.given_names,
            "surname_parts": list(self.surname_parts),
            "given_name_parts": list(self.given_name_parts),
            "name_truncated": self.name_truncated,
            "optional_data": self.optional_data,
            "optional_data2": self.optional_data2,
            "checks": dict(self.checks),
            "repairs": list(self.repairs),
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }

    def __repr__(self):
        # Deliberately without personal data: documents must not leak into logs.
        return "<Document %s valid=%s>" % (self.format, self.valid)


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
        return _parse(data, _today(today), repair)
    except MRZError:
        raise
    except Exception as e:  # a parser bug must still not crash the kiosk
        raise MRZError("unreadable MRZ (%s)" % type(e).__name__)


def _parse(data, today, repair):
    lines = clean_lines(data)
    fmt = detect_format(lines)
    for i in range(len(lines)):
        for j in range(len(lines[i])):
            if lines[i][j] not in CHARSET:
                raise MRZError("character %r is not in the MRZ character set" % lines[i][j], i + 1, j + 1)
    rows = list(lines)
    doc = Document()
    doc.format = fmt
    doc.lines = tuple(lines)
    if repair:
        doc.repairs = _repair(fmt, rows)
    f = _FIELD_MAPS[fmt]

    def field(name):
        line, s, e, _ = f[name]
        return rows[line][s:e]

    for name, line, s, e, kind in _LAYOUTS[fmt][0]:
        text = rows[line][s:e]
        for k in range(len(text)):
            if not _type_ok(text[k], kind, name):
                doc.problems.append("%s: line %d, column %d: %r does not belong here" % (name, line + 1, s + k + 1, text[k]))
                break

    checks = _checks(fmt, rows)
    for chk in checks:
        doc.checks[chk[0]] = chk[1]
        if not chk[1]:
            doc.problems.append("%s: check digit at line %d, column %d does not match" % (chk[0], chk[2][0] + 1, chk[2][1] + 1))

    doc.document_code = field("document_code").rstrip("<")
    doc.issuing_state = field("issuing_state")
    doc.nationality = field("nationality")
    number = field("document_number")
    optional = field("optional_data")
    if fmt in ("TD1", "TD2") and field("document_number_check") == "<":
        end = optional.find("<")
        if end == -1:
            end = len(optional)
        number = number + optional[: max(end - 1, 0)]
        optional = optional[end + 1:] if end < len(optional) else ""
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

    for label, code in (("issuing_state", doc.issuing_state), ("nationality", doc.nationality)):
        if code[0] == "<":
            doc.problems.append("%s: a country code starts with a letter" % label)

    primary, secondary, truncated = parse_name(field("name"))
    doc.surname_parts = primary
    doc.given_name_parts = secondary
    doc.surname = " ".join(primary)
    doc.given_names = " ".join(secondary)
    doc.name_truncated = truncated
    if truncated:
        doc.warnings.append("name: truncated to fit the zone")
    if not primary:
        doc.problems.append("name: no primary identifier")
    if not doc.document_code or doc.document_code[0] not in "ACIPV":
        doc.problems.append("document_code: %r is not a travel-document code" % doc.document_code)
    doc.valid = not doc.problems
    return doc


# --- generation -----------------------------------------------------------------


def _pad(text, width, what):
    if len(text) > width:
        raise ValueError("%s %r longer than %d characters" % (what, text, width))
    return text + "<" * (width - len(text))


def _mrz_text(s):
    out = []
    for c in s.upper():
        if c in LETTERS or c in DIGITS:
            out.append(c)
        elif c in " -'<,.":
            out.append("<")
        else:
            raise ValueError("character %r needs transliteration before it can go in an MRZ" % c)
    return "".join(out)


def name_field(surname, given_names, width):
    """Builds a name field, truncating the secondary identifier to fit."""
    primary = _mrz_text(surname.strip())
    secondary = _mrz_text(given_names.strip())
    text = primary if not secondary else primary + "<<" + secondary
    return (text + "<" * width)[:width]


def generate(fmt, document_code, issuing_state, surname, given_names, document_number, nationality,
             birth_date, sex, expiry_date, optional_data="", optional_data2="", empty_check="<"):
    """Lines of a valid zone.

    Dates are 'YYMMDD' strings ('<' for unknown parts); names are plain Latin text
    (spaces and hyphens become fillers). TD1/TD2 document numbers longer than 9
    characters are written the 8th-edition way. ``empty_check`` is the check digit
    written for an empty TD3 personal number ('<' or '0').
    """
    if fmt not in FORMATS:
        raise ValueError("unknown format %r" % fmt)
    width = SHAPES[fmt][1]
    cd = checkdigit.compute
    code = _pad(_mrz_text(document_code), 2, "document code")
    state = _pad(_mrz_text(issuing_state), 3, "issuing state")
    nat = _pad(_mrz_text(nationality), 3, "nationality")
    number = _mrz_text(document_number)
    opt = _mrz_text(optional_data)
    for d in (birth_date, expiry_date):
        if len(d) != 6:
            raise ValueError("date %r is not YYMMDD" % d)
    if sex not in ("F", "M", "<", "X"):
        raise ValueError("sex %r is not F, M, X or <" % sex)
    if len(number) > 9:
        if fmt not in ("TD1", "TD2"):
            raise ValueError("%s document numbers have at most 9 characters" % fmt)
        num_field = number[:9] + "<"
        opt = number[9:] + cd(number) + "<" + opt
    else:
        num_field = _pad(number, 9, "document number") + cd(_pad(number, 9, "document number"))
    if fmt == "TD1":
        l1 = code + state + num_field + _pad(opt, 15, "optional data")
        l2 = birth_date + cd(birth_date) + sex + expiry_date + cd(expiry_date) + nat + _pad(_mrz_text(optional_data2), 11, "optional data 2")
        comp = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
        l2 += cd(comp)
        return [l1, l2, name_field(surname, given_names, 30)]
    l1 = code + state + name_field(surname, given_names, width - 5)
    l2 = num_field + nat + birth_date + cd(birth_date) + sex + expiry_date + cd(expiry_date)
    if fmt == "TD2":
        l2 += _pad(opt, 7, "optional data")
        l2 += cd(l2[0:10] + l2[13:20] + l2[21:35])
    elif fmt == "TD3":
        pn = _pad(opt, 14, "personal number")
        l2 += pn + (empty_check if pn == "<" * 14 else cd(pn))
        l2 += cd(l2[0:10] + l2[13:20] + l2[21:43])
    else:
        l2 += _pad(opt, width - 28, "optional data")
    return [l1, l2]

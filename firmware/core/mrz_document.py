"""What reading a zone gives: a ``Document``, or an ``MRZError`` saying where it failed.

Portable (MicroPython).
"""


class MRZError(Exception):
    """The input cannot be read as a machine-readable zone.

    ``line`` and ``column`` are 1-based positions in the cleaned zone (None when the
    problem is not at one place); ``reason`` says what is wrong, in words that may
    change; ``code`` says it for callers that act on it: 'input' (neither bytes nor
    text), 'lines' (no zone's number of lines), 'length' (no zone's line length),
    'charset' (a character outside A-Z, 0-9 and '<'), 'internal' (a parser bug).
    """

    def __init__(self, reason, line=None, column=None, code="unreadable"):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column
        self.code = code

    def __str__(self):
        if self.line is None:
            return self.reason
        if self.column is None:
            return "line %d: %s" % (self.line, self.reason)
        return "line %d, column %d: %s" % (self.line, self.column, self.reason)

    def to_dict(self):
        return {"error": self.reason, "line": self.line, "column": self.column}


class MRZInternalError(MRZError):
    """A bug in the parser, not a fault of the zone.

    ``parse`` turns any crash into this so that the kiosk refuses the read like an
    unreadable zone instead of stopping; ``cause`` is the exception it caught.  Tests
    must never see one: it is how a fuzz test tells a crash from a refusal.
    """

    def __init__(self, cause):
        super().__init__("unreadable MRZ (%s)" % type(cause).__name__, code="internal")
        self.cause = cause


class Document:
    """A parsed zone: raw lines, every field, and the outcome of each check.

    ``problems`` make the read invalid; ``warnings`` say what real documents do that the
    standard does not expect (a code off Part 3's list, a blank nationality, no surname, a
    truncated name) and leave it valid. Both name the field, never its content.
    """

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

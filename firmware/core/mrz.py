"""Machine-readable zones of travel documents, ICAO Doc 9303 (8th edition).

Reads TD1, TD2, TD3, MRV-A and MRV-B zones, checks every check digit, and writes
zones back (``generate``).  Pure and portable: runs unmodified on MicroPython, so
no dataclasses, enum or typing at run time.  ``parse`` raises nothing but
``MRZError``, whatever it is given (a bug in the parser as ``MRZInternalError``).

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

What real documents print that the standard does not expect (no surname, a state code
off Part 3's list, a blank nationality) is read with a warning in ``Document.warnings``;
what cannot be true (a date that does not exist, a code starting with '<', no name at
all) stays a problem (docs/architecture.md, "The MRZ on real documents").

This module is the engine's public face; the work is done, one job a module, in
``mrz_layout`` (the one layout table), ``mrz_parse``, ``mrz_repair``,
``mrz_generate``, ``mrz_dates``, ``mrz_codes`` (the state codes) and ``mrz_document``.
"""

from firmware.core.mrz_codes import SPECIAL_CODES, is_known_code
from firmware.core.mrz_dates import MRZDate, days_in_month, parse_date
from firmware.core.mrz_document import Document, MRZError, MRZInternalError
from firmware.core.mrz_generate import generate, name_field
from firmware.core.mrz_layout import (
    ALNUM,
    ALPHA,
    CHARSET,
    DIGITS,
    FORMATS,
    LETTERS,
    NUM,
    SHAPES,
    field_span,
    kind_at,
)
from firmware.core.mrz_parse import clean_lines, detect_format, parse, parse_name, read_zone
from firmware.core.mrz_repair import DIGIT_TO_LETTER, LETTER_TO_DIGIT, forced_repair

__all__ = [
    "ALNUM", "ALPHA", "CHARSET", "DIGITS", "DIGIT_TO_LETTER", "FORMATS", "LETTERS", "LETTER_TO_DIGIT", "NUM",
    "SHAPES", "SPECIAL_CODES", "Document", "MRZDate", "MRZError", "MRZInternalError", "clean_lines", "days_in_month",
    "detect_format", "field_span", "forced_repair", "generate", "is_known_code", "kind_at", "name_field", "parse",
    "parse_date", "parse_name", "read_zone",
]

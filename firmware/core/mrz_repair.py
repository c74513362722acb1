"""Type-forced repairs: a character its field's type rules out becomes the one it
is usually mistaken for; nothing else is ever changed.

Portable (MicroPython).
"""

from firmware.core.mrz_layout import ALPHA, DIGITS, LETTERS, NUM, kind_at

# OCR confusions, per direction: what a misread character most likely was. Used only
# where the field's type rules the character out (see ``repair_zone``).
LETTER_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "7",
                   "Z": "2", "S": "5", "G": "6", "B": "8", "A": "4"}
DIGIT_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B"}


def type_allows(c: str, kind: str) -> bool:
    """Whether a field of ``kind`` may hold the MRZ character ``c``."""
    if kind == NUM:
        return c in DIGITS or c == "<"
    if kind == ALPHA:
        return c in LETTERS or c == "<"
    return True


def forced_repair(c: str, kind: str) -> "str | None":
    """The character ``c`` must have been, when its field's type rules it out; else None."""
    if kind == NUM:
        return LETTER_TO_DIGIT.get(c)
    if kind == ALPHA:
        return DIGIT_TO_LETTER.get(c)
    return None


def repair_zone(fmt: str, rows: "list[str]") -> "list[dict[str, object]]":
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
            kind = kind_at(fmt, line, pos)[1]
            if not type_allows(c, kind):
                now = forced_repair(c, kind)
                if now is not None:
                    row = rows[line]
                    rows[line] = row[:pos] + now + row[pos + 1:]
                    repairs.append({"line": line + 1, "column": pos + 1, "was": c, "now": now})
    return repairs

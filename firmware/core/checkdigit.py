"""ICAO 9303 check digits (Part 3, 4.9): weights 7-3-1, '<' = 0, A = 10 ... Z = 35.

Portable: runs unmodified on MicroPython.
"""

WEIGHTS = (7, 3, 1)


def char_value(c: str) -> int:
    """Value of one MRZ character, or -1 if it is not in the MRZ character set."""
    o = ord(c)
    if 48 <= o <= 57:
        return o - 48
    if 65 <= o <= 90:
        return o - 55
    if c == "<":
        return 0
    return -1


def compute(text: str) -> str:
    """The check digit (a one-character string) over `text`; -1 values count as 0."""
    total = 0
    i = 0
    for c in text:
        v = char_value(c)
        if v > 0:
            total += v * WEIGHTS[i % 3]
        i += 1
    return str(total % 10)

"""MRZ dates: YYMMDD with unknown parts ('<<'), and the century the zone leaves out.

Portable (MicroPython).
"""

from firmware.core.mrz_layout import DIGITS


def days_in_month(year: "int | None", month: int) -> int:
    """Days in ``month``; with ``year`` None, February may have its 29th."""
    if month == 2:
        if year is None:
            return 29
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            return 29
        return 28
    if month in (4, 6, 9, 11):
        return 30
    return 31


def date_part(text: str) -> "int | None":
    """A two-character date part as an int; None for '<<' (unknown), -1 when neither."""
    if text == "<<":
        return None
    if len(text) == 2 and text[0] in DIGITS and text[1] in DIGITS:
        return int(text)
    return -1


class MRZDate:
    """A YYMMDD date whose parts may be unknown ('<<'); ``year`` has its century."""

    __slots__ = ("raw", "year", "month", "day", "problem")

    def __init__(self, raw: str, year: "int | None", month: "int | None", day: "int | None",
                 problem: "str | None" = None) -> None:
        self.raw = raw
        self.year = year
        self.month = month
        self.day = day
        self.problem = problem

    def is_complete(self) -> bool:
        """Whether year, month and day are all known: a partial date is matched more widely."""
        return self.year is not None and self.month is not None and self.day is not None

    def as_tuple(self) -> "tuple[int | None, int | None, int | None]":
        """(year, month, day), None for unknown parts, for comparisons."""
        return (self.year, self.month, self.day)

    def iso(self) -> str:
        """'YYYY-MM-DD' with 'XX' for unknown parts."""
        y = "XXXX" if self.year is None else "%04d" % self.year
        m = "XX" if self.month is None else "%02d" % self.month
        d = "XX" if self.day is None else "%02d" % self.day
        return y + "-" + m + "-" + d

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MRZDate) and self.raw == other.raw and self.year == other.year

    def __repr__(self) -> str:
        return "MRZDate(%s)" % self.iso()


def parse_date(raw: str, today: "tuple[int, int, int]", kind: str) -> MRZDate:
    """Reads YYMMDD; ``kind`` 'birth' (never in the future) or 'expiry' (a 50-year window)."""
    yy = date_part(raw[0:2])
    mm = date_part(raw[2:4])
    dd = date_part(raw[4:6])
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

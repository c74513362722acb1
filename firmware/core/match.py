"""What a traveller's keys found in the list's partitions: none, possible or strong.

Pure: the partitions are anything with ``end_year`` and ``contains(key)``, so the
same policy runs on the kiosk (memory-mapped files) and on a microcontroller.
Policy (../shared/PRODUCT.md, "Matching"): a document-key hit is strong, a
name-key hit is possible; a partition whose ban ended in an earlier year than
today's is not consulted. Portable (MicroPython).
"""

NONE = "none"
POSSIBLE = "possible"
STRONG = "strong"


class Match:
    """The outcome; ``ban_end_year`` is None when the record gives no end date."""

    __slots__ = ("kind", "ban_end_year")

    def __init__(self, kind, ban_end_year=None):
        self.kind = kind
        self.ban_end_year = ban_end_year

    @property
    def found(self):
        return self.kind != NONE

    def __repr__(self):
        return "Match(%s, ban_end_year=%r)" % (self.kind, self.ban_end_year)

    def to_dict(self):
        return {"kind": self.kind, "ban_end_year": self.ban_end_year}


def _hits(probes, partitions, year):
    """End years of the partitions any probe hits (0 = no end date given)."""
    ends = []
    for part in partitions:
        end = part.end_year
        if end and year is not None and end < year:
            continue
        for key in probes:
            if part.contains(key):
                ends.append(end)
                break
    return ends


def _ban_end(ends):
    if 0 in ends:
        return None
    return max(ends)


def match_probes(document_probes, name_probes, partitions, year=None):
    """Strong if any document probe hits, else possible if any name probe hits."""
    ends = _hits(document_probes, partitions, year)
    if ends:
        return Match(STRONG, _ban_end(ends))
    ends = _hits(name_probes, partitions, year)
    if ends:
        return Match(POSSIBLE, _ban_end(ends))
    return Match(NONE)

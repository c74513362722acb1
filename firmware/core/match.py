"""What a traveller's keys found in the list: none, possible or strong.

Pure: a set is anything with ``find(key)`` (the class index, or -1 when absent) and
``end_years`` (the class's ban-end year, 0 when the list gives none), so the same
policy runs on the kiosk (memory-mapped sets) and on a microcontroller. Policy
(../shared/PRODUCT.md, "Matching"): a document-key hit is strong, a name-key hit is
possible; a hit whose ban ended in an earlier year than today's is not reported.
Portable (MicroPython).
"""

NONE = "none"
POSSIBLE = "possible"
STRONG = "strong"

TYPE_CHECKING = False  # typing is not imported on MicroPython: these names exist for the type checkers only
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Protocol

    class KeySet(Protocol):
        """What matching needs of a set: ``find`` (a class index, -1 when absent) and each class's end year."""

        @property
        def end_years(self) -> "Sequence[int]": ...

        def find(self, key: str) -> int: ...


class Match:
    """The outcome; ``ban_end_year`` is None when the record gives no end date;
    ``lookups`` is how many lookups it took (for the benchmarks)."""

    __slots__ = ("kind", "ban_end_year", "lookups")

    def __init__(self, kind: str, ban_end_year: "int | None" = None, lookups: int = 0) -> None:
        self.kind = kind
        self.ban_end_year = ban_end_year
        self.lookups = lookups

    @property
    def found(self) -> bool:
        """Whether anything matched (possible or strong): the screens' first question."""
        return self.kind != NONE

    def __repr__(self) -> str:
        return "Match(%s, ban_end_year=%r)" % (self.kind, self.ban_end_year)

    def to_dict(self) -> "dict[str, object]":
        """The outcome as JSON fields, without the key: for tools and logs."""
        return {"kind": self.kind, "ban_end_year": self.ban_end_year}


def _hits(probes: "list[str]", keyset: "KeySet | None", year: "int | None") -> "list[int]":
    """End years of the current records any probe hits (0 = no end date given)."""
    ends = []  # type: list[int]
    if keyset is None:
        return ends
    years = keyset.end_years
    for key in probes:
        code = keyset.find(key)
        if code < 0:
            continue
        # a damaged class byte must not crash the kiosk: treat it as "no end date given"
        end = years[code] if code < len(years) else 0
        if end and year is not None and end < year:
            continue
        ends.append(end)
    return ends


def _ban_end(ends: "list[int]") -> "int | None":
    if 0 in ends:
        return None
    return max(ends)


def match_probes(document_probes: "list[str]", name_probes: "list[str]", documents: "KeySet | None",
                 names: "KeySet | None", year: "int | None" = None) -> Match:
    """Strong if any document probe hits, else possible if any name probe hits."""
    ends = _hits(document_probes, documents, year)
    if ends:
        return Match(STRONG, _ban_end(ends), len(document_probes))
    ends = _hits(name_probes, names, year)
    lookups = len(document_probes) + len(name_probes)
    if ends:
        return Match(POSSIBLE, _ban_end(ends), lookups)
    return Match(NONE, None, lookups)

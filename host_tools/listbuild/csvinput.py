"""Reading the official list: encodings, headers in Russian or English, and a reason for every bad row.

Columns (docs/list-format.md): surname, given names, patronymic (optional), birth
date (DD.MM.YYYY or YYYY-MM-DD; unknown day or month as 00, XX or ??), nationality
(default TJK), document number, ban end date, record reference (all optional).

No one is dropped silently: a header that does not name the columns stops the
read (``ListFileError``, listing the expected and the found columns), a header
cell that names no known column too (unless the caller ignores it by name), and
every bad row gets a ``RowError`` (line, field, reason). Reasons never quote the
cell's content: they end up in logs and reports, and the content is personal data.
A row that reads but could never match a passport (``namecheck``: a letter lost to
``?``, a Latin look-alike in a Cyrillic word, a NUL) is rejected the same way; its
reason names the one wrong character, by code point, so the official can find it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from firmware.core.keys import birth_key, entry_keys
from firmware.core.translit import fold
from host_tools.listbuild.namecheck import invisible_character, name_problem

COLUMNS = ("surname", "given_names", "patronymic", "birth_date", "nationality",
           "document_number", "ban_end", "reference")
REQUIRED = ("surname", "given_names", "birth_date")

# header text (lowercase, spaces/underscores collapsed) -> column
HEADER_ALIASES = {
    "surname": "surname", "last name": "surname", "family name": "surname", "фамилия": "surname",
    "given names": "given_names", "given name": "given_names", "first name": "given_names", "name": "given_names",
    "имя": "given_names",
    "patronymic": "patronymic", "middle name": "patronymic", "отчество": "patronymic",
    "birth date": "birth_date", "date of birth": "birth_date", "dob": "birth_date", "дата рождения": "birth_date",
    "nationality": "nationality", "citizenship": "nationality", "гражданство": "nationality",
    "document number": "document_number", "passport number": "document_number", "passport": "document_number",
    "номер документа": "document_number", "номер паспорта": "document_number", "паспорт": "document_number",
    "ban end": "ban_end", "ban end date": "ban_end", "ban until": "ban_end",
    "дата окончания запрета": "ban_end", "запрет до": "ban_end", "срок запрета до": "ban_end",
    "reference": "reference", "record reference": "reference", "record": "reference",
    "номер записи": "reference", "ссылка": "reference",
}

_ISO = re.compile(r"^(\d{4}|XXXX|\?\?\?\?)-(\d{2}|XX|\?\?)-(\d{2}|XX|\?\?)$")
_DMY = re.compile(r"^(\d{1,2}|XX|\?\?)\.(\d{1,2}|XX|\?\?)\.(\d{4}|XXXX|\?\?\?\?)$")
_YEAR = re.compile(r"^\d{4}$")
_NATIONALITY = re.compile(r"^[A-Z]{3}$|^D$")
_NUMBER = re.compile(r"^[A-Z0-9 -]{1,20}$")

# Bounds that keep the memory of a read small whatever the file holds (issue 22, item 10): a field
# (a name, a date, a reference) is a few dozen characters; a row of them, a few hundred.
MAX_FIELD_CHARS = 131_072  # Python's csv default, set here on purpose: a quoted field may span lines
MAX_LINE_CHARS = 1 << 20
CHUNK_BYTES = 1 << 20


class ListFileError(Exception):
    """The file as a whole cannot be read (encoding, header)."""

    def __init__(self, reason: str, path: str, line: int | None = None, offset: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.path, self.line, self.offset = reason, path, line, offset

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f", line {self.line}"
        if self.offset is not None:
            where += f", byte {self.offset}"
        return f"{where}: {self.reason}"


@dataclass
class RowError:
    line: int
    field: str | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field + ': ' if self.field else ''}{self.reason}"


@dataclass
class Entry:
    """One accepted row, reduced to what the keys need."""
    line: int
    surname: str
    given_names: str
    nationality: str
    document_number: str
    birth: str  # YYMMDD with '<<'
    ban_end: dt.date | None

    @property
    def end_year(self) -> int:
        """The ban-end year the filter stores (0 when the list gives none)."""
        return self.ban_end.year if self.ban_end else 0

    def keys(self) -> tuple[list[str], list[str]]:
        """(document keys, name keys) the builder inserts for this entry."""
        return entry_keys(self.surname, self.given_names, self.nationality, self.document_number, self.birth)


@dataclass
class ReadResult:
    encoding: str
    entries: list[Entry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    duplicates: int = 0
    header: bool = False  # False: no header row, the documented column order was used
    ignored_columns: list[str] = field(default_factory=list)  # header names left out as asked
    warnings: list[str] = field(default_factory=list)  # file-level, no personal data

    def summary(self) -> dict[str, object]:
        """Counts for the build report: rows read, accepted, rejected, duplicates."""
        return {"encoding": self.encoding, "rows_read": self.rows, "accepted": len(self.entries),
                "rejected": len(self.errors), "duplicates": self.duplicates}


def detect_encoding(stream: BinaryIO, path: str) -> tuple[str, int]:
    """The encoding of the list (UTF-8, with or without BOM, else Windows-1251) and where its text starts
    (after a BOM), from one pass over ``stream`` in chunks: a file of any size takes a chunk of memory."""
    head = stream.read(3)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ListFileError("UTF-16 is not supported; save the list as UTF-8 or Windows-1251", path, offset=0)
    bom = head == b"\xef\xbb\xbf"
    start = 3 if bom else 0
    stream.seek(start)
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_error: int | None = None
    cp1251_error: int | None = None  # Windows-1251 leaves one byte, 0x98, undefined
    at = start
    while chunk := stream.read(CHUNK_BYTES):
        if utf8_error is None:
            pending = len(utf8.getstate()[0])
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError as e:
                utf8_error = at - pending + e.start
        if cp1251_error is None and (bad := chunk.find(b"\x98")) >= 0:
            cp1251_error = at + bad
        at += len(chunk)
    if utf8_error is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_error = at - len(utf8.getstate()[0])
    stream.seek(start)
    if utf8_error is None:
        return ("utf-8-sig" if bom else "utf-8"), start
    if bom:
        raise ListFileError("invalid UTF-8 after a UTF-8 byte-order mark", path, offset=utf8_error)
    if cp1251_error is not None:
        raise ListFileError("neither UTF-8 nor Windows-1251", path, offset=cp1251_error)
    return "windows-1251", start


def parse_date(text: str, allow_unknown: bool) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) with None for unknown parts; raises ValueError with a reason.

    The reason does not quote ``text``: for a birth date that would be personal data.
    """
    t = text.strip().upper()
    if _YEAR.match(t) and allow_unknown:
        return int(t), None, None
    m = _ISO.match(t)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
    else:
        m = _DMY.match(t)
        if not m:
            raise ValueError("not DD.MM.YYYY or YYYY-MM-DD")
        d, mo, y = m.group(1), m.group(2), m.group(3)

    def part(s: str) -> int | None:
        return None if not s.isdigit() or int(s) == 0 else int(s)

    year, month, day = part(y), part(mo), part(d)
    if not allow_unknown and None in (year, month, day):
        raise ValueError("must be a full date")
    if year is None:
        raise ValueError("the year must be known")
    if month is not None and not 1 <= month <= 12:
        raise ValueError("the month is not 01 to 12")
    if day is not None and month is None:
        raise ValueError("a day with an unknown month")
    if day is not None and month is not None:
        try:
            dt.date(year, month, day)
        except ValueError:
            raise ValueError("not a calendar date") from None
    return year, month, day


def normalise_header(cell: str) -> str:
    """A header cell as it is looked up: lower case, ``_`` read as a space, spaces collapsed."""
    return " ".join(cell.strip().lower().replace("_", " ").split())


def expected_columns() -> str:
    """The known columns with every accepted header name, Russian first (for messages)."""
    lines = []
    for col in COLUMNS:
        names = [n for n, c in HEADER_ALIASES.items() if c == col]
        names.sort(key=lambda n: (n.isascii(), list(HEADER_ALIASES).index(n)))
        required = " (required)" if col in REQUIRED else ""
        lines.append(f"    {col}{required}: " + " | ".join(f'"{n}"' for n in names))
    return ("expected columns, in any order (a header row is required; names are case-insensitive, "
            "\"_\" reads as a space):\n" + "\n".join(lines))


def _found(row: list[str]) -> str:
    return "found columns: " + ", ".join(f'"{c.strip()}"' if c.strip() else "(empty)" for c in row)


@dataclass
class _Layout:
    """Where the columns are: ``cols`` by name, ``width`` cells in all, and the
    positions whose header cell is empty (a value there is a reject, not ignored)."""
    cols: dict[str, int]
    width: int
    unnamed: list[int] = field(default_factory=list)


HEADERLESS = _Layout({c: i for i, c in enumerate(COLUMNS)}, len(COLUMNS))


def _map_header(row: list[str], path: str, line: int, require_header: bool, ignore: set[str],
                result: ReadResult) -> _Layout | None:
    """The layout if ``row`` is a header; None for a header-less file (only when allowed).

    A first row with no known column name is a header-less file's first record when
    it holds a digit (every record has a birth year) and is then not quoted in the
    message; without a digit it cannot be a record, so it is a header whose names are
    all unknown, and its cells are shown.
    """
    names = [normalise_header(c) for c in row]
    if not any(n in HEADER_ALIASES for n in names):
        if any(ch.isdigit() for cell in row for ch in cell):
            if not require_header:
                return None
            raise ListFileError(
                "no header row: a header row naming the columns is required. This line names no known "
                "column and holds digits, like a record, so its cells are not shown.\n" + expected_columns(),
                path, line=line)
        raise ListFileError(
            "the first row is not a header: none of its cells names a known column (a header row is required).\n"
            + _found(row) + "\n" + expected_columns(), path, line=line)
    cols: dict[str, int] = {}
    unknown: list[str] = []
    layout = _Layout(cols, len(row))
    for i, name in enumerate(names):
        if not name:
            layout.unnamed.append(i)
        elif name in ignore:
            result.ignored_columns.append(name)
        elif name not in HEADER_ALIASES:
            unknown.append(row[i].strip())
        else:
            col = HEADER_ALIASES[name]
            if col in cols:
                raise ListFileError(f"column {col!r} appears twice in the header\n" + _found(row), path, line=line)
            cols[col] = i
    if unknown:
        raise ListFileError(
            "the header names columns that are not known: " + ", ".join(f'"{u}"' for u in unknown)
            + ". A column left unread could hold what the list needs (a misspelt passport number column would "
            "lose every document key), so rename it to an expected name, or leave it out explicitly with "
            "--ignore-column NAME.\n" + _found(row) + "\n" + expected_columns(), path, line=line)
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise ListFileError(f"the header lacks the required columns: {', '.join(missing)}\n"
                            + _found(row) + "\n" + expected_columns(), path, line=line)
    return layout


def read_list(data: bytes, path: str, list_date: dt.date, *, require_header: bool = False,
              ignore_columns: Iterable[str] = ()) -> ReadResult:
    """``read_list_stream`` over a list already in memory (tests, the demo's built-in list)."""
    return read_list_stream(io.BytesIO(data), path, list_date, require_header=require_header,
                            ignore_columns=ignore_columns)


def read_list_file(path: Path, list_date: dt.date, *, require_header: bool = False,
                   ignore_columns: Iterable[str] = ()) -> ReadResult:
    """``read_list_stream`` over a file, read in chunks (``safar list build``): never held whole."""
    with path.open("rb") as stream:
        return read_list_stream(stream, str(path), list_date, require_header=require_header,
                                ignore_columns=ignore_columns)


def read_list_stream(stream: BinaryIO, path: str, list_date: dt.date, *, require_header: bool = False,
                     ignore_columns: Iterable[str] = ()) -> ReadResult:
    """Every accepted entry and every rejected row of the list in ``stream`` (seekable, binary).

    ``require_header`` (``safar list build`` sets it) refuses a file without a header
    row; otherwise such a file is read in the documented column order. Header cells
    named in ``ignore_columns`` (compared as ``normalise_header`` does) are left out;
    any other header cell that is not a known column name stops the read. A line over
    ``MAX_LINE_CHARS`` or a field over ``MAX_FIELD_CHARS`` stops it too, naming the line.
    """
    encoding, start = detect_encoding(stream, path)
    result = ReadResult(encoding)
    ignore = {normalise_header(c) for c in ignore_columns}
    codec = "cp1251" if encoding == "windows-1251" else "utf-8"
    sample = stream.read(4 * 4096).decode(codec, errors="ignore")[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    stream.seek(start)
    text = io.TextIOWrapper(stream, encoding=codec, newline="")
    try:
        _read_rows(csv.reader(_bounded_lines(text, path), delimiter=delimiter), path, list_date, require_header,
                   ignore, result)
    finally:
        text.detach()  # the caller's stream stays open
    for name in sorted(ignore - set(result.ignored_columns)):
        result.warnings.append(f"--ignore-column {name!r}: the header has no such column")
    return result


def _read_rows(reader: Any, path: str, list_date: dt.date, require_header: bool, ignore: set[str],
               result: ReadResult) -> None:
    """Each row of ``reader`` into ``result``: the header, then entries, rejects and duplicates."""
    layout: _Layout | None = None
    seen: dict[tuple[str, ...], Entry] = {}
    end = 0
    for row in _rows(reader, path):
        line, end = end + 1, reader.line_num  # a quoted field may span lines: report where the row starts
        blank = not any(c.strip() for c in row)
        if layout is None:
            if blank:
                continue
            layout = _map_header(row, path, line, require_header, ignore, result)
            if layout is not None:
                result.header = True
                continue
            layout = HEADERLESS
        if blank:
            continue
        result.rows += 1
        entry = _entry(row, layout, line, list_date, result.errors)
        if entry is None:
            continue
        ident = (fold(entry.surname), fold(entry.given_names), entry.birth, entry.nationality,
                 entry.document_number)
        previous = seen.get(ident)
        if previous is not None:
            result.duplicates += 1
            if previous.ban_end is not None and (entry.ban_end is None or entry.ban_end > previous.ban_end):
                previous.ban_end = entry.ban_end  # keep the longer ban
            continue
        seen[ident] = entry
        result.entries.append(entry)


def _bounded_lines(text: io.TextIOBase, path: str) -> Iterator[str]:
    """The lines of ``text``, none read past ``MAX_LINE_CHARS`` (a file that is one endless line
    must not be read whole to find its end)."""
    line_number = 0
    while line := text.readline(MAX_LINE_CHARS + 1):
        line_number += 1
        if len(line) > MAX_LINE_CHARS:
            raise ListFileError(f"a line longer than {MAX_LINE_CHARS:,} characters: not a list row", path,
                                line=line_number)
        yield line


def _rows(reader: Any, path: str) -> Iterator[list[str]]:
    limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        while True:
            start = reader.line_num + 1  # where the next row starts (a quoted field may run over lines)
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                found = "" if reader.line_num == start else f" (found at line {reader.line_num})"
                raise ListFileError(f"unreadable CSV: {e}{found}", path, line=start) from None
            yield row
    finally:
        csv.field_size_limit(limit)


def _entry(row: list[str], layout: _Layout, line: int, list_date: dt.date,
           errors: list[RowError]) -> Entry | None:
    cols = layout.cols
    needed = max(cols[c] for c in REQUIRED) + 1
    if len(row) < needed:
        errors.append(RowError(line, None, f"{len(row)} columns, at least {needed} expected"))
        return None
    if any(c.strip() for c in row[layout.width:]):
        errors.append(RowError(line, None, f"{len(row)} columns, at most {layout.width} expected"))
        return None
    for i in layout.unnamed:
        if i < len(row) and row[i].strip():
            errors.append(RowError(line, f"column {i + 1}", "a value under a column the header does not name"))
            return None

    def get(col: str) -> str:
        i = cols.get(col)
        return row[i].strip() if i is not None and i < len(row) else ""

    for col, i in cols.items():  # the columns read (in header order), not the ignored ones
        invisible = invisible_character(row[i]) if i < len(row) else None  # before strip(), which hides one
        if invisible:
            errors.append(RowError(line, col, invisible))
            return None
    surname, given = get("surname"), get("given_names")
    for col, text in (("surname", surname), ("given_names", given)):
        problem = name_problem(text)
        if problem:
            errors.append(RowError(line, col, problem))
            return None
    if not fold(surname):
        errors.append(RowError(line, "surname", "empty or has no letters"))
        return None
    if not fold(given):
        errors.append(RowError(line, "given_names", "empty or has no letters"))
        return None
    try:
        year, month, day = parse_date(get("birth_date"), allow_unknown=True)
    except ValueError as e:
        errors.append(RowError(line, "birth_date", str(e)))
        return None
    assert year is not None
    if (year, month or 1, day or 1) > (list_date.year, list_date.month, list_date.day) or year < 1900:
        errors.append(RowError(line, "birth_date", "not a plausible birth date (after the list date, or before 1900)"))
        return None
    nationality = (get("nationality") or "TJK").upper()
    if not _NATIONALITY.match(nationality):
        errors.append(RowError(line, "nationality", "not a three-letter ICAO code"))
        return None
    number = get("document_number").upper()
    if number and not _NUMBER.match(number):
        errors.append(RowError(line, "document_number",
                               "only Latin letters, digits, spaces and hyphens are allowed (up to 20)"))
        return None
    ban_end: dt.date | None = None
    if get("ban_end"):
        try:
            y, mo, d = parse_date(get("ban_end"), allow_unknown=False)
        except ValueError as e:
            errors.append(RowError(line, "ban_end", str(e)))
            return None
        assert y is not None and mo is not None and d is not None
        ban_end = dt.date(y, mo, d)
        if ban_end < list_date:
            errors.append(RowError(line, "ban_end", "the ban ended before the list date"))
            return None
    return Entry(line, surname, given, nationality, number.replace(" ", "").replace("-", ""),
                 birth_key(year, month, day), ban_end)

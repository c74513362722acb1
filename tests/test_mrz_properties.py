"""Property and fuzz tests of the MRZ engine (CPython; the portable tests cover MicroPython).

What ICAO's check digits can and cannot see, precisely: a check digit is the weighted
sum (7-3-1) of character values mod 10, and every weight is prime to 10, so a single
substitution inside a covered field is detected unless the old and new values differ
by a multiple of 10 ('<'=0 vs '0'/'A'=10/'K'=20/'U'=30, '1'/'B'/'L'/'V', ...). In
digit-only fields (dates, check digits) the parser also refuses letters, so there
every change is caught. Names are covered by no check digit at all. The property
below asserts exactly that: every single change is detected, or lies in one of those
two blind spots, or is a character its field's type rules out, repaired (and
reported) at that very position; nothing else is ever changed to make a check pass
(tests/test_mrz_no_guess.py).

``mrz.parse`` turns a crash into ``MRZInternalError`` so that the kiosk survives it;
every test here parses through ``_parse``, which lets that through as a failure: a
fuzz test that counted it as a refusal could not fail.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.core import checkdigit, mrz
from firmware.core.keys import document_query_keys
from host_tools.fake_documents import random_document

TODAY = (2026, 11, 23)
FORMATS = list(mrz.FORMATS)


def _parse(data: bytes | str) -> mrz.Document:
    """``mrz.parse``, except that a crash inside it fails the test instead of reading as a refusal."""
    try:
        return mrz.parse(data, today=TODAY)
    except mrz.MRZInternalError as e:
        raise AssertionError(f"the MRZ parser crashed: {e.cause!r}") from e.cause


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str], dict[str, str]]:
    seed = draw(st.integers(0, 2**32))
    fmt = draw(st.sampled_from(FORMATS))
    rng = random.Random(seed)
    overrides: dict[str, str] = {}
    if fmt in ("TD1", "TD2") and draw(st.booleans()):
        overrides["document_number"] = "".join(rng.choice("0123456789ABC") for _ in range(draw(st.integers(10, 12))))
    if draw(st.integers(0, 9)) == 0:
        overrides["birth_date"] = draw(st.sampled_from(["85<<<<", "8503<<", "<<<<<<"]))
    doc = random_document(rng, today=TODAY, fmt=fmt, **overrides)
    fields = {
        "surname": doc.surname, "given_names": doc.given_names, "document_number": doc.document_number,
        "nationality": doc.nationality, "birth_date": doc.birth_date, "expiry_date": doc.expiry_date,
        "sex": doc.sex,
    }
    return fmt, doc.lines, fields


@settings(max_examples=400, deadline=None)
@given(documents())
def test_generate_then_parse_round_trips(case: tuple[str, list[str], dict[str, str]]) -> None:
    fmt, lines, fields = case
    d = _parse("\n".join(lines))
    assert d.valid, d.problems
    assert d.format == fmt
    assert d.repairs == []
    assert d.document_number == fields["document_number"]
    assert d.nationality == fields["nationality"]
    assert d.birth_date.raw == fields["birth_date"] and d.expiry_date.raw == fields["expiry_date"]
    assert d.surname == fields["surname"] and d.given_names == fields["given_names"]
    assert d.sex == fields["sex"]
    assert list(d.lines) == lines


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(documents(), st.data())
def test_single_character_change_is_never_silently_accepted(
    case: tuple[str, list[str], dict[str, str]], data: st.DataObject
) -> None:
    fmt, lines, _ = case
    original = _parse("\n".join(lines))
    line = data.draw(st.integers(0, len(lines) - 1))
    pos = data.draw(st.integers(0, len(lines[0]) - 1))
    old = lines[line][pos]
    new = data.draw(st.sampled_from([c for c in mrz.CHARSET if c != old]))
    changed = list(lines)
    changed[line] = changed[line][:pos] + new + changed[line][pos + 1:]
    try:
        d = _parse("\n".join(changed))
    except mrz.MRZError:
        return  # detected
    if not d.valid:
        return  # detected
    if d.repairs:
        # Only the changed character, and only because its field's type rules it out.
        name, kind = mrz.kind_at(fmt, line, pos)
        assert d.repairs == [{"line": line + 1, "column": pos + 1, "was": new, "now": mrz.forced_repair(new, kind)}]
        if mrz.forced_repair(new, kind) == old:
            # A confusion of the right kind is repaired back to the original.
            assert d.to_dict() | {"repairs": []} == original.to_dict() | {"lines": list(d.lines), "repairs": []}
        return
    # Accepted with no repair: only where ICAO's scheme is blind.
    name, kind = mrz.kind_at(fmt, line, pos)
    blind = (
        name in ("name", "document_code", "issuing_state", "nationality", "sex")
        or (name is not None and name.startswith("optional_data") and fmt in ("MRVA", "MRVB"))
        or (checkdigit.char_value(old) - checkdigit.char_value(new)) % 10 == 0
    )
    assert blind, f"change at line {line + 1} col {pos + 1} ({name}: {old!r}->{new!r}) accepted silently"


@settings(max_examples=300, deadline=None)
@given(documents(), st.data())
def test_confusion_in_a_digit_field_is_repaired_to_the_original(
    case: tuple[str, list[str], dict[str, str]], data: st.DataObject
) -> None:
    fmt, lines, _ = case
    original = _parse("\n".join(lines))
    line = 1 if fmt != "TD1" else 1
    start = 13 if fmt != "TD1" else 0  # the birth date
    pos = data.draw(st.integers(start, start + 5))
    old = lines[line][pos]
    if old not in mrz.DIGIT_TO_LETTER:
        return
    new = mrz.DIGIT_TO_LETTER[old]
    changed = list(lines)
    changed[line] = changed[line][:pos] + new + changed[line][pos + 1:]
    d = _parse("\n".join(changed))
    assert d.valid
    assert d.birth_date.raw == original.birth_date.raw
    assert {"line": line + 1, "column": pos + 1, "was": new, "now": old} in d.repairs


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_fuzz_random_input_raises_only_mrz_error(data: bytes | str) -> None:
    try:
        _parse(data)
    except mrz.MRZError as e:
        assert e.reason
        assert e.line is None or e.line >= 1


_EDIT_CHARS = list(mrz.CHARSET) + ["\n", " ", "\x00", "é"]


@settings(max_examples=1000, deadline=None)
@given(documents(), st.lists(st.tuples(st.integers(0, 131), st.sampled_from(_EDIT_CHARS), st.booleans()), max_size=6))
def test_fuzz_mutated_zones_raise_only_mrz_error(
    case: tuple[str, list[str], dict[str, str]], edits: list[tuple[int, str, bool]]
) -> None:
    # Characters replaced keep the zone's shape, so the fuzz reaches the checks and the
    # fields of every format; characters inserted test the shape rules.
    text = "\n".join(case[1])
    for at, c, insert in edits:
        at %= len(text) + 1
        text = text[:at] + c + text[at + (0 if insert else 1):]
    try:
        d = _parse(text)
        d.to_dict()
    except mrz.MRZError:
        pass


# -- what real documents print: warnings, not refusals -------------------------------------

# Every warning the parser gives: fixed words that name a field, never its content.
WARNINGS = {
    "expiry_date: partly unknown",
    "sex: 'X' read as unspecified",
    "name: truncated to fit the zone",
    "name: no primary identifier; the kiosk matches on the document key alone",
    "nationality: not given ('<<<'); the document key carries the issuing state",
    "issuing_state: not a code of ICAO Doc 9303 Part 3",
    "nationality: not a code of ICAO Doc 9303 Part 3",
}
ISO_AND_PART_3 = ["TJK", "UZB", "MAC", "HKG", "D<<", "EUE", "UNO", "UNA", "UNK", "XOM", "XXA", "XXB", "XXC", "XXX",
                  "UTO", "GBN"]


def _put(lines: list[str], fmt: str, field: str, text: str) -> list[str]:
    """``lines`` with ``text`` written over ``field`` (a field no check digit covers)."""
    span = mrz.field_span(fmt, field)
    assert span is not None
    line, start, end = span
    out = list(lines)
    out[line] = out[line][:start] + (text + "<" * (end - start))[:end - start] + out[line][end:]
    return out


@settings(max_examples=300, deadline=None)
@given(documents(), st.one_of(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
                              st.sampled_from(ISO_AND_PART_3)), st.booleans())
def test_any_letter_code_is_read_and_only_codes_off_part_3_warn(
    case: tuple[str, list[str], dict[str, str]], code: str, as_issuer: bool
) -> None:
    fmt, lines, _ = case
    field = "issuing_state" if as_issuer else "nationality"
    d = _parse("\n".join(_put(lines, fmt, field, code)))
    assert d.valid, d.problems
    assert getattr(d, field) == code
    warned = f"{field}: not a code of ICAO Doc 9303 Part 3" in d.warnings
    assert warned == (not mrz.is_known_code(code))
    assert set(d.warnings) <= WARNINGS


@settings(max_examples=200, deadline=None)
@given(documents())
def test_a_blank_nationality_is_read_and_keyed_under_the_issuing_state(
    case: tuple[str, list[str], dict[str, str]]
) -> None:
    fmt, lines, _ = case
    d = _parse("\n".join(_put(lines, fmt, "nationality", "<<<")))
    assert d.valid, d.problems
    assert d.nationality == "<<<"
    assert "nationality: not given ('<<<'); the document key carries the issuing state" in d.warnings
    documents_probes, _ = document_query_keys(d)
    assert documents_probes or d.birth_date.year is None  # without a year of birth nothing is looked up
    assert all(p.startswith("D|" + d.issuing_state.rstrip("<") + "|") for p in documents_probes)


@settings(max_examples=200, deadline=None)
@given(documents())
def test_a_zone_without_a_surname_is_read_and_matched_on_its_document_alone(
    case: tuple[str, list[str], dict[str, str]]
) -> None:
    fmt, lines, fields = case
    span = mrz.field_span(fmt, "name")
    assert span is not None
    single = mrz.name_field("", fields["given_names"], span[2] - span[1])
    d = _parse("\n".join(_put(lines, fmt, "name", single)))
    assert d.valid, d.problems
    assert d.surname == "" and d.given_name_parts
    assert "name: no primary identifier; the kiosk matches on the document key alone" in d.warnings
    documents_probes, name_probes = document_query_keys(d)
    assert name_probes == [] and (documents_probes or d.birth_date.year is None)
    # and the same zone with no name at all is refused
    assert not _parse("\n".join(_put(lines, fmt, "name", ""))).valid

"""The official list in, a bundle out, and the bundle back on a kiosk: every bad row and bad file named."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_list_cli import run_cli

from firmware.banlist import BanList, BundleError, unpack_bundle
from firmware.core.mrz import generate
from host_tools.listbuild.bundle import write_bundle
from host_tools.listbuild.csvinput import ListFileError, read_list
from host_tools.listbuild.namecheck import LOOK_ALIKES, name_problem

LIST_DATE = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 11, 23)

GOOD = """surname,given_names,patronymic,birth_date,nationality,document_number,ban_end,reference
Қодиров,Ҷамшед,Раҳимович,14.03.1990,TJK,400123456,01.06.2029,R-1
Ҳасанов,Фаррух,,00.00.1985,,,,R-2
Юсупова,Гулнора,,1993-07-21,TJK,,2027-12-31,R-3
Smith,John,,1970-01-02,GBR,123456789,,R-4
"""


def test_reads_utf8_bom_and_windows_1251_alike() -> None:
    plain = read_list(GOOD.encode("utf-8"), "l.csv", LIST_DATE)
    bom = read_list(b"\xef\xbb\xbf" + GOOD.encode("utf-8"), "l.csv", LIST_DATE)
    # Windows-1251 has no Tajik letters; officials' 1251 files use Russian spellings
    tajik: dict[str, str | int | None] = {"Қ": "К", "Ҷ": "Дж", "Ҳ": "Х", "ҳ": "х", "қ": "к", "ҷ": "дж"}
    russian = GOOD.translate(str.maketrans(tajik))
    cp = read_list(russian.encode("cp1251"), "l.csv", LIST_DATE)
    assert (plain.encoding, bom.encoding, cp.encoding) == ("utf-8", "utf-8-sig", "windows-1251")
    for r in (plain, bom, cp):
        assert r.summary()["accepted"] == 4 and not r.errors
    assert [e.keys() for e in plain.entries] == [e.keys() for e in bom.entries]
    # Russian spelling of the same people gives the same name keys
    assert [e.keys()[1] for e in plain.entries] == [e.keys()[1] for e in cp.entries]


def test_russian_headers_semicolons_and_no_header() -> None:
    ru = ("Фамилия;Имя;Дата рождения;Номер паспорта;Срок запрета до\n"
          "Қодиров;Ҷамшед;14.03.1990;400123456;01.06.2029\n")
    r = read_list(ru.encode(), "ru.csv", LIST_DATE)
    assert not r.errors and r.entries[0].document_number == "400123456"
    assert r.entries[0].ban_end == dt.date(2029, 6, 1) and r.entries[0].nationality == "TJK"
    bare = "Қодиров,Ҷамшед,,14.03.1990,TJK,400123456,,\n"
    r2 = read_list(bare.encode(), "bare.csv", LIST_DATE)
    assert not r2.errors and r2.entries[0].keys() == r.entries[0].keys()


BAD_ROWS = [
    ("Қодиров,Ҷамшед", None, "columns"),
    (",Ҷамшед,,14.03.1990,TJK,,,", "surname", "empty"),
    ("Қодиров,,,14.03.1990,TJK,,,", "given_names", "empty"),
    ("Қодиров,Ҷамшед,,31.02.1990,TJK,,,", "birth_date", "calendar"),
    ("Қодиров,Ҷамшед,,1990/03/14,TJK,,,", "birth_date", "DD.MM.YYYY"),
    ("Қодиров,Ҷамшед,,00.00.0000,TJK,,,", "birth_date", "year"),
    ("Қодиров,Ҷамшед,,14.13.1990,TJK,,,", "birth_date", "month"),
    ("Қодиров,Ҷамшед,,14.03.2030,TJK,,,", "birth_date", "plausible"),
    ("Қодиров,Ҷамшед,,14.03.1990,TAJ1,,,", "nationality", "ICAO"),
    ("Қодиров,Ҷамшед,,14.03.1990,TJK,№40012,,", "document_number", "Latin"),
    ("Қодиров,Ҷамшед,,14.03.1990,TJK,,2029,", "ban_end", "DD.MM.YYYY"),
    ("Қодиров,Ҷамшед,,14.03.1990,TJK,,01.01.2020,", "ban_end", "before the list date"),
    ("Қодиров,Ҷамшед,,14.03.1990,TJK,,,,extra,columns", None, "columns"),
]


@pytest.mark.parametrize("row,field,words", BAD_ROWS)
def test_every_bad_row_kind_is_reported_with_its_line(row: str, field: str | None, words: str) -> None:
    text = GOOD + row + "\n" + "Алиев,Рустам,,02.02.1992,TJK,,,\n"
    r = read_list(text.encode(), "l.csv", LIST_DATE)
    assert len(r.errors) == 1, r.errors
    err = r.errors[0]
    assert err.line == 6 and err.field == field and words in err.reason, err
    assert len(r.entries) == 5  # the rows after the bad one still count


# Rows that read but could never match a passport (issue 12, item 5): each is rejected with
# its line, its column and the one wrong character, by code point.
NEVER_MATCHING_ROWS = [
    # a spreadsheet saved the file as Windows-1251, which has no Қ: "?одиров" would key ODIROV
    ("?одиров,Фирдавс,,15.05.1990,TJK,,,", "surname", "'?' (U+003F QUESTION MARK): a letter lost"),
    ("Қодиров,Фирдав\ufffd,,15.05.1990,TJK,,,", "given_names", "U+FFFD REPLACEMENT CHARACTER"),
    # Latin letters typed into Cyrillic words (Kодиров;Фирдавc): c is C, not the S of с
    ("Kодиров,Фирдавс,,15.05.1990,TJK,,,", "surname",
     "Latin letter 'K' (U+004B LATIN CAPITAL LETTER K) among Cyrillic letters in one word"),
    ("Кодиров,Фирдавc,,15.05.1990,TJK,,,", "given_names",
     "'c' (U+0063 LATIN SMALL LETTER C) among Cyrillic letters in one word (it looks like Cyrillic "
     "'с' (U+0441 CYRILLIC SMALL LETTER ES))"),
    # a look-alike that keys the same (Latin o for о) is refused all the same: the cell was typed wrongly
    ("Кодирoв,Фирдавс,,15.05.1990,TJK,,,", "surname", "Latin letter 'o' (U+006F"),
    ("Smіth,John,,1970-01-02,GBR,,,", "surname", "Cyrillic letter 'і' (U+0456"),  # Ukrainian і among Latin
    ("Кοдиров,Фирдавс,,15.05.1990,TJK,,,", "surname", "GREEK SMALL LETTER OMICRON) is neither"),
    ("Кодир0в,Фирдавс,,15.05.1990,TJK,,,", "surname", "digit '0' (U+0030 DIGIT ZERO)"),
    ("Łukasz,Jan,,15.05.1990,POL,,,", "surname", "'Ł' (U+0141 LATIN CAPITAL LETTER L WITH STROKE) has no"),
    # control and format characters, in any column, also where strip() would have hidden them
    ("Қоди\x00ров,Фирдавс,,15.05.1990,TJK,,,", "surname", "control character U+0000"),
    ("Қодиров\x1f,Фирдавс,,15.05.1990,TJK,,,", "surname", "control character U+001F"),
    ("Қодиров,Фир\u200bдавс,,15.05.1990,TJK,,,", "given_names",
     "invisible format character U+200B ZERO WIDTH SPACE"),
    ("Қодиров,Фирдавс,Ҳасан\x00,15.05.1990,TJK,,,R-1", "patronymic", "control character U+0000"),
    ("Қодиров,Фирдавс,,15.05.1990,TJK,,,R\x001", "reference", "control character U+0000"),
]


@pytest.mark.parametrize("row,field,words", NEVER_MATCHING_ROWS)
def test_rows_that_could_never_match_are_rejected_naming_the_character(row: str, field: str, words: str) -> None:
    text = GOOD + row + "\n" + "Алиев,Рустам,,02.02.1992,TJK,,,\n"
    r = read_list(text.encode(), "l.csv", LIST_DATE)
    assert [(e.line, e.field) for e in r.errors] == [(6, field)], r.errors
    assert words in r.errors[0].reason, r.errors[0]
    assert len(r.entries) == 5


def test_a_windows_1251_file_with_a_lost_tajik_letter_is_refused() -> None:
    # What a spreadsheet writes when it saves Қодиров as Windows-1251: the byte of '?'
    data = "Фамилия;Имя;Дата рождения\nКаримов;Фирдавс;15.05.1990\n".encode("cp1251")
    data += "Қодиров;Фирдавс;15.05.1990\n".encode("cp1251", errors="replace")
    r = read_list(data, "l.csv", LIST_DATE)
    assert r.encoding == "windows-1251" and len(r.entries) == 1
    assert [str(e) for e in r.errors] == [
        "line 3: surname: '?' (U+003F QUESTION MARK): a letter lost when the file was saved in an encoding that "
        "lacks it (Windows-1251 has no Қ Ҷ Ҳ Ғ Ӣ Ӯ); save the list as UTF-8 from the original"]


@pytest.mark.parametrize("row", [
    "Qodirov,Firdavs,,15.05.1990,TJK,,,",          # wholly Latin
    "Gʻafurov,Maʼruf,,15.05.1990,UZB,,,",           # Uzbek apostrophes
    "Абдулло-Zade,Ҷамшед,,15.05.1990,TJK,,,",       # one script per word
    "Қодиров,Фирдавс,,??.??.1990,TJK,,,",           # '?' in a date is an unknown part, not a lost letter
    "Хусеи\u0306нов,Ёдгор,,15.05.1990,TJK,,,",      # Й typed as И + combining breve
])
def test_single_script_names_are_accepted(row: str) -> None:
    r = read_list((GOOD + row + "\n").encode(), "l.csv", LIST_DATE)
    assert not r.errors and len(r.entries) == 5, r.errors


def test_a_line_break_in_an_ignored_column_is_not_a_reject() -> None:
    text = 'Фамилия;Имя;Дата рождения;Примечание\nҚодиров;Фирдавс;15.05.1990;"две\nстроки"\n'
    r = read_list(text.encode(), "l.csv", LIST_DATE, ignore_columns=["примечание"])
    assert not r.errors and len(r.entries) == 1, r.errors


_CYRILLIC_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяғӣқӯҳҷАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯҒӢҚӮҲҶ"
_LATIN_LOOK_ALIKES = "".join(c for c in LOOK_ALIKES if c.isascii())


@given(st.text(_CYRILLIC_LETTERS, min_size=1, max_size=15), st.integers(0, 15), st.sampled_from(_LATIN_LOOK_ALIKES))
def test_a_latin_look_alike_anywhere_in_a_cyrillic_word_is_named(word: str, at: int, latin: str) -> None:
    assert name_problem(word) is None
    assert name_problem(word.upper() + " " + "".join(sorted(set(_LATIN_LOOK_ALIKES)))) is None  # one script a word
    at = min(at, len(word))
    mixed = word[:at] + latin + word[at:]
    problem = name_problem(mixed)
    assert problem is not None and f"'{latin}' (U+{ord(latin):04X}" in problem, problem


def test_duplicates_are_counted_and_keep_the_longer_ban() -> None:
    text = GOOD + "Кодиров,Джамшед,,14.03.1990,TJK,400123456,01.06.2031,R-9\n"
    r = read_list(text.encode(), "l.csv", LIST_DATE)
    assert r.summary() == {"encoding": "utf-8", "rows_read": 5, "accepted": 4, "rejected": 0, "duplicates": 1}
    assert r.entries[0].ban_end == dt.date(2031, 6, 1)


def test_unreadable_files_say_where() -> None:
    with pytest.raises(ListFileError, match="byte 6"):
        read_list(b"\xef\xbb\xbfabc\xff\xfe", "x.csv", LIST_DATE)
    with pytest.raises(ListFileError, match="line 1.*birth_date"):
        read_list(b"surname,given names\nA,B\n", "x.csv", LIST_DATE)


def _bundle(tmp: Path, text: str = GOOD) -> Path:
    r = read_list(text.encode(), "l.csv", LIST_DATE)
    out = tmp / "bundle"
    write_bundle(r.entries, out, list_version=7, list_date=LIST_DATE, valid_until=dt.date(2027, 5, 20),
                 deployment="test")
    return out


def test_bundle_round_trip_and_matches(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    man = unpack_bundle(b, tmp_path / "installed")
    assert man.list_version == 7 and [s.kind for s in man.sets] == ["document", "name"]
    assert man.set_of("name").end_years == [0, 2027, 2029]
    with BanList.open(tmp_path / "installed", verify_hashes=True) as bl:
        assert bl.self_test() == []
        assert bl.match_fields("QODIROV", "JAMSHED", "TJK", "400123456", "900314", TODAY).kind == "strong"
        m = bl.match_fields("KODIROV", "DZHAMSHED", "TJK", "999", "900314", TODAY)
        assert (m.kind, m.ban_end_year) == ("possible", 2029)
        m = bl.match_fields("KHASANOV", "FARRUKH", "TJK", None, "850101", TODAY)
        assert (m.kind, m.ban_end_year) == ("possible", None)
        assert bl.match_fields("KHASANOV", "FARRUKH", "TJK", None, "860101", TODAY).kind == "none"
        # a ban that ended in 2027 is no longer reported in 2028
        assert bl.match_fields("IUSUPOVA", "GULNORA", "TJK", None, "930721", dt.date(2028, 1, 2)).kind == "none"
        assert bl.match_fields("YUSUPOVA", "GULNORA", "TJK", None, "930721", TODAY).kind == "possible"


def _expand_error(tmp_path: Path, b: Path) -> BundleError:
    with pytest.raises(BundleError) as e:
        unpack_bundle(b, tmp_path / "dest")
    return e.value


def _edit_manifest(b: Path, edit) -> None:  # type: ignore[no-untyped-def]
    man = json.loads((b / "manifest.json").read_text())
    edit(man)
    (b / "manifest.json").write_text(json.dumps(man))


def test_oversized_declaration_is_refused_up_front(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    _edit_manifest(b, lambda man: man["sets"][0].__setitem__("size", 5 << 30))
    err = _expand_error(tmp_path, b)
    assert "limit" in err.reason and not (tmp_path / "dest").exists()


@pytest.mark.parametrize("damage,words", [
    ("truncate", "truncated"),
    ("flip", "sha256"),
    ("append", "oversized"),
])
def test_damaged_set_files_are_refused(tmp_path: Path, damage: str, words: str) -> None:
    b = _bundle(tmp_path)
    f = b / "names.gcs"
    data = bytearray(f.read_bytes())
    if damage == "truncate":
        data = data[:-5]
    elif damage == "append":
        data += b"xx"
    else:
        data[-2] ^= 0x10  # a remainder bit: still a well-formed set, but not the signed one
    f.write_bytes(bytes(data))
    err = _expand_error(tmp_path, b)
    assert words in str(err), err


@pytest.mark.parametrize("field,value,words", [
    ("format_version", 1, "format version"),
    ("hash_scheme", "md5", "hash scheme"),
    ("salt", "zz", "salt"),
    ("list_date", "yesterday", "ISO date"),
    ("canaries", [], "canaries"),
])
def test_bad_manifest_fields_are_named(tmp_path: Path, field: str, value: object, words: str) -> None:
    b = _bundle(tmp_path)
    _edit_manifest(b, lambda man: man.__setitem__(field, value))
    err = _expand_error(tmp_path, b)
    assert err.field == field and words in err.reason, err


def test_cli_build_inspect_check(tmp_path: Path) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text(GOOD + "Bad,Row,,31.02.1990,TJK,,,\n", encoding="utf-8")
    out = tmp_path / "b"
    code, _, stderr = run_cli("build", str(csv), "-o", str(out), "--list-date", "2026-11-01", "--quiet")
    assert code == 1 and not out.exists() and "line 6: birth_date" in stderr  # a rejected row: no bundle
    code, stdout, stderr = run_cli("build", str(csv), "-o", str(out), "--list-date", "2026-11-01", "--quiet",
                                   "--accept-rejects")
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (5, 4, 1)
    assert "line 6: birth_date" in stderr
    code, stdout, _ = run_cli("inspect", str(out), "--json")
    info = json.loads(stdout)
    assert code == 0 and info["records"] == 4 and info["rejected_rows"] == 1 and len(info["sets"]) == 2
    for answer, budget in (("strong", 1e-7), ("possible", 1e-6)):
        bound = info["false_alarm"][answer]
        assert bound["budget"] == budget and budget * 0.99 < bound["per_traveller_bound"] <= budget
        assert bound["per_traveller_bound"] == bound["per_lookup_bound"] * bound["worst_lookups"]
    code, stdout, _ = run_cli("inspect", str(out))
    assert code == 0 and "x 379 lookups" in stdout and "within the budget of 1e-07" in stdout
    code, stdout, _ = run_cli("check", str(out), "--surname", "Qodirov", "--given-names", "Jamshed",
                              "--birth-date", "14.03.1990", "--today", "2026-11-23")
    assert code == 3 and stdout.startswith("possible match") and "2029" in stdout
    mrz = "\n".join(generate("TD3", "P", "TJK", "QODIROV", "JAMSHED", "400123456", "TJK", "900314", "M", "310101"))
    code, stdout, _ = run_cli("check", str(out), "--today", "2026-11-23", stdin=mrz)
    assert code == 3 and stdout.startswith("strong match")
    misread = mrz[:-44] + mrz[-44:].replace("400123456", "400123356")  # a digit read as another
    code, stdout, stderr = run_cli("check", str(out), "--today", "2026-11-23", stdin=misread)
    assert code == 1 and stdout == "" and "document_number: check digit" in stderr and "read it again" in stderr
    code, stdout, _ = run_cli("check", str(out), "--surname", "Someone", "--given-names", "Else",
                              "--birth-date", "1990-03-14", "--today", "2026-11-23")
    assert code == 0 and stdout.startswith("no match")
    code, _, stderr = run_cli("check", str(out), "--today", "2026-11-23", stdin="garbage")
    assert code == 1 and "MRZ unreadable" in stderr


def test_cli_build_refuses_a_list_with_no_accepted_row(tmp_path: Path) -> None:
    # A broken list file must not become a bundle holding only the canaries.
    csv = tmp_path / "list.csv"
    csv.write_text(GOOD.splitlines()[0] + "\nBad,Row,,31.02.1990,TJK,,,\n", encoding="utf-8")
    out = tmp_path / "b"
    code, _, stderr = run_cli("build", str(csv), "-o", str(out), "--list-date", "2026-11-01", "--quiet")
    assert code == 1 and "no row was accepted" in stderr and "line 2" in stderr
    assert not out.exists()


def test_cli_build_refuses_a_budget_no_set_can_meet(tmp_path: Path) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "b"
    code, _, stderr = run_cli("build", str(csv), "-o", str(out), "--list-date", "2026-11-01", "--quiet",
                              "--false-alarm-strong", "1e-18")
    assert code == 1 and "--false-alarm-strong 1e-18 is too strict" in stderr and not out.exists()
    assert "not written" in (tmp_path / "b.rejects.txt").read_text(encoding="utf-8")


def test_cli_inspect_fails_a_bundle_whose_sets_are_looser_than_its_budget(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    _edit_manifest(b, lambda man: man["false_alarm"].__setitem__("possible_per_traveller", 1e-7))
    code, stdout, _ = run_cli("inspect", str(b))
    assert code == 1 and "OVER the budget of 1e-07" in stdout

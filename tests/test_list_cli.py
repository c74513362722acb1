"""`safar list build` drops no one silently; `safar list check --batch` (issue 10, items 5 and 6).

A rejected row is a person missing from the list, so a build with rejects writes no
bundle unless the official says ``--accept-rejects``; the rejects report is always
written (line, field, reason; never a name or a number); a header that does not name
the columns is fatal. The batch check reads many MRZs, answers one JSON line each, in
order, and never echoes what it read.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from firmware.core.checkdigit import compute
from firmware.core.mrz import generate
from host_tools import list_cli
from host_tools.listbuild.csvinput import ListFileError, read_list

LIST_DATE = dt.date(2026, 11, 1)

HEADER = "surname,given_names,patronymic,birth_date,nationality,document_number,ban_end,reference"
GOOD_ROWS = [
    "Қодиров,Ҷамшед,Раҳимович,14.03.1990,TJK,400123456,01.06.2029,R-1",
    "Ҳасанов,Фаррух,,00.00.1985,,,,R-2",
    "Юсупова,Гулнора,,1993-07-21,TJK,,2027-12-31,R-3",
    "Smith,John,,1970-01-02,GBR,123456789,,R-4",
]
GOOD = HEADER + "\n" + "\n".join(GOOD_ROWS) + "\n"
# Personal data of the bad rows below: none of it may reach stderr, stdout or the report.
BAD_ROWS = [
    ("Саидов,Ҷамшед,,31.02.1989,TJK,,,R-5", ["Саидов", "31.02.1989"]),
    ("Алиев,Шоҳруҳ,,10.10.1995,Tajik,,,R-6", ["Алиев", "Шоҳруҳ", "Tajik", "TAJIK", "10.10.1995"]),
    ("Назаров,Умед,,05.05.1993,,№ 123,,R-7", ["Назаров", "№ 123", "05.05.1993"]),
    ("Исмоилов,Дилшод,,20.01.1980,,,15.01.2026,R-8", ["Исмоилов", "2026-01-15", "15.01.2026"]),
]


def run_cli(*argv: str, stdin: str | bytes = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin if isinstance(stdin, bytes) else stdin.encode()),
                                 encoding="utf-8", newline=None)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = list_cli.main(list(argv))
    finally:
        sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def build(tmp: Path, text: str, *extra: str, name: str = "list.csv") -> tuple[int, str, str, Path]:
    csv = tmp / name
    csv.write_text(text, encoding="utf-8")
    out = tmp / "bundle"
    code, stdout, stderr = run_cli("build", str(csv), "-o", str(out), "--list-date", LIST_DATE.isoformat(),
                                   "--quiet", *extra)
    return code, stdout, stderr, out


def with_bad_rows() -> str:
    return GOOD + "\n".join(row for row, _ in BAD_ROWS) + "\n"


def secrets_of_bad_rows() -> list[str]:
    return [s for _, secret in BAD_ROWS for s in secret]


# -- item 5: nobody silently dropped -----------------------------------------------------


def test_a_rejected_row_fails_the_build_and_writes_no_bundle(tmp_path: Path) -> None:
    code, stdout, stderr, out = build(tmp_path, with_bad_rows())
    assert code == 1, stderr
    assert not out.exists()
    assert stdout == ""
    assert "4 rows rejected" in stderr and "no bundle written" in stderr and "--accept-rejects" in stderr
    report = tmp_path / "bundle.rejects.txt"
    assert str(report) in stderr


def test_accept_rejects_builds_and_counts_them(tmp_path: Path) -> None:
    code, stdout, stderr, out = build(tmp_path, with_bad_rows(), "--accept-rejects")
    assert code == 0, stderr
    assert (out / "manifest.json").is_file()
    summary = json.loads(stdout)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (8, 4, 4)
    assert summary["rejects_report"] == str(tmp_path / "bundle.rejects.txt")
    assert "4 rows rejected" in stderr
    # the report sits beside the bundle directory, never inside it (its files get signed)
    assert sorted(p.name for p in out.iterdir() if "reject" in p.name) == []


def test_the_rejects_report_is_always_written_with_line_field_and_reason(tmp_path: Path) -> None:
    code, _, stderr, _ = build(tmp_path, with_bad_rows())
    assert code == 1
    lines = [ln for ln in (tmp_path / "bundle.rejects.txt").read_text(encoding="utf-8").splitlines()
             if not ln.startswith("#")]
    assert lines == [
        "line 6: birth_date: not a calendar date",
        "line 7: nationality: not a three-letter ICAO code",
        "line 8: document_number: only Latin letters, digits, spaces and hyphens are allowed (up to 20)",
        "line 9: ban_end: the ban ended before the list date",
    ]
    for line in lines:
        assert f"list.csv: {line}" in stderr
    # --errors puts it elsewhere
    errors = tmp_path / "elsewhere.txt"
    code, _, stderr, _ = build(tmp_path, with_bad_rows(), "--errors", str(errors))
    assert code == 1 and errors.is_file() and str(errors) in stderr
    # a clean build writes it too (empty of rows), so a stale report is never mistaken for this one's
    clean = tmp_path / "clean"
    clean.mkdir()
    code, stdout, stderr, _ = build(clean, GOOD)
    assert code == 0, stderr
    text = (clean / "bundle.rejects.txt").read_text(encoding="utf-8")
    assert "0 rejected" in text and not [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert json.loads(stdout)["rejected"] == 0


def test_no_personal_data_in_the_report_or_on_stderr(tmp_path: Path) -> None:
    code, stdout, stderr, _ = build(tmp_path, with_bad_rows())
    report = (tmp_path / "bundle.rejects.txt").read_text(encoding="utf-8")
    for secret in secrets_of_bad_rows():
        assert secret not in stderr and secret not in report and secret not in stdout, secret


def test_no_accepted_row_fails_even_with_accept_rejects(tmp_path: Path) -> None:
    code, _, stderr, out = build(tmp_path, HEADER + "\n" + BAD_ROWS[0][0] + "\n", "--accept-rejects")
    assert code == 1 and "no row was accepted" in stderr and not out.exists()
    assert "line 2: birth_date" in (tmp_path / "bundle.rejects.txt").read_text(encoding="utf-8")


def test_rows_that_could_never_match_fail_the_build_naming_only_the_character(tmp_path: Path) -> None:
    # issue 12, item 5: a Windows-1251 export that lost Қ to '?', and a Latin c typed into Фирдавс
    csv = tmp_path / "list.csv"
    csv.write_bytes(("Фамилия;Имя;Дата рождения\nКаримов;Фирдавс;15.05.1990\nҚодиров;Фирдавс;15.05.1990\n"
                     "Назаров;Фирдавc;16.05.1990\n").encode("cp1251", errors="replace"))
    out = tmp_path / "bundle"
    args = ("build", str(csv), "-o", str(out), "--list-date", LIST_DATE.isoformat(), "--quiet")
    code, stdout, stderr = run_cli(*args)
    assert code == 1 and stdout == "" and not out.exists(), stderr
    report = (tmp_path / "bundle.rejects.txt").read_text(encoding="utf-8")
    rows = [ln for ln in report.splitlines() if not ln.startswith("#")]
    assert [ln.split(" (")[0] for ln in rows] == ["line 3: surname: '?'", "line 4: given_names: Latin letter 'c'"]
    for line in rows:
        assert f"list.csv: {line}" in stderr
    for secret in ("одиров", "Фирдавc", "Назаров", "15.05.1990", "16.05.1990"):
        assert secret not in stderr and secret not in report, secret
    code, stdout, stderr = run_cli(*args, "--accept-rejects")
    assert code == 0, stderr
    assert (json.loads(stdout)["accepted"], json.loads(stdout)["rejected"]) == (1, 2)


def test_duplicates_are_not_rejects(tmp_path: Path) -> None:
    code, stdout, stderr, out = build(tmp_path, GOOD + GOOD_ROWS[0].replace("2029", "2031") + "\n")
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert (summary["accepted"], summary["rejected"], summary["duplicates"]) == (4, 0, 1)


def test_an_unrecognised_header_is_fatal_and_lists_expected_and_found_columns(tmp_path: Path) -> None:
    # "Ф.И.О." and "Паспорт №" are not known names; before, this header was rejected as a data row
    text = "Ф.И.О.;Дата рожд.;Паспорт №\n" + "Қодиров Ҷамшед;14.03.1990;400123456\n"
    code, stdout, stderr, out = build(tmp_path, text)
    assert code == 1 and not out.exists() and stdout == ""
    assert "line 1" in stderr
    for found in ("Ф.И.О.", "Дата рожд.", "Паспорт №"):
        assert found in stderr
    for expected in ("фамилия", "surname", "имя", "given names", "дата рождения", "birth date",
                     "номер паспорта", "passport number"):
        assert expected in stderr
    assert "Қодиров" not in stderr and "400123456" not in stderr
    # the report says why nothing was read
    assert "header" in (tmp_path / "bundle.rejects.txt").read_text(encoding="utf-8")


def test_an_unknown_column_in_a_header_is_fatal_unless_ignored(tmp_path: Path) -> None:
    # a misspelt passport column silently ignored would lose every document key
    text = "Фамилия;Имя;Дата рождения;Номер паспрта;Примечание\nҚодиров;Ҷамшед;14.03.1990;400123456;\n"
    code, _, stderr, out = build(tmp_path, text)
    assert code == 1 and not out.exists()
    assert "номер паспрта" in stderr.lower() and "примечание" in stderr.lower()
    assert "--ignore-column" in stderr and "номер паспорта" in stderr
    assert "400123456" not in stderr
    code, stdout, stderr, out = build(tmp_path, text, "--ignore-column", "Номер паспрта",
                                      "--ignore-column", "примечание")
    assert code == 0, stderr
    assert json.loads(stdout)["ignored_columns"] == ["номер паспрта", "примечание"]
    assert "ignored" in stderr


def test_a_header_missing_a_required_column_lists_expected_and_found(tmp_path: Path) -> None:
    code, _, stderr, out = build(tmp_path, "Фамилия;Дата рождения\nҚодиров;14.03.1990\n")
    assert code == 1 and not out.exists()
    assert "given_names" in stderr and "имя" in stderr and "Фамилия" in stderr and "Дата рождения" in stderr


def test_a_file_without_header_is_refused_without_showing_its_first_record(tmp_path: Path) -> None:
    code, stdout, stderr, out = build(tmp_path, "\n".join(GOOD_ROWS) + "\n")
    assert code == 1 and not out.exists() and stdout == ""
    assert "header row is required" in stderr
    assert "фамилия" in stderr and "surname" in stderr
    for secret in ("Қодиров", "Ҷамшед", "14.03.1990", "400123456"):
        assert secret not in stderr
    assert "header row is required" in (tmp_path / "bundle.rejects.txt").read_text(encoding="utf-8")


def test_the_library_still_reads_a_headerless_file_in_the_documented_order() -> None:
    # tests and tools that call read_list directly keep the documented column order
    r = read_list("\n".join(GOOD_ROWS).encode(), "l.csv", LIST_DATE)
    assert len(r.entries) == 4 and not r.errors and not r.header
    with pytest.raises(ListFileError, match="header row is required"):
        read_list("\n".join(GOOD_ROWS).encode(), "l.csv", LIST_DATE, require_header=True)


def test_a_value_under_an_unnamed_column_is_a_reject(tmp_path: Path) -> None:
    # trailing empty header cells are common in spreadsheet exports; data under them is not
    text = "Фамилия;Имя;Дата рождения;;\nҚодиров;Ҷамшед;14.03.1990;;\nҲасанов;Фаррух;01.02.1985;;X\n"
    r = read_list(text.encode(), "l.csv", LIST_DATE)
    assert len(r.entries) == 1 and [(e.line, e.field) for e in r.errors] == [(3, "column 5")]


def test_every_shipped_list_csv_builds_without_rejects() -> None:
    from host_tools import demo
    r = read_list(demo.DEMO_CSV.encode(), "demo-list.csv", LIST_DATE, require_header=True)
    assert not r.errors and len(r.entries) == 4


# -- item 6: check --batch ---------------------------------------------------------------


def td3(surname: str, given: str, number: str, birth: str, nationality: str = "TJK") -> list[str]:
    return generate("TD3", "P", nationality, surname, given, number, nationality, birth, "M", "310101")


def break_check_digit(lines: list[str]) -> list[str]:
    l2 = lines[1]
    bad = str((int(l2[9]) + 1) % 10)
    return [lines[0], l2[:9] + bad + l2[10:]]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("batch")
    code, _, stderr, out = build(tmp, GOOD)
    assert code == 0, stderr
    return out


def test_batch_answers_each_mrz_in_order_without_echoing(bundle: Path) -> None:
    strong = td3("QODIROV", "JAMSHED", "400123456", "900314")
    possible = td3("KODIROV", "DZHAMSHED", "400999999", "900314")
    none = td3("NAZAROV", "UMED", "400777777", "930505")
    invalid = break_check_digit(td3("YUSUPOVA", "GULNORA", "400555555", "930721"))
    td1 = generate("TD1", "ID", "GBR", "SMITH", "JOHN", "123456789", "GBR", "700102", "M", "310101")
    # CRLF, several blank lines, blank lines with spaces, and a garbage block
    text = ("\r\n".join(strong) + "\r\n\r\n\r\n" + "\n".join(possible) + "\n  \n\n" + "\n".join(none)
            + "\n\n" + "\n".join(invalid) + "\n\n" + "NOT AN MRZ\n\n" + "\n".join(td1) + "\n")
    code, stdout, stderr = run_cli("check", str(bundle), "--batch", "--today", "2026-11-23", stdin=text)
    lines = [json.loads(ln) for ln in stdout.splitlines()]
    assert [(d["n"], d["line"]) for d in lines] == [(1, 1), (2, 5), (3, 9), (4, 12), (5, 15), (6, 17)]
    assert [d.get("kind") for d in lines] == ["strong", "possible", "none", None, None, "strong"]
    assert lines[0] == {"n": 1, "line": 1, "kind": "strong", "ban_end_year": 2029, "list_date": "2026-11-01",
                        "list_version": 20261101}
    assert lines[2]["ban_end_year"] is None
    # the check-digit failure is reported, where it is, and not matched
    assert "kind" not in lines[3] and "document_number" in lines[3]["error"]
    assert "line 2, column 10" in lines[3]["error"]
    assert "error" in lines[4]
    assert code == 4  # matches and unreadable entries
    assert "6 MRZs" in stderr and "2 strong" in stderr and "1 possible" in stderr and "1 none" in stderr
    assert "2 unreadable" in stderr
    everything = stdout + stderr
    for secret in ("QODIROV", "KODIROV", "DZHAMSHED", "JAMSHED", "NAZAROV", "YUSUPOVA", "GULNORA", "SMITH",
                   "400123456", "400999999", "400777777", "400555555", "123456789", "900314", "930505",
                   "930721", "700102", "NOT AN MRZ", "<<"):
        assert secret not in everything, secret


def test_batch_names_where_an_impossible_field_is_without_its_value(bundle: Path) -> None:
    lines = td3("NAZAROV", "UMED", "400777777", "930505")
    l2 = lines[1][:13] + "931345" + lines[1][19:]  # month 13, day 45, with check digits that agree
    l2 = l2[:19] + compute(l2[13:19]) + l2[20:43]
    l2 += compute(l2[0:10] + l2[13:20] + l2[21:43])
    code, stdout, _ = run_cli("check", str(bundle), "--batch", "--today", "2026-11-23", stdin="\n".join([lines[0], l2]))
    (answer,) = [json.loads(ln) for ln in stdout.splitlines()]
    assert "kind" not in answer
    assert "birth_date (line 2, columns 14-19)" in answer["error"]
    assert "931345" not in stdout


def test_batch_exit_codes(bundle: Path) -> None:
    none = "\n".join(td3("NAZAROV", "UMED", "400777777", "930505"))
    strong = "\n".join(td3("QODIROV", "JAMSHED", "400123456", "900314"))
    bad = "\n".join(break_check_digit(td3("NAZAROV", "UMED", "400777777", "930505")))
    args = ("check", str(bundle), "--batch", "--today", "2026-11-23")
    assert run_cli(*args, stdin=none + "\n\n" + none)[0] == 0
    assert run_cli(*args, stdin=none + "\n\n" + strong)[0] == 3
    assert run_cli(*args, stdin=none + "\n\n" + bad)[0] == 1
    assert run_cli(*args, stdin=bad + "\n\n" + strong)[0] == 4
    code, stdout, stderr = run_cli(*args, stdin="\n\n")
    assert code == 1 and stdout == "" and "no MRZ" in stderr
    code, _, stderr = run_cli(*args, "--surname", "X", stdin=none)
    assert code == 2 and "--batch" in stderr


def test_batch_never_echoes_bad_characters(bundle: Path) -> None:
    lines = td3("NAZAROV", "UMED", "400777777", "930505")
    lines[1] = lines[1][:13] + "9З0505" + lines[1][19:]  # a Cyrillic Ze in the birth date
    code, stdout, _ = run_cli("check", str(bundle), "--batch", "--today", "2026-11-23",
                              stdin="\n".join(lines) + "\n")
    out = json.loads(stdout)
    assert code == 1 and "error" in out and "З" not in stdout and "line 2, column 15" in out["error"]
    # undecodable bytes are an error entry too, not a crash
    code, stdout, _ = run_cli("check", str(bundle), "--batch", "--today", "2026-11-23",
                              stdin=b"\xff\xfe\n" + "\n".join(lines).encode())
    assert code == 1 and "error" in json.loads(stdout)

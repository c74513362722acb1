# MRZ tests that run unchanged on CPython (pytest) and MicroPython (tests/mpy/run.mjs).
# Plain functions and bare asserts only: no pytest, no typing.
from firmware.core import checkdigit, mrz, mrz_codes

TODAY = (2026, 11, 23)

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<",
       "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
TD1_LONG = ["I<UTOD23145890<7349<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
       "D231458907UTO7408122F1204159<<<<<<<6"]
MRVA = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8988901C4XXX4009078F96121096ZE184226B<<<<<<"]
MRVB = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "L8988901C4XXX4009078F9612109<<<<<<<<"]


def _parse(lines, **kw):
    return mrz.parse("\n".join(lines), today=TODAY, **kw)


def _raises(data):
    try:
        mrz.parse(data, today=TODAY)
    except mrz.MRZError as e:
        assert not isinstance(e, mrz.MRZInternalError), "the parser crashed: %r" % (e.cause,)
        return e
    raise AssertionError("no MRZError")


def test_check_digit_examples_from_part3():
    # Part 3, 4.9: the worked examples.
    assert checkdigit.compute("520727") == "3"
    assert checkdigit.compute("AB2134<<<") == "5"
    assert checkdigit.compute("L898902C3") == "6"
    assert checkdigit.compute("D23145890734") == "9"
    assert checkdigit.compute("<<<<<<<<<") == "0"


def test_td3_specimen():
    d = _parse(TD3)
    assert d.format == "TD3" and d.valid
    assert d.document_code == "P" and d.issuing_state == "UTO" and d.nationality == "UTO"
    assert d.document_number == "L898902C3"
    assert d.surname == "ERIKSSON" and d.given_names == "ANNA MARIA"
    assert d.given_name_parts == ["ANNA", "MARIA"]
    assert d.birth_date.as_tuple() == (1974, 8, 12)
    assert d.expiry_date.as_tuple() == (2012, 4, 15)
    assert d.sex == "F"
    assert d.optional_data == "ZE184226B"
    assert d.checks == {"document_number": True, "birth_date": True, "expiry_date": True,
                        "optional_data": True, "composite": True}
    assert d.repairs == [] and d.lines == tuple(TD3)


def test_td1_specimen():
    d = _parse(TD1)
    assert d.format == "TD1" and d.valid
    assert d.document_code == "I" and d.document_number == "D23145890"
    assert d.surname == "ERIKSSON" and d.given_names == "ANNA MARIA"
    assert d.checks["composite"]


def test_td1_long_document_number_8th_edition():
    d = _parse(TD1_LONG)
    assert d.valid, d.problems
    assert d.document_number == "D23145890734"
    assert d.optional_data == ""
    lines = mrz.generate("TD1", "I", "UTO", "ERIKSSON", "ANNA MARIA", "D23145890734", "UTO",
                         "740812", "F", "120415")
    assert lines == TD1_LONG


def test_belgian_style_long_number_with_optional_data():
    lines = mrz.generate("TD1", "ID", "BEL", "DE SMET", "JAN PIETER", "B12345678901", "BEL",
                         "900101", "M", "300101", "8501011234")
    d = _parse(lines)
    assert d.valid, d.problems
    assert d.document_number == "B12345678901"
    assert d.optional_data == "8501011234"
    assert d.surname_parts == ["DE", "SMET"]


def _belgian_card_with_number_check(digit_over):
    """A Belgian TD1 card whose long number's check digit is computed over ``digit_over``
    (the number's characters as they stand in the zone), the composite made to agree."""
    lines = mrz.generate("TD1", "ID", "BEL", "SPECIMEN", "SPECIMEN", "000590696101", "BEL", "940101", "F", "271001",
                         "", "00010112345")
    rest_end = 15 + 3  # the rest '101', then its check digit
    row = lines[0][:rest_end] + digit_over(lines[0]) + lines[0][rest_end + 1:]
    composite = checkdigit.compute(row[5:30] + lines[1][0:7] + lines[1][8:15] + lines[1][18:29])
    return [row, lines[1][:29] + composite, lines[2]]


def test_belgian_long_number_8th_edition_rule():
    # Part 5 (4.2.4): the check digit covers the whole number, the filler at the check-digit
    # position left out; the Belgian specimen IDBEL000590696<1015 checks this way.
    lines = _belgian_card_with_number_check(lambda row: checkdigit.compute(row[5:14] + row[15:18]))
    assert lines[0] == "IDBEL000590696<1015<<<<<<<<<<<"
    d = _parse(lines)
    assert d.valid and d.document_number == "000590696101"


def test_belgian_long_number_older_variant_is_refused():
    # The variant that sums the filler too (so the rest's weights shift by one) is not read:
    # a second rule would let one more misread in ten pass the number's check.
    lines = _belgian_card_with_number_check(lambda row: checkdigit.compute(row[5:18]))
    assert lines[0] == "IDBEL000590696<1017<<<<<<<<<<<"
    d = _parse(lines)
    assert not d.valid and d.checks["document_number"] is False and d.checks["composite"]


def test_td2_specimen():
    d = _parse(TD2)
    assert d.format == "TD2" and d.valid and d.document_number == "D23145890"


def test_td2_long_document_number():
    lines = mrz.generate("TD2", "I", "UTO", "ERIKSSON", "ANNA", "D23145890734", "UTO", "740812", "F", "120415")
    assert lines[1][9] == "<"
    d = _parse(lines)
    assert d.valid and d.document_number == "D23145890734"


def test_mrv_a_and_b_specimens():
    a = _parse(MRVA)
    b = _parse(MRVB)
    assert a.format == "MRVA" and a.valid and a.nationality == "XXX"
    assert b.format == "MRVB" and b.valid
    assert a.birth_date.as_tuple() == (1940, 9, 7) and a.expiry_date.as_tuple() == (1996, 12, 10)
    assert "composite" not in a.checks and "composite" not in b.checks


def test_generate_round_trips_specimens():
    for lines, fmt, code, num, nat, birth, exp, opt in (
        (TD3, "TD3", "P", "L898902C3", "UTO", "740812", "120415", "ZE184226B"),
        (TD1, "TD1", "I", "D23145890", "UTO", "740812", "120415", ""),
        (TD2, "TD2", "I", "D23145890", "UTO", "740812", "120415", ""),
        (MRVA, "MRVA", "V", "L8988901C", "XXX", "400907", "961210", "6ZE184226B"),
        (MRVB, "MRVB", "V", "L8988901C", "XXX", "400907", "961210", ""),
    ):
        assert mrz.generate(fmt, code, "UTO", "ERIKSSON", "ANNA MARIA", num, nat, birth, "F", exp, opt) == lines


def test_composite_failure_detected():
    bad = [TD3[0], TD3[1][:43] + "1"]
    d = _parse(bad, repair=False)
    assert not d.valid and d.checks["composite"] is False
    assert d.checks["document_number"]


def test_empty_personal_number_check_digit_lt_or_zero():
    for empty in ("<", "0"):
        lines = mrz.generate("TD3", "P", "TJK", "RAHIMOV", "FIRDAVS", "401234567", "TJK", "900515", "M",
                             "300101", "", empty_check=empty)
        assert lines[1][42] == empty
        d = _parse(lines)
        assert d.valid and d.checks["optional_data"]


def test_empty_primary_identifier_is_a_warning():
    # Indian passports print a single name as the secondary identifier: P<IND<<RAVI<<<...
    for fmt in ("TD1", "TD2", "TD3"):
        lines = mrz.generate(fmt, "P" if fmt == "TD3" else "I", "IND", "", "RAVI KUMAR", "Z1234567", "IND",
                             "850315", "M", "300101")
        line, start, _ = mrz.field_span(fmt, "name")
        assert lines[line][start:start + 13] == "<<RAVI<KUMAR<"
        d = _parse(lines)
        assert d.valid, (fmt, d.problems)
        assert d.surname == "" and d.surname_parts == []
        assert d.given_names == "RAVI KUMAR" and d.given_name_parts == ["RAVI", "KUMAR"]
        assert d.warnings == ["name: no primary identifier; the kiosk matches on the document key alone"]


def test_a_zone_with_no_name_at_all_is_refused():
    lines = mrz.generate("TD3", "P", "IND", "", "", "Z1234567", "IND", "850315", "M", "300101")
    assert lines[0][5:] == "<" * 39
    d = _parse(lines)
    assert not d.valid and "name: no name at all" in d.problems


def test_single_name_document():
    lines = mrz.generate("TD3", "P", "UTO", "MADONNA", "", "X12345678", "UTO", "580816", "F", "300101")
    d = _parse(lines)
    assert d.valid and d.surname == "MADONNA" and d.given_names == "" and d.given_name_parts == []


def test_truncated_name_flag():
    lines = mrz.generate("TD3", "P", "UTO", "VANDERSTEENHOVENBERGHE", "JOHANNES CHRISTOFFEL MARIA",
                         "X12345678", "UTO", "580816", "M", "300101")
    assert lines[0][-1] != "<"
    d = _parse(lines)
    assert d.valid and d.name_truncated
    assert "name: truncated to fit the zone" in d.warnings
    assert not _parse(TD3).name_truncated


def test_sex_x_accepted_and_flagged():
    lines = mrz.generate("TD3", "P", "UTO", "DOE", "ALEX", "X12345678", "UTO", "800101", "X", "300101")
    d = _parse(lines)
    assert d.valid and d.sex == "X"
    assert "sex: 'X' read as unspecified" in d.warnings


def test_unknown_birth_date_parts_kept_unknown():
    lines = mrz.generate("TD3", "P", "TJK", "KARIMOV", "RUSTAM", "401234567", "TJK", "85<<<<", "M", "300101")
    d = _parse(lines)
    assert d.valid, d.problems
    assert d.birth_date.as_tuple() == (1985, None, None)
    assert d.birth_date.iso() == "1985-XX-XX"
    lines = mrz.generate("TD3", "P", "TJK", "KARIMOV", "RUSTAM", "401234567", "TJK", "8503<<", "M", "300101")
    assert _parse(lines).birth_date.as_tuple() == (1985, 3, None)


def test_impossible_calendar_date_reported():
    lines = mrz.generate("TD3", "P", "TJK", "KARIMOV", "RUSTAM", "401234567", "TJK", "850230", "M", "300101")
    d = _parse(lines)
    assert not d.valid
    assert "birth_date: day 30 does not exist in that month" in d.problems
    lines = mrz.generate("TD3", "P", "TJK", "KARIMOV", "RUSTAM", "401234567", "TJK", "851301", "M", "300101")
    assert "birth_date: month 13 does not exist" in _parse(lines).problems
    # 29 February exists in leap years only.
    assert _parse(mrz.generate("TD3", "P", "TJK", "A", "B", "1", "TJK", "000229", "M", "300101")).valid
    assert not _parse(mrz.generate("TD3", "P", "TJK", "A", "B", "1", "TJK", "010229", "M", "300101")).valid


def test_dates_that_cannot_exist_stay_refused():
    def problems(birth, expiry="300101"):
        return _parse(mrz.generate("TD3", "P", "TJK", "A", "B", "1", "TJK", birth, "M", expiry)).problems

    assert "birth_date: month 00 does not exist" in problems("850015")
    assert "birth_date: day 00 does not exist in that month" in problems("850100")
    assert "expiry_date: month 00 does not exist" in problems("850101", "300015")
    assert "birth_date: month 00 does not exist" in problems("8500<<")  # an unknown day does not save month 00
    # 29 February of a common year, for birth and expiry alike; 1900 was no leap year, 2000 was.
    assert "birth_date: day 29 does not exist in that month" in problems("970229")
    assert "expiry_date: day 29 does not exist in that month" in problems("850101", "310229")
    assert problems("960229") == [] and problems("850101", "320229") == []
    lines = mrz.generate("TD3", "P", "TJK", "A", "B", "1", "TJK", "000229", "M", "300101")
    d = _parse(lines)
    assert d.valid and d.birth_date.year == 2000
    d = mrz.parse("\n".join(lines), today=(1999, 6, 1))  # read in 1999, "00" is 1900
    assert d.birth_date.year == 1900 and "birth_date: day 29 does not exist in that month" in d.problems


def test_century_rules():
    def birth(yymmdd):
        return _parse(mrz.generate("TD3", "P", "TJK", "A", "B", "1", "TJK", yymmdd, "M", "300101")).birth_date.year

    assert birth("261123") == 2026  # today
    assert birth("261124") == 1926  # tomorrow would be in the future
    assert birth("050101") == 2005 and birth("990101") == 1999

    def expiry(yymmdd):
        return _parse(mrz.generate("TD3", "P", "TJK", "A", "B", "1", "TJK", "800101", "M", yymmdd)).expiry_date.year

    assert expiry("360101") == 2036 and expiry("760101") == 2076 and expiry("770101") == 1977


def _with_codes(issuing_state, nationality, fmt="TD3"):
    return _parse(mrz.generate(fmt, "P" if fmt == "TD3" else "I", issuing_state, "MUSTERMANN", "ERIKA", "C01X00T47",
                               nationality, "640812", "F", "300101"))


def test_country_codes_special_and_germany():
    for code in ("D<<", "UTO", "EUE", "UNO", "UNA", "UNK", "XOM", "XXA", "XXB", "XXC", "XXX", "GBD", "TJK", "MAC"):
        d = _with_codes(code, code)
        assert d.valid and d.nationality == code and d.issuing_state == code
        assert d.warnings == [], (code, d.warnings)
        assert mrz.is_known_code(code)
    assert mrz.SPECIAL_CODES["D"] == "Germany"
    iso = mrz_codes.ISO_3166.split(" ")
    assert len(iso) == 249 and iso == sorted(set(iso)) and all(len(c) == 3 and c.isalpha() for c in iso)
    assert all(mrz.is_known_code(c) for c in iso) and not set(iso) & set(mrz.SPECIAL_CODES)
    assert not mrz.is_known_code("<<<") and not mrz.is_known_code("") and not mrz.is_known_code("TJ K")


def test_a_state_code_outside_part_3_is_a_warning_not_a_refusal():
    for fmt in ("TD1", "TD2", "TD3"):
        d = _with_codes("TRC", "QQQ", fmt)
        assert d.valid, (fmt, d.problems)
        assert d.issuing_state == "TRC" and d.nationality == "QQQ"
        assert d.warnings == ["issuing_state: not a code of ICAO Doc 9303 Part 3",
                              "nationality: not a code of ICAO Doc 9303 Part 3"]
    for code in ("DE<", "D<A", "ZZZ", "GB<"):
        assert not mrz.is_known_code(code), code
        assert _with_codes("UTO", code).warnings == ["nationality: not a code of ICAO Doc 9303 Part 3"], code


def test_a_nationality_printed_as_fillers_is_a_warning():
    # Macau's non-permanent resident card prints no nationality at all.
    for fmt in ("TD1", "TD3"):
        d = _with_codes("MAC", "", fmt)
        assert d.valid, d.problems
        assert d.nationality == "<<<" and d.issuing_state == "MAC"
        assert d.warnings == ["nationality: not given ('<<<'); the document key carries the issuing state"]


def test_a_country_code_that_starts_with_a_filler_is_still_refused():
    d = _with_codes("<<<", "UTO")
    assert not d.valid and "issuing_state: a country code starts with a letter" in d.problems
    lines = mrz.generate("TD3", "P", "UTO", "A", "B", "C01X00T47", "UTO", "640812", "F", "300101")
    lines = [lines[0], lines[1][:10] + "<AB" + lines[1][13:]]  # nationality is covered by no check digit
    d = _parse(lines)
    assert not d.valid and "nationality: a country code starts with a letter" in d.problems


def test_noise_bytes_crlf_whitespace():
    noisy = b"  \r\n" + TD3[0].encode() + b" \r\n\r\n\t" + TD3[1].encode() + b"\r\n\n"
    assert mrz.parse(noisy, today=TODAY).valid
    assert mrz.parse(TD3[0] + TD3[1], today=TODAY).valid  # no line break at all
    assert mrz.parse(TD3[0].lower() + "\n" + TD3[1], today=TODAY).valid


def test_errors_carry_line_and_column():
    e = _raises("")
    assert e.line is None and "no MRZ" in e.reason and e.code == "lines"
    e = _raises(TD3[0] + "\n" + TD3[1][:40])
    assert e.line == 2 and e.column == 41 and e.code == "length"
    e = _raises(TD3[0] + "\n" + TD3[1][:10] + "*" + TD3[1][11:])
    assert e.line == 2 and e.column == 11 and "character" in e.reason and e.code == "charset"
    e = _raises(b"\xff\xfe")
    assert isinstance(e, mrz.MRZError) and e.code == "lines"
    e = _raises(12345)
    assert "expected bytes or text" in e.reason and e.code == "input"
    assert str(_raises(TD3[0] + "\n" + TD3[1][:40])).startswith("line 2, column 41:")


def test_repair_letter_in_date():
    bad = [TD3[0], TD3[1][:15] + "O" + TD3[1][16:]]  # 74O812 for 740812
    d = _parse(bad)
    assert d.valid and d.birth_date.as_tuple() == (1974, 8, 12)
    assert d.repairs == [{"line": 2, "column": 16, "was": "O", "now": "0"}]
    assert not _parse(bad, repair=False).valid


def test_repair_digit_in_name():
    bad = ["P<UTOERIKSS0N<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", TD3[1]]
    d = _parse(bad)
    assert d.valid and d.surname == "ERIKSSON"
    assert d.repairs == [{"line": 1, "column": 12, "was": "0", "now": "O"}]


def test_failing_document_number_is_refused_not_guessed():
    # L898902C3 read as L8989O2C3: 'O' -> '0' would make both checks pass, but a letter
    # may stand in a document number, so that would be a guess: the read is refused.
    bad = [TD3[0], "L8989O2C36" + TD3[1][10:]]
    d = _parse(bad)
    assert not d.valid and d.repairs == []
    assert d.checks["document_number"] is False and d.checks["composite"] is False
    assert "document_number: check digit at line 2, column 10 does not match" in d.problems


def test_digit_misread_in_document_number_is_refused_not_guessed():
    # A digit read as another digit, L898902C3 as L098902C3: a letter guess would make
    # it pass as L0989O2C3, another document number.
    bad = [TD3[0], "L098902C36" + TD3[1][10:]]
    d = _parse(bad)
    assert not d.valid and d.repairs == []
    assert d.checks["document_number"] is False


def test_failing_personal_number_is_refused_not_guessed():
    # ZE184226B read as ZE183226B; a letter guess would make it pass as ZE183Z26B.
    bad = [TD3[0], TD3[1][:32] + "3" + TD3[1][33:]]
    assert bad[1][28:37] == "ZE183226B"
    d = _parse(bad)
    assert not d.valid and d.repairs == []
    assert d.checks["optional_data"] is False


def test_unrepairable_stays_invalid():
    bad = [TD3[0], "L898902C37" + TD3[1][10:]]  # a wrong check digit
    d = _parse(bad)
    assert not d.valid and d.checks["document_number"] is False
    assert "document_number: check digit at line 2, column 10 does not match" in d.problems


def test_document_repr_has_no_personal_data():
    d = _parse(TD3)
    assert "ERIKSSON" not in repr(d) and "L898902C3" not in repr(d)


def test_field_places_are_where_generate_writes_them():
    # The public layout (used by tools that name a field's place) agrees with the zones written.
    assert mrz.field_span("TD3", "document_number") == (1, 0, 9)
    assert mrz.field_span("TD1", "name") == (2, 0, 30)
    assert mrz.field_span("MRVB", "optional_data_check") is None
    assert mrz.field_span(None, "name") is None
    line, start, end = mrz.field_span("TD3", "birth_date")
    assert TD3[line][start:end] == "740812"
    assert mrz.kind_at("TD3", line, start) == ("birth_date", mrz.NUM)
    assert mrz.kind_at("TD1", 0, 5) == ("document_number", mrz.ALNUM)
    assert mrz.forced_repair("O", mrz.NUM) == "0" and mrz.forced_repair("0", mrz.ALPHA) == "O"
    assert mrz.forced_repair("O", mrz.ALNUM) is None

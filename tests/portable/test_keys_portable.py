"""Identity keys, name folding, the fingerprint sets, the budget arithmetic and the match policy.

Plain asserts and no pytest imports: this module runs on CPython (pytest) and,
unchanged, under the MicroPython WebAssembly port (tests/test_filter_micropython.py).
"""

from firmware.core import budget, fpset
from firmware.core.keys import (
    WORST_LOOKUPS,
    birth_key,
    compatible_births,
    document_query_keys,
    entry_keys,
    lookups_for,
    normalize_number,
    query_keys,
)
from firmware.core.match import match_probes
from firmware.core.mrz import generate, parse
from firmware.core.translit import fold, transliterate

SALT = b"0123456789abcdef"

# (list entry in Cyrillic as the official list writes it, spellings seen in passports)
NAME_VARIANTS = [
    ("Қодиров", ["KODIROV", "QODIROV", "KODIROV"]),
    ("Ҷалолов", ["JALOLOV", "DZHALOLOV", "CHALOLOV", "DJALOLOV"]),
    ("Ҳасанов", ["KHASANOV", "HASANOV", "XASANOV"]),
    ("Ғафуров", ["GAFUROV", "GHAFUROV"]),
    ("Юсуфов", ["IUSUFOV", "YUSUFOV", "USUFOV"]),
    ("Ятимов", ["IATIMOV", "YATIMOV"]),
    ("Ёров", ["EROV", "YOROV", "IOROV"]),
    ("Раҳмонов", ["RAKHMONOV", "RAHMONOV", "RAHMONOV"]),
    ("Шарифзода", ["SHARIFZODA"]),
    ("Тоҷиддинов", ["TOJIDDINOV", "TODZHIDDINOV", "TOCHIDDINOV"]),
    ("Ниёзов", ["NIYOZOV", "NIIOZOV", "NIEZOV"]),
    ("Цой", ["TSOI", "TCOI", "TSOY"]),
    ("Умарҷон", ["UMARJON", "UMARDZHON", "UMARCHON"]),
    ("Файзуллоев", ["FAIZULLOEV", "FAYZULLOEV", "FAIZULOEV"]),
    ("Исмоилӣ", ["ISMOILI", "ISMOILIY"]),
    ("Назарӯв", ["NAZARUV"]),
    ("Қурбонов", ["KURBONOV", "QURBONOV"]),
    ("Зиёев", ["ZIYOEV", "ZIEEV"]),
]


def test_cyrillic_list_names_fold_like_passport_spellings():
    for cyrillic, spellings in NAME_VARIANTS:
        want = fold(cyrillic)
        for latin in spellings:
            assert fold(latin) == want, (cyrillic, latin, fold(latin), want)


def test_fold_keeps_different_names_apart():
    names = ["Қодиров", "Кодирова", "Ҳасанов", "Ҳусейнов", "Алиев", "Олимов", "Саидов", "Собиров", "Юсупов"]
    folded = [fold(n) for n in names]
    assert len(set(folded)) == len(folded), folded


def test_transliterate_icao_table():
    assert transliterate("Щукин") == "SHCHUKIN"
    assert transliterate("Цветков") == "TSVETKOV"
    assert transliterate("Мамадалӣ Ҳоҷиев") == "MAMADALI HOJIEV"
    assert transliterate("Gʻulomov O'tkir") == "GULOMOV OTKIR"


def test_fold_lowercase_and_marks():
    assert fold("қодиров") == fold("KODIROV")
    assert fold("Jalolova-Qodirova") == fold("ҶАЛОЛОВАҚОДИРОВА")


def test_birth_key_and_unknown_parts():
    assert birth_key(1990, 3, 14) == "900314"
    assert birth_key(1985, None, None) == "85<<<<"
    assert birth_key(2001, 7, None) == "0107<<"


def test_normalize_number_keying_confusions():
    assert normalize_number("4OO 123-456") == "400123456"
    assert normalize_number("a1i") == "A11"
    # misreads no check digit can see (G, L, U weigh as 6, 1, 0) key as the digit
    assert normalize_number("4G1L23U56") == "461123056"


def test_an_unseeable_misread_of_the_number_still_finds_the_record():
    lines = generate("TD3", "P", "TJK", "QODIROV", "JAMSHED", "460123011", "TJK", "900314", "M", "300101")
    misread = lines[1].replace("460123011", "4G0123U1L", 1)
    doc = parse(lines[0] + "\n" + misread, today=(2026, 11, 23))
    assert doc.valid and doc.document_number == "4G0123U1L"  # the check digit cannot tell
    qd, _ = document_query_keys(doc)
    d, _ = entry_keys("Қодиров", "Ҷамшед", "TJK", "460123011", "900314")
    assert set(d) & set(qd)


def test_entry_and_query_keys_meet_at_every_precision():
    # list knows the full date; passport knows the full date
    doc, name = entry_keys("Қодиров", "Ҷамшед Раҳимович", "TJK", "400123456", "900314")
    qd, qn = query_keys("QODIROV", "DZHAMSHED", "TJK", "4OO123456", "900314")
    assert set(doc) & set(qd)
    assert set(name) & set(qn)
    # list knows only the year; passport has a full date
    doc, name = entry_keys("Ҳасанов", "Фаррух", "TJK", "", "85<<<<")
    assert doc == []
    qd, qn = query_keys("KHASANOV", "FARRUKH", "TJK", "500000001", "850505")
    assert set(name) & set(qn)
    # list has a full date; passport's birth date is partly unknown
    doc, name = entry_keys("Ҳасанов", "Фаррух", "TJK", "", "850505")
    qd, qn = query_keys("HASANOV", "FARRUH", "TJK", "X1", "85<<<<")
    assert set(name) & set(qn)
    # different person: other birth year
    qd, qn = query_keys("HASANOV", "FARRUH", "TJK", "X1", "860505")
    assert not set(name) & set(qn)


def test_compatible_births_widen_on_the_travellers_side_only():
    assert compatible_births("900515") == ["90<<<<", "9005<<", "900515"]
    unknown_day = compatible_births("9002<<")
    assert len(unknown_day) == 2 + 28 and "900228" in unknown_day and "900229" not in unknown_day
    assert "000229" in compatible_births("0002<<")  # 1900 or 2000: the 29th may exist
    assert len(compatible_births("90<<15")) == 1 + 12 + 12
    assert len(compatible_births("90<<31")) == 1 + 7 + 7  # months with a 31st
    assert lookups_for("00<<<<") == 1 + 12 + 366 == WORST_LOOKUPS
    assert lookups_for("90<<<<") == 1 + 12 + 365
    # unknown year, impossible dates: nothing to look up
    assert compatible_births("<<0515") == [] and compatible_births("901305") == []
    assert compatible_births("900231") == [] and compatible_births("90<<32") == []


def test_every_storable_list_date_is_found_by_every_compatible_passport_date():
    # the list stores YYMMDD, YYMM<< or YY<<<<; a passport may know any of the parts
    stored = ["880229", "8802<<", "88<<<<", "881231", "8812<<"]
    for passport in ("880229", "8802<<", "88<<29", "88<<<<", "881231", "88<<31", "8812<<"):
        probes = compatible_births(passport)
        for entry in stored:
            agrees = all(p == e or "<" in p or "<" in e for p, e in
                         ((passport[2:4], entry[2:4]), (passport[4:6], entry[4:6])))
            if passport[4:6] == "31" and entry[2:4] == "02":
                agrees = False  # nobody is born on 31 February
            assert (entry in probes) == agrees, (passport, entry)


def _wire(keys_by_year, universe):
    classes = []
    for year in sorted(keys_by_year):
        classes.append((year, sorted(set(fpset.fingerprint(SALT, k, universe) for k in keys_by_year[year]))))
    return fpset.encode_wire(classes, universe, SALT)


def test_reference_codec_round_trips_and_finds_every_key_with_its_end_year():
    by_year = {0: ["N|K%d|J|900101" % i for i in range(150)],
               2027: ["D|TJK|%09d|900101" % i for i in range(100)],
               2031: ["N|R%d|F|85<<<<" % i for i in range(60)]}
    universe = 310 * 5000
    wire = _wire(by_year, universe)
    header, per_class = fpset.decode_wire(wire)
    assert header.end_years == [0, 2027, 2031] and [len(v) for v in per_class] == [150, 100, 60]
    assert fpset.encode_wire(list(zip(header.end_years, per_class)), universe, SALT) == wire
    s = fpset.FingerprintSet(fpset.expand_wire(wire))
    assert s.header.n == 310 and s.end_years == [0, 2027, 2031]
    for year in by_year:
        for key in by_year[year]:
            assert s.end_years[s.find(key)] == year, key
    misses = sum(1 for i in range(2000) if ("N|other%d|J|900101" % i) in s)
    assert misses < 10, misses  # expected 2000 * 310 / 1.55M = 0.4


def test_wire_is_close_to_the_information_limit():
    keys = ["D|TJK|%09d|900101" % i for i in range(2000)]
    universe = 2000 * (1 << 20)
    wire = _wire({0: keys}, universe)
    body_bits = (len(wire) - fpset.HEADER_SIZE - fpset.CLASS_RECORD_SIZE) * 8
    assert 20 * 2000 < body_bits < 21.6 * 2000, body_bits / 2000  # log2(U/n) = 20, Rice adds about 1.5


def test_set_header_errors_name_the_field():
    data = fpset.expand_wire(_wire({0: ["a", "b", "c"]}, 1000))
    for pos, field in ((0, "magic"), (4, "version"), (8, "layout"), (11, "flags"), (24, "layout")):
        bad = bytearray(data)
        bad[pos] ^= 0x5A
        try:
            fpset.FingerprintSet(bytes(bad))
        except fpset.FilterError as e:
            assert e.field in (field, "universe", "n"), (pos, e.field)
        else:
            raise AssertionError("accepted a corrupt byte %d" % pos)
    try:
        fpset.FingerprintSet(data[:-1])
    except fpset.FilterError as e:
        assert e.field == "n"
    else:
        raise AssertionError("accepted a truncated set")
    try:
        fpset.FingerprintSet(b"SBLF" + data[4:])
    except fpset.FilterError as e:
        assert "format 1" in e.reason and e.field == "magic"
    else:
        raise AssertionError("accepted an old Bloom filter")


def test_wire_errors_are_found_before_decoding():
    wire = _wire({0: ["a%d" % i for i in range(40)], 2030: ["b%d" % i for i in range(9)]}, 49 * 1000)
    try:
        fpset.decode_wire(wire[:-1])
    except fpset.FilterError as e:
        assert e.field == "classes"
    else:
        raise AssertionError("accepted a truncated wire set")
    bad = bytearray(wire)
    bad[fpset.HEADER_SIZE + 2] ^= 1  # the first class's Rice parameter
    try:
        fpset.decode_wire(bytes(bad))
    except fpset.FilterError as e:
        assert e.field == "classes[0].rice"
    else:
        raise AssertionError("accepted a wrong Rice parameter")


def test_budget_arithmetic():
    u = budget.universe_for(1000, 1e-6, 379)
    assert budget.traveller_bound(1000, u, 379) <= 1e-6 < budget.traveller_bound(1000, u - 1, 379)
    assert budget.lookup_bound(10, 1000) == 10 / 1000 + 10 / 2 ** 64
    try:
        budget.universe_for(10 ** 9, 1e-12, 379)
    except ValueError:
        pass
    else:
        raise AssertionError("a universe beyond 2^62 was accepted")


class _Set:
    def __init__(self, by_year):
        self.end_years = sorted(by_year)
        self.codes = {}
        for code in range(len(self.end_years)):
            for k in by_year[self.end_years[code]]:
                self.codes[k] = code

    def find(self, key):
        return self.codes.get(key, -1)


def test_match_policy_strong_possible_and_expired_bans():
    doc, name = entry_keys("Қодиров", "Ҷамшед", "TJK", "400123456", "900314")
    docs, names = _Set({2029: doc, 0: []}), _Set({2029: name})
    qd, qn = query_keys("KODIROV", "JAMSHED", "TJK", "400123456", "900314")
    r = match_probes(qd, qn, docs, names, 2026)
    assert r.kind == "strong" and r.ban_end_year == 2029 and r.lookups == 3
    qd2, qn2 = query_keys("KODIROV", "JAMSHED", "TJK", "499999999", "900314")
    r = match_probes(qd2, qn2, docs, names, 2026)
    assert r.kind == "possible" and r.ban_end_year == 2029 and r.lookups == 6
    # the ban ended in a year before this one: not reported
    r = match_probes(qd, qn, _Set({2025: doc}), _Set({2025: name}), 2026)
    assert r.kind == "none"
    # no end date given: matches, end unknown; an open ban outlasts a dated one
    r = match_probes(qd, qn, _Set({}), _Set({0: name}), 2026)
    assert r.kind == "possible" and r.ban_end_year is None
    coarse = name[0][:-6] + "90<<<<"
    r = match_probes(qd, qn, _Set({}), _Set({0: name, 2030: [coarse]}), 2026)
    assert r.kind == "possible" and r.ban_end_year is None


def test_document_query_keys_from_a_parsed_mrz():
    lines = generate("TD3", "P", "TJK", "QODIROV", "DZHAMSHED", "400123456", "TJK", "900314", "M", "300101")
    doc = parse("\n".join(lines), today=(2026, 11, 23))
    qd, qn = document_query_keys(doc)
    d, n = entry_keys("Қодиров", "Ҷамшед", "TJK", "400123456", "900314")
    assert set(d) & set(qd) and set(n) & set(qn)


def test_a_passport_without_a_surname_is_matched_on_its_document_key_alone():
    # P<IND<<RAVI<<<: a single name. A name key from "" + RAVI + birth date would be the
    # same for every such RAVI born that day, so none is formed on either side.
    lines = generate("TD3", "P", "IND", "", "RAVI", "Z1234567", "IND", "850315", "M", "300101")
    doc = parse("\n".join(lines), today=(2026, 11, 23))
    assert doc.valid and doc.surname == ""
    qd, qn = document_query_keys(doc)
    assert qn == [] and "D|IND|Z1234567|850315" in qd
    assert entry_keys("", "Рави", "IND", "", "850315") == ([], [])
    listed, _ = entry_keys("Кумар", "Рави", "IND", "Z1234567", "850315")
    r = match_probes(qd, qn, _Set({2030: listed}), _Set({}), 2026)
    assert r.kind == "strong" and r.lookups == len(qd)


def test_a_blank_nationality_keys_the_document_under_its_issuing_state():
    # Macau's non-permanent resident card prints '<<<' for the nationality.
    lines = generate("TD1", "I", "MAC", "CHAN", "TAI MAN", "1234567", "", "850315", "M", "300101")
    doc = parse("\n".join(lines), today=(2026, 11, 23))
    assert doc.valid and doc.nationality == "<<<"
    qd, qn = document_query_keys(doc)
    assert "D|MAC|1234567|850315" in qd and all(k.startswith("D|MAC|") for k in qd)
    assert "N|JAN|TAI|850315" in qn  # the name key does not depend on the nationality


def test_hard_sign_names_meet_every_passport_spelling():
    # Tajik passports drop Ъ (SADULLOEV); ICAO writes it IE (SAIEDULLOEV). The list
    # entry inserts both skeletons, so either passport finds it.
    birth = "850312"
    _, names = entry_keys("Саъдуллоев", "Маъруф", "TJK", "", birth)
    for surname, given in (("SADULLOEV", "MARUF"), ("SAIEDULLOEV", "MAIERUF")):  # one system per passport
        _, probes = query_keys(surname, given, "TJK", "", birth)
        assert set(probes) & set(names), (surname, given)

"""Identity keys, name folding, the filter query and the match policy.

Plain asserts and no pytest imports: this module runs on CPython (pytest) and,
unchanged, under the MicroPython WebAssembly port (tests/test_filter_micropython.py).
"""

from firmware.core import bloom
from firmware.core.keys import birth_key, document_query_keys, entry_keys, normalize_number, query_keys
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


def test_bloom_reference_filter_has_every_key():
    keys = ["N|K%d|J|900101" % i for i in range(300)]
    m, k = bloom.optimal_parameters(len(keys), 0.01)
    data = bloom.build(keys, k, m, 2027, SALT)
    f = bloom.BloomFilter(data)
    assert f.header.n == 300 and f.header.end_year == 2027 and f.header.k == k
    for key in keys:
        assert key in f
    misses = sum(1 for i in range(2000) if ("N|other%d|J|900101" % i) in f)
    assert misses < 100, misses


def test_bloom_header_errors_name_the_field():
    data = bytearray(bloom.build(["a"], 3, 64, 0, SALT))
    for pos, field in ((0, "magic"), (4, "version"), (8, "k"), (16, "m")):
        bad = bytearray(data)
        bad[pos] ^= 0x5A
        try:
            bloom.BloomFilter(bytes(bad))
        except bloom.FilterError as e:
            assert e.field == field, (pos, e.field)
        else:
            assert False, "accepted a corrupt %s" % field
    try:
        bloom.BloomFilter(bytes(data[:-1]))
    except bloom.FilterError as e:
        assert e.field == "m"
    else:
        assert False, "accepted a truncated filter"


def test_bloom_bit_layout_is_lsb_first():
    m, k = 64, 1
    data = bloom.build(["x"], k, m, 0, SALT)
    i = bloom.bit_indexes(SALT, "x", k, m)[0]
    body = data[bloom.HEADER_SIZE:]
    assert body[i // 8] == 1 << (i % 8)


class _Part:
    def __init__(self, end_year, keys):
        self.end_year = end_year
        self.keys = set(keys)

    def contains(self, key):
        return key in self.keys


def test_match_policy_strong_possible_and_expired_partitions():
    doc, name = entry_keys("Қодиров", "Ҷамшед", "TJK", "400123456", "900314")
    parts = [_Part(2029, doc + name), _Part(0, []), _Part(2020, [])]
    qd, qn = query_keys("KODIROV", "JAMSHED", "TJK", "400123456", "900314")
    r = match_probes(qd, qn, parts, 2026)
    assert r.kind == "strong" and r.ban_end_year == 2029
    qd2, qn2 = query_keys("KODIROV", "JAMSHED", "TJK", "499999999", "900314")
    r = match_probes(qd2, qn2, parts, 2026)
    assert r.kind == "possible" and r.ban_end_year == 2029
    # the ban ended in a year before this one: not consulted
    r = match_probes(qd, qn, [_Part(2025, doc + name)], 2026)
    assert r.kind == "none"
    # no end date given: matches, end unknown
    r = match_probes(qd, qn, [_Part(0, name)], 2026)
    assert r.kind == "possible" and r.ban_end_year is None


def test_document_query_keys_from_a_parsed_mrz():
    lines = generate("TD3", "P", "TJK", "QODIROV", "DZHAMSHED", "400123456", "TJK", "900314", "M", "300101")
    doc = parse("\n".join(lines), today=(2026, 11, 23))
    qd, qn = document_query_keys(doc)
    d, n = entry_keys("Қодиров", "Ҷамшед", "TJK", "400123456", "900314")
    assert set(d) & set(qd) and set(n) & set(qn)


def test_hard_sign_names_meet_every_passport_spelling():
    # Tajik passports drop Ъ (SADULLOEV); ICAO writes it IE (SAIEDULLOEV). The list
    # entry inserts both skeletons, so either passport finds it.
    birth = "850312"
    _, names = entry_keys("Саъдуллоев", "Маъруф", "TJK", "", birth)
    for surname, given in (("SADULLOEV", "MARUF"), ("SAIEDULLOEV", "MAIERUF")):  # one system per passport
        _, probes = query_keys(surname, given, "TJK", "", birth)
        assert probes[0] in names, (surname, given)

"""Random, valid, realistic-looking travel documents for tests, the emulator and demos.

Names are Latin spellings of common Tajik, Uzbek and Russian names as they appear in
passports. Nothing here is a real person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from firmware.core import mrz

SURNAMES = [
    "RAHIMOV", "RAKHIMOV", "KARIMOV", "QODIROV", "KODIROV", "SAIDOV", "NAZAROV", "SHARIPOV",
    "DAVLATOV", "YUSUPOV", "GAFUROV", "GHAFUROV", "MIRZOEV", "SAFAROV", "KHOLOV", "HOLOV",
    "ABDULLOEV", "RAHMONZODA", "SHARIFZODA", "JUMAEV", "DZHURAEV", "TOSHMATOV", "ERGASHEV",
    "IVANOV", "PETROV", "ISMOILOV", "BOBOEV", "KURBONOV", "QURBONOV", "ODINAEV",
]
GIVEN = [
    "FIRDAVS", "JAMSHED", "DZHAMSHED", "BAKHTIYOR", "BAHTIYOR", "RUSTAM", "DILSHOD", "FARRUKH",
    "SUHROB", "SUKHROB", "ZARINA", "MADINA", "NIGORA", "ZULFIYA", "MEHRONA", "SHAHLO", "UMED",
    "KHURSHED", "HURSHED", "ALISHER", "PARVIZ", "SIYOVUSH", "TAHMINA", "GULNORA", "SOBIR",
]
FEMININE = {"ZARINA", "MADINA", "NIGORA", "ZULFIYA", "MEHRONA", "SHAHLO", "TAHMINA", "GULNORA"}
NATIONALITIES = ["TJK"] * 8 + ["UZB", "RUS", "KGZ", "AFG"]


@dataclass(frozen=True)
class FakeDocument:
    lines: list[str]
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str  # YYMMDD
    expiry_date: str  # YYMMDD
    sex: str

    def text(self) -> str:
        """The zone as one text, lines joined by newlines (as a scanner sends it)."""
        return "\n".join(self.lines)


def _yymmdd(year: int, month: int, day: int) -> str:
    return f"{year % 100:02d}{month:02d}{day:02d}"


def random_document(
    rng: random.Random,
    today: tuple[int, int, int] = (2026, 11, 23),
    fmt: str = "TD3",
    **overrides: str,
) -> FakeDocument:
    """A valid document; ``overrides`` replace any field (surname, given_names,
    document_number, nationality, birth_date, expiry_date, sex)."""
    given = rng.choice(GIVEN)
    sex = "F" if given in FEMININE else "M"
    surname = rng.choice(SURNAMES)
    if sex == "F" and surname.endswith(("OV", "EV")):
        surname += "A"
    nationality = rng.choice(NATIONALITIES)
    birth_year = rng.randint(today[0] - 70, today[0] - 16)
    birth = _yymmdd(birth_year, rng.randint(1, 12), rng.randint(1, 28))
    expiry_year = rng.randint(today[0] - 1, today[0] + 9)
    expiry = _yymmdd(expiry_year, rng.randint(1, 12), rng.randint(1, 28))
    prefix = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.randint(0, 2)))
    number = prefix + "".join(rng.choice("0123456789") for _ in range(9 - len(prefix)))
    fields = {
        "surname": surname, "given_names": given, "document_number": number,
        "nationality": nationality, "birth_date": birth, "expiry_date": expiry, "sex": sex,
    }
    fields.update(overrides)
    code = {"TD3": "P", "TD1": "I", "TD2": "I", "MRVA": "V", "MRVB": "V"}[fmt]
    lines = mrz.generate(
        fmt, code, fields["nationality"], fields["surname"], fields["given_names"],
        fields["document_number"], fields["nationality"], fields["birth_date"], fields["sex"],
        fields["expiry_date"],
    )
    return FakeDocument(lines=lines, **fields)

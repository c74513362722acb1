"""No wrong names: a valid reading the model was unsure of, where no check digit can catch a misread, is refused.

The two wrong reads the camera accepted on real passports: a surname and a given name with E read as K
and L (names have no check digit, and two frames agreed), and a document number read ``OO0000000`` for
``000000000`` (two O's weigh 24 x 7 + 24 x 3 = 240, a multiple of 10: the check digit cannot see them).
Here they are made synthetically: lines rendered twice with the same seed, the true glyphs and the
misread ones, blended into glyphs between the two (the committed model reads them), and probability
tables for the pure rule.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.camera import confidence
from firmware.camera.locate import Located
from firmware.camera.reader import read_zone
from firmware.camera.recognise import ALPHABET, LineReader
from firmware.core import mrz
from firmware.core.mrz_layout import field_span
from firmware.core.mrz_repair import DIGIT_TO_LETTER
from host_tools.fake_documents import random_document
from host_tools.ocr.render import MILD, render_line

TODAY = (2026, 11, 23)


@pytest.fixture(scope="module")
def reader() -> LineReader:
    return LineReader()


def _between(text: str, misread: str, seed: int, weight: float) -> np.ndarray:
    """``text`` rendered with its differing glyphs ``weight`` of the way to ``misread``'s (same page, same light)."""
    true = render_line(text, random.Random(seed), MILD).image.astype(np.float32)
    other = render_line(misread, random.Random(seed), MILD).image.astype(np.float32)
    return np.clip(np.round((1 - weight) * true + weight * other), 0, 255).astype(np.uint8)


def _zone(lines: list[str], misread: list[str], seed: int, weight: float) -> Located:
    images = [_between(t, m, seed + i, weight) for i, (t, m) in enumerate(zip(lines, misread, strict=True))]
    return Located(lines=images, length=len(lines[0]), lengths=(len(lines[0]),), angle=0.0, box=(),
                   upside_down=False)


def _accepted_wrong(reader: LineReader, truth: list[str], misread: list[str]) -> list[tuple[int, float]]:
    """The (seed, weight) whose zone, half-way or less towards ``misread``, was read valid but not as ``truth``."""
    wrong = []
    for seed in range(3):
        for weight in (0.4, 0.5):
            result = read_zone(_zone(truth, misread, seed, weight), reader, TODAY)
            if result.text is not None and result.text != "\n".join(truth):
                wrong.append((seed, weight))
    return wrong


def test_a_name_with_e_read_as_k_or_l_is_refused(reader: LineReader, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = random_document(random.Random(1), today=TODAY, fmt="TD3", surname="PETERSEN", given_names="RENEE")
    truth = list(doc.lines)
    assert read_zone(_zone(truth, truth, 0, 0.0), reader, TODAY).text == "\n".join(truth)  # a clean zone reads
    misreads = [[truth[0][:5] + truth[0][5:].replace("E", letter), truth[1]] for letter in "KL"]
    assert [_accepted_wrong(reader, truth, misread) for misread in misreads] == [[], []]
    # the glyphs are ambiguous enough that, unguarded, the reader takes a misread name
    monkeypatch.setattr(confidence, "UNGUARDED_THRESHOLD", 0.0)
    assert any(_accepted_wrong(reader, truth, misread) for misread in misreads)


def _table(lines: list[str], probability: float = 0.999) -> list[np.ndarray]:
    """Class probabilities per cell that read ``lines`` with ``probability`` each, the rest on '<' (or 'X')."""
    tables = []
    for line in lines:
        table = np.zeros((len(line), len(ALPHABET)))
        for pos, char in enumerate(line):
            table[pos, ALPHABET.index(char)] = probability
            table[pos, ALPHABET.index("<" if char != "<" else "X")] += 1 - probability
        tables.append(table)
    return tables


def _unsure(lines: list[str], tables: list[np.ndarray]) -> bool:
    doc = mrz.parse("\n".join(lines), today=TODAY)
    assert doc.valid and doc.format is not None
    return confidence.unsure(doc.format, lines, tables, TODAY)


def test_a_document_number_with_o_for_0_that_the_check_digit_cannot_see_is_refused() -> None:
    doc = random_document(random.Random(2), today=TODAY, fmt="TD3", document_number="000000000")
    truth = list(doc.lines)
    misread = [truth[0], "OO" + truth[1][2:]]
    tables = _table(misread)
    assert not _unsure(misread, tables)  # the check digit passes: only the model's doubt can stop it
    for pos in (0, 1):
        tables[1][pos] = 0.0
        tables[1][pos, ALPHABET.index("O")] = 0.6
        tables[1][pos, ALPHABET.index("0")] = 0.4
    assert _unsure(misread, tables)
    # one letter read as another 10 apart (E 14, O 24) passes the check digit too
    letter = random_document(random.Random(2), today=TODAY, fmt="TD3", document_number="E12345678").lines
    misread = [letter[0], "O" + letter[1][1:]]
    tables = _table(misread)
    assert not _unsure(misread, tables)
    tables[1][0, ALPHABET.index("O")], tables[1][0, ALPHABET.index("E")] = 0.8, 0.199
    assert _unsure(misread, tables)


def test_a_doubtful_number_character_is_left_to_the_check_digit_when_it_can_judge() -> None:
    lines = list(random_document(random.Random(4), today=TODAY, fmt="TD3", document_number="L40216774").lines)
    tables = _table(lines)
    pos = 3  # '2' at weight 7: read as a Z (35) the check digit moves by 7 x 33 = 231, it sees that
    tables[1][pos, ALPHABET.index("2")], tables[1][pos, ALPHABET.index("Z")] = 0.6, 0.399
    assert not _unsure(lines, tables)
    # a birth-date digit the model half took for its look-alike letter: the parser makes that letter the digit
    # again, so it is no other reading at all
    pos = next(p for p in range(13, 19) if lines[1][p] in DIGIT_TO_LETTER)
    look_alike = DIGIT_TO_LETTER[lines[1][pos]]
    tables[1][pos, ALPHABET.index(lines[1][pos])], tables[1][pos, ALPHABET.index(look_alike)] = 0.6, 0.399
    assert not _unsure(lines, tables)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), fmt=st.sampled_from(["TD1", "TD2", "TD3"]),
       field=st.sampled_from(["name", "nationality", "issuing_state", "birth_date"]),
       probability=st.floats(0.05, 0.999))
def test_only_an_unsure_unguarded_character_refuses_a_reading(seed: int, fmt: str, field: str,
                                                              probability: float) -> None:
    lines = list(random_document(random.Random(seed), today=TODAY, fmt=fmt).lines)
    tables = _table(lines)
    assert not _unsure(lines, tables)  # sure of every character: accepted
    row, start, end = field_span(fmt, field)  # type: ignore[misc]
    pos = random.Random(seed).randrange(start, end)
    char = lines[row][pos]
    tables[row][pos] = 0.0
    tables[row][pos, ALPHABET.index(char)] = probability
    tables[row][pos, ALPHABET.index("X" if char != "X" else "<")] = 1 - probability  # a reading no check passes
    guarded = field != "birth_date"  # check digits guard the dates, nothing guards the rest
    assert _unsure(lines, tables) == (guarded and probability < confidence.UNGUARDED_THRESHOLD)


def test_a_digit_the_parser_repairs_into_a_name_letter_counts_for_that_letter() -> None:
    doc = random_document(random.Random(3), today=TODAY, fmt="TD3", surname="OLSEN", given_names="OLGA")
    lines = list(doc.lines)
    tables = _table(lines)
    pos = lines[0].index("OLSEN")
    tables[0][pos] = 0.0
    tables[0][pos, ALPHABET.index("0")] = 0.55  # read as a zero, which the parser makes an O
    tables[0][pos, ALPHABET.index("O")] = 0.44
    assert confidence.character_confidence("TD3", lines, tables)[0][pos] == pytest.approx(0.99)
    assert not _unsure(lines, tables)
    tables[0][pos, ALPHABET.index("O")] = 0.1
    tables[0][pos, ALPHABET.index("Q")] = 0.34
    assert _unsure(lines, tables)

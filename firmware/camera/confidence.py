"""How sure the character model must be of the characters no check digit guards.

Check digits cover the document number, the dates and the optional data, not the names,
the nationality or the issuing state: a name read with an E as a K passes every check
and the name keys then miss a listed traveller. And they cover the document number
weakly: O (24) and 0 weigh 24 apart, so two of them swapped at weights 7 and 3 (240)
leave the check digit unchanged (as do I/1, B/8, S/5, Z/2 in pairs), and so does any one
letter read as another 10 apart (E/O, F/P, B/L, I/S, ...). So a valid reading is still
refused when a name, nationality or issuing-state character, or a document-number
character, was read with a probability under its threshold; the kiosk reads the next
frame instead.

A character's probability counts the characters the parser's type-forced repair turns
into it (a 0 read in a name is an O: P(O) + P(0)). Thresholds were chosen on the real
images and the synthetic pages (docs/camera.md: what they cost in refusals).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from firmware.camera.recognise import ALPHABET
from firmware.core.mrz_layout import field_span, kind_at, long_number_end, span
from firmware.core.mrz_repair import forced_repair

UNGUARDED_THRESHOLD = 0.9  # names, nationality, issuing state
NUMBER_THRESHOLD = 0.9  # a document-number character
UNGUARDED_FIELDS = ("issuing_state", "name", "nationality")
UNSURE = "unsure of a name or document number character"


def character_confidence(fmt: str, lines: Sequence[str], probabilities: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per line, each final (repaired) character's probability: its own, plus that of every character the
    parser's type-forced repair would turn into it at that place."""
    result = []
    for row, (text, line_probabilities) in enumerate(zip(lines, probabilities, strict=True)):
        confidence = np.empty(len(text), dtype=np.float64)
        for pos, final in enumerate(text):
            kind = kind_at(fmt, row, pos)[1]
            total = line_probabilities[pos, ALPHABET.index(final)]
            for index, read in enumerate(ALPHABET):
                if read != final and forced_repair(read, kind) == final:
                    total += line_probabilities[pos, index]
            confidence[pos] = total
        result.append(confidence)
    return result


def _number_positions(fmt: str, lines: Sequence[str]) -> list[tuple[int, int]]:
    """``(line, column)`` of the document number's characters, a long number's rest included."""
    line, start, end, _ = span(fmt, "document_number")
    positions = [(line, pos) for pos in range(start, end)]
    rest_end = long_number_end(fmt, list(lines))
    if rest_end > 0:
        rest_line, rest_start, _, _ = span(fmt, "optional_data")
        positions += [(rest_line, pos) for pos in range(rest_start, rest_end - 1)]
    return positions


def unsure(fmt: str, lines: Sequence[str], confidence: Sequence[np.ndarray]) -> bool:
    """Whether a valid reading of format ``fmt`` (``lines`` as the parser repaired them, ``confidence`` from
    ``character_confidence``) leans on a character the model was not sure of."""
    for name in UNGUARDED_FIELDS:
        where = field_span(fmt, name)
        if where is not None and confidence[where[0]][where[1] : where[2]].min() < UNGUARDED_THRESHOLD:
            return True
    return any(confidence[row][pos] < NUMBER_THRESHOLD for row, pos in _number_positions(fmt, lines))

"""How sure the character model must be of the characters no check digit guards.

Check digits cover the document number, the dates and the optional data, not the names,
the nationality or the issuing state: a name read with an E as a K passes every check
and the name keys then miss a listed traveller. And they cover the document number
weakly: O (24) and 0 weigh 24 apart, so two of them swapped at weights 7 and 3 (240)
leave the check digit unchanged (as do I/1, B/8, S/5, Z/2 in pairs), and so does any one
letter read as another 10 apart (E/O, F/P, B/L, I/S, ...). So a valid reading is still
refused (``unsure``; the kiosk reads the next frame instead) when

- a name, nationality or issuing-state character was read with a probability under
  ``UNGUARDED_THRESHOLD``, or
- another plausible reading of the characters the check digits cover (the document
  number, the dates, the optional data: every character the model gave at least
  ``ALTERNATIVE``, in any combination) passes the check digits too: the check digits
  cannot tell the two apart. Where they can, a doubtful character is theirs to judge.

A character's probability counts the characters the parser's type-forced repair turns
into it (a 0 read in a name is an O: P(O) + P(0)). The thresholds were chosen on the real
images and the synthetic pages (docs/camera.md: what they cost in refusals).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from firmware.camera.recognise import ALPHABET
from firmware.core import mrz
from firmware.core.mrz_layout import ALPHA, CHECKS, NUM, field_span, kind_at, span
from firmware.core.mrz_repair import forced_repair

UNGUARDED_THRESHOLD = 0.95  # names, nationality, issuing state
UNGUARDED_FIELDS = ("issuing_state", "name", "nationality")
ALTERNATIVE = 0.03  # a character the model gave this probability is a plausible reading of its cell
MAX_ALTERNATIVES = 64  # more plausible readings of the checked characters than this: too unsure to judge
UNSURE = "unsure of a character the check digits cannot judge"


def _repair_sources() -> dict[tuple[str, str], list[int]]:
    """(field kind, final character) -> the classes the parser's type-forced repair turns into that character."""
    sources: dict[tuple[str, str], list[int]] = {}
    for kind in (ALPHA, NUM):
        for index, read in enumerate(ALPHABET):
            final = forced_repair(read, kind)
            if final is not None:
                sources.setdefault((kind, final), []).append(index)
    return sources


_REPAIRED_FROM = _repair_sources()


def character_confidence(fmt: str, lines: Sequence[str], probabilities: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per line, each final (repaired) character's probability: its own, plus that of every character the
    parser's type-forced repair would turn into it at that place."""
    result = []
    for row, (text, line_probabilities) in enumerate(zip(lines, probabilities, strict=True)):
        indices = [ALPHABET.index(c) for c in text]
        confidence = np.array(line_probabilities[np.arange(len(text)), indices], dtype=np.float64)
        for pos, final in enumerate(text):
            extra = _REPAIRED_FROM.get((kind_at(fmt, row, pos)[1], final))
            if extra:
                confidence[pos] += line_probabilities[pos, extra].sum()
        result.append(confidence)
    return result


def _checked_positions(fmt: str) -> list[tuple[int, int]]:
    """``(line, column)`` of every character a check digit covers, and of the check digits."""
    positions: set[tuple[int, int]] = set()
    for _, digit_field, spans in CHECKS[fmt]:
        line, start, end, _ = span(fmt, digit_field)
        positions.update((line, pos) for pos in range(start, end))
        for line, start, end in spans:
            positions.update((line, pos) for pos in range(start, end))
    return sorted(positions)


def _another_valid_reading(fmt: str, lines: Sequence[str], probabilities: Sequence[np.ndarray],
                           today: tuple[int, int, int] | None) -> bool:
    """Whether the check digits also pass for another plausible reading of the characters they cover."""
    choices = []
    for row, pos in _checked_positions(fmt):
        read = lines[row][pos]
        kind = kind_at(fmt, row, pos)[1]
        others = [ALPHABET[i] for i in np.flatnonzero(probabilities[row][pos] >= ALTERNATIVE)]
        others = [c for c in others if (forced_repair(c, kind) or c) != read]
        if others:
            choices.append((row, pos, [read, *others]))
    combinations = int(np.prod([len(options) for _, _, options in choices]))
    if combinations > MAX_ALTERNATIVES:
        return True
    for picked in itertools.islice(itertools.product(*(options for _, _, options in choices)), 1, None):
        rows = [list(line) for line in lines]
        for (row, pos, _), char in zip(choices, picked, strict=True):
            rows[row][pos] = char
        try:
            if mrz.parse("\n".join("".join(r) for r in rows), today=today).valid:
                return True
        except mrz.MRZError:
            continue
    return False


def unsure(fmt: str, lines: Sequence[str], probabilities: Sequence[np.ndarray],
           today: tuple[int, int, int] | None = None) -> bool:
    """Whether a valid reading of format ``fmt`` (``lines`` as the parser repaired them; each line's class
    probabilities per cell) leans on a character the model was not sure of and no check digit can judge."""
    confidence = character_confidence(fmt, lines, probabilities)
    for name in UNGUARDED_FIELDS:
        where = field_span(fmt, name)
        if where is not None and confidence[where[0]][where[1] : where[2]].min() < UNGUARDED_THRESHOLD:
            return True
    return _another_valid_reading(fmt, lines, probabilities, today)

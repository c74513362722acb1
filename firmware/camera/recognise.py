"""Reading one MRZ text line with the character model: ranked hypotheses, not one guess.

The line is cut into cells a few ways (``cells.cut_line``); every cell of every cut
goes through the model in one interpreter call. Each cut gives its best text and, where a
cell is uncertain, the texts with its runner-up characters; all are ranked by the sum of
the characters' log-probabilities, so the caller can pick the best one whose check digits
hold. No text is logged or kept: it is personal data.
"""

from __future__ import annotations

import heapq
from pathlib import Path
from typing import Any

import numpy as np

from firmware.camera import cells
from firmware.camera.runtime import load_interpreter
from firmware.core.mrz_layout import CHARSET

DEFAULT_MODEL = Path(__file__).with_name("model") / "mrz_ocrb.tflite"
ALPHABET = CHARSET  # the model's classes, in this order
MAX_HYPOTHESES = 8
_RUNNERS_UP = 3  # characters considered per cell


class Hypothesis(tuple[str, float]):
    """One text of a line and its summed log-probability (it unpacks as ``(text, score)``), with the
    probabilities of every class at every cell of the cut it came from (``(length, classes)``), so a
    caller can say how sure each character is."""

    probabilities: np.ndarray

    def __new__(cls, text: str, score: float, probabilities: np.ndarray) -> Hypothesis:
        hypothesis = super().__new__(cls, (text, score))
        hypothesis.probabilities = probabilities
        return hypothesis

    @property
    def text(self) -> str:
        return self[0]

    @property
    def score(self) -> float:
        return self[1]

    def confidence(self) -> np.ndarray:
        """Each character's probability, as the model gave it."""
        indices = [ALPHABET.index(c) for c in self.text]
        result: np.ndarray = self.probabilities[np.arange(len(self.text)), indices]
        return result


class LineReader:
    """The character model, loaded once; ``read`` one line at a time."""

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        self._interpreter: Any = load_interpreter(model_path or DEFAULT_MODEL, threads)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self._batch = int(self._input["shape"][0])

    def read(self, line: np.ndarray, length: int) -> list[Hypothesis]:
        """Up to ``MAX_HYPOTHESES`` texts of ``length`` characters, best first."""
        cuts, batch = cells.cut_line(line, length)
        log_probabilities = self.log_probabilities(batch).reshape(len(cuts), length, len(ALPHABET))
        best: dict[str, Hypothesis] = {}
        for per_cell in log_probabilities:
            probabilities = np.exp(per_cell)
            for text, score in best_texts(per_cell, MAX_HYPOTHESES):
                if text not in best or score > best[text].score:
                    best[text] = Hypothesis(text, score, probabilities)
        return sorted(best.values(), key=lambda h: -h.score)[:MAX_HYPOTHESES]

    def log_probabilities(self, batch: np.ndarray) -> np.ndarray:
        """``(n, CELL_HEIGHT, CELL_WIDTH)`` float cells in [0, 1] -> ``(n, classes)`` log-probabilities,
        in one interpreter call."""
        # Re-allocating for a new batch size costs about 0.1 ms once the arena exists, and lines of 30, 36
        # and 44 cells alternate: cheaper than padding every batch to the longest line's size.
        if batch.shape[0] != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], [batch.shape[0], *self._input["shape"][1:]])
            self._interpreter.allocate_tensors()
            self._batch = batch.shape[0]
        scale, zero_point = self._input["quantization"]
        quantised = np.clip(np.round(batch / scale + zero_point), -128, 127).astype(np.int8)
        self._interpreter.set_tensor(self._input["index"], quantised[..., None])
        self._interpreter.invoke()
        out_scale, out_zero_point = self._output["quantization"]
        logits = (self._interpreter.get_tensor(self._output["index"]).astype(np.float32) - out_zero_point) * out_scale
        shifted = logits - logits.max(axis=1, keepdims=True)
        result: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return result


def best_texts(log_probabilities: np.ndarray, count: int) -> list[tuple[str, float]]:
    """The ``count`` most probable texts of independent cells ``(length, classes)``: the best
    characters, then the runner-ups of the least certain cells, best first."""
    order = np.argsort(-log_probabilities, axis=1)[:, :_RUNNERS_UP]
    ranked = np.take_along_axis(log_probabilities, order, axis=1)  # (length, runners-up), descending
    # The best text and the count - 1 cheapest single changes are count texts, so a cell whose change costs
    # more than those can be in none of the count best: only the others are worth changing.
    change = ranked[:, 0] - ranked[:, 1]
    if 2 <= count <= len(change):
        open_cells = np.flatnonzero(change <= np.sort(change)[count - 2]).tolist()
    else:
        open_cells = list(range(len(change)))
    start = (0,) * len(ranked)
    frontier = [(-float(ranked[:, 0].sum()), start)]
    seen = {start}
    found: list[tuple[str, float]] = []
    while frontier and len(found) < count:
        negative, choice = heapq.heappop(frontier)
        found.append(("".join(ALPHABET[order[i, c]] for i, c in enumerate(choice)), -negative))
        for i in open_cells:
            c = choice[i]
            if c + 1 < ranked.shape[1]:
                successor = (*choice[:i], c + 1, *choice[i + 1 :])
                if successor not in seen:
                    seen.add(successor)
                    score = -negative - float(ranked[i, c] - ranked[i, c + 1])
                    heapq.heappush(frontier, (-score, successor))
    return found

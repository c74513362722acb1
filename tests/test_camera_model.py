"""The camera's character model: the committed file, the cut into cells, and how well it reads.

The held-out lines are rendered with a seed neither training (14) nor the model card (1014)
used. No TensorFlow: LiteRT only, as on the kiosk.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import re
from importlib import metadata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.camera import cells, recognise, runtime
from firmware.camera.recognise import ALPHABET, DEFAULT_MODEL, LineReader, best_texts
from host_tools.ocr.render import MILD, Degradation, random_lines, random_text, render_line

TEST_SEED = 20260
CLEAN = Degradation((9, 60), 0.8, 0.6, 4.0, (70, 95), 0.2, 0.0, (140, 230))


@pytest.fixture(scope="module")
def reader() -> LineReader:
    return LineReader()


def test_runtime_is_litert():
    assert runtime.runtime_name() == "ai-edge-litert"
    assert runtime.runtime_version() == metadata.version("ai-edge-litert")


def test_committed_model_has_the_shapes_types_and_hash_of_its_card():
    flat = DEFAULT_MODEL.read_bytes()
    assert len(flat) <= 1_000_000  # a Pi's budget for the model: 1 MB int8
    card = (DEFAULT_MODEL.parent / "MODEL_CARD.md").read_text()
    stated = re.search(r"sha256 `([0-9a-f]{64})`", card)
    assert stated is not None and stated.group(1) == hashlib.sha256(flat).hexdigest()
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(DEFAULT_MODEL))
    interpreter.allocate_tensors()
    (given_in,) = interpreter.get_input_details()
    (given_out,) = interpreter.get_output_details()
    assert list(given_in["shape_signature"]) == [-1, cells.CELL_HEIGHT, cells.CELL_WIDTH, 1]
    assert list(given_out["shape_signature"]) == [-1, len(ALPHABET)]
    assert given_in["dtype"] == np.int8 and given_out["dtype"] == np.int8


def test_held_out_lines_are_read(reader):
    lines = random_lines(TEST_SEED, 300, MILD)
    wrong_lines = wrong_chars = chars = 0
    for line in lines:
        text = reader.read(line.image, len(line.text))[0].text
        errors = sum(a != b for a, b in zip(text, line.text, strict=True))
        wrong_chars += errors
        wrong_lines += errors > 0
        chars += len(text)
    assert wrong_lines <= 3, f"{wrong_lines} of {len(lines)} lines misread"
    assert wrong_chars <= chars // 1000, f"{wrong_chars} of {chars} characters misread"


def test_hypotheses_have_the_asked_length_best_first_and_one_interpreter_call(reader, monkeypatch):
    line = random_lines(TEST_SEED + 1, 1, MILD)[0]
    calls = []
    real_invoke = reader._interpreter.invoke
    def counted_invoke():
        calls.append(1)
        return real_invoke()

    monkeypatch.setattr(reader._interpreter, "invoke", counted_invoke, raising=False)
    hypotheses = reader.read(line.image, len(line.text))
    assert len(calls) == 1
    assert 1 < len(hypotheses) <= recognise.MAX_HYPOTHESES
    assert len({h.text for h in hypotheses}) == len(hypotheses)
    assert all(len(h.text) == len(line.text) and set(h.text) <= set(ALPHABET) for h in hypotheses)
    assert all(h.probabilities.shape == (len(line.text), len(ALPHABET)) for h in hypotheses)
    assert all(np.allclose(np.log(h.confidence()).sum(), h.score, atol=1e-3) for h in hypotheses)
    scores = [h.score for h in hypotheses]
    assert scores == sorted(scores, reverse=True)


def test_best_texts_offers_the_runner_up_of_the_least_certain_cell():
    probabilities = np.full((3, len(ALPHABET)), 1e-4)
    probabilities[0, ALPHABET.index("A")] = 0.99
    probabilities[1, ALPHABET.index("0")] = 0.6
    probabilities[1, ALPHABET.index("O")] = 0.39
    probabilities[2, ALPHABET.index("<")] = 0.99
    found = best_texts(np.log(probabilities), 2)
    assert [text for text, _ in found] == ["A0<", "AO<"]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), length=st.sampled_from([30, 36, 44]))
def test_lines_are_cut_at_their_characters(seed, length):
    rng = random.Random(seed)
    text = random_text(rng)[:length].ljust(length, "<")
    line = render_line(text, rng, CLEAN)
    cut = cells.segmentations(line.image, length)[0]
    assert np.abs(cut.centres(length) - line.centres).max() < 0.25 * line.pitch
    cut_cells = cells.cut_cells(line.image, cut, length)
    assert cut_cells.shape == (length, cells.CELL_HEIGHT, cells.CELL_WIDTH)
    assert cut_cells.min() == 0.0 and cut_cells.max() == 1.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), length=st.sampled_from([30, 36, 44]))
def test_a_line_whose_pitch_drifts_is_cut_at_its_characters_by_the_fitted_cut(seed, length):
    """A page seen at a slant: the pitch grows by up to 15% along the line. No even grid fits every
    character; the fitted cut (drifting pitch, edges at the glyphs' gaps) does."""
    rng = random.Random(seed)
    text = random_text(rng)[:length].ljust(length, "<")
    line = render_line(text, rng, dataclasses.replace(CLEAN, drift=0.15))
    flat = cells.flatten_lighting(line.image)
    even, column_ink = cells._segmentations(flat, length, 1)
    fitted = cells.fitted(even[0], column_ink, length)
    assert np.abs(fitted.centres(length) - line.centres).max() < 0.3 * line.pitch
    cuts, batch = cells.cut_line(line.image, length)
    assert cuts[-1] == fitted and batch.shape == (len(cuts) * length, cells.CELL_HEIGHT, cells.CELL_WIDTH)


def test_cells_are_resampled_as_the_model_was_trained():
    """The committed model was trained on cells Pillow cut one by one (bilinear ``resize`` of each
    cell's box); ``cut_cells`` resamples them all at once and must give the model the same cells."""
    from PIL import Image

    for line in random_lines(TEST_SEED + 2, 8, MILD):
        length = len(line.text)
        cut = cells.segmentations(line.image, length)[0]
        flat = cells.flatten_lighting(line.image)
        crop_height = max(1.3 * (cut.bottom - cut.top), 0.9 * cut.pitch * cells.CELL_HEIGHT / cells.CELL_WIDTH)
        crop_width = crop_height * cells.CELL_WIDTH / cells.CELL_HEIGHT
        margin = int(2 * crop_height + crop_width)
        image = Image.fromarray(np.pad(flat, margin, constant_values=1.0).astype(np.float32), mode="F")
        middle = margin + (cut.top + cut.bottom) / 2
        got = cells.cut_cells(line.image, cut, length)
        for index, centre in enumerate(cut.centres(length) + margin):
            box = (centre - crop_width / 2, middle - crop_height / 2, centre + crop_width / 2, middle + crop_height / 2)
            cell = np.asarray(image.resize((cells.CELL_WIDTH, cells.CELL_HEIGHT), Image.Resampling.BILINEAR, box=box))
            low, high = cell.min(), np.percentile(cell, 90)
            want = np.clip((cell - low) / (high - low), 0, 1) if high - low >= 0.1 else np.ones_like(cell)
            assert np.abs(got[index] - want).max() <= 0.02, index


def test_best_texts_are_the_most_probable_of_all_texts():
    """``best_texts`` only changes the cells that can be in the best few texts: it still finds those."""
    import itertools

    rng = np.random.default_rng(TEST_SEED)
    for _ in range(200):
        logits = np.round(rng.normal(0, 2, (6, len(ALPHABET))))  # whole numbers: ties, as int8 outputs give
        log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        order = np.argsort(-log_probabilities, axis=1)[:, :3]
        choices = itertools.product(range(3), repeat=6)
        every = sorted((sum(log_probabilities[i, order[i, c]] for i, c in enumerate(choice)) for choice in choices),
                       reverse=True)
        for count in (3, 5, 8):  # fewer than the cells: only some are worth changing
            found = best_texts(log_probabilities, count)
            assert np.allclose([score for _, score in found], every[:count])

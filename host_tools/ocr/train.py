"""Train the camera's character model from rendered lines; write the int8 .tflite and its card.

    python -m host_tools.ocr.train --out firmware/camera/model/

Needs the ``[train]`` extra (``tensorflow-cpu``); the kiosk never does. Everything is
seeded: the same seed and package versions give the same data. The cells come from the
kiosk's own ``firmware.camera.cells``, so the model sees what the reader will show it;
a line whose cut misses the true character centres is left out (and counted).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from firmware.camera import cells
from firmware.camera.recognise import ALPHABET, DEFAULT_MODEL, LineReader
from host_tools.ocr.render import HARSH, MILD, OTHER_FONTS, REAL, RenderedLine, random_lines

TRAIN_SEED = 14
HELD_OUT_SEED = 1014  # the card's figures; the test suite uses yet another seed
_SHIFT = 0.12  # pitches: cells cut this far off the centre too, so a slightly wrong cut still reads


def line_cells(line: RenderedLine, rng: random.Random) -> tuple[np.ndarray, np.ndarray] | None:
    """The line's cells and labels as the reader cuts them, plus a shifted copy; ``None``
    when the cut does not match the truth (a segmentation failure, not a lesson)."""
    length = len(line.text)
    cut = cells.segmentations(line.image, length, count=1)[0]
    if np.abs(cut.centres(length) - line.centres).max() > 0.3 * line.pitch:
        return None
    shifted = cells.Segmentation(
        cut.left + rng.uniform(-_SHIFT, _SHIFT) * cut.pitch, cut.pitch, cut.top, cut.bottom, cut.cost
    )
    images = np.concatenate([cells.cut_cells(line.image, cut, length), cells.cut_cells(line.image, shifted, length)])
    labels = np.array([ALPHABET.index(c) for c in line.text] * 2, dtype=np.int32)
    return images, labels


def dataset(seed: int, count: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Half the lines as a camera sees OCR-B (HARSH), half as real printers and scanners make them (REAL)."""
    rng = random.Random(seed)
    images, labels, skipped = [], [], 0
    for line in random_lines(seed, count // 2, HARSH) + random_lines(seed + 1, count - count // 2, REAL):
        pair = line_cells(line, rng)
        if pair is None:
            skipped += 1
            continue
        images.append(pair[0])
        labels.append(pair[1])
    return np.concatenate(images), np.concatenate(labels), skipped


def build_model():  # type: ignore[no-untyped-def]
    import tensorflow as tf

    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            layers.Input((cells.CELL_HEIGHT, cells.CELL_WIDTH, 1)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(128, activation="relu"),
            layers.Dense(len(ALPHABET)),  # logits: the reader takes its own log-softmax
        ]
    )


def to_int8_tflite(model, representative: np.ndarray) -> bytes:  # type: ignore[no-untyped-def]
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]

    def samples():  # type: ignore[no-untyped-def]
        for image in representative:
            yield [image[None, ..., None].astype(np.float32)]

    converter.representative_dataset = samples
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    result: bytes = converter.convert()
    return result


def evaluate(reader: LineReader, lines: list[RenderedLine]) -> dict[str, float]:
    """Per character and per line, the best hypothesis; "confidently wrong": a wrong best
    hypothesis whose every character had probability >= 0.9."""
    chars = wrong_chars = wrong_lines = confident_wrong = 0
    started = time.perf_counter()
    for line in lines:
        hypotheses = reader.read(line.image, len(line.text))
        text, score = hypotheses[0].text, hypotheses[0].score
        errors = sum(a != b for a, b in zip(text, line.text, strict=True))
        chars += len(text)
        wrong_chars += errors
        if errors:
            wrong_lines += 1
            runner_up = hypotheses[1].score if len(hypotheses) > 1 else -np.inf
            if score - runner_up > np.log(9):
                confident_wrong += 1
    elapsed = time.perf_counter() - started
    return {
        "lines": len(lines),
        "line_accuracy": 1 - wrong_lines / len(lines),
        "char_accuracy": 1 - wrong_chars / chars,
        "wrong_lines": wrong_lines,
        "confident_wrong": confident_wrong,
        "ms_per_line": 1000 * elapsed / len(lines),
    }


def _versions() -> dict[str, str]:
    names = ("tensorflow-cpu", "ai-edge-litert", "numpy", "Pillow")
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def model_card(facts: dict[str, object], results: dict[str, dict[str, float]]) -> str:
    rows = "\n".join(
        f"| {name} | {r['lines']:.0f} | {100 * r['char_accuracy']:.3f}% | {100 * r['line_accuracy']:.2f}% | "
        f"{r['wrong_lines']:.0f} | {r['confident_wrong']:.0f} | {r['ms_per_line']:.1f} |"
        for name, r in results.items()
    )
    versions = ", ".join(f"{k} {v}" for k, v in facts["versions"].items())  # type: ignore[attr-defined]
    fonts = ", ".join(f"`{path.name}`" for path in OTHER_FONTS)
    return f"""# Camera MRZ character model

`{DEFAULT_MODEL.name}`: reads one OCR-B character cell of a machine-readable zone.
Written by `python -m host_tools.ocr.train --out firmware/camera/model/` (needs the `[train]`
extra, `tensorflow-cpu`); this card is written by the same run, its figures measured then.

- **Input**: int8 `[batch, {cells.CELL_HEIGHT}, {cells.CELL_WIDTH}, 1]`, a cell cut by
  `firmware/camera/cells.py` (float 0 = ink .. 1 = paper, quantised with the tensor's scale and
  zero point); the batch is resized to the cells of one line (all its cuts) per call.
- **Output**: int8 `[batch, {len(ALPHABET)}]` logits over `{ALPHABET}` in this order
  (`firmware/camera/recognise.py` dequantises and takes the log-softmax).
- **Network**: 3 conv layers (16, 32, 64 filters, 3x3, ReLU, 2x2 max-pool), dense 128, dense {len(ALPHABET)};
  {facts['parameters']} parameters; full-int8 (representative set: {facts['representative']} training cells).
- **File**: {facts['size']} bytes, sha256 `{facts['sha256']}`.
- **Seed**: {TRAIN_SEED} (training lines), {HELD_OUT_SEED} (held-out lines below).
- **Packages**: {versions}; Python {facts['python']}.

## Data

{facts['train_lines']} synthetic MRZ lines rendered by `host_tools/ocr/render.py`: 60% a line of a random valid
document of any format (`host_tools/fake_documents.py`), 40% random characters of the alphabet, half of them
ending in a run of `<`. Half the lines (seed {TRAIN_SEED}) HARSH, as a camera sees an OCR-B data page: OCR-B
(`host_tools/ocr/fonts/OCRB.otf`) at a pitch jittered by +-6% and +-2% per character; text height 8-56 px; paper
texture; residual tilt under 1 degree; Gaussian blur up to 1.3 px; a light gradient up to 50% and a glare spot on
30% of lines; noise sigma up to 14; JPEG quality 25-95. The other half (seed {TRAIN_SEED + 1}) REAL, as real
printers and scanners make them: on 40% of lines one of these free faces instead of OCR-B, set at the OCR-B pitch
and cap height (Debian `fonts-dejavu-core`, `fonts-liberation2`, `fonts-freefont-ttf`): {fonts}; +-4% of the
font size per character; text height 9-56 px; strokes made heavier or lighter (a min/max filter of 1-3.5% of the
font size) on 40% of lines; slanted by up to 10 degrees on half; laser-engraving grain on 12%; infra-red look
(black on grey 110-190, no background print) on 12%; security-print wavy lines behind the text on 25%; the
baseline bent by up to 0.1 text heights on half (a curved page); a 3-5 px motion smear on 12%; contrast 70-230
grey levels; noise up to 12; JPEG quality 20-95. Every line cropped with a margin of 2 px to half a character
height. No pixel of a real document is used. Each line is cut by `cells.py` exactly as on the kiosk
({facts['skipped']} lines whose best even cut missed the true centres by more than 0.3 pitch were left out) and once
more shifted by up to {_SHIFT} pitch: {facts['cells']} cells.
Trained {facts['epochs']} epochs (Adam, batch 128) in {facts['train_seconds']:.0f} s on this machine's CPU.

## Measured

Held-out lines (seed {HELD_OUT_SEED}; REAL as trained, HARSH: OCR-B only, as a camera sees a data page), read
with LiteRT by `LineReader` (best hypothesis, no check digits):
"confident" wrong = the best hypothesis is wrong and more than 9 times as probable as the second.

| degradation | lines | per character | per line | wrong lines | confidently wrong | ms per line |
|---|---|---|---|---|---|---|
{rows}

MILD: text height 10-48 px, tilt 0.6 degrees, blur up to 0.8 px, noise up to 6, JPEG 55-95.
These are synthetic figures; a real camera's images are the benchmark's business
(`benchmarks/bench_camera.py`).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m host_tools.ocr.train", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the .tflite and MODEL_CARD.md")
    parser.add_argument("--lines", type=int, default=1600, help="training lines to render")
    parser.add_argument("--epochs", type=int, default=7, help="training epochs")
    parser.add_argument("--held-out", type=int, default=500, help="held-out lines per degradation")
    args = parser.parse_args(argv)
    missing = [str(path) for path in OTHER_FONTS if not path.exists()]
    if missing:
        parser.error(f"fonts missing: {', '.join(missing)} "
                     "(apt-get install fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf)")

    import platform

    import tensorflow as tf

    tf.keras.utils.set_random_seed(TRAIN_SEED)
    started = time.perf_counter()
    images, labels, skipped = dataset(TRAIN_SEED, args.lines)
    render_seconds = time.perf_counter() - started
    print(f"{len(images)} cells from {args.lines} lines ({skipped} cuts missed) in {render_seconds:.0f} s")
    order = np.random.default_rng(TRAIN_SEED).permutation(len(images))
    images, labels = images[order], labels[order]

    model = build_model()
    model.compile(
        optimizer=tf.keras.optimizers.Adam(1e-3),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    started = time.perf_counter()
    schedule = tf.keras.callbacks.LearningRateScheduler(lambda epoch: 1e-3 * 0.7**epoch)
    model.fit(images[..., None], labels, batch_size=128, epochs=args.epochs, validation_split=0.05,
              callbacks=[schedule], verbose=2)
    train_seconds = time.perf_counter() - started

    representative = images[:500]
    flat = to_int8_tflite(model, representative)
    args.out.mkdir(parents=True, exist_ok=True)
    model_path = args.out / DEFAULT_MODEL.name
    model_path.write_bytes(flat)

    reader = LineReader(model_path)
    results = {}
    for name, degradation in (("REAL", REAL), ("HARSH", HARSH), ("MILD", MILD)):
        results[name] = evaluate(reader, random_lines(HELD_OUT_SEED, args.held_out, degradation))
        print(name, results[name])
    facts = {
        "parameters": model.count_params(),
        "representative": len(representative),
        "size": len(flat),
        "sha256": hashlib.sha256(flat).hexdigest(),
        "versions": _versions(),
        "python": platform.python_version(),
        "train_lines": args.lines,
        "skipped": skipped,
        "cells": len(images),
        "epochs": args.epochs,
        "train_seconds": train_seconds,
    }
    (args.out / "MODEL_CARD.md").write_text(model_card(facts, results))
    print(f"wrote {model_path} ({len(flat)} bytes) and MODEL_CARD.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

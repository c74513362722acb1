"""What the camera reader saw, as pictures, for a technician mounting and focusing a camera
(`safar camera read --debug DIR IMAGE...`): the frame with the zone found, each line as it was cut
out, the character cells the model read and its best readings of each line.

Written only when a technician asks for it, from images they give: the kiosk's own frames never come
here (``CameraLink`` has no such path). The pictures show the document's zone: a technician uses
specimen documents, and deletes the folder afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from firmware.camera import cells
from firmware.camera.locate import Located, NotFound, locate

HYPOTHESES_SHOWN = 3  # readings per line, best first
GAP = 4  # pixels between the pieces of a picture


def write(out: Path, stem: str, image: Any, line_reader: Any, text: str | None) -> list[Path]:
    """The pictures of one image in ``out`` (made if missing), named after ``stem``; ``text`` is what the reader
    accepted (None: nothing). Returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    located = locate(image)
    written = [_save(_frame_with_zone(image, located), out / f"{stem}-zone.png")]
    if isinstance(located, NotFound):
        return written
    chosen: list[str | None] = list(text.split("\n")) if text else [None] * len(located.lines)
    for i, line in enumerate(located.lines, start=1):
        written.append(_save(Image.fromarray(line), out / f"{stem}-line{i}.png"))
        _, batch = cells.cut_line(line, located.length, count=1)
        written.append(_save(_tiled(batch), out / f"{stem}-cells{i}.png"))
    readings = [line_reader.read(line, located.length)[:HYPOTHESES_SHOWN] for line in located.lines]
    written.append(_save(_hypotheses(located, readings, chosen), out / f"{stem}-readings.png"))
    return written


def _save(picture: Image.Image, path: Path) -> Path:
    picture.save(path)
    return path


def _frame_with_zone(image: Any, located: Located | NotFound) -> Image.Image:
    """The frame (at most 1280 pixels wide) with the zone's outline, or the reason it was not found."""
    frame = image.convert("RGB")
    scale = min(1.0, 1280 / frame.width)
    frame = frame.resize((round(frame.width * scale), round(frame.height * scale)))
    draw = ImageDraw.Draw(frame)
    if isinstance(located, Located):
        corners = [(x * scale, y * scale) for x, y in located.box]
        draw.polygon(corners, outline=(255, 0, 0), width=3)
        draw.ellipse([corners[0][0] - 6, corners[0][1] - 6, corners[0][0] + 6, corners[0][1] + 6], fill=(255, 0, 0))
        label = f"{len(located.lines)} lines of {located.length}, {located.angle:+.1f} deg" + \
            (", upside down" if located.upside_down else "") + f", characters {located.char_height:.0f} px"
    else:
        label = f"not found: {located.reason}"
    draw.rectangle([0, 0, frame.width, 26], fill=(0, 0, 0))
    draw.text((6, 4), label, fill=(255, 255, 0), font=ImageFont.load_default(18))
    return frame


def _tiled(batch: np.ndarray) -> Image.Image:
    """The cells side by side, as the model sees them (0 ink, 1 paper), with a gap between them."""
    n, h, w = batch.shape
    picture = np.full((h, n * (w + GAP)), 128, np.uint8)
    for i, cell in enumerate(batch):
        picture[:, i * (w + GAP):i * (w + GAP) + w] = np.clip(cell * 255, 0, 255).astype(np.uint8)
    return Image.fromarray(picture).resize((picture.shape[1] * 2, h * 2), Image.Resampling.NEAREST)


def _hypotheses(located: Located, readings: list[list[tuple[str, float]]],
                chosen: list[str | None]) -> Image.Image:
    """Each line image with the model's best readings under it (log-probability summed over the line), the one the
    check digits accepted marked with '>'."""
    font = ImageFont.load_default(16)
    width = max(max(line.shape[1] for line in located.lines), 40 * 12)
    blocks = []
    for line, reading, accepted in zip(located.lines, readings, chosen, strict=True):
        rows = len(reading) or 1
        block = Image.new("RGB", (width, line.shape[0] + rows * 20 + GAP), (255, 255, 255))
        block.paste(Image.fromarray(line).convert("RGB"), (0, 0))
        draw = ImageDraw.Draw(block)
        for k, (text, score) in enumerate(reading):
            mark = ">" if accepted is not None and text == accepted else " "
            draw.text((2, line.shape[0] + k * 20), f"{mark} {text}  {score:.2f}", font=font,
                      fill=(0, 120, 0) if mark == ">" else (0, 0, 0))
        blocks.append(block)
    picture = Image.new("RGB", (width, sum(b.height + GAP for b in blocks)), (160, 160, 160))
    y = 0
    for block in blocks:
        picture.paste(block, (0, y))
        y += block.height + GAP
    return picture

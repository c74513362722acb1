"""Synthetic MRZ line images, as the camera localiser hands them to the reader.

A line of text is drawn in OCR-B at a fixed pitch (with a little printer jitter), on
paper with texture, then degraded the way a Pi camera and a data page degrade it: the
residual tilt a deskew leaves (under a degree), scale (line heights 12-80 px), blur,
uneven light and glare, sensor noise, JPEG; then cropped around the line with a margin of
a few pixels to half a character height. The character centres are returned, so a
segmentation can be checked against the truth.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from firmware.core.mrz_layout import CHARSET, SHAPES
from host_tools.fake_documents import random_document

FONT_PATH = Path(__file__).with_name("fonts") / "OCRB.otf"
_MAX_FONT_SIZE = 100  # drawn larger than wanted, then scaled down
_ADVANCE = 0.723  # OCR-B's advance, in font sizes
_CAP_TOP, _CAP_BOTTOM = 0.17, 0.96  # where digits and capitals stand, in font sizes
_FORMATS = tuple(SHAPES)


@dataclass(frozen=True)
class RenderedLine:
    image: np.ndarray  # uint8, 0 = ink
    text: str
    centres: np.ndarray  # x of each character's centre in ``image``
    pitch: float  # pixels per character in ``image``


@dataclass(frozen=True)
class Degradation:
    """How hard the camera is on the line; ``harsh`` is for training, ``mild`` for tests."""

    heights: tuple[int, int]  # text (cap) height in pixels
    tilt: float  # degrees, either way
    blur: float  # Gaussian radius in output pixels, at most
    noise: float  # sensor noise sigma in grey levels, at most
    jpeg: tuple[int, int]  # quality range
    light: float  # how much darker one end of the line may be (0..1)
    glare: float  # chance of a glare spot
    contrast: tuple[int, int]  # paper minus ink grey levels


HARSH = Degradation((8, 56), 1.0, 1.3, 14.0, (25, 95), 0.5, 0.3, (90, 230))
MILD = Degradation((10, 48), 0.6, 0.8, 6.0, (55, 95), 0.3, 0.15, (130, 230))

_font_cache: dict[int, ImageFont.FreeTypeFont] = {}


def _font(size: int) -> ImageFont.FreeTypeFont:
    if size not in _font_cache:
        _font_cache[size] = ImageFont.truetype(str(FONT_PATH), size)
    return _font_cache[size]


def random_text(rng: random.Random) -> str:
    """An MRZ line: of a random valid document (any format), or random characters with filler runs."""
    fmt = rng.choice(_FORMATS)
    if rng.random() < 0.6:
        document = random_document(rng, fmt=fmt)
        return rng.choice(document.lines)
    width = SHAPES[fmt][1]
    chars = [rng.choice(CHARSET) for _ in range(width)]
    if rng.random() < 0.5:  # a run of fillers, as names and optional data end
        start = rng.randrange(width)
        chars[start:] = "<" * (width - start)
    return "".join(chars)


def render_line(text: str, rng: random.Random, degradation: Degradation = HARSH) -> RenderedLine:
    """``text`` as a camera sees it, cropped as the localiser crops it."""
    text_height = rng.uniform(*degradation.heights)
    size = int(min(_MAX_FONT_SIZE, max(24, 3 * text_height / (_CAP_BOTTOM - _CAP_TOP))))
    font = _font(size)
    pitch = _ADVANCE * size * rng.uniform(0.94, 1.06)
    pad = size // 2
    width = int(pitch * len(text) + 2 * pad)
    height = int(size * 1.2 + 2 * pad)
    contrast = rng.randint(*degradation.contrast)
    paper = rng.randint(max(contrast, 170), 255)
    ink_level = paper - contrast
    canvas = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(canvas)
    centres = []
    for index, char in enumerate(text):
        x = pad + index * pitch + rng.uniform(-0.02, 0.02) * size
        y = pad + rng.uniform(-0.015, 0.015) * size
        draw.text((x, y), char, font=font, fill=0)
        centres.append(x + _ADVANCE * size / 2)
    scale = text_height / ((_CAP_BOTTOM - _CAP_TOP) * size)
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    coverage = np.asarray(canvas.resize(small_size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    picture = (ink_level + (paper - ink_level) * coverage) * _paper_texture(rng, coverage.shape)
    image = Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))
    # the residual tilt the localiser's deskew leaves, about the line's middle
    angle = rng.uniform(-degradation.tilt, degradation.tilt)
    middle = (small_size[0] / 2, (pad + size * (_CAP_TOP + _CAP_BOTTOM) / 2) * scale)
    small = image.rotate(angle, resample=Image.Resampling.BILINEAR, center=middle, fillcolor=paper)
    centres_x = np.array(centres) * scale
    centres_y = np.full_like(centres_x, middle[1])
    radians = np.radians(angle)  # PIL rotates counter-clockwise on screen
    rotated_x = middle[0] + (centres_x - middle[0]) * np.cos(radians) + (centres_y - middle[1]) * np.sin(radians)
    # the localiser's crop: a margin of a few pixels to half a character height on each side
    top = (pad + _CAP_TOP * size) * scale
    bottom = (pad + _CAP_BOTTOM * size) * scale
    left = pad * scale
    right = (pad + pitch * len(text)) * scale
    tilt_slack = abs(np.tan(np.radians(angle))) * (right - left) / 2
    margins = [rng.uniform(2, max(2.5, text_height / 2)) for _ in range(4)]
    box = (
        int(left - margins[0]),
        int(top - tilt_slack - margins[1]),
        int(np.ceil(right + margins[2])),
        int(np.ceil(bottom + tilt_slack + margins[3])),
    )
    cropped = small.crop(box)
    blur = rng.uniform(0, degradation.blur)
    if blur > 0.2:
        cropped = cropped.filter(ImageFilter.GaussianBlur(blur))
    pixels = np.asarray(cropped, dtype=np.float32)
    pixels = _uneven_light(rng, pixels, degradation)
    pixels += rng.uniform(0, degradation.noise) * np.random.default_rng(rng.getrandbits(32)).standard_normal(
        pixels.shape
    )
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    out.save(buffer, format="JPEG", quality=rng.randint(*degradation.jpeg))
    final = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    line_centres = rotated_x - box[0]
    return RenderedLine(final, text, line_centres, pitch * scale)


def _paper_texture(rng: random.Random, shape: tuple[int, ...]) -> np.ndarray:
    """Multiplicative paper: a coarse mottle and a fine grain, a few percent each."""
    generator = np.random.default_rng(rng.getrandbits(32))
    coarse = generator.standard_normal((max(2, shape[0] // 40), max(2, shape[1] // 40))).astype(np.float32)
    mottle = np.asarray(
        Image.fromarray(coarse, mode="F").resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    )
    grain = generator.standard_normal(shape).astype(np.float32)
    return 1.0 + rng.uniform(0, 0.04) * mottle + rng.uniform(0, 0.03) * grain


def _uneven_light(rng: random.Random, pixels: np.ndarray, degradation: Degradation) -> np.ndarray:
    """A light gradient along the line and, sometimes, a glare spot washing the print out."""
    height, width = pixels.shape
    darker = rng.uniform(0, degradation.light)
    ramp = np.linspace(1.0, 1.0 - darker, width, dtype=np.float32)
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    lit = pixels * ramp[None, :]
    if rng.random() < degradation.glare:
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.5, 3.0) * height
        ys, xs = np.mgrid[0:height, 0:width]
        spot = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * radius**2)).astype(np.float32)
        strength = rng.uniform(0.2, 0.6)
        lit = lit + (255.0 - lit) * strength * spot
    return lit


def random_lines(seed: int, count: int, degradation: Degradation = HARSH) -> list[RenderedLine]:
    """``count`` seeded random lines: the same seed, the same lines."""
    rng = random.Random(seed)
    return [render_line(random_text(rng), rng, degradation) for _ in range(count)]

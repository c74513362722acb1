"""Synthetic MRZ line images, as the camera localiser hands them to the reader.

A line of text is drawn in OCR-B at a fixed pitch (with a little printer jitter), on
paper with texture, then degraded the way a Pi camera and a data page degrade it: the
residual tilt a deskew leaves (under a degree), scale (line heights 12-80 px), blur,
uneven light and glare, sensor noise, JPEG; then cropped around the line with a margin of
a few pixels to half a character height. The character centres are returned, so a
segmentation can be checked against the truth.

Real documents are printed less kindly than that (``REAL``): other OCR-B cuts and
sans-serif faces in the MRZ's pitch (free fonts from Debian: ``OTHER_FONTS``), heavier
or lighter strokes, slanted print, uneven spacing, laser engraving's grainy strokes,
infra-red scans (black on grey), security-print backgrounds, motion blur, a curved
page, JPEG at low quality.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from functools import cache
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
# Free faces (Debian: fonts-dejavu-core, fonts-liberation2, fonts-freefont-ttf; Bitstream Vera, SIL OFL 1.1 and
# GPL-with-font-exception licences: rendering text with them puts no terms on a model trained on the pictures).
# Some printers' MRZs are set in a sans-serif face at the OCR-B pitch rather than in OCR-B itself.
_DEBIAN_FONTS = Path("/usr/share/fonts/truetype")
OTHER_FONTS = tuple(_DEBIAN_FONTS / name for name in (
    "dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSans.ttf", "dejavu/DejaVuSansCondensed.ttf",
    "dejavu/DejaVuSansMono-Bold.ttf", "liberation2/LiberationMono-Regular.ttf",
    "liberation2/LiberationSans-Regular.ttf",
    "freefont/FreeSans.ttf", "freefont/FreeMono.ttf", "freefont/FreeMonoBold.ttf",
))


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
    # how real printers and scanners differ from a camera on OCR-B (chances per line; 0: never)
    other_font: float = 0.0  # a face of OTHER_FONTS instead of OCR-B
    stroke: float = 0.0  # heavier or lighter strokes
    slant: float = 0.0  # degrees of slant, either way, at most
    jitter: float = 0.02  # per-character spacing error, in font sizes, at most
    laser: float = 0.0  # laser engraving: grainy strokes
    infrared: float = 0.0  # an infra-red scan: black on grey, no background print
    guilloche: float = 0.0  # security print behind the zone
    motion: float = 0.0  # motion blur
    curve: float = 0.0  # a curved page: the baseline bends by up to this many text heights
    drift: float = 0.0  # the pitch grows (or shrinks) along the line by up to this fraction: a page seen at a slant


HARSH = Degradation((8, 56), 1.0, 1.3, 14.0, (25, 95), 0.5, 0.3, (90, 230))
MILD = Degradation((10, 48), 0.6, 0.8, 6.0, (55, 95), 0.3, 0.15, (130, 230))
REAL = Degradation((9, 56), 1.0, 1.3, 12.0, (20, 95), 0.5, 0.3, (70, 230), other_font=0.4, stroke=0.4, slant=10.0,
                   jitter=0.04, laser=0.12, infrared=0.12, guilloche=0.25, motion=0.12, curve=0.1)


@cache
def _font(size: int, path: Path = FONT_PATH) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


@cache
def _cap_band(path: Path) -> tuple[float, float, float]:
    """Where a face's capitals and digits stand (top, bottom, in font sizes) and its widest glyph (font sizes)."""
    font = _font(_MAX_FONT_SIZE, path)
    boxes = [font.getbbox(c) for c in "EH0"]
    widest = max(font.getlength(c) for c in CHARSET)
    return (min(b[1] for b in boxes) / _MAX_FONT_SIZE, max(b[3] for b in boxes) / _MAX_FONT_SIZE,
            widest / _MAX_FONT_SIZE)


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
    path = FONT_PATH
    if degradation.other_font and rng.random() < degradation.other_font:
        path = rng.choice(OTHER_FONTS)
    cap_top, cap_bottom = (_CAP_TOP, _CAP_BOTTOM) if path == FONT_PATH else _cap_band(path)[:2]
    size = int(min(_MAX_FONT_SIZE, max(24, 3 * text_height / (cap_bottom - cap_top))))
    font = _font(size, path)
    # the OCR-B pitch for this cap height, whatever the face
    advance = _ADVANCE * size * (cap_bottom - cap_top) / (_CAP_BOTTOM - _CAP_TOP)
    pitch = advance * rng.uniform(0.94, 1.06)
    pad = size // 2
    width = int(pitch * len(text) + 2 * pad)
    height = int(size * 1.2 + 2 * pad)
    contrast = rng.randint(*degradation.contrast)
    paper = rng.randint(max(contrast, 170), 255)
    infrared = bool(degradation.infrared and rng.random() < degradation.infrared)
    if infrared:  # black print on mid-grey paper
        paper = rng.randint(110, 190)
        contrast = rng.randint(min(60, paper - 20), paper - 10)
    ink_level = paper - contrast
    canvas = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(canvas)
    centres = []
    drift = rng.uniform(-degradation.drift, degradation.drift) if degradation.drift else 0.0
    for index, char in enumerate(text):
        place = index + 0.5 + drift * (index + 0.5) * (index + 0.5 - len(text)) / (2 * len(text))
        centre = pad + (place - 0.5) * pitch + advance / 2 + rng.uniform(-degradation.jitter, degradation.jitter) * size
        x = centre - font.getlength(char) / 2
        y = pad + rng.uniform(-0.015, 0.015) * size
        draw.text((x, y), char, font=font, fill=0)
        centres.append(centre)
    canvas = _printed(canvas, rng, degradation, size, pad + size * (cap_top + cap_bottom) / 2)
    scale = text_height / ((cap_bottom - cap_top) * size)
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    coverage = np.asarray(canvas.resize(small_size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    if degradation.laser and rng.random() < degradation.laser:  # engraved dots: the strokes' darkness varies
        grain = np.random.default_rng(rng.getrandbits(32)).uniform(0.0, rng.uniform(0.3, 0.7), coverage.shape)
        coverage = 1.0 - (1.0 - coverage) * (1.0 - grain.astype(np.float32))
    paper_map = np.full(coverage.shape, float(paper), dtype=np.float32)
    if not infrared and degradation.guilloche and rng.random() < degradation.guilloche:
        paper_map -= _guilloche(rng, coverage.shape, text_height) * min(rng.uniform(20, 70), contrast * 0.6)
    picture = (ink_level + (paper_map - ink_level) * coverage) * _paper_texture(rng, coverage.shape)
    image = Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))
    # the residual tilt the localiser's deskew leaves, about the line's middle
    angle = rng.uniform(-degradation.tilt, degradation.tilt)
    middle = (small_size[0] / 2, (pad + size * (cap_top + cap_bottom) / 2) * scale)
    small = image.rotate(angle, resample=Image.Resampling.BILINEAR, center=middle, fillcolor=paper)
    bend = 0.0
    if degradation.curve and rng.random() < 0.5:
        bend = rng.uniform(0, degradation.curve) * text_height
        small = _curved(small, rng, bend, paper)
    centres_x = np.array(centres) * scale
    centres_y = np.full_like(centres_x, middle[1])
    radians = np.radians(angle)  # PIL rotates counter-clockwise on screen
    rotated_x = middle[0] + (centres_x - middle[0]) * np.cos(radians) + (centres_y - middle[1]) * np.sin(radians)
    # the localiser's crop: a margin of a few pixels to half a character height on each side
    top = (pad + cap_top * size) * scale - bend
    bottom = (pad + cap_bottom * size) * scale + bend
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
    if degradation.motion and rng.random() < degradation.motion:
        cropped = cropped.filter(_motion_kernel(rng))
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


def _printed(canvas: Image.Image, rng: random.Random, degradation: Degradation, size: int,
             middle: float) -> Image.Image:
    """The printer's hand on the drawn glyphs (black on white, at the drawing size): heavier or lighter
    strokes, and a slant about the text's middle row (the character centres stay where they were)."""
    if degradation.stroke and rng.random() < degradation.stroke:
        reach = max(1, round(size * rng.uniform(0.01, 0.035)))
        heavier = rng.random() < 0.6
        kernel = 2 * reach + 1
        canvas = canvas.filter(ImageFilter.MinFilter(kernel) if heavier else ImageFilter.MaxFilter(kernel))
    if degradation.slant and rng.random() < 0.5:
        shear = np.tan(np.radians(rng.uniform(-degradation.slant, degradation.slant)))
        canvas = canvas.transform(canvas.size, Image.Transform.AFFINE, (1, shear, -shear * middle, 0, 1, 0),
                                  resample=Image.Resampling.BILINEAR, fillcolor=255)
    return canvas


def _guilloche(rng: random.Random, shape: tuple[int, ...], text_height: float) -> np.ndarray:
    """Security print: fine wavy lines (0 paper .. 1 full line), a line every third of a text height or so."""
    height, width = shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    period = rng.uniform(0.25, 0.8) * text_height
    wave = rng.uniform(0.5, 3.0) * text_height
    amplitude = rng.uniform(0.1, 0.6)
    lean = rng.uniform(-0.5, 0.5)
    phase = (ys + lean * xs) / period + amplitude * np.sin(2 * np.pi * xs / wave + rng.uniform(0, 6.3))
    lines = np.abs(np.sin(np.pi * phase)) ** rng.uniform(4, 16)
    result: np.ndarray = lines.astype(np.float32)
    return result


def _curved(image: Image.Image, rng: random.Random, bend: float, paper: int) -> Image.Image:
    """The page bends: each column shifts up or down along a half sine (no more than ``bend`` pixels)."""
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape
    phase = rng.uniform(0, np.pi)
    shift = bend * np.sin(phase + np.pi * np.arange(width) / width * rng.uniform(0.5, 1.5))
    source = np.arange(height, dtype=np.float32)[:, None] - shift[None, :]
    below = np.floor(source).astype(np.intp)
    weight = (source - below).astype(np.float32)
    padded = np.pad(pixels, ((1, 2), (0, 0)), constant_values=paper)
    columns = np.arange(width)[None, :]
    top = padded[np.clip(below + 1, 0, height + 2), columns]
    under = padded[np.clip(below + 2, 0, height + 2), columns]
    return Image.fromarray(np.clip(top * (1 - weight) + under * weight, 0, 255).astype(np.uint8))


def _motion_kernel(rng: random.Random) -> ImageFilter.Kernel:
    """A short straight smear, horizontal, vertical or diagonal, 3 or 5 pixels long."""
    length = rng.choice((3, 5))
    kernel = np.zeros((length, length), dtype=np.float32)
    middle = length // 2
    direction = rng.randrange(4)
    for i in range(length):
        row, column = [(middle, i), (i, middle), (i, i), (i, length - 1 - i)][direction]
        kernel[row, column] = 1.0
    return ImageFilter.Kernel((length, length), kernel.ravel().tolist(), scale=float(length))


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

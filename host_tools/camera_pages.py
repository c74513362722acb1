"""Synthetic camera frames of passport data pages, with ground truth, for the camera reader's tests.

A page is drawn flat at ``PAGE_SCALE`` pixels per millimetre (photo block, printed fields in
DejaVu, guilloche-like security print, the MRZ in OCR-B at ICAO's 10 characters per inch),
then placed in a frame the way a camera over the document rest sees it: a homography
(rotation, scale, a little perspective), uneven lighting, blur, noise, an optional glare
blob and JPEG. Everything comes from the ``rng`` given, so a seed regenerates the frame.

``truth``: ``format``, ``lines`` (the MRZ text), ``zone`` and ``line_boxes`` (corner points
in the frame, top-left, top-right, bottom-right, bottom-left in the document's reading
order: an upside-down page has its top-left corner at the bottom right), ``pitch`` and
``char_height`` (frame pixels), ``tilt`` (degrees, counter-clockwise), ``upside_down``,
``glare`` ("none", "zone", "elsewhere").

Workstation only: the documents are fake (``fake_documents``) or ICAO specimens, and the
frames and ``truth.json`` it writes hold their MRZ text.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from firmware import cliutil
from firmware.core import mrz
from host_tools.fake_documents import random_document
from host_tools.specimens import SPECIMENS

ROOT = Path(__file__).resolve().parent.parent
OCRB = ROOT / "host_tools" / "ocr" / "fonts" / "OCRB.otf"
DEJAVU = ROOT / "kiosk_ui" / "fonts" / "DejaVuSans.ttf"
DEJAVU_BOLD = ROOT / "kiosk_ui" / "fonts" / "DejaVuSans-Bold.ttf"

PAGE_SCALE = 8.0  # pixels per millimetre of the flat page
PITCH_MM = 25.4 / 10  # ICAO Doc 9303 Part 3: 10 characters per inch
LINE_PITCH_MM = 4.3  # baseline to baseline
CHAR_HEIGHT_MM = 2.3
# format -> (page width, page height, MRZ bottom margin) in millimetres (ID-1, ID-2, ID-3 sizes)
PAGE_MM = {"TD1": (85.6, 54.0, 2.6), "TD2": (105.0, 74.0, 3.5), "TD3": (125.0, 88.0, 3.9)}
PAGE_MM["MRVA"] = PAGE_MM["TD3"]
PAGE_MM["MRVB"] = PAGE_MM["TD2"]
GLARE_PEAK = 400.0  # gray levels added at a highlight's centre: saturates well beyond it
FRAME_SCALE = (5.6, 8.6)  # frame pixels per millimetre: a camera at a fixed height, the page held nearer or farther


class MRZDocument(Protocol):
    @property
    def lines(self) -> list[str]: ...


def _font(path: Path, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), max(1, round(size)))


def _guilloche(draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int]) -> None:
    """Fine, light, interleaved sine curves: the texture a locator must not take for text."""
    w, h = size
    colour = (rng.randint(185, 215), rng.randint(195, 220), rng.randint(205, 230))
    period = rng.uniform(60, 140)
    amplitude = rng.uniform(8, 25)
    for k in range(0, h + 40, rng.randint(9, 16)):
        phase = rng.uniform(0, math.tau)
        xs = range(0, w + 8, 8)
        points = [(x, k + amplitude * math.sin(x / period * math.tau + phase)) for x in xs]
        draw.line(points, fill=colour, width=1)


def _photo(page: Image.Image, rng: random.Random, box: tuple[int, int, int, int]) -> None:
    """A photo-like block: a gradient, a darker head-and-shoulders shape, grain."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(120, 200) + rng.uniform(-40, 40) * (yy / h) + rng.uniform(-30, 30) * (xx / w)
    head = ((xx - w / 2) / (w * 0.28)) ** 2 + ((yy - h * 0.4) / (h * 0.25)) ** 2 < 1
    shoulders = ((xx - w / 2) / (w * 0.5)) ** 2 + ((yy - h * 1.05) / (h * 0.35)) ** 2 < 1
    tone = base - rng.uniform(30, 70) * head - rng.uniform(50, 110) * shoulders
    grain = np.random.default_rng(rng.getrandbits(32)).normal(0, 6, (h, w))
    gray = np.clip(tone + grain, 0, 255).astype(np.uint8)
    tint = np.stack([gray, np.clip(gray * 0.92, 0, 255), np.clip(gray * 0.85, 0, 255)], axis=-1).astype(np.uint8)
    page.paste(Image.fromarray(tint, "RGB"), (x0, y0))


def _printed_fields(draw: ImageDraw.ImageDraw, rng: random.Random, lines: Sequence[str],
                    left: float, top: float, bottom: float) -> None:
    """Labels and values as the visual zone prints them, from the document's own MRZ, between ``top`` and
    ``bottom`` (page pixels)."""
    doc = mrz.parse("\n".join(lines), today=(2026, 1, 1))
    values = [
        ("Surname / Nom", doc.surname or "-"),
        ("Given names / Prénoms", doc.given_names or "-"),
        ("Nationality / Nationalité", doc.nationality),
        ("Date of birth / Date de naissance", doc.birth_date.iso() if doc.birth_date else "-"),
        ("Sex / Sexe", doc.sex),
        ("Date of expiry / Date d'expiration", doc.expiry_date.iso() if doc.expiry_date else "-"),
        ("Document No. / No du document", doc.document_number),
    ]
    ink = rng.randint(20, 60)
    step = min(5.6 * PAGE_SCALE, (bottom - top) / len(values))
    label_font = _font(DEJAVU, 0.33 * step)
    value_font = _font(DEJAVU_BOLD, 0.46 * step)
    y = top
    for label, value in values:
        draw.text((left, y), label, font=label_font, fill=(110, 110, 120))
        draw.text((left, y + 0.36 * step), value, font=value_font, fill=(ink, ink, ink + 10))
        y += step


def _draw_page(document: MRZDocument, rng: random.Random,
               with_mrz: bool = True) -> tuple[Image.Image, list[list[tuple[float, float]]]]:
    """The flat page and each MRZ line's ink box (page pixels, corners TL, TR, BR, BL; without the MRZ: where
    it would stand)."""
    fmt = mrz.parse("\n".join(document.lines), today=(2026, 1, 1)).format or "TD3"
    width_mm, height_mm, bottom_mm = PAGE_MM[fmt]
    s = PAGE_SCALE
    size = (round(width_mm * s), round(height_mm * s))
    paper = (rng.randint(225, 245), rng.randint(222, 240), rng.randint(210, 232))
    page = Image.new("RGB", size, paper)
    draw = ImageDraw.Draw(page)
    _guilloche(draw, rng, size)
    n_lines, length = len(document.lines), len(document.lines[0])
    zone_top_mm = height_mm - bottom_mm - n_lines * LINE_PITCH_MM
    header = _font(DEJAVU_BOLD, 3.2 * s)
    draw.text((5 * s, 2.5 * s), rng.choice(["PASSPORT", "IDENTITY CARD", "TRAVEL DOCUMENT"]), font=header,
              fill=(60, 60, 90))
    photo_w = width_mm * 0.28
    photo_h = min(photo_w * 1.3, zone_top_mm - 12)
    _photo(page, rng, (round(5 * s), round(9 * s), round((5 + photo_w) * s), round((9 + photo_h) * s)))
    _printed_fields(draw, rng, document.lines, (9 + photo_w) * s, 8.5 * s, (zone_top_mm - 2.5) * s)

    pitch = PITCH_MM * s
    font = _font(OCRB, CHAR_HEIGHT_MM * s / 0.72)  # OCR-B's capitals stand 0.72 em tall
    ink = rng.randint(5, 40)
    left = (width_mm - length * PITCH_MM) / 2 * s
    boxes = []
    for i, text in enumerate(document.lines):
        baseline = (zone_top_mm + (i + 1) * LINE_PITCH_MM - 0.6) * s
        tops, bottoms = [], []
        for j, char in enumerate(text):
            x = left + j * pitch
            if with_mrz:
                draw.text((x, baseline), char, font=font, fill=(ink, ink, ink + 5), anchor="ls")
            bbox = draw.textbbox((x, baseline), char, font=font, anchor="ls")
            tops.append(bbox[1])
            bottoms.append(bbox[3])
        x0 = draw.textbbox((left, baseline), text[0], font=font, anchor="ls")[0]
        x1 = draw.textbbox((left + (length - 1) * pitch, baseline), text[-1], font=font, anchor="ls")[2]
        y0, y1 = min(tops), max(bottoms)
        boxes.append([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    return page, boxes


def _homography(src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]) -> np.ndarray:
    """The 3x3 projective map taking the four ``src`` points to ``dst``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    h = np.linalg.solve(np.array(rows, float), np.array(rhs, float))
    return np.append(h, 1.0).reshape(3, 3)


def _apply(h: np.ndarray, points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for x, y in points:
        u, v, w = h @ np.array([x, y, 1.0])
        out.append((float(u / w), float(v / w)))
    return out


def _placement(rng: random.Random, page_size: tuple[int, int], zone: list[tuple[float, float]],
               frame_size: tuple[int, int], tilt: float, upside_down: bool) -> np.ndarray:
    """A page-to-frame homography that keeps the whole MRZ zone inside the frame."""
    pw, ph = page_size
    fw, fh = frame_size
    angle = math.radians(tilt + (180 if upside_down else 0))
    corners = [(0.0, 0.0), (pw, 0.0), (pw, ph), (0.0, ph)]
    for _ in range(100):
        scale = rng.uniform(*FRAME_SCALE) / PAGE_SCALE
        jitter = 0.012 * pw * scale
        cx, cy = rng.uniform(0, fw), rng.uniform(0, fh)
        dst = []
        for x, y in corners:
            dx, dy = (x - pw / 2) * scale, (y - ph / 2) * scale
            # counter-clockwise on screen (y grows downwards)
            u = cx + dx * math.cos(angle) + dy * math.sin(angle) + rng.uniform(-jitter, jitter)
            v = cy - dx * math.sin(angle) + dy * math.cos(angle) + rng.uniform(-jitter, jitter)
            dst.append((u, v))
        h = _homography(corners, dst)
        margin = 12
        if all(margin < u < fw - margin and margin < v < fh - margin for u, v in _apply(h, zone)):
            return h
    raise ValueError("the page does not fit the frame")


def _background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A table or document rest: a dull surface with slow shading (the frame's grain comes later)."""
    w, h = size[0] // 8, size[1] // 8
    xx, yy = np.arange(w, dtype=np.float32)[None, :] * 8, np.arange(h, dtype=np.float32)[:, None] * 8
    base = np.array([rng.uniform(40, 140) for _ in range(3)], np.float32)
    shade = 1 + 0.2 * np.sin(xx / rng.uniform(200, 600) + rng.uniform(0, 6)) * np.cos(yy / rng.uniform(200, 600))
    surface = np.clip(shade[..., None] * base, 0, 255).astype(np.uint8)
    return Image.fromarray(surface, "RGB").resize(size, Image.Resampling.BILINEAR)


def _glare(size: tuple[int, int], centre: tuple[float, float], radii: tuple[float, float]) -> np.ndarray:
    """A specular highlight: an elliptical blob that saturates at its centre."""
    w, h = size
    xx, yy = np.arange(w, dtype=np.float32)[None, :], np.arange(h, dtype=np.float32)[:, None]
    return GLARE_PEAK * np.exp(-(((xx - centre[0]) / radii[0]) ** 2 + ((yy - centre[1]) / radii[1]) ** 2))


def _glare_centre(rng: random.Random, size: tuple[int, int], zone: list[tuple[float, float]],
                  radii: tuple[float, float], over_zone: bool) -> tuple[float, float]:
    """Over the zone (somewhere along it), or where it adds less than a gray level to any part of the zone."""
    (ax, ay), (bx, by) = zone[0], zone[2]
    if over_zone:
        t = rng.uniform(0.2, 0.8)
        return ax + t * (bx - ax), ay + t * (by - ay)
    samples = [(ax + t * (bx - ax), ay + t * (by - ay)) for t in np.linspace(0, 1, 9)] + list(zone)
    for _ in range(200):
        cx, cy = rng.uniform(0, size[0]), rng.uniform(0, size[1])
        if all(GLARE_PEAK * math.exp(-(((x - cx) / radii[0]) ** 2 + ((y - cy) / radii[1]) ** 2)) < 1
               for x, y in samples):
            return cx, cy
    return -10 * radii[0], -10 * radii[1]  # no room in the frame: off it


def _gaussian_kernel(sigma: float) -> ImageFilter.Kernel:
    """A 5x5 Gaussian: the defocus of a fixed-focus camera, cheaper than Pillow's GaussianBlur."""
    taps = [math.exp(-(k * k) / (2 * sigma * sigma)) for k in range(-2, 3)]
    weights = [a * b for a in taps for b in taps]
    return ImageFilter.Kernel((5, 5), weights, scale=sum(weights))


def render_page(document: MRZDocument, rng: random.Random, size: tuple[int, int] = (1280, 960),
                tilt: float | None = None, upside_down: bool = False, glare: str = "none",
                blur: float | None = None, noise: float | None = None,
                jpeg_quality: int | None = None, with_mrz: bool = True) -> tuple[Image.Image, dict[str, Any]]:
    """A camera frame (RGB) of ``document``'s data page and its ground truth.

    ``tilt``: degrees (default: random within +-8); ``glare``: "none", "zone" (over the MRZ)
    or "elsewhere"; ``blur`` (Gaussian radius), ``noise`` (sigma), ``jpeg_quality``: random
    when None (``jpeg_quality=0``: no JPEG); ``with_mrz=False``: the page without its zone (truth ``lines`` empty)."""
    tilt = rng.uniform(-8, 8) if tilt is None else tilt
    blur = rng.uniform(0.0, 1.2) if blur is None else blur
    noise = rng.uniform(2.0, 7.0) if noise is None else noise
    jpeg_quality = rng.randint(55, 92) if jpeg_quality is None else jpeg_quality
    page, boxes = _draw_page(document, rng, with_mrz)
    pad = 0.6 * PITCH_MM * PAGE_SCALE
    zone = [(boxes[0][0][0] - pad, boxes[0][0][1] - pad), (boxes[0][1][0] + pad, boxes[0][1][1] - pad),
            (boxes[-1][2][0] + pad, boxes[-1][2][1] + pad), (boxes[-1][3][0] - pad, boxes[-1][3][1] + pad)]
    h = _placement(rng, page.size, zone, size, tilt, upside_down)
    inverse = np.linalg.inv(h)
    coefficients = tuple(float(c) for c in (inverse / inverse[2, 2]).flatten()[:8])
    warped = page.transform(size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon(_apply(h, [(0, 0), (page.width, 0), page.size, (0, page.height)]), fill=255)
    image = Image.composite(warped, _background(rng, size), mask)

    w, hgt = size
    xx, yy = np.arange(w, dtype=np.float32)[None, :], np.arange(hgt, dtype=np.float32)[:, None]
    direction = rng.uniform(0, math.tau)
    ramp = (xx * math.cos(direction) + yy * math.sin(direction)) / max(size)
    lighting = (1 - rng.uniform(0.0, 0.35) * (ramp - ramp.min())) * rng.uniform(0.75, 1.0)
    light = Image.fromarray(np.clip(lighting * 255, 0, 255).astype(np.uint8), "L").convert("RGB")
    image = ImageChops.multiply(image, light)
    zone_frame = _apply(h, zone)
    if glare != "none":
        radius = rng.uniform(40, 90)
        radii = (radius * rng.uniform(0.8, 1.5), radius * rng.uniform(0.5, 1.0))
        centre = _glare_centre(rng, size, zone_frame, radii, over_zone=glare == "zone")
        highlight = Image.fromarray(np.clip(_glare(size, centre, radii), 0, 255).astype(np.uint8), "L")
        image = ImageChops.add(image, highlight.convert("RGB"))  # saturates at 255
    if blur > 0:
        image = image.filter(_gaussian_kernel(blur))
    grain = np.random.default_rng(rng.getrandbits(32)).standard_normal((hgt, w, 1), dtype=np.float32) * noise
    image = Image.fromarray(np.clip(np.asarray(image, np.float32) + grain, 0, 255).astype(np.uint8), "RGB")
    if jpeg_quality:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=jpeg_quality)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")

    scale = abs(np.linalg.det(h[:2, :2])) ** 0.5
    truth = {
        "format": mrz.parse("\n".join(document.lines), today=(2026, 1, 1)).format,
        "lines": list(document.lines) if with_mrz else [],
        "zone": [list(p) for p in zone_frame],
        "line_boxes": [[list(p) for p in _apply(h, box)] for box in boxes],
        "pitch": PITCH_MM * PAGE_SCALE * scale,
        "char_height": (boxes[0][2][1] - boxes[0][0][1]) * scale,
        "tilt": tilt,
        "upside_down": upside_down,
        "glare": glare,
    }
    return image, truth


def specimen_documents() -> list[MRZDocument]:
    """The ICAO specimen zones that parse valid (``host_tools.specimens``)."""
    class Specimen:
        def __init__(self, lines: list[str]) -> None:
            self.lines = lines

    out: list[MRZDocument] = []
    for entry in SPECIMENS.values():
        lines = list(entry["lines"])  # type: ignore[call-overload]
        if mrz.parse("\n".join(lines), today=(2026, 1, 1)).valid:
            out.append(Specimen(lines))
    return out


def random_page(rng: random.Random, fmt: str | None = None, **options: Any) -> tuple[Image.Image, dict[str, Any]]:
    """A random valid document (TD1, TD2 or TD3 unless ``fmt``) rendered by ``render_page``."""
    fmt = fmt or rng.choice(["TD1", "TD2", "TD3"])
    return render_page(random_document(rng, fmt=fmt), rng, **options)


def _write(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    truths: dict[str, Any] = {}
    jobs: list[tuple[str, MRZDocument | None]] = [(f"page-{i:04d}", None) for i in range(args.count)]
    if args.specimens:
        jobs += [(f"specimen-{i}", doc) for i, doc in enumerate(specimen_documents())]
    for name, doc in jobs:
        upside_down, glare = rng.random() < 0.2, "elsewhere" if rng.random() < 0.15 else "none"
        if doc is None:
            image, truth = random_page(rng, upside_down=upside_down, glare=glare)
        else:
            image, truth = render_page(doc, rng, upside_down=upside_down, glare=glare)
        filename = f"{name}.png"
        image.save(out / filename)
        truths[filename] = truth
    (out / "truth.json").write_text(json.dumps(truths, indent=1) + "\n")
    print(f"{len(truths)} frames in {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = cliutil.command_parser("python -m host_tools.camera_pages",
                                    "Render synthetic camera frames of passport data pages with ground truth.",
                                    doc="docs/camera.md")
    parser.add_argument("--out", required=True, help="folder for the frames and truth.json")
    parser.add_argument("--count", type=int, default=20, help="random documents to render (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same frames")
    parser.add_argument("--specimens", action="store_true", help="also render the ICAO specimen documents")
    return cliutil.run_cli(parser, _write, argv)


if __name__ == "__main__":
    raise SystemExit(main())

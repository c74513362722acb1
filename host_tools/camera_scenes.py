"""Phone-photo-like camera frames made from an image of a document: for measuring the camera reader on real
print in the conditions a kiosk's camera sees (``bench_camera --real DIR --scenes N``).

The document image (a scan or a specimen, whole) is placed in a frame of the kiosk camera's size by a
homography (scale, a turn, a tilt in depth), over a background (a dark table, a wood-like table, a hand's
skin tones, a white lid), with a thumb over one edge of the page, a shadow, dim or uneven light, a glare
spot, blur, sensor noise and JPEG. The glare spot and the thumb stay off the lower third of the document,
where the zone is printed, so a scene stays readable by a person. Everything comes from the ``rng`` given:
a seed regenerates the scene.

Workstation only; the scenes live in memory (the bench never writes them: the source images may not be
copied).
"""

from __future__ import annotations

import io
import math
import random
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from host_tools.camera_pages import _apply, _gaussian_kernel, _glare, _homography

BACKGROUNDS = ("dark table", "wood", "hand", "white lid")
SKIN = ((224, 172, 140), (198, 134, 96), (141, 85, 56), (92, 58, 40))


def _surface(rng: random.Random, kind: str, size: tuple[int, int]) -> Image.Image:
    """The surface under the document, at the frame's size."""
    w, h = size
    xx, yy = np.arange(w, dtype=np.float32)[None, :], np.arange(h, dtype=np.float32)[:, None]
    grain = np.random.default_rng(rng.getrandbits(32))
    if kind == "dark table":
        base = np.array([rng.uniform(15, 60)] * 3, np.float32) * np.array([1.0, rng.uniform(0.9, 1.1), 1.1])
        shade = 1 + 0.25 * np.sin(xx / rng.uniform(300, 900) + rng.uniform(0, 6))
        surface = shade[..., None] * base + 0 * yy[..., None]
    elif kind == "wood":
        base = np.array([rng.uniform(120, 170), rng.uniform(75, 105), rng.uniform(40, 65)], np.float32)
        angle = rng.uniform(-0.3, 0.3)
        v = yy * math.cos(angle) + xx * math.sin(angle)
        rings = np.sin(v / rng.uniform(6, 14) + 3 * np.sin(xx / rng.uniform(80, 200)))
        streaks = grain.normal(0, 1, (1, w)).astype(np.float32).repeat(h, axis=0) * 0.05
        surface = (1 + 0.12 * rings + streaks)[..., None] * base
    elif kind == "hand":
        tone = np.array(rng.choice(SKIN), np.float32)
        centre = (rng.uniform(0, w), rng.uniform(h * 0.5, h * 1.2))
        falloff = np.hypot(xx - centre[0], yy - centre[1]) / max(size)
        surface = (1.05 - 0.45 * falloff)[..., None] * tone
    else:  # a flatbed's white lid, or a white desk
        level = rng.uniform(225, 252)
        surface = np.full((h, w, 3), level, np.float32) + 0 * xx[..., None]
    surface = surface + grain.normal(0, 3, (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(surface, 0, 255).astype(np.uint8), "RGB")


def _placement(rng: random.Random, doc_size: tuple[int, int], frame: tuple[int, int],
               width_fraction: float, turn: float, depth: float) -> np.ndarray | None:
    """A document-to-frame homography: the document ``width_fraction`` of the frame wide, turned by ``turn``
    degrees, its corners moved by up to ``depth`` of its width (a tilt in depth), all of it inside the frame."""
    dw, dh = doc_size
    fw, fh = frame
    scale = width_fraction * fw / dw
    if dh * scale > 0.95 * fh:
        scale = 0.95 * fh / dh
    angle = math.radians(turn)
    corners = [(0.0, 0.0), (float(dw), 0.0), (float(dw), float(dh)), (0.0, float(dh))]
    for _ in range(60):
        cx, cy = rng.uniform(0.3 * fw, 0.7 * fw), rng.uniform(0.3 * fh, 0.7 * fh)
        dst = []
        for x, y in corners:
            dx, dy = (x - dw / 2) * scale, (y - dh / 2) * scale
            jitter = depth * dw * scale
            dst.append((cx + dx * math.cos(angle) + dy * math.sin(angle) + rng.uniform(-jitter, jitter),
                        cy - dx * math.sin(angle) + dy * math.cos(angle) + rng.uniform(-jitter, jitter)))
        if all(4 < u < fw - 4 and 4 < v < fh - 4 for u, v in dst):
            return _homography(corners, dst)
    return None


def compose_scene(document: Image.Image, rng: random.Random,
                  size: tuple[int, int] = (1280, 960)) -> tuple[Image.Image, dict[str, Any]]:
    """A camera frame (RGB, ``size``) showing ``document`` as a phone or a kiosk camera would, and what was done
    to it (``background``, ``width`` of the document as a fraction of the frame, ``turn``, ``depth``, ``light``,
    ``glare``, ``blur``, ``jpeg``)."""
    document = document.convert("RGB")
    kind = rng.choice(BACKGROUNDS)
    upside_down = rng.random() < 0.1
    turn = rng.uniform(-10, 10) + (180 if upside_down else 0)
    depth = rng.uniform(0.0, 0.08)
    width = rng.uniform(0.3, 0.92)
    h = _placement(rng, document.size, size, width, turn, depth)
    while h is None:  # too large for the frame at that turn and tilt: smaller
        width *= 0.9
        h = _placement(rng, document.size, size, width, turn, depth)
    inverse = np.linalg.inv(h)
    coefficients = tuple(float(c) for c in (inverse / inverse[2, 2]).flatten()[:8])
    warped = document.transform(size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC)
    outline = _apply(h, [(0, 0), (document.width, 0), document.size, (0, document.height)])
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    image = Image.composite(warped, _surface(rng, kind, size), mask)

    draw = ImageDraw.Draw(image)
    if kind == "hand" or rng.random() < 0.3:  # a thumb over the page's upper left or right edge
        side = rng.choice((0, 1))
        edge_x, edge_y = _apply(h, [(side * document.width, rng.uniform(0.1, 0.5) * document.height)])[0]
        r = rng.uniform(0.05, 0.09) * size[0]
        tone = rng.choice(SKIN)
        draw.ellipse((edge_x - r, edge_y - 0.6 * r, edge_x + r, edge_y + 0.6 * r), fill=tone)

    w, hgt = size
    xx, yy = np.arange(w, dtype=np.float32)[None, :], np.arange(hgt, dtype=np.float32)[:, None]
    light = rng.uniform(0.35, 1.0)  # dim light
    direction = rng.uniform(0, math.tau)
    ramp = (xx * math.cos(direction) + yy * math.sin(direction)) / max(size)
    lighting = light * (1 - rng.uniform(0.0, 0.4) * (ramp - ramp.min()))
    if rng.random() < 0.4:  # a soft-edged shadow (a head or a phone) over part of the frame
        edge = rng.uniform(-0.3, 0.3) * max(size) + (ramp.max() + ramp.min()) / 2 * max(size)
        shadow = 1 / (1 + np.exp(-(ramp * max(size) - edge) / rng.uniform(10, 60)))
        lighting = lighting * (1 - rng.uniform(0.25, 0.55) * shadow)
    shade = Image.fromarray(np.clip(lighting * 255, 0, 255).astype(np.uint8), "L").convert("RGB")
    image = ImageChops.multiply(image, shade)
    glare = rng.random() < 0.4
    if glare:  # a specular highlight on the upper two thirds of the page
        centre = _apply(h, [(rng.uniform(0.1, 0.9) * document.width, rng.uniform(0.05, 0.5) * document.height)])[0]
        radius = rng.uniform(0.03, 0.08) * size[0]
        radii = (radius * rng.uniform(0.8, 1.6), radius * rng.uniform(0.4, 0.9))
        highlight = Image.fromarray(np.clip(_glare(size, centre, radii), 0, 255).astype(np.uint8), "L")
        image = ImageChops.add(image, highlight.convert("RGB"))
    blur = rng.uniform(0.0, 1.4)
    if blur > 0.2:
        image = image.filter(_gaussian_kernel(blur))
    noise = rng.uniform(2.0, 6.0) * (1.6 - light)  # dim light: more gain, more noise
    grain = np.random.default_rng(rng.getrandbits(32)).standard_normal((hgt, w, 1), dtype=np.float32) * noise
    image = Image.fromarray(np.clip(np.asarray(image, np.float32) + grain, 0, 255).astype(np.uint8), "RGB")
    quality = rng.randint(45, 90)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return image, {"background": kind, "width": width, "turn": turn, "depth": depth, "light": light,
                   "glare": glare, "blur": blur, "jpeg": quality}

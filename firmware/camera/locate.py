"""Finding the machine-readable zone in a camera frame: 2 or 3 deskewed line images, or a reason.

numpy and Pillow only (the kiosk has no OpenCV). The approach is PassportEye's: on a
grayscale copy scaled to ``WORK_WIDTHS[0]``, black-hat morphology brings out dark print on
light paper, the horizontal gradient keeps text (many vertical edges) over shading, Otsu
thresholds it and a wide horizontal closing merges a line's characters into one blob.
The zone is the best group of 2 or 3 long, parallel, equally long, evenly spaced blobs.

Then, at full resolution: one affine resampling cuts the zone out upright along the blobs'
principal axes (length-weighted; within 0.15 degree of the truth on the synthetic pages, a
residual tilt under 0.35 degree in the line images), the paper's brightness is divided
out, the row profile splits the lines and each line is cropped around its ink with a
margin of about a third of a character height, never reaching into the line above or below.

Upside down: the blobs do not tell up from down, the filler characters do. Upright, the
zone's '<' outnumber the '>' (which only an upside-down zone shows); ``upside_down=None``
decides by that, ``True``/``False`` force an orientation (the reader's retry when its check
digits fail).

Privacy: frames and line images stay in memory; nothing here writes or logs them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

# pixels: the frame is searched at the first of these widths, then at the others until a zone is found: the
# filters suit characters 5 to 15 working pixels tall, so 640 finds a zone from about a quarter to two thirds of the
# frame's width, 320 one that fills the frame, the full resolution (at most 1280) one down to about 150 pixels wide
WORK_WIDTHS = (640, 320, 1280)
SATURATED = 250  # gray level of a specular highlight
GLARE_WASHED = 0.5  # a window of a line this saturated...
GLARE_INK = 0.02  # ...with less ink than this (of its pixels) has had its characters washed out by glare
MIN_CHAR_HEIGHT = 7  # frame pixels: smaller characters are not read reliably
LARGEST_CHAR_HEIGHT = 40  # pixels: larger print is cut out at this height
DARK_LEVEL = 40  # the frame's 99th percentile below this: too dark to find print
BORDER = 8  # working pixels along the frame's edges where filter artefacts are ignored
PAD = 2 * BORDER  # working pixels of margin added around the frame before the search
MAX_TILT = 18.0  # degrees: blobs tilted more are not MRZ lines of a page on the rest
MIN_CHARS = 24  # characters on each line of a zone (the shortest has 30)
CHARS_PER_LINE = {3: (30,), 2: (44, 36)}


@dataclass(frozen=True)
class Located:
    """The zone found: line images top to bottom (uint8, 0 = ink, 255 = paper), the characters per line
    (``lengths``: candidates, best first), the tilt removed (degrees, counter-clockwise as the frame shows it;
    the 180 degrees of an upside-down frame are in ``upside_down``, not in ``angle``), the zone's corners in the
    frame (top-left, top-right, bottom-right, bottom-left as read)."""

    lines: list[np.ndarray]
    length: int
    lengths: tuple[int, ...]
    angle: float
    box: tuple[tuple[float, float], ...]
    upside_down: bool
    char_height: float = field(default=0.0)


@dataclass(frozen=True)
class NotFound:
    """No zone to read; ``reason`` is one of a few fixed phrases and never carries content."""

    reason: str


NO_TEXT = "no text lines"
TOO_SMALL = "too small"
TOO_DARK = "too dark"
GLARE = "glare over the zone"


@dataclass(frozen=True)
class _Blob:
    """A text-line candidate at working scale: centre, direction (radians, image axes), length, thickness."""

    x: float
    y: float
    theta: float
    length: float
    thickness: float


# --- morphology and filters on float32 arrays ---------------------------------------------------------------


def _running(a: np.ndarray, size: int, axis: int, reduce: np.ufunc) -> np.ndarray:
    """A 1-D max or min filter of odd ``size`` along ``axis`` (edges replicated), by window doubling."""
    if size <= 1:
        return a
    acc = np.moveaxis(a, axis, 0)
    n = acc.shape[0]
    half = size // 2
    acc = np.concatenate([np.repeat(acc[:1], half, axis=0), acc, np.repeat(acc[-1:], half, axis=0)])
    width = 1  # acc[i] reduces the window [i, i + width) of the padded array
    while width * 2 <= size:
        acc = reduce(acc[:-width], acc[width:])
        width *= 2
    rest = size - width
    out = reduce(acc[:n], acc[rest:rest + n]) if rest else acc[:n]
    return np.moveaxis(out, 0, axis)


def _dilate(a: np.ndarray, width: int, height: int) -> np.ndarray:
    return _running(_running(a, width, 1, np.maximum), height, 0, np.maximum)


def _erode(a: np.ndarray, width: int, height: int) -> np.ndarray:
    return _running(_running(a, width, 1, np.minimum), height, 0, np.minimum)


def _closing(a: np.ndarray, width: int, height: int) -> np.ndarray:
    return _erode(_dilate(a, width, height), width, height)


def _scharr_x(a: np.ndarray) -> np.ndarray:
    """|d/dx| with Scharr's 3x3 weights (3, 10, 3 across rows)."""
    p = np.pad(a, 1, mode="edge")
    dx = p[:, 2:] - p[:, :-2]
    return np.abs(3 * dx[:-2] + 10 * dx[1:-1] + 3 * dx[2:])


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of values in 0..255."""
    hist = np.bincount(np.clip(values, 0, 255).astype(np.int64).ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 128.0
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(hist)
    mass = np.cumsum(hist * levels)
    w0, w1 = weight, total - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mass[-1] * w0 / total - mass) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = 0
    return float(np.argmax(between))


# --- connected components by runs ---------------------------------------------------------------------------


def _blobs(mask: np.ndarray, min_length: float) -> list[_Blob]:
    """The elongated 4-connected components of ``mask`` with their principal axes (run-length labelling)."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1).ravel()
    stride = w + 1
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)  # exclusive, same row as its start
    if len(starts) == 0:
        return []
    rows = starts // stride
    s_col = starts - rows * stride
    e_col = ends - rows * stride
    # runs of the next row overlapping each run form a contiguous range of the sorted runs; 4-connected,
    # because a diagonal touch is how two neighbouring lines' blobs meet
    below_start = starts + stride
    below_end = ends + stride
    lo = np.searchsorted(ends, below_start, side="right")
    hi = np.searchsorted(starts, below_end, side="left")
    parent = list(range(len(starts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    counts = hi - lo
    for a in np.flatnonzero(counts > 0).tolist():
        ra = find(a)
        for b in range(int(lo[a]), int(hi[a])):
            rb = find(b)
            if rb != ra:
                parent[rb] = ra
    labels = np.fromiter((find(i) for i in range(len(starts))), np.int64, len(starts))
    n = e_col - s_col
    sx = n * (s_col + e_col - 1) / 2
    sxx = (e_col - 1) * e_col * (2 * e_col - 1) / 6 - (s_col - 1) * s_col * (2 * s_col - 1) / 6
    y = rows.astype(np.float64)
    sums = [np.bincount(labels, weights=v) for v in (n, sx, n * y, sxx, sx * y, n * y * y)]
    out = []
    for label in np.flatnonzero(sums[0] > 0):
        m, mx, my, mxx, mxy, myy = (s[label] for s in sums)
        cx, cy = mx / m, my / m
        cxx, cxy, cyy = mxx / m - cx * cx + 1 / 12, mxy / m - cx * cy, myy / m - cy * cy + 1 / 12
        spread = math.hypot((cxx - cyy) / 2, cxy)
        major, minor = (cxx + cyy) / 2 + spread, max((cxx + cyy) / 2 - spread, 1e-6)
        length, thickness = math.sqrt(12 * major), math.sqrt(12 * minor)
        if length >= min_length and length >= 8 * thickness:
            out.append(_Blob(cx, cy, 0.5 * math.atan2(2 * cxy, cxx - cyy), length, thickness))
    return out


# --- the search at working scale ----------------------------------------------------------------------------


def _line_blobs(gray: np.ndarray) -> list[_Blob]:
    """Text-line blobs of a working-scale grayscale frame."""
    blackhat = _closing(gray, 15, 5) - gray
    gradient = _scharr_x(blackhat)
    # the strongest edges set the scale: a small page in a large frame has few, and its print must stand out of
    # its background print all the same
    # (every other row and column: a percentile sorts, and the frame's half is as good a sample)
    strong, strongest = np.percentile(gradient[::2, ::2], (99.5, 99.99))
    top = max(float(strong), 0.3 * float(strongest))
    if top <= 0:
        return []
    gradient = np.clip(gradient * (255.0 / top), 0, 255)
    gradient = _closing(gradient, 9, 1)
    mask = gradient > max(_otsu(gradient), 40.0)
    mask = _erode(_dilate(mask.astype(np.float32), 15, 1), 15, 1) > 0  # a line's characters into one blob
    mask = _erode(mask.astype(np.float32), 3, 3) > 0  # specks and thin threads away
    # the filters replicate the frame's edge pixels: a dark strip along the edge turns into a bar there that
    # would join every line ending near it
    mask[:, :BORDER] = mask[:, -BORDER:] = False
    mask[:BORDER] = mask[-BORDER:] = False
    return [b for b in _blobs(mask, min_length=gray.shape[1] / 12) if abs(math.degrees(b.theta)) <= MAX_TILT]


def _along_across(blob: _Blob, theta: float) -> tuple[float, float]:
    c, s = math.cos(theta), math.sin(theta)
    return blob.x * c + blob.y * s, -blob.x * s + blob.y * c


def _fits(a: _Blob, b: _Blob) -> bool:
    """Two blobs that could be neighbouring lines of one zone."""
    if abs(a.theta - b.theta) > math.radians(3):
        return False
    if min(a.length, b.length) < 0.85 * max(a.length, b.length):
        return False
    if min(a.thickness, b.thickness) < 0.5 * max(a.thickness, b.thickness):
        return False
    theta = (a.theta + b.theta) / 2
    (ua, va), (ub, vb) = _along_across(a, theta), _along_across(b, theta)
    thickness = (a.thickness + b.thickness) / 2
    return 1.1 * thickness <= abs(vb - va) <= 3.5 * thickness and abs(ub - ua) <= 0.08 * max(a.length, b.length)


def _best_group(blobs: Sequence[_Blob]) -> list[_Blob] | None:
    """The longest group of 2 or 3 evenly spaced neighbouring blobs that fit each other, top to bottom."""
    ranked = sorted(blobs, key=lambda b: -b.length)[:40]
    best: list[_Blob] | None = None
    best_score = 0.0
    for i, a in enumerate(ranked):
        for b in ranked[i + 1:]:
            if not _fits(a, b):
                continue
            pair = sorted([a, b], key=lambda blob: _along_across(blob, a.theta)[1])
            if a.length + b.length > best_score:
                best, best_score = pair, a.length + b.length
            for c in ranked:
                if c is a or c is b or not (_fits(c, pair[0]) or _fits(c, pair[1])):
                    continue
                triple = sorted([a, b, c], key=lambda blob: _along_across(blob, a.theta)[1])
                v = [_along_across(blob, a.theta)[1] for blob in triple]
                gaps = v[1] - v[0], v[2] - v[1]
                score = a.length + b.length + c.length
                if _fits(triple[0], triple[1]) and _fits(triple[1], triple[2]) and \
                        min(gaps) >= 0.8 * max(gaps) and score > best_score:
                    best, best_score = triple, score
    return best


# --- the zone at full resolution ----------------------------------------------------------------------------


@dataclass
class _Zone:
    """The upright cut-out of the zone and how it maps back to the frame."""

    pixels: np.ndarray  # float32, frame gray levels
    centre: tuple[float, float]  # frame pixels
    theta: float  # radians, image axes
    origin: tuple[float, float]  # cut-out pixel of the centre
    scale: float = 1.0  # cut-out pixels per frame pixel

    def to_frame(self, x: float, y: float) -> tuple[float, float]:
        c, s = math.cos(self.theta), math.sin(self.theta)
        dx, dy = (x - self.origin[0]) / self.scale, (y - self.origin[1]) / self.scale
        return self.centre[0] + dx * c - dy * s, self.centre[1] + dx * s + dy * c


def _cut(frame: Image.Image, centre: tuple[float, float], theta: float, size: tuple[int, int],
         scale: float = 1.0) -> _Zone:
    """``size`` pixels around ``centre``, resampled along ``theta`` at ``scale``: the zone upright. Where the
    cut-out leaves the frame it is filled with the median of the rest, which reads as neither ink nor glare."""
    w, h = size
    ox, oy = w / 2, h / 2
    c, s = math.cos(theta) / scale, math.sin(theta) / scale
    coefficients = (c, -s, centre[0] - ox * c + oy * s, s, c, centre[1] - ox * s - oy * c)
    upright = frame.transform(size, Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR, fillcolor=0)
    inside = Image.new("L", frame.size, 255).transform(size, Image.Transform.AFFINE, coefficients,
                                                       Image.Resampling.NEAREST, fillcolor=0)
    pixels = np.asarray(upright, np.float32).copy()
    outside = np.asarray(inside) == 0
    if outside.any():
        pixels[outside] = float(np.median(pixels[~outside])) if (~outside).any() else 128.0
    return _Zone(pixels, centre, theta, (ox, oy), scale)


def _paper_normalised(pixels: np.ndarray, char_height: float) -> np.ndarray:
    """Gray divided by the local paper brightness (1 = paper): uneven light and tinted paper out."""
    k = int(char_height * 1.5) | 1
    paper = _dilate(pixels, k, k)
    return pixels / np.maximum(paper, 1.0)


def _ink(normalised: np.ndarray) -> np.ndarray:
    threshold = _otsu(normalised * 255) / 255
    return normalised < min(max(threshold, 0.45), 0.8)


def _bands(ink: np.ndarray, centres: Sequence[float], char_height: float,
           span: tuple[int, int]) -> list[tuple[int, int]] | None:
    """Each line's ink rows (top, bottom), split at the row profile's minimum between neighbouring lines.

    The profile counts the columns of ``span`` only (where the blobs put the lines), less its floor: a page edge
    crossing the cut-out is "ink" in every row."""
    profile = ink[:, span[0]:span[1]].sum(axis=1).astype(np.float64)
    profile = np.maximum(profile - np.percentile(profile, 10), 0)
    cuts = [max(0, int(centres[0] - 1.5 * char_height))]
    for a, b in zip(centres, centres[1:], strict=False):
        lo, hi = int(a), int(b) + 1
        cuts.append(lo + int(np.argmin(profile[lo:hi])) if hi > lo else lo)
    cuts.append(min(len(profile), int(centres[-1] + 1.5 * char_height) + 1))
    bands = []
    for i in range(len(centres)):
        lo, hi = cuts[i], cuts[i + 1]
        region = profile[lo:hi]
        # the peak near the blob's centre: beyond the line, a dark margin of the frame is "ink" too
        near = slice(max(0, int(centres[i] - 0.5 * char_height) - lo), max(1, int(centres[i] + 0.5 * char_height) - lo))
        if len(region[near]) == 0 or region[near].max() <= 0:
            return None
        peak = near.start + int(np.argmax(region[near]))
        strong = region >= 0.12 * region[peak]
        top = peak
        while top > 0 and strong[top - 1]:
            top -= 1
        bottom = peak
        while bottom < len(region) - 1 and strong[bottom + 1]:
            bottom += 1
        bands.append((lo + top, lo + bottom))
    return bands


def _extent(ink: np.ndarray, band: tuple[int, int], char_height: float) -> tuple[int, int] | None:
    """The line's first and last ink column: the longest run of ink columns with gaps under a character, leaving
    out columns inked above and below the band."""
    top, bottom = band
    above, below = ink[max(top - 3, 0)], ink[min(bottom + 3, ink.shape[0] - 1)]
    taller = above & below  # a page edge or a frame, not a character of this line
    columns = np.flatnonzero((ink[top:bottom + 1].sum(axis=0) > 0) & ~taller)
    if len(columns) == 0:
        return None
    breaks = np.flatnonzero(np.diff(columns) > 1.2 * char_height)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(columns) - 1]])
    longest = int(np.argmax(columns[ends] - columns[starts]))
    return int(columns[starts[longest]]), int(columns[ends[longest]])


def _aligned(extents: Sequence[tuple[int, int]], char_height: float) -> list[tuple[int, int]]:
    """The lines of a zone start and end together: a line reaching up to a character height beyond the others
    has taken in a page edge, a card's rim or a shadow beside it, and is cut back to where the others are."""
    lefts, rights = [e[0] for e in extents], [e[1] for e in extents]
    left, right = max(lefts), min(rights)
    return [(left if 0.6 * char_height < left - a <= 1.5 * char_height else a,
             right if 0.6 * char_height < b - right <= 1.5 * char_height else b) for a, b in extents]


def _pitch(ink: np.ndarray, band: tuple[int, int], extent: tuple[int, int]) -> float:
    """Character pitch: the column profile's autocorrelation peak between 0.6 and 1.6 line heights."""
    height = band[1] - band[0] + 1
    profile = ink[band[0]:band[1] + 1, extent[0]:extent[1] + 1].sum(axis=0).astype(np.float64)
    profile -= profile.mean()
    lags = np.arange(max(2, int(0.6 * height)), min(len(profile) // 3, int(1.6 * height) + 1))
    if len(lags) == 0:
        return float(height)
    scores = np.array([np.dot(profile[:-lag], profile[lag:]) / (len(profile) - lag) for lag in lags])
    best = int(np.argmax(scores))
    if 0 < best < len(lags) - 1:  # parabolic refinement
        a, b, c = scores[best - 1], scores[best], scores[best + 1]
        offset = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
        return float(lags[best] + offset)
    return float(lags[best])


def _chevron_balance(normalised: np.ndarray, bands: Sequence[tuple[int, int]],
                     extents: Sequence[tuple[int, int]]) -> int:
    """'<' seen minus '>' seen: positive when the zone is upright (fillers are '<')."""
    balance = 0
    for (top, bottom), (left, right) in zip(bands, extents, strict=True):
        height = bottom - top + 1
        width = max(3, int(round(0.75 * height)))
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        half = (height - 1) / 2
        stroke = max(1.0, 0.12 * height)
        chevron = (np.abs(np.abs(yy - half) - xx / (width - 1) * half) <= stroke).astype(np.float32)
        line = 1 - normalised[top:bottom + 1, left:right + 1]
        if line.shape[1] <= width:
            continue
        windows = np.lib.stride_tricks.sliding_window_view(line, (height, width))[0]
        windows = windows - windows.mean(axis=(1, 2), keepdims=True)
        norms = np.sqrt((windows ** 2).sum(axis=(1, 2))) + 1e-6
        scores = []
        t = chevron - chevron.mean()
        scale = float(np.sqrt((t ** 2).sum()))
        if scale == 0:
            continue
        for template in (t, t[:, ::-1]):
            scores.append(np.tensordot(windows, template, axes=([1, 2], [0, 1])) / (norms * scale))
        less, greater = scores
        balance += int(np.sum((less > 0.55) & (less > greater + 0.15)))
        balance -= int(np.sum((greater > 0.55) & (greater > less + 0.15)))
    return balance


def _lengths(lines: int, widths: Sequence[int], pitches: Sequence[float]) -> tuple[int, ...]:
    """Characters per line, best first: from the line width over the pitch (the last glyph is ~0.7 pitch wide)."""
    candidates = CHARS_PER_LINE[lines]
    if len(candidates) == 1:
        return candidates
    estimate = float(np.median([w / p + 0.3 for w, p in zip(widths, pitches, strict=True)]))
    ranked = tuple(sorted(candidates, key=lambda n: abs(n - estimate)))
    return ranked[:1] if abs(estimate - sum(candidates) / 2) > 2 else ranked


def _washed_out(pixels: np.ndarray, ink: np.ndarray, bands: Sequence[tuple[int, int]], span: tuple[int, int],
                char_height: float) -> bool:
    """Glare over the characters: somewhere along a line a character-wide window of clipped highlight with
    (almost) no ink left in it. Bright paper between crisp strokes, a white page or lid around the zone, is not
    glare: the strokes are still there."""
    window = max(2, int(round(char_height)))
    left, right = max(span[0], 0), min(span[1], pixels.shape[1])
    if right - left <= window:
        return False
    kernel = np.ones(window, np.float32)
    for top, bottom in bands:
        rows = slice(max(top, 0), bottom + 1)
        area = window * (rows.stop - rows.start)
        saturated = np.convolve((pixels[rows, left:right] >= SATURATED).sum(axis=0), kernel, "valid") / area
        inked = np.convolve(ink[rows, left:right].sum(axis=0), kernel, "valid") / area
        if np.any((saturated >= GLARE_WASHED) & (inked < GLARE_INK)):
            return True
    return False


def _ends_in_glare(pixels: np.ndarray, bands: Sequence[tuple[int, int]], extents: Sequence[tuple[int, int]],
                   char_height: float, short: bool) -> bool:
    """A line whose print stops where a clipped highlight begins: glare has washed out the rest of it. A line of
    full length (not ``short``) counts only where its print fades into the highlight (its last characters paler
    than the line's): a card's white rim or a white page beyond a crisp last character is not glare."""
    near, far, end = int(0.2 * char_height), int(2 * char_height), max(2, int(1.5 * char_height))
    for (top, bottom), (left, right) in zip(bands, extents, strict=True):
        rows = pixels[max(top, 0):bottom + 1]
        darkness = 255 - rows[:, left:right + 1].min(axis=0)
        typical = float(np.percentile(darkness, 75))
        for beyond, last in ((rows[:, right + near:right + far], darkness[-end:]),
                             (rows[:, max(left - far, 0):max(left - near, 0)], darkness[:end])):
            fading = short or float(last.max()) < 0.6 * typical
            if fading and beyond.size and np.mean(beyond >= SATURATED) >= GLARE_WASHED:
                return True
    return False


def _interrupted_by_glare(gray: np.ndarray, blobs: Sequence[_Blob]) -> bool:
    """Pieces of one line with a clipped highlight between them: the zone is there, glare has cut it."""
    for i, a in enumerate(blobs):
        for b in blobs[i + 1:]:
            if not _collinear(a, b, max_gap=30.0):
                continue
            (ua, va), (ub, vb) = _along_across(a, a.theta), _along_across(b, a.theta)
            first, second = (a, b) if ua < ub else (b, a)
            start, stop = min(ua, ub) + first.length / 2, max(ua, ub) - second.length / 2
            if stop - start < 2:
                continue
            c, s = math.cos(a.theta), math.sin(a.theta)
            v = (va + vb) / 2
            ts = np.linspace(start, stop, 16)
            xs = np.clip(np.round(ts * c - v * s).astype(int), 0, gray.shape[1] - 1)
            ys = np.clip(np.round(ts * s + v * c).astype(int), 0, gray.shape[0] - 1)
            if np.mean(gray[ys, xs] >= SATURATED) >= GLARE_WASHED:
                return True
    return False


def _collinear(a: _Blob, b: _Blob, max_gap: float) -> bool:
    """Two pieces of one text line: the same direction and thickness, on one axis, at most ``max_gap``
    thicknesses apart end to end."""
    if abs(a.theta - b.theta) > math.radians(2):
        return False
    thickness = max(a.thickness, b.thickness)
    if min(a.thickness, b.thickness) < 0.6 * thickness:
        return False
    (ua, va), (ub, vb) = _along_across(a, a.theta), _along_across(b, a.theta)
    gap = abs(ub - ua) - (a.length + b.length) / 2
    return abs(vb - va) <= 0.5 * thickness and gap <= max_gap * thickness


def _joined(a: _Blob, b: _Blob) -> _Blob:
    theta = (a.theta * a.length + b.theta * b.length) / (a.length + b.length)
    (ua, va), (ub, vb) = _along_across(a, theta), _along_across(b, theta)
    lo = min(ua - a.length / 2, ub - b.length / 2)
    hi = max(ua + a.length / 2, ub + b.length / 2)
    u, v = (lo + hi) / 2, (va * a.length + vb * b.length) / (a.length + b.length)
    c, s = math.cos(theta), math.sin(theta)
    thickness = (a.thickness * a.length + b.thickness * b.length) / (a.length + b.length)
    return _Blob(u * c - v * s, u * s + v * c, theta, hi - lo, thickness)


def _merged(blobs: Sequence[_Blob]) -> list[_Blob]:
    """Pieces of one line joined: a line breaks where its print is faint, at a wide gap between fields, or where
    a background pattern crosses it."""
    out = sorted(blobs, key=lambda b: -b.length)[:60]
    joined = True
    while joined:
        joined = False
        for i, a in enumerate(out):
            for j in range(i + 1, len(out)):
                if _collinear(a, out[j], max_gap=3.0):
                    out[i] = _joined(a, out.pop(j))
                    joined = True
                    break
            if joined:
                break
    return out


def _padded(gray: np.ndarray) -> np.ndarray:
    """The working frame with a margin of its edges' median gray: print reaching the frame's edge (a tight crop of
    a zone) keeps its lines, and the filters' edge effects fall on the margin."""
    edges = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return np.pad(gray, PAD, constant_values=float(np.median(edges)))


def _shifted(blob: _Blob, by: float) -> _Blob:
    return _Blob(blob.x - by, blob.y - by, blob.theta, blob.length, blob.thickness)


def locate(image: Image.Image, upside_down: bool | None = None) -> Located | NotFound:
    """The MRZ's lines in ``image``, or why not.

    ``upside_down``: None decides from the fillers; True/False force the frame turned by 180 degrees or not."""
    frame = image.convert("L")
    if frame.width < 160 or frame.height < 40:
        return NotFound(TOO_SMALL)
    full = np.asarray(frame)
    if np.percentile(full[::4, ::4], 99) < DARK_LEVEL:
        return NotFound(TOO_DARK)
    refused: NotFound | None = None
    factors: list[float] = []
    for work_width in WORK_WIDTHS:
        factor = min(1.0, work_width / frame.width)
        if factor in factors:
            continue
        factors.append(factor)
        small = np.asarray(frame.resize((round(frame.width * factor), round(frame.height * factor)),
                                        Image.Resampling.BOX), np.float32)
        padded = _padded(small)
        blobs = [_shifted(b, PAD) for b in _merged(_line_blobs(padded))]
        group = _best_group(blobs)
        if group is None:
            if refused is None and _interrupted_by_glare(padded, [_shifted(b, -PAD) for b in blobs]):
                refused = NotFound(GLARE)
            continue
        found = _zone(frame, group, factor, upside_down)
        if isinstance(found, Located) or found.reason == GLARE:
            return found
        refused = refused or found
    return refused or NotFound(NO_TEXT)


def _zone(frame: Image.Image, group: Sequence[_Blob], factor: float, upside_down: bool | None) -> Located | NotFound:
    """The zone of the blobs ``group`` (working pixels at ``factor`` of the frame's), cut out of the frame at full
    resolution: its lines, or why they cannot be read."""
    theta = float(np.average([b.theta for b in group], weights=[b.length for b in group]))
    centre = (float(np.mean([b.x for b in group])) / factor, float(np.mean([b.y for b in group])) / factor)
    # large print is cut out smaller: the reader's cells are 32 pixels tall, and a 4,000-pixel scan would cost seconds
    scale = min(1.0, LARGEST_CHAR_HEIGHT * factor / (1.5 * float(np.mean([b.thickness for b in group]))))
    char_height = 1.5 * float(np.mean([b.thickness for b in group])) / factor * scale  # blobs are eroded thinner
    across = [_along_across(b, theta)[1] / factor * scale for b in group]
    middle = float(np.mean(across))
    half_length = max(b.length for b in group) / factor * scale / 2
    size = (int(2 * half_length + 6 * char_height), int(across[-1] - across[0] + 4 * char_height))

    zone = _cut(frame, centre, theta, size, scale)
    centres = [zone.origin[1] + v - middle for v in across]
    span = (int(zone.origin[0] - 0.9 * half_length), int(zone.origin[0] + 0.9 * half_length))
    normalised = _paper_normalised(zone.pixels, char_height)
    ink = _ink(normalised)
    bands = _bands(ink, centres, char_height, span)
    if bands is None:
        return NotFound(NO_TEXT)
    inside = (int(zone.origin[0] - half_length + char_height), int(zone.origin[0] + half_length - char_height))
    if _washed_out(zone.pixels, ink, bands, inside, char_height):
        return NotFound(GLARE)
    if np.mean([bottom - top + 1 for top, bottom in bands]) < MIN_CHAR_HEIGHT:
        return NotFound(TOO_SMALL)

    extents = []
    for band in bands:
        extent = _extent(ink, band, char_height)
        if extent is None:
            return NotFound(NO_TEXT)
        extents.append(extent)
    extents = _aligned(extents, char_height)
    if upside_down is None:
        upside_down = _chevron_balance(normalised, bands, extents) < 0

    line_images = []
    height, width = ink.shape
    for i, ((top, bottom), (left, right)) in enumerate(zip(bands, extents, strict=True)):
        margin = max(2, round(0.3 * (bottom - top + 1)))
        ceiling = bands[i - 1][1] + 2 if i > 0 else 0
        floor = bands[i + 1][0] - 2 if i + 1 < len(bands) else height - 1
        y0, y1 = max(top - margin, ceiling, 0), min(bottom + margin, floor, height - 1)
        crowded = ink[:, left:right + 1].sum(axis=1) > 0.3 * (right - left + 1)  # a page edge, not paper
        while y0 < top and crowded[y0:top].any():
            y0 += 1
        while y1 > bottom and crowded[bottom + 1:y1 + 1].any():
            y1 -= 1
        x0, x1 = max(left - margin, 0), min(right + margin, width - 1)
        line = np.clip(normalised[y0:y1 + 1, x0:x1 + 1] * 255, 0, 255).astype(np.uint8)
        line_images.append(line[::-1, ::-1].copy() if upside_down else line)
    if upside_down:
        line_images.reverse()

    widths = [r - left + 1 for left, r in extents]
    # the lines share one pitch; a line of repeating digit pairs can show twice it (never half: out of the lags)
    pitches = [min(_pitch(ink, band, extent) for band, extent in zip(bands, extents, strict=True))] * len(bands)
    if min(w / p for w, p in zip(widths, pitches, strict=True)) < MIN_CHARS:
        # short lines: the printed lines of the visual zone, or the zone's lines ending in a clipped highlight
        return NotFound(GLARE if _ends_in_glare(zone.pixels, bands, extents, char_height, short=True) else NO_TEXT)
    if _ends_in_glare(zone.pixels, bands, extents, char_height, short=False):
        return NotFound(GLARE)
    lengths = _lengths(len(bands), widths, pitches)
    left = min(e[0] for e in extents)
    right = max(e[1] for e in extents)
    top, bottom = bands[0][0], bands[-1][1]
    corners = [zone.to_frame(x, y) for x, y in ((left, top), (right, top), (right, bottom), (left, bottom))]
    if upside_down:
        corners = corners[2:] + corners[:2]
    return Located(
        lines=line_images, length=lengths[0], lengths=lengths, angle=-math.degrees(theta),
        box=tuple(corners), upside_down=upside_down,
        char_height=float(np.mean([b - t + 1 for t, b in bands])),
    )

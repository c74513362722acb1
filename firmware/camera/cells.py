"""Cutting one MRZ text line into its character cells, the same way for training and reading.

OCR-B in a machine-readable zone is monospaced, so a line of ``length`` characters is
``length`` equal cells. The cell pitch and the first cell's edge are found where the
gaps between glyphs line up with the cell boundaries (the column ink profile is lowest
there); the trailing ``<`` fillers have ink too, so the line's ink spans all its cells.
A few of the best pitch/offset pairs are offered, so a caller can let check digits
choose when the gaps are blurred, and the best one *fitted*: each cell edge moved to the
nearest gap between glyphs, for printers that space the characters unevenly (the line's
own pitch estimate, not a fixed grid).

Input: a 2-D ``uint8`` grayscale line (0 = ink, 255 = paper), deskewed, cropped around
the line with a margin of a few pixels to about half a character height. numpy only,
vectorised per line (a line's cells in a few array operations, not a loop over cells):
this runs on the kiosk, within the frame's time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

CELL_HEIGHT = 32
CELL_WIDTH = 24

# A cell crop is this many text heights tall (the text plus a little paper above and below)
# and CELL_WIDTH / CELL_HEIGHT as wide: about one pitch, since OCR-B's pitch is about its
# cap height.
_CELL_SPAN = 1.3
# Ink ends about a third of a pitch before the last cell's right edge (OCR-B's side bearings).
_INK_PITCHES = 0.68
_PITCH_RANGE = np.linspace(0.93, 1.07, 29)
_OFFSET_STEPS = np.linspace(0.0, 0.5, 21)  # where the first cell starts, in pitches left of the ink
_NEAR = 0.2  # two segmentations whose boundaries all lie within this many pitches are one
# A boundary of the fitted cut may move this far (pitches) from the even grid, to the gap between two glyphs
# that a printer set unevenly; a cell this much wider or narrower than the pitch costs as much as the ink of
# _WIDTH_COST text-high columns.
_SNAP_STEPS = np.linspace(-0.3, 0.3, 13)
_WIDTH_COST = 4.0
# Before that, the grid may stretch along the line (a page seen at a slant: the pitch grows from one end to the
# other by up to 20%), around the best even cut's pitch and offset.
_DRIFTS = np.linspace(-0.2, 0.2, 9)
_REFINE = np.linspace(-0.04, 0.04, 5)


@dataclass(frozen=True)
class Segmentation:
    """Where the cells of a line are: ``length`` cells of ``pitch`` pixels from ``left``,
    the text between rows ``top`` and ``bottom`` (exclusive); ``cost`` is the ink on the
    cell boundaries (lower is better)."""

    left: float
    pitch: float
    top: int
    bottom: int
    cost: float
    boundaries: tuple[float, ...] = ()  # a fitted cut's own cell edges (length + 1); none: the even grid

    def centres(self, length: int) -> np.ndarray:
        if self.boundaries:
            edges = np.asarray(self.boundaries)
            return (edges[:-1] + edges[1:]) / 2
        return self.left + (np.arange(length) + 0.5) * self.pitch


def _sliding(values: np.ndarray, window: int, reduce: str) -> np.ndarray:
    padded = np.pad(values, window // 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, window | 1)
    return np.asarray(getattr(windows, reduce)(axis=1))


def flatten_lighting(line: np.ndarray) -> np.ndarray:
    """The line as float brightness between the local ink (0) and the local paper (1): uneven
    light, and glare wider than a character that washes the print out, divide out."""
    gray = np.asarray(line, dtype=np.float32)
    window = max(3, gray.shape[0])
    # a column may be nearly all ink (thin margins) or all paper (a gap): take its neighbours' too
    paper = _sliding(_sliding(gray.max(axis=0), window, "max"), window, "mean")
    ink = _sliding(_sliding(gray.min(axis=0), 2 * window, "min"), window, "mean")
    span = paper - ink
    flat = (gray - ink[None, :]) / np.maximum(span, 1.0)[None, :]
    flat[:, span < 16] = 1.0  # no print here, only noise
    return np.clip(flat, 0.0, 1.0)


def otsu_threshold(values: np.ndarray) -> float:
    """Otsu's threshold of values in [0, 1]."""
    # np.histogram's 128 bins, counted directly: k/128 <= v < (k+1)/128, exact in binary floating point
    weights = np.bincount(np.minimum((values * 128).astype(np.intp).ravel(), 127), minlength=128).astype(np.float64)
    edges = np.linspace(0.0, 1.0, 129)
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(weights)
    above = below[-1] - below
    sum_below = np.cumsum(weights * centres)
    mean_below = sum_below / np.maximum(below, 1e-9)
    mean_above = (sum_below[-1] - sum_below) / np.maximum(above, 1e-9)
    between = below * above * (mean_below - mean_above) ** 2
    return float(edges[int(np.argmax(between)) + 1])


def _text_rows(ink: np.ndarray) -> tuple[int, int]:
    """The rows of the text: where the row ink profile reaches a quarter of its peak."""
    profile = ink.mean(axis=1)
    rows = np.flatnonzero(profile >= 0.25 * profile.max())
    if rows.size == 0:
        return 0, ink.shape[0]
    return int(rows[0]), int(rows[-1]) + 1


def _ink_extent(column_ink: np.ndarray, text_height: int) -> tuple[int, int]:
    """First and last column (exclusive) with more than speckle of ink."""
    smooth = _sliding(column_ink, max(1, text_height // 4), "mean")
    columns = np.flatnonzero(smooth >= 0.3 * np.percentile(smooth, 90))
    if columns.size == 0:
        return 0, column_ink.size
    return int(columns[0]), int(columns[-1]) + 1


def segmentations(line: np.ndarray, length: int, count: int = 3) -> list[Segmentation]:
    """The ``count`` best distinct ways to cut ``line`` into ``length`` even cells, best first."""
    return _segmentations(flatten_lighting(line), length, count)[0]


def _column_ink(flat: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Ink pixels per column within the text's rows, and those rows."""
    # a 3x3 mean first, so sensor noise does not pass for ink
    padded = np.pad(flat, 1, mode="edge")
    total = np.zeros_like(flat)
    for dy in range(3):
        for dx in range(3):
            total += padded[dy : dy + flat.shape[0], dx : dx + flat.shape[1]]
    flat = total / 9
    ink = flat < otsu_threshold(flat)
    top, bottom = _text_rows(ink)
    return ink[top:bottom].sum(axis=0).astype(np.float64), top, bottom


def _segmentations(flat: np.ndarray, length: int, count: int) -> tuple[list[Segmentation], np.ndarray]:
    """``segmentations`` of a line already flattened (``flatten_lighting``), and its column ink."""
    column_ink, top, bottom = _column_ink(flat)
    left, right = _ink_extent(column_ink, bottom - top)
    base_pitch = (right - left) / (length - 1 + _INK_PITCHES)

    pitches = base_pitch * _PITCH_RANGE  # (P,)
    starts = left - _OFFSET_STEPS[None, :] * pitches[:, None]  # (P, O)
    boundaries = starts[:, :, None] + np.arange(length + 1)[None, None, :] * pitches[:, None, None]
    # ink on the boundaries (interpolated), plus all the ink the cells leave outside
    smooth = np.convolve(column_ink, np.ones(3) / 3, mode="same")
    on_boundaries = np.interp(boundaries, np.arange(smooth.size), smooth, left=0.0, right=0.0).sum(axis=2)
    cumulative = np.concatenate([[0.0], np.cumsum(column_ink)])
    first = np.clip(boundaries[:, :, 0], 0, column_ink.size)
    last = np.clip(boundaries[:, :, -1], 0, column_ink.size)
    outside = np.interp(first, np.arange(cumulative.size), cumulative) + (
        cumulative[-1] - np.interp(last, np.arange(cumulative.size), cumulative)
    )
    cost = (on_boundaries + outside) / max(1, bottom - top)

    # the best first, then greedily the best of those whose first and last boundary are not near a chosen one's
    order = np.argsort(cost, axis=None)
    best_pitches = np.broadcast_to(pitches[:, None], cost.shape).ravel()[order]
    lefts = starts.ravel()[order]
    rights = lefts + length * best_pitches
    free = np.ones(order.size, dtype=bool)
    chosen: list[Segmentation] = []
    while len(chosen) < count and free.any():
        index = int(np.argmax(free))
        p, o = np.unravel_index(order[index], cost.shape)
        chosen.append(Segmentation(float(starts[p, o]), float(pitches[p]), top, bottom, float(cost[p, o])))
        shift = np.maximum(np.abs(lefts - lefts[index]), np.abs(rights - rights[index]))
        free &= shift >= _NEAR * best_pitches
    return chosen, column_ink


def fitted(segmentation: Segmentation, column_ink: np.ndarray, length: int) -> Segmentation:
    """``segmentation`` with each cell edge moved to the nearest gap between glyphs (within ``_SNAP_STEPS``
    pitches of the even grid), cells kept near the pitch wide: a cut for lines whose printer spaced the
    characters unevenly. A dynamic programme over the edges, vectorised over their candidate places."""
    pitch = segmentation.pitch
    smooth = np.convolve(column_ink, np.ones(3) / 3, mode="same") / max(1, segmentation.bottom - segmentation.top)
    grid = _drifting_grid(segmentation, smooth, length)
    places = grid[:, None] + _SNAP_STEPS[None, :] * pitch  # (edges, steps)
    on_edge = np.interp(places, np.arange(smooth.size), smooth, left=0.0, right=0.0)
    width_cost = _WIDTH_COST * (_SNAP_STEPS[None, :] - _SNAP_STEPS[:, None]) ** 2  # (from, to)
    total = on_edge[0].copy()
    back = np.zeros((length, _SNAP_STEPS.size), dtype=np.intp)
    for edge in range(1, length + 1):
        candidates = total[:, None] + width_cost
        back[edge - 1] = np.argmin(candidates, axis=0)
        total = candidates[back[edge - 1], np.arange(_SNAP_STEPS.size)] + on_edge[edge]
    chosen = [int(np.argmin(total))]
    for edge in range(length, 0, -1):
        chosen.append(int(back[edge - 1, chosen[-1]]))
    edges = places[np.arange(length + 1), chosen[::-1]]
    return replace(segmentation, boundaries=tuple(float(x) for x in edges))


def _drifting_grid(segmentation: Segmentation, smooth: np.ndarray, length: int) -> np.ndarray:
    """The cell edges of the best grid whose pitch changes linearly along the line (``_DRIFTS`` from one end to
    the other), its pitch and first edge within ``_REFINE`` of ``segmentation``'s: least ink on the edges."""
    k = np.arange(length + 1, dtype=np.float64)
    stretch = k + _DRIFTS[:, None] * k * (k - length) / (2 * length)  # (drifts, edges): pitch 1 -+ drift/2
    pitches = segmentation.pitch * (1 + _REFINE)  # (pitches,)
    lefts = segmentation.left + _REFINE * segmentation.pitch * 4  # (lefts,): up to 0.16 pitch either way
    edges = lefts[None, None, :, None] + pitches[None, :, None, None] * stretch[:, None, None, :]
    cost = np.interp(edges, np.arange(smooth.size), smooth, left=0.0, right=0.0).sum(axis=3)
    d, p, o = np.unravel_index(int(np.argmin(cost)), cost.shape)
    result: np.ndarray = edges[d, p, o]
    return result


def cut_cells(line: np.ndarray, segmentation: Segmentation, length: int) -> np.ndarray:
    """The ``length`` cells as float32 ``(length, CELL_HEIGHT, CELL_WIDTH)`` in [0, 1],
    ink dark (0) on paper (1), each contrast-stretched; neighbours' edges included, as
    the model was trained."""
    return _stretch_contrast(_cells(flatten_lighting(line), segmentation, length))


def cut_line(line: np.ndarray, length: int, count: int = 2) -> tuple[list[Segmentation], np.ndarray]:
    """The ``count`` best even cuts (``segmentations``) and the best one ``fitted`` to the glyphs' gaps, and the
    cells of each, one after the other ``(cuts * length, CELL_HEIGHT, CELL_WIDTH)``: the lighting is flattened
    once for them all."""
    flat = flatten_lighting(line)
    even, column_ink = _segmentations(flat, length, count)
    cuts = [*even, fitted(even[0], column_ink, length)]
    return cuts, _stretch_contrast(np.concatenate([_cells(flat, cut, length) for cut in cuts]))


def _cells(flat: np.ndarray, segmentation: Segmentation, length: int) -> np.ndarray:
    """The cells before their contrast is stretched: each cell's box resampled as Pillow's bilinear
    ``resize(box=...)`` would (the committed model was trained on that), but all cells at once."""
    text_height = segmentation.bottom - segmentation.top
    crop_height = max(_CELL_SPAN * text_height, 0.9 * segmentation.pitch * CELL_HEIGHT / CELL_WIDTH)
    crop_width = crop_height * CELL_WIDTH / CELL_HEIGHT
    middle = (segmentation.top + segmentation.bottom) / 2
    rows, row_weights = _bilinear_taps(np.array([middle - crop_height / 2]), crop_height, CELL_HEIGHT)
    lefts = np.asarray(segmentation.centres(length), dtype=np.float64) - crop_width / 2
    columns, column_weights = _bilinear_taps(lefts, crop_width, CELL_WIDTH)  # (length, CELL_WIDTH, taps)
    firsts = columns[:, 0, 0]  # each cell's leftmost source column
    window = int((columns.max(axis=(1, 2)) - firsts).max()) + 1
    # paper (1) all round, as far as the taps reach
    top, bottom = int(rows.min()), int(rows.max()) + 1
    left = min(0, int(firsts.min()))
    right = max(flat.shape[1], int(firsts.max()) + window)
    margins = ((max(0, -top), max(0, bottom - flat.shape[0])), (-left, right - flat.shape[1]))
    paper = np.pad(flat[max(0, top) : bottom], margins, constant_values=1.0)
    # rows first, for the whole line, tap by tap: (CELL_HEIGHT, width). Not as one matrix product: that
    # is large enough for BLAS to spread it over threads, and the reader has one.
    band = sum(weight[:, None] * paper[row - top] for row, weight in zip(rows[0].T, row_weights[0].T, strict=True))
    # then each cell's columns, from its window of the band
    windows = np.lib.stride_tricks.sliding_window_view(band, window, axis=1)[:, firsts - left].transpose(1, 0, 2)
    horizontal = np.zeros((length, window, CELL_WIDTH))  # each cell's column weights as a matrix
    in_window = columns - firsts[:, None, None]
    horizontal[np.arange(length)[:, None, None], in_window, np.arange(CELL_WIDTH)[:, None]] = column_weights
    cells: np.ndarray = (windows @ horizontal).astype(np.float32)  # small products: BLAS keeps each on one thread
    return cells


def _bilinear_taps(starts: np.ndarray, span: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pillow's bilinear (triangle) filter taking ``span`` pixels from each of ``starts`` to ``size``
    samples: the source pixels ``(starts, size, taps)`` and their weights, which sum to 1. Shrinking
    widens the triangle to the scale, as Pillow does, so shrunk print is averaged, not aliased."""
    scale = span / size
    support = max(scale, 1.0)
    taps = int(np.ceil(support)) * 2 + 1
    centres = starts[:, None] + (np.arange(size) + 0.5) * scale  # (starts, size)
    first = np.floor(centres - support + 0.5)
    count = np.floor(centres + support + 0.5) - first
    offsets = np.arange(taps)
    weights = np.maximum(0.0, 1.0 - np.abs((first[..., None] + offsets - centres[..., None] + 0.5) / support))
    weights[offsets >= count[..., None]] = 0.0
    weights /= weights.sum(axis=-1, keepdims=True)
    return first.astype(np.intp)[..., None] + offsets, weights


def _stretch_contrast(cells: np.ndarray) -> np.ndarray:
    """Each cell's darkest ink to 0, its paper to 1: blurred small print looks like sharp large print."""
    values = cells.reshape(len(cells), -1)
    low = values.min(axis=1)
    high = np.percentile(values, 90, axis=1)
    span = high - low
    stretched = np.clip((cells - low[:, None, None]) / np.maximum(span, 0.1)[:, None, None], 0.0, 1.0)
    stretched[span < 0.1] = 1.0  # no print to stretch
    return stretched.astype(np.float32)

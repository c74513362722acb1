"""The MRZ locator on synthetic camera frames (host_tools/camera_pages.py): zone found, lines whole and upright."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import numpy as np
import pytest
from PIL import Image

from firmware.camera.locate import GLARE, NO_TEXT, TOO_DARK, TOO_SMALL, Located, NotFound, locate
from host_tools import camera_pages
from host_tools.camera_pages import random_page, render_page, specimen_documents
from host_tools.fake_documents import random_document

PAGES = 42
INK = 128  # gray level under which a line image's pixel counts as ink


def _pages() -> list[tuple[Image.Image, dict[str, Any]]]:
    rng = random.Random(20261123)
    out = []
    for i in range(PAGES):
        fmt = ("TD1", "TD2", "TD3")[i % 3]
        out.append(random_page(rng, fmt=fmt, tilt=rng.uniform(-10, 10), upside_down=i % 4 == 3,
                               glare="elsewhere" if i % 7 == 5 else "none"))
    return out


@pytest.fixture(scope="module")
def located() -> list[tuple[dict[str, Any], Located | NotFound]]:
    return [(truth, locate(image)) for image, truth in _pages()]


def _line_angle(box: list[list[float]]) -> float:
    """The truth line's tilt in the frame, degrees counter-clockwise, whichever way up the page is."""
    (ax, ay), (bx, by) = box[0], box[1]
    return (-math.degrees(math.atan2(by - ay, bx - ax)) + 90) % 180 - 90


def _ink_width(box: list[list[float]]) -> float:
    (ax, ay), (bx, by) = box[0], box[1]
    return math.hypot(bx - ax, by - ay)


def _ink_tilt(line: np.ndarray) -> float:
    """Degrees the ink's centre line rises or falls across the line image."""
    ink = line < INK
    counts = ink.sum(axis=0)
    columns = np.flatnonzero(counts)
    rows = np.arange(line.shape[0])[:, None]
    centre = (ink * rows).sum(axis=0)[columns] / counts[columns]
    return math.degrees(math.atan(np.polyfit(columns, centre, 1)[0]))


def test_every_page_found_with_its_lines_and_length(located: list[tuple[dict[str, Any], Located | NotFound]]) -> None:
    misses = [(i, truth["format"], result) for i, (truth, result) in enumerate(located)
              if not isinstance(result, Located)]
    assert not misses
    for i, (truth, result) in enumerate(located):
        assert isinstance(result, Located)
        assert len(result.lines) == len(truth["lines"]), i
        assert result.length == len(truth["lines"][0]), (i, result.lengths)
        assert result.length in result.lengths
        assert result.upside_down == truth["upside_down"], i


def test_tilt_removed(located: list[tuple[dict[str, Any], Located | NotFound]]) -> None:
    for i, (truth, result) in enumerate(located):
        assert isinstance(result, Located)
        assert abs(result.angle - _line_angle(truth["line_boxes"][0])) < 1.0, i
        for line in result.lines:
            assert abs(_ink_tilt(line)) < 1.0, i


def test_each_line_image_holds_the_whole_line_and_nothing_else(
        located: list[tuple[dict[str, Any], Located | NotFound]]) -> None:
    for i, (truth, result) in enumerate(located):
        assert isinstance(result, Located)
        for line, box in zip(result.lines, truth["line_boxes"], strict=True):
            assert line.dtype == np.uint8 and line.ndim == 2
            ink = line < INK
            columns = np.flatnonzero(ink.any(axis=0))
            rows = np.flatnonzero(ink.any(axis=1))
            # first to last character: the ink spans the truth line's width
            assert abs((columns[-1] - columns[0] + 1) / _ink_width(box) - 1) < 0.05, i
            # a margin on every side, at most about half a character high
            assert columns[0] > 0 and columns[-1] < line.shape[1] - 1, i
            assert rows[0] > 0 and rows[-1] < line.shape[0] - 1, i
            assert line.shape[0] <= 2 * truth["char_height"], i
            # nothing of the line above or below: the inked rows are one band
            assert rows[-1] - rows[0] + 1 < 1.3 * truth["char_height"], i


def test_box_is_the_zone_in_the_frame(located: list[tuple[dict[str, Any], Located | NotFound]]) -> None:
    for i, (truth, result) in enumerate(located):
        assert isinstance(result, Located)
        top_left = truth["line_boxes"][0][0]
        bottom_right = truth["line_boxes"][-1][2]
        assert math.dist(result.box[0], top_left) < truth["char_height"], i
        assert math.dist(result.box[2], bottom_right) < truth["char_height"], i


def test_orientation_can_be_forced() -> None:
    image, truth = random_page(random.Random(5), fmt="TD3", tilt=4.0)
    upright, turned = locate(image, upside_down=False), locate(image, upside_down=True)
    assert isinstance(upright, Located) and isinstance(turned, Located)
    assert not upright.upside_down and turned.upside_down
    assert [line.shape for line in turned.lines] == [line.shape for line in reversed(upright.lines)]
    assert np.array_equal(turned.lines[0], np.rot90(upright.lines[-1], 2))


def test_icao_specimens() -> None:
    rng = random.Random(9303)
    specimens = specimen_documents()
    assert len(specimens) >= 5
    for document in specimens:
        image, truth = render_page(document, rng, tilt=rng.uniform(-8, 8))
        result = locate(image)
        assert isinstance(result, Located), truth["lines"][0][:2]
        assert len(result.lines) == len(document.lines)
        assert result.length == len(document.lines[0])


def test_page_without_a_zone() -> None:
    rng = random.Random(3)
    for fmt in ("TD1", "TD2", "TD3"):
        image, _ = random_page(rng, fmt=fmt, with_mrz=False)
        assert locate(image) == NotFound(NO_TEXT)


def test_black_frame_blank_frame_tiny_frame() -> None:
    dark = np.random.default_rng(1).normal(8, 3, (960, 1280)).clip(0, 255).astype(np.uint8)
    assert locate(Image.fromarray(dark)) == NotFound(TOO_DARK)
    assert locate(Image.new("RGB", (1280, 960), (200, 200, 195))) == NotFound(NO_TEXT)
    assert locate(Image.new("L", (100, 80), 200)) == NotFound(TOO_SMALL)


def test_print_too_small_to_read() -> None:
    rng = random.Random(4)
    for fmt in ("TD1", "TD2", "TD3"):
        image, _ = random_page(rng, fmt=fmt)
        assert locate(image.resize((384, 288), Image.Resampling.BOX)) == NotFound(TOO_SMALL)


def test_glare_over_the_zone() -> None:
    """A highlight anywhere along the zone: refused for glare, or (where it washes out only one end of the lines) the
    lines left are too short for the document, so no check digit can pass."""
    rng = random.Random(11)
    for fmt in ("TD1", "TD2", "TD3"):
        image, truth = random_page(rng, fmt=fmt, glare="zone")
        result = locate(image)
        assert result == NotFound(GLARE) or (isinstance(result, Located) and
                                              len(truth["lines"][0]) not in result.lengths), fmt


def test_nothing_printed(capsys: pytest.CaptureFixture[str]) -> None:
    image, _ = random_page(random.Random(2))
    assert isinstance(locate(image), Located)
    assert capsys.readouterr() == ("", "")


def test_pages_are_deterministic() -> None:
    a, truth_a = random_page(random.Random(42))
    b, truth_b = random_page(random.Random(42))
    assert truth_a == truth_b
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_main_writes_frames_and_truth(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert camera_pages.main(["--out", str(tmp_path), "--count", "2", "--seed", "7"]) == 0
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert len(truth) == 2
    for name, entry in truth.items():
        assert (tmp_path / name).is_file()
        assert len(entry["zone"]) == 4 and entry["lines"]
    assert "frames in" in capsys.readouterr().out


# -- real-world conditions, on pages the tests render themselves ------------------------------------------------


def _flat_page(seed: int, fmt: str) -> tuple[Image.Image, list[list[tuple[float, float]]], list[str]]:
    """A flat data page (page pixels), its MRZ lines' ink boxes and text."""
    rng = random.Random(seed)
    document = random_document(rng, fmt=fmt)
    page, boxes = camera_pages._draw_page(document, rng)
    return page, boxes, list(document.lines)


def _scanned(page: Image.Image) -> Image.Image:
    """A flatbed scan: the page's paper clipped to white, on a white lid with bright margins."""
    bright = Image.eval(page.convert("L"), lambda v: min(255, round(v * 1.15)))
    frame = Image.new("L", (page.width + 280, page.height + 200), 255)
    frame.paste(bright, (140, 100))
    return frame.convert("RGB")


@pytest.mark.parametrize("fmt", ["TD1", "TD2", "TD3"])
def test_a_white_page_on_a_white_lid_is_not_glare(fmt: str) -> None:
    page, _, lines = _flat_page(26, fmt)
    frame = _scanned(page)
    assert np.mean(np.asarray(frame.convert("L")) >= 250) > 0.5  # most of the frame is clipped white
    result = locate(frame)
    assert isinstance(result, Located), result
    assert len(result.lines) == len(lines) and result.length == len(lines[0])


@pytest.mark.parametrize("fmt", ["TD1", "TD2", "TD3"])
def test_a_clipped_highlight_over_the_characters_is_glare(fmt: str) -> None:
    rng = random.Random(27)
    image, truth = render_page(random_document(rng, fmt=fmt), rng, tilt=2.0)
    (ax, ay), (bx, by) = truth["zone"][0], truth["zone"][2]
    centre, radii = ((ax + bx) / 2, (ay + by) / 2), ((bx - ax) / 5, (by - ay) * 1.2)
    highlight = np.clip(camera_pages._glare(image.size, centre, radii), 0, 255).astype(np.uint8)
    glared = np.clip(np.asarray(image, np.int32) + highlight[..., None], 0, 255).astype(np.uint8)
    assert isinstance(locate(image), Located)  # the same frame without the highlight is read
    assert locate(Image.fromarray(glared)) == NotFound(GLARE)


def _small_zone_frame(seed: int, fmt: str, zone_width: float) -> tuple[Image.Image, tuple[float, float], list[str]]:
    """A page shrunk until its zone is ``zone_width`` pixels wide, on a dark table in a 1280x960 frame; the
    zone's top-left corner in the frame."""
    page, boxes, lines = _flat_page(seed, fmt)
    scale = zone_width / (boxes[0][1][0] - boxes[0][0][0])
    small = page.resize((round(page.width * scale), round(page.height * scale)), Image.Resampling.LANCZOS)
    frame = Image.new("RGB", (1280, 960), (70, 60, 50))
    frame.paste(small, (700, 500))
    return frame, (700 + boxes[0][0][0] * scale, 500 + boxes[0][0][1] * scale), lines


@pytest.mark.parametrize(("fmt", "zone_width"), [("TD1", 240), ("TD3", 300)])
def test_a_small_zone_in_a_large_frame_is_found(fmt: str, zone_width: float) -> None:
    frame, top_left, lines = _small_zone_frame(3, fmt, zone_width)
    result = locate(frame)
    assert isinstance(result, Located), result
    assert len(result.lines) == len(lines) and result.length == len(lines[0])
    assert math.dist(result.box[0], top_left) < 4


def test_a_zone_160_pixels_wide_is_found_and_called_too_small() -> None:
    frame, _, _ = _small_zone_frame(3, "TD1", 160)
    assert locate(frame) == NotFound(TOO_SMALL)  # found: not "no text lines"

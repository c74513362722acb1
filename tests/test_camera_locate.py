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
    rng = random.Random(11)
    for fmt in ("TD1", "TD2", "TD3"):
        image, _ = random_page(rng, fmt=fmt, glare="zone")
        assert locate(image) == NotFound(GLARE)


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

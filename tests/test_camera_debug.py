"""`safar camera read --debug DIR`: what the reader saw, as pictures, only when asked; image files as a camera
shows them (EXIF orientation, transparency)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from firmware.app import camera_cli as cli
from firmware.camera.sources import FileSource
from host_tools.camera_pages import render_page
from host_tools.fake_documents import random_document

TODAY = (2026, 11, 23)


def _page(seed: int) -> tuple[Image.Image, list[str]]:
    rng = random.Random(seed)
    document = random_document(rng, today=TODAY, fmt="TD3")
    image, _ = render_page(document, rng, tilt=2.0, glare="none", blur=0.3, noise=2.0, jpeg_quality=0)
    return image, list(document.lines)


def test_debug_writes_the_zone_lines_cells_and_readings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image, lines = _page(31)
    path = tmp_path / "page.png"
    image.save(path)
    out = tmp_path / "seen"
    assert cli.main(["read", str(path), "--today", "2026-11-23", "--debug", str(out)]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["mrz"]["valid"]
    names = sorted(p.name for p in out.iterdir())
    assert names == ["page-cells1.png", "page-cells2.png", "page-line1.png", "page-line2.png", "page-readings.png",
                     "page-zone.png"]
    assert sorted(Path(f).name for f in entry["debug"]) == names
    cells = Image.open(out / "page-cells1.png")
    assert cells.width > 44 * cells.height / 2  # 44 cells side by side
    line = np.asarray(Image.open(out / "page-line2.png"))
    assert line.shape[1] > 10 * line.shape[0] and line.min() < 100  # a whole line of print


def test_debug_of_an_image_without_a_zone_writes_the_frame_only(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (640, 480), (120, 120, 120)).save(blank)
    assert cli.main(["read", str(blank), "--debug", str(tmp_path / "seen")]) == 1
    assert [p.name for p in (tmp_path / "seen").iterdir()] == ["blank-zone.png"]
    assert "error" in json.loads(capsys.readouterr().out)


def test_without_debug_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    image, _ = _page(32)
    frames = tmp_path / "frames"
    frames.mkdir()
    image.save(frames / "page.png")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["read", str(frames / "page.png"), "--today", "2026-11-23"]) == 0
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["frames", "page.png"]
    capsys.readouterr()


@pytest.mark.parametrize(("orientation", "turn"), [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270),
                                                   (3, Image.Transpose.ROTATE_180)])
def test_a_photo_stored_sideways_is_turned_as_its_exif_says(tmp_path: Path, orientation: int,
                                                            turn: Image.Transpose) -> None:
    image, _ = _page(33)
    stored = image.transpose(turn)  # as a phone stores it: the pixels turned, the tag saying how to turn them back
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    stored.save(path, exif=exif, quality=95)
    frame = FileSource(path).frame()
    assert frame.size == image.size
    difference = np.abs(np.asarray(frame, np.int16) - np.asarray(image, np.int16)).mean()
    assert difference < 6


def test_transparent_artwork_is_on_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    rgba.paste((20, 20, 20, 255), (50, 25, 150, 75))
    path = tmp_path / "art.png"
    rgba.save(path)
    frame = np.asarray(FileSource(path).frame())
    assert (frame[0, 0] == 255).all() and (frame[50, 100] == 20).all()

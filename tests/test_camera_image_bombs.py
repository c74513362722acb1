"""Image bombs (issue 22, item 4): an image whose pixels would not fit in memory is refused in one
line naming its size, a large JPEG is decoded at a reduced scale, and the camera link skips such a
frame and goes on reading the next ones."""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from firmware.camera import sources
from firmware.camera.reader import CameraLink
from firmware.camera.sources import CameraError, FileSource, load_image
from firmware.scanner.events import Event, ScannerUnavailable


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_png(path: Path, width: int, height: int) -> Path:
    """A black 1-bit PNG of any size, written row by row (a 30000x30000 one is ~100 KB on disk)."""
    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return path


def test_a_30000_by_30000_png_is_refused_with_its_size(tmp_path: Path) -> None:
    bomb = blank_png(tmp_path / "bomb.png", 30000, 30000)
    with pytest.raises(CameraError) as caught:
        load_image(bomb)
    assert "30000x30000" in str(caught.value) and "\n" not in str(caught.value)


def test_safar_camera_read_refuses_a_bomb_in_one_line(tmp_path: Path) -> None:
    bomb = blank_png(tmp_path / "bomb.png", 30000, 30000)
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "camera", "read", str(bomb)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    said = [line for line in p.stderr.splitlines() if line.startswith("safar camera:")]
    assert len(said) == 1 and "30000x30000" in said[0], p.stderr


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(tmp_path: Path) -> None:
    path = tmp_path / "large.jpg"
    Image.new("L", (9000, 6000), 200).save(path, quality=50)  # 54 MP: over the cap, halved at decode
    image = load_image(path)
    assert image.width * image.height <= sources.MAX_FRAME_PIXELS
    assert image.size == (4500, 3000) and image.mode == "RGB"


def test_an_image_under_the_cap_is_read_at_full_size(tmp_path: Path) -> None:
    path = blank_png(tmp_path / "scan.png", 4000, 3000)
    assert load_image(path).size == (4000, 3000)


class NoLines:
    """A line reader for frames that hold no zone (it is never asked to read a line)."""

    def read(self, line: object, length: int) -> list[object]:
        return []


def test_the_camera_link_skips_a_bomb_and_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    blank_png(folder / "a-bomb.png", 30000, 30000)
    Image.new("RGB", (640, 480), "white").save(folder / "b-frame.png")
    link = CameraLink(lambda: FileSource(folder, loop=True), NoLines(), idle_sleep=0.01)
    seen: list[Event] = []
    try:
        deadline = time.monotonic() + 30
        while link.frames < 3 and time.monotonic() < deadline:
            seen += link.read_events(0.1)
    finally:
        link.close()
    assert link.frames >= 3, "the link stopped at the bomb"
    assert link.problem is None and not any(isinstance(e, ScannerUnavailable) for e in seen)
    assert link.skipped_frames >= 1 and "skipped: unreadable or too large" in link.health()[2]

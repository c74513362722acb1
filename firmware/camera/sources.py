"""Where camera frames come from: one small interface, ``frame() -> PIL image or None``.

``Picamera2Source`` is the Pi camera (``picamera2`` comes with Raspberry Pi OS's
``python3-picamera2`` package, not from PyPI: the kiosk's virtualenv is made with
``--system-site-packages`` on a Pi, and the module is imported only when this source
opens). ``FileSource`` replays image files: tests, the demo, a technician's captures.

Privacy: a frame lives in memory only, for the one read it serves; no source writes
frames anywhere, and nothing here logs what a frame shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
# The most pixels a frame is decoded to: far above a camera frame (1.2 MP) or a 600 dpi page scan
# (35 MP), far below what a small board can hold (a blank 30000x30000 PNG is 100 KB on disk, 2.7 GB as RGB).
MAX_FRAME_PIXELS = 40_000_000


class CameraError(Exception):
    """The camera cannot give frames: ``source`` names it, the message says what to check."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source, self.reason = source, reason


class BadFrame(CameraError):
    """One frame cannot be used (unreadable, too large); the camera itself still gives frames."""


class FrameSource(Protocol):
    name: str

    def frame(self) -> Any:
        """The next frame (a PIL image), or None when there is none right now."""

    def close(self) -> None: ...


class FileSource:
    """Frames from image files: one image, a folder of them (in name order), or a list;
    ``loop`` starts again after the last (a passport held still in front of the camera)."""

    def __init__(self, paths: str | Path | Sequence[str | Path], loop: bool = False) -> None:
        given = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
        files: list[Path] = []
        for path in given:
            if path.is_dir():
                files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            elif path.is_file():
                files.append(path)
            else:
                raise CameraError(str(path), "no such image file or folder")
        if not files:
            raise CameraError(", ".join(str(p) for p in given), "no images (.png, .jpg, ...) there")
        self.files = files
        self.loop = loop
        self.name = f"files ({len(files)} image{'s' if len(files) != 1 else ''})"
        self._next = 0

    def frame(self) -> Any:
        if self._next >= len(self.files):
            if not self.loop:
                return None
            self._next = 0
        path = self.files[self._next]
        self._next += 1
        return load_image(path)

    def close(self) -> None:
        pass


def load_image(path: Path) -> Any:
    """An image file as the camera would show it: RGB, turned as its EXIF orientation says (a phone's photo
    is stored sideways with a tag), transparent parts white (specimen artwork has a transparent surround)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with _opened_unchecked(Image, path) as image:
            _fit_in_memory(path, image)
            upright = ImageOps.exif_transpose(image)
            if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
                rgba = upright.convert("RGBA")
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                return Image.alpha_composite(white, rgba).convert("RGB")
            return upright.convert("RGB")
    except (OSError, UnidentifiedImageError) as e:
        raise BadFrame(str(path), f"not a readable image: {e}") from None


def _opened_unchecked(pil: Any, path: Path) -> Any:
    """``Image.open`` (it reads the header only) without Pillow's own size guard, which raises at twice
    its 89 MP limit before the size can be seen; ``_fit_in_memory`` is the guard, with a lower limit."""
    limit, pil.MAX_IMAGE_PIXELS = pil.MAX_IMAGE_PIXELS, None
    try:
        return pil.open(path)
    finally:
        pil.MAX_IMAGE_PIXELS = limit


def _fit_in_memory(path: Path, image: Any) -> None:
    """Before any pixel is decoded (the size is in the header): a JPEG over the cap is decoded at
    1/2, 1/4 or 1/8 scale (``draft``: the decoder skips the detail, cheaply); any other image over it
    is refused, naming its size."""
    width, height = image.size
    if width * height <= MAX_FRAME_PIXELS:
        return
    if image.format == "JPEG":
        scale = next((s for s in (2, 4, 8) if (width // s) * (height // s) <= MAX_FRAME_PIXELS), 8)
        image.draft("RGB", (width // scale, height // scale))
        if image.width * image.height <= MAX_FRAME_PIXELS:
            return
    raise BadFrame(str(path), f"refused: {width}x{height} pixels ({width * height / 1e6:.0f} MP) is over the "
                              f"{MAX_FRAME_PIXELS / 1e6:.0f} MP a frame may have")


class Picamera2Source:
    """The Raspberry Pi camera, through Raspberry Pi OS's ``picamera2``."""

    def __init__(self, size: tuple[int, int] = (1280, 960)) -> None:
        try:
            from picamera2 import Picamera2  # type: ignore[import-not-found]
        except ImportError:
            raise CameraError("picamera2", "the picamera2 module is missing: on Raspberry Pi OS install "
                              "python3-picamera2 and make the kiosk's virtualenv with --system-site-packages "
                              "(docs/camera.md)") from None
        try:
            self._camera = Picamera2()
            self._camera.configure(self._camera.create_still_configuration(main={"size": size, "format": "RGB888"}))
            self._camera.start()
        except Exception as e:  # libcamera raises its own kinds: no camera, busy, cable
            raise CameraError("picamera2", f"the camera did not start ({e}): check the ribbon cable and "
                              "that no other program holds the camera") from None
        self.name = f"picamera2 {size[0]}x{size[1]}"

    def frame(self) -> Any:
        try:
            return self._camera.capture_image("main").convert("RGB")
        except Exception as e:
            raise CameraError("picamera2", f"no frame ({e})") from None

    def close(self) -> None:
        self._camera.close()


def opener(source: str, files: Sequence[str], size: tuple[int, int]) -> Callable[[], FrameSource]:
    """What opens the configured source (``[camera]`` in the kiosk config), when called."""
    if source == "picamera2":
        return lambda: Picamera2Source(size)
    if source == "files":
        return lambda: FileSource(files, loop=True)
    raise ValueError(f"unknown camera source {source!r}")

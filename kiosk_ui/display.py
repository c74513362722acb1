"""Where frames go: the Linux framebuffer on the kiosk, PNG files for tests and previews.

The framebuffer's format is read from sysfs (``/sys/class/graphics/fbN``:
``bits_per_pixel``, ``virtual_size``, ``stride``), never assumed: the official Pi
display runs RGB565 on some images and XRGB8888 on others.
"""

from __future__ import annotations

import io
import mmap
import os
from pathlib import Path

import numpy as np
from PIL import Image

from firmware.durable import atomic_write


class DisplayError(Exception):
    pass


class PngDisplay:
    """Writes each frame as ``NNNN-NAME.png`` in ``directory``."""

    def __init__(self, directory: str | Path, size: tuple[int, int]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.size = size
        self.frames: list[Path] = []

    def show(self, image: Image.Image, name: str = "frame") -> Path:
        """Writes the frame as the next numbered PNG, whole (a watcher never sees half a frame)."""
        path = self.directory / f"{len(self.frames) + 1:04d}-{name}.png"
        png = io.BytesIO()
        image.save(png, format="PNG", optimize=False)
        atomic_write(path, png.getvalue(), sync=False)  # a watcher never opens half a frame; a preview needs no fsync
        self.frames.append(path)
        return path

    def blank(self) -> Path:
        """The screen dark (nobody in front): a black frame."""
        return self.show(Image.new("RGB", self.size), "blank")

    def close(self) -> None:
        """Nothing to release: the files stay for whoever looks at them."""
        pass


class FramebufferFormat:
    __slots__ = ("width", "height", "bits_per_pixel", "stride")

    def __init__(self, width: int, height: int, bits_per_pixel: int, stride: int) -> None:
        self.width, self.height, self.bits_per_pixel, self.stride = width, height, bits_per_pixel, stride

    @classmethod
    def read(cls, sysfs_dir: str | Path) -> FramebufferFormat:
        """The framebuffer's size, depth and stride from sysfs, never assumed (images differ)."""
        d = Path(sysfs_dir)

        def value(name: str) -> str:
            try:
                return (d / name).read_text().strip()
            except OSError as e:
                raise DisplayError(f"{d / name}: cannot read ({e.strerror or e})") from None

        try:
            w, h = (int(v) for v in value("virtual_size").split(","))
        except ValueError:
            raise DisplayError(f"{d / 'virtual_size'}: expected WIDTH,HEIGHT") from None
        try:
            bpp = int(value("bits_per_pixel"))
        except ValueError:
            raise DisplayError(f"{d / 'bits_per_pixel'}: expected a number") from None
        if bpp not in (16, 32):
            raise DisplayError(f"{d / 'bits_per_pixel'}: {bpp} bits per pixel is not supported "
                               "(16 = RGB565, 32 = XRGB8888)")
        stride_file = d / "stride"
        stride = int(value("stride")) if stride_file.exists() else w * bpp // 8
        if stride < w * bpp // 8:
            raise DisplayError(f"{stride_file}: stride {stride} is shorter than a row ({w * bpp // 8} bytes)")
        return cls(w, h, bpp, stride)

    def encode(self, image: Image.Image) -> bytes:
        """The frame in the framebuffer's own pixel layout, rows padded to the stride."""
        if image.size != (self.width, self.height):
            image = image.resize((self.width, self.height))
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint32)
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        if self.bits_per_pixel == 16:
            pixels = (((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3)).astype("<u2")  # RGB565
        else:
            pixels = ((r << 16) | (g << 8) | b).astype("<u4")  # XRGB8888
        rows = pixels.view(np.uint8).reshape(self.height, -1)
        if rows.shape[1] < self.stride:
            rows = np.pad(rows, ((0, 0), (0, self.stride - rows.shape[1])))
        return rows.tobytes()


class FramebufferDisplay:
    """``/dev/fbN`` mapped into memory; each frame is written in one copy."""

    def __init__(self, device: str | Path = "/dev/fb0", sysfs_root: str | Path = "/") -> None:
        self.device = Path(device)
        name = self.device.name
        self.format = FramebufferFormat.read(Path(sysfs_root) / "sys/class/graphics" / name)
        self.size = (self.format.width, self.format.height)
        length = self.format.stride * self.format.height
        try:
            self._fd = os.open(self.device, os.O_RDWR)
        except OSError as e:
            raise DisplayError(f"{self.device}: cannot open ({e.strerror or e})") from None
        try:
            self._map = mmap.mmap(self._fd, length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except (OSError, ValueError) as e:
            os.close(self._fd)
            raise DisplayError(f"{self.device}: cannot map {length} bytes ({e})") from None

    def show(self, image: Image.Image, name: str = "frame") -> None:
        """Converts the frame to the framebuffer's pixel format and copies it in."""
        data = self.format.encode(image)
        self._map[: len(data)] = data

    def blank(self) -> None:
        """The screen dark (nobody in front): every pixel black. The backlight stays on; the
        panel is spared the static image, which is what wears it."""
        self._map[:] = bytes(len(self._map))

    def close(self) -> None:
        """Unmaps the framebuffer and closes its device."""
        self._map.close()
        os.close(self._fd)

"""The next-steps slip printer: an ESC/POS thermal receipt printer on USB (the kernel's
usblp driver makes ``/dev/usb/lp0``) or on a serial port, driven through python-escpos.

Nothing personal ever reaches this module: it is handed a drawn slip (``kiosk_ui.slip``),
an image of the next steps that holds no document, name or result, and it sends that
image and nothing else. The printer is optional hardware: a missing, unplugged or
refusing printer is a ``PrinterError`` naming the device and what to check, which the
kiosk reports and outlives.

Bytes sent, per slip: ESC @ (reset), the image as GS v 0 raster blocks, a feed and GS V
(cut). ``print_image`` blocks until the printer takes the bytes; a USB printer that is
out of paper can hold a write for long, so the kiosk calls it off its screen loop.
"""

from __future__ import annotations

import contextlib
import os
import stat
from typing import TYPE_CHECKING, Any

from firmware.readings import FAIL, PASS

if TYPE_CHECKING:  # diag's probe loads neither Pillow nor python-escpos
    from PIL import Image

SERIAL_WRITE_TIMEOUT = 10.0  # seconds; a serial printer holding flow control (no paper) must not hang the kiosk


class PrinterError(Exception):
    """The slip could not be printed on ``device``; ``reason`` says what to check."""

    def __init__(self, device: str, reason: str) -> None:
        super().__init__(f"printer {device}: {reason}")
        self.device = device
        self.reason = reason


def _unusable(device: str, serial_port: bool) -> str | None:
    """Why ``device`` cannot take a slip before anything is sent, or None."""
    if not os.path.exists(device):
        if serial_port:
            return "the serial port does not exist: check the printer's cable and the [printer] device setting"
        return ("the device does not exist: check that the printer is on and its USB cable plugged in "
                "(the usblp driver makes /dev/usb/lp0) and the [printer] device setting")
    mode = os.stat(device).st_mode
    if not (stat.S_ISCHR(mode) or stat.S_ISREG(mode)):
        return "it is neither a character device nor a file: check the [printer] device setting"
    if not os.access(device, os.W_OK):
        group = "dialout" if serial_port else "lp"
        return f"permission denied: add the kiosk's user to the {group} group (see docs/printer.md)"
    return None


def _profile(width: int) -> Any:
    """python-escpos's default printer profile with the paper width set to the slip's: without
    a width it prints a warning on stdout for every image."""
    from escpos.capabilities import Profile

    profile = Profile()
    default = profile.profile_data
    profile.features = default["features"]  # Profile() starts with none, and a cut needs paperFullCut
    profile.profile_data = {**default, "media": {"dpi": 203, "width": {"mm": "Unknown", "pixels": width}}}
    return profile


class SlipPrinter:
    """``SlipPrinter(device, baudrate)``: ``device`` is a usblp node or file, or a serial
    port when ``baudrate`` is set. The device is opened per slip, so a printer plugged in
    later is found and one unplugged costs nothing between slips."""

    def __init__(self, device: str, baudrate: int | None = None) -> None:
        self.device = device
        self.baudrate = baudrate

    def print_image(self, image: Image.Image) -> None:
        """Prints ``image`` (as wide as the paper, in dots), feeds and cuts.

        Raises:
            PrinterError: the device is missing, not writable, or failed while printing.
        """
        from escpos.exceptions import Error as EscposError

        problem = _unusable(self.device, self.baudrate is not None)
        if problem is not None:
            raise PrinterError(self.device, problem)
        printer = self._printer(image.width)
        try:
            printer.open()
            if self.baudrate is not None:
                printer.device.write_timeout = SERIAL_WRITE_TIMEOUT
            printer.hw("INIT")
            printer.image(image, impl="bitImageRaster")
            printer.cut()
            printer.close()  # flushes: a printer gone mid-slip fails here
        except (OSError, EscposError) as e:  # serial.SerialException is an OSError
            with contextlib.suppress(OSError, EscposError):
                printer.close()
            detail = " ".join(str(e).split())
            raise PrinterError(self.device, f"printing failed ({detail}): check the printer's power, paper "
                               "and cable") from e

    def _printer(self, width: int) -> Any:
        from escpos.printer import File, Serial

        if self.baudrate is None:
            return File(self.device, profile=_profile(width))
        return Serial(self.device, baudrate=self.baudrate, profile=_profile(width))


def probe(device: str, baudrate: int | None = None) -> tuple[str, str]:
    """('pass' | 'fail', a sentence for a technician): the device exists, is a character
    device or a writable file, and opens for writing (a serial port: at ``baudrate``).
    Nothing is sent, so no paper is used; paper and cover are not checked."""
    problem = _unusable(device, baudrate is not None)
    if problem is not None:
        return FAIL, f"Printer {device}: {problem}."
    if baudrate is not None:
        import serial

        try:
            serial.Serial(device, baudrate, timeout=0, write_timeout=0).close()
        except (OSError, ValueError) as e:  # serial.SerialException is an OSError; ValueError: a bad baud rate
            return FAIL, f"Printer {device} does not open at {baudrate} baud ({e}): check the port and baud rate."
        return PASS, f"Printer {device} opens at {baudrate} baud (paper is not checked)."
    try:
        # no O_CREAT: a missing node must not become a file in /dev; O_NONBLOCK: a busy printer must not hang diag
        os.close(os.open(device, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY))
    except OSError as e:
        return FAIL, f"Printer {device} does not open for writing ({e.strerror}): check its power and cable."
    kind = "USB printer device" if stat.S_ISCHR(os.stat(device).st_mode) else "file"
    return PASS, f"Printer {device} ({kind}) opens for writing (paper is not checked)."

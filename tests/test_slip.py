"""The printed next-steps slip: what it draws (every language, both paper widths, QR codes
module for module), the ESC/POS bytes the printer shell sends, and the diag printer check.

The slip is sampled as drawn, not trusted from its layout: the QR test reads the image at
each module's centre and compares with segno's matrix for the URL.
"""

from __future__ import annotations

import inspect
import os
import threading
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest
import segno
from PIL import Image, ImageOps, features

from firmware.app import diag_cli
from firmware.app.config import EXAMPLE
from firmware.diag import checks as C
from firmware.kiosk.screen import Branding, Contact, Link
from firmware.printer.escpos import PrinterError, SlipPrinter, probe
from kiosk_ui.i18n import LANGUAGES, Texts
from kiosk_ui.slip import QR_BORDER, QR_ERROR, SlipLayout, lay_out_slip, render_slip

LIST_DATE, VALID_UNTIL = "2026-11-01", "2027-05-20"
WIDTHS = (384, 576)
ESC_INIT = b"\x1b@"
RASTER = b"\x1dv0"  # GS v 0
CUT = b"\x1dV"  # GS V


def _longest(text: str, length: int) -> str:
    return (text * (length // len(text) + 1))[:length].rstrip()


def _per_language(text: str, length: int) -> dict[str, str]:
    return {lang: _longest(text, length) for lang in LANGUAGES}


# The longest names, phones, labels and URLs the config accepts (60, 24, 50, 120 characters).
BRANDING = Branding(
    LANGUAGES,
    _per_language("Вазорати меҳнат, муҳоҷират ва шуғли аҳолӣ ", 60),
    tuple(Contact(_per_language(f"Маркази машваратии муҳоҷирон {i} ", 60), "+992 (37) 221 00 00 1234")
          for i in range(3)),
    tuple(Link(_per_language(f"Official entry ban check {i} ", 50),
               _longest(f"https://services.example.org/entry-ban/check/{i}/", 120)) for i in range(3)),
)


@pytest.fixture(scope="module")
def texts() -> Texts:
    return Texts()


def _black(image: Image.Image) -> Image.Image:
    """The drawn dots as 255, the paper as 0 (what a printer's raster and ``getbbox`` count)."""
    return ImageOps.invert(image.convert("L"))


def _ink(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    """Whether anything black is drawn inside ``box``."""
    return image.crop(box).getextrema()[0] == 0


# -- the slip as drawn ----------------------------------------------------------------------------


@pytest.mark.parametrize("dots", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_slip_renders_every_language_at_both_paper_widths(texts: Texts, lang: str, dots: int) -> None:
    layout = lay_out_slip(BRANDING, texts, lang, LIST_DATE, VALID_UNTIL, dots)
    image = render_slip(BRANDING, texts, lang, LIST_DATE, VALID_UNTIL, dots)
    assert image.mode == "1" and image.size == (dots, layout.height)
    width = dots - 2 * layout.margin
    for line in layout.lines:  # wrapped, never clipped
        assert line.font.getlength(line.text) <= width, line.text
        assert 0 <= line.y and line.y + sum(line.font.getmetrics()) <= image.height
    # and on paper: nothing reaches into the side margins or past the bottom one
    m = layout.margin - 2
    assert not _ink(image, (0, 0, m, image.height)) and not _ink(image, (dots - m, 0, dots, image.height))
    assert not _ink(image, (0, image.height - m, dots, image.height))
    drawn = "\n".join(line.text for line in layout.lines)
    subject = texts.translate(lang, "This kiosk checks the list of people barred from entering the Russian "
                              "Federation, received on {date}.", date="01.11.2026")
    for words in (subject, texts.translate(lang, "This slip carries no personal data."),
                  texts.translate(lang, "List of {date}, valid until {until}", date="01.11.2026",
                                  until="20.05.2027")):
        assert " ".join(words.split()) in " ".join(drawn.split()), words
    for contact in BRANDING.contacts:
        assert contact.phone.replace(" ", "\u00a0") in drawn  # a phone number is never split across lines
    body_size = min(int(line.font.size) for line in layout.lines)
    assert body_size >= (24 if dots == 576 else 20)
    assert len(layout.codes) == 3


def test_nothing_on_the_slip_overlaps(texts: Texts) -> None:
    """Each QR code keeps its quiet zone clear of text, and lines follow one another."""
    layout = lay_out_slip(BRANDING, texts, "uz", LIST_DATE, VALID_UNTIL, 576)
    bands = [(line.y, line.y + sum(line.font.getmetrics())) for line in layout.lines]
    assert all(top >= previous_bottom - 2 for (_, previous_bottom), (top, _) in zip(bands, bands[1:], strict=False))
    for code in layout.codes:
        span = len(code.matrix) * code.module
        zone = (code.y - QR_BORDER * code.module, code.y + span + QR_BORDER * code.module)
        assert all(bottom <= zone[0] or top >= zone[1] for top, bottom in bands), code.url


def test_a_word_wider_than_the_paper_is_broken_not_clipped(texts: Texts) -> None:
    word = "Migrationsberatungsstelle" * 3  # a 60-character name without a space
    branding = Branding(LANGUAGES, {lang: word[:60] for lang in LANGUAGES}, BRANDING.contacts, BRANDING.links)
    layout = lay_out_slip(branding, texts, "en", LIST_DATE, VALID_UNTIL, 384)
    width = 384 - 2 * layout.margin
    operator = [line for line in layout.lines if line.text and line.text in word]
    assert len(operator) >= 2 and "".join(line.text for line in operator) == word[:60]
    assert all(line.font.getlength(line.text) <= width for line in layout.lines)


def _sample_code(image: Image.Image, layout: SlipLayout, index: int) -> list[list[bool]]:
    code = layout.codes[index]
    m, n = code.module, len(code.matrix)
    half = m // 2
    return [[image.getpixel((code.x + col * m + half, code.y + row * m + half)) == 0
             for col in range(-QR_BORDER, n + QR_BORDER)] for row in range(-QR_BORDER, n + QR_BORDER)]


@pytest.mark.parametrize("dots", WIDTHS)
def test_each_link_is_drawn_as_its_qr_code_module_for_module(texts: Texts, dots: int) -> None:
    layout = lay_out_slip(BRANDING, texts, "tg", LIST_DATE, VALID_UNTIL, dots)
    image = render_slip(BRANDING, texts, "tg", LIST_DATE, VALID_UNTIL, dots)
    assert [code.url for code in layout.codes] == [link.url for link in BRANDING.links]
    for i, link in enumerate(BRANDING.links):
        expected = [[bool(v) for v in row] for row in segno.make(link.url, error=QR_ERROR).matrix]
        n = len(expected)
        quiet = [False] * (n + 2 * QR_BORDER)
        framed = [quiet] * QR_BORDER + [[False] * QR_BORDER + row + [False] * QR_BORDER
                                        for row in expected] + [quiet] * QR_BORDER
        assert _sample_code(image, layout, i) == framed, f"QR code {i} ({link.url})"
        assert layout.codes[i].module >= 3  # at 203 dpi, 0.37 mm modules or larger: a phone reads them


def test_the_slip_is_told_nothing_about_the_traveller() -> None:
    """A slip lost in an airport must say nothing about its owner: no document, name or result goes in."""
    assert list(inspect.signature(render_slip).parameters) == [
        "branding", "texts", "lang", "list_date", "valid_until", "dots", "rtl"]


@pytest.mark.skipif(not features.check("raqm"), reason="right-to-left text needs Pillow with libraqm")
def test_a_right_to_left_slip_is_right_aligned(texts: Texts) -> None:
    dari = Branding(LANGUAGES, _per_language("وزارت کار و امور اجتماعی ", 20),
                    (Contact(_per_language("مرکز مشوره مهاجران ", 20), "+93 20 000 0000"),), BRANDING.links[:1])
    layout = lay_out_slip(dari, texts, "en", LIST_DATE, VALID_UNTIL, 384, rtl=True)
    image = render_slip(dari, texts, "en", LIST_DATE, VALID_UNTIL, 384, rtl=True)
    first = layout.lines[0]  # the operator, one short line
    band = (0, first.y, 384, first.y + first.font.size)
    left, _, right, _ = _black(image.crop(band)).getbbox() or (0, 0, 0, 0)
    assert right >= 384 - layout.margin - 2 and left > 384 // 3


# -- the printer shell ----------------------------------------------------------------------------


@pytest.fixture()
def slip(texts: Texts) -> Image.Image:
    return render_slip(BRANDING, texts, "ru", LIST_DATE, VALID_UNTIL, 384)


def _raster_header(image: Image.Image) -> bytes:
    return RASTER + b"\x00" + (image.width // 8).to_bytes(2, "little")


def test_a_slip_printed_to_a_file_is_escpos_reset_raster_and_cut(tmp_path: Path, slip: Image.Image) -> None:
    device = tmp_path / "lp0"
    device.touch()
    SlipPrinter(str(device)).print_image(slip)
    sent = device.read_bytes()
    assert sent.startswith(ESC_INIT)
    assert _raster_header(slip) in sent
    assert CUT in sent[-8:]
    # the raster is the slip itself, black dots set, row after row (960-row blocks, each with its header)
    rows = _black(slip).convert("1").tobytes()
    assert rows[:2000] in sent and rows[-2000:] in sent


def test_printing_to_a_missing_device_names_it_and_creates_nothing(tmp_path: Path, slip: Image.Image) -> None:
    device = tmp_path / "usb" / "lp0"
    device.parent.mkdir()
    with pytest.raises(PrinterError) as raised:
        SlipPrinter(str(device)).print_image(slip)
    assert raised.value.device == str(device) and str(device) in str(raised.value)
    assert not device.exists()  # a regular file in /dev would swallow every later slip


@pytest.fixture()
def pty_port() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_a_slip_printed_on_a_serial_port_arrives_whole(pty_port: tuple[int, str], slip: Image.Image) -> None:
    master, port = pty_port
    received = bytearray()

    def read() -> None:  # the pty holds a few kB: someone must read while the slip is sent
        while CUT not in received[-8:]:
            try:
                received.extend(os.read(master, 65536))
            except OSError:  # the test is over and closed the pty
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    SlipPrinter(port, baudrate=19200).print_image(slip)
    reader.join(timeout=10)
    assert received.startswith(ESC_INIT) and _raster_header(slip) in received and CUT in received[-8:]


def test_probe_fails_on_a_missing_device_and_names_it(tmp_path: Path) -> None:
    status, sentence = probe(str(tmp_path / "lp0"), None)
    assert status == "fail" and str(tmp_path / "lp0") in sentence
    status, sentence = probe(str(tmp_path / "ttyUSB0"), 19200)
    assert status == "fail" and str(tmp_path / "ttyUSB0") in sentence


def test_probe_passes_on_a_serial_port_at_its_baud_rate(pty_port: tuple[int, str]) -> None:
    _, port = pty_port
    status, sentence = probe(port, 19200)
    assert status == "pass" and port in sentence and "19200" in sentence


def test_probe_passes_on_a_writable_file_and_fails_on_a_directory(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    device.write_bytes(b"kept")
    assert probe(str(device), None)[0] == "pass"
    assert device.read_bytes() == b"kept"  # probing prints nothing, truncates nothing
    assert probe(str(tmp_path), None)[0] == "fail"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anything")
def test_probe_names_the_group_when_the_device_is_not_writable(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    device.touch(mode=0o444)
    status, sentence = probe(str(device), None)
    assert status == "fail" and "lp group" in sentence


# -- diagnostics ----------------------------------------------------------------------------------


def test_diag_checks_the_printer_only_when_one_is_enabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          pty_port: tuple[int, str]) -> None:
    monkeypatch.setattr(C, "CHECKS", [C.check_temperature])
    assert [r.name for r in C.run_all(root=tmp_path, state_dir=tmp_path)] == ["temperature"]
    missing = str(tmp_path / "lp0")
    results = C.run_all(root=tmp_path, state_dir=tmp_path, printer=(missing, None))
    assert [r.name for r in results] == ["temperature", "printer"]
    assert results[1].status == "fail" and missing in results[1].message
    _, port = pty_port
    results = C.run_all(root=tmp_path, state_dir=tmp_path, printer=(port, 9600))
    assert results[1].status == "pass" and results[1].details == {"device": port, "baudrate": 9600}


def test_the_diag_cli_takes_the_printer_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(EXAMPLE + '\n[printer]\nenabled = true\ndevice = "/dev/ttyUSB3"\nbaudrate = 19200\n')
    args = diag_cli._parser().parse_args(["--config", str(config), "--root", str(tmp_path)])
    assert diag_cli._context(args).printer == ("/dev/ttyUSB3", 19200)
    config.write_text(EXAMPLE)  # the printer is off by default
    assert diag_cli._context(args).printer is None
    assert diag_cli._context(diag_cli._parser().parse_args([])).printer is None

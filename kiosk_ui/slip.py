"""The next-steps slip a thermal printer hands a traveller after a match result.

It holds what the traveller needs to act (who runs the kiosk, what was checked, whom to
call, the official pages as QR codes, the list's date) and nothing about them: it takes
no document, no name and no result, so a slip lost in an airport says nothing about its
owner. It is drawn 1-bit at the paper's width in dots (384 for 58 mm, 576 for 80 mm),
in type large enough for a thermal head (body 26 dots at 576, never below 20), word-wrapped,
never clipped: the slip grows as long as its text needs.

``lay_out_slip`` places every line and QR code; ``render_slip`` draws that layout.
"""

from __future__ import annotations

from collections.abc import Callable

import segno
from PIL import Image, ImageDraw, ImageFont, features

from firmware.kiosk.screen import Branding
from kiosk_ui.i18n import Texts
from kiosk_ui.render import BOLD, REGULAR
from kiosk_ui.wording import iso_to_local

FULL_WIDTH = 576  # dots across 80 mm paper; the type sizes below are for it
HEADING, OPERATOR, BODY, SMALL = 34, 28, 26, 24
MIN_TYPE = 20  # 2.5 mm at 203 dpi: narrower paper scales the type down to this, not further
QR_ERROR = "m"  # survives a crease or a smudge of the thermal paper
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules
QR_SHARE = 0.6  # of the paper's width: large modules for a phone camera held over a slip
WHITE, BLACK = 1, 0


class SlipLine:
    """One line of text where it is drawn: ``y`` is the top of its ascender; ``align`` is
    'left', 'right' (right-to-left languages) or 'centre'."""

    __slots__ = ("text", "font", "y", "align")

    def __init__(self, text: str, font: ImageFont.FreeTypeFont, y: int, align: str) -> None:
        self.text = text
        self.font = font
        self.y = y
        self.align = align


class SlipCode:
    """A link's QR code: its top-left corner (the first module, inside the quiet zone),
    the module size in dots and the module matrix (True is black)."""

    __slots__ = ("url", "x", "y", "module", "matrix")

    def __init__(self, url: str, x: int, y: int, module: int, matrix: list[list[bool]]) -> None:
        self.url = url
        self.x = x
        self.y = y
        self.module = module
        self.matrix = matrix


class SlipLayout:
    __slots__ = ("width", "height", "margin", "rtl", "lines", "codes")

    def __init__(self, width: int, margin: int, rtl: bool) -> None:
        self.width = width
        self.height = 0
        self.margin = margin
        self.rtl = rtl
        self.lines: list[SlipLine] = []
        self.codes: list[SlipCode] = []


def _type_size(size: int, dots: int) -> int:
    return max(MIN_TYPE, round(size * dots / FULL_WIDTH))


def _phone(number: str, rtl: bool) -> str:
    """A phone number kept on one line (no-break spaces) and, in right-to-left text, kept
    left to right (a bidi isolate), or its digit groups would be printed in reverse order."""
    number = number.replace(" ", "\u00a0")
    return f"\u2066{number}\u2069" if rtl else number


def wrap(text: str, measure: Callable[[str], float], width: int) -> list[str]:
    """Greedy word wrap at spaces (not at no-break spaces); a word wider than the paper is
    broken between characters rather than clipped."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in filter(None, paragraph.split(" ")):
            while measure(word) > width:
                if line:
                    lines.append(line)
                    line = ""
                cut = len(word) - 1
                while cut > 1 and measure(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            candidate = f"{line} {word}" if line else word
            if measure(candidate) <= width:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def lay_out_slip(branding: Branding, texts: Texts, lang: str, list_date: str, valid_until: str, dots: int,
                 rtl: bool = False) -> SlipLayout:
    """Where each line and QR code of the slip goes, for paper ``dots`` wide.

    ``list_date`` and ``valid_until`` are the installed list's ISO dates; ``rtl`` lays the
    text out right to left (Dari), which needs Pillow's complex-text layout (libraqm).
    """
    if rtl and not features.check("raqm"):
        raise RuntimeError("a right-to-left slip needs Pillow built with libraqm (complex text layout)")
    direction = "rtl" if rtl else None
    margin = max(8, dots // 24)
    text_width = dots - 2 * margin
    layout = SlipLayout(dots, margin, rtl)
    y = margin

    def t(msgid: str, **values: str) -> str:
        return texts.translate(lang, msgid, **values)

    def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(BOLD if bold else REGULAR), _type_size(size, dots))

    def add(text: str, f: ImageFont.FreeTypeFont, centre: bool = False, space_after: float = 0.5) -> None:
        nonlocal y
        ascent, descent = f.getmetrics()
        step = ascent + descent + max(2, int(f.size) // 6)
        align = "centre" if centre else ("right" if rtl else "left")
        for line in wrap(text, lambda s: f.getlength(s, direction=direction), text_width):
            layout.lines.append(SlipLine(line, f, y, align))
            y += step
        y += int(step * space_after)

    heading, operator, body, small = font(HEADING, bold=True), font(OPERATOR, bold=True), font(BODY), font(SMALL)
    date, until = iso_to_local(list_date), iso_to_local(valid_until)
    add(branding.local(branding.operator, lang), operator)
    add(t("Before you buy a ticket"), heading)
    add(t("This kiosk checks the list of people barred from entering the Russian Federation, received on {date}.",
          date=date), body)
    add(t("Only the official check is final: this slip is information, not a decision."), body)
    for contact in branding.contacts:
        add(f"{branding.local(contact.name, lang)}: {_phone(contact.phone, rtl)}", body, space_after=0.25)
    y += margin
    for link in branding.links:
        qr = segno.make(link.url, error=QR_ERROR)
        matrix = [[bool(v) for v in row] for row in qr.matrix]
        modules = len(matrix) + 2 * QR_BORDER
        module = max(2, min(int(dots * QR_SHARE), text_width) // modules)
        side = module * len(matrix)
        layout.codes.append(SlipCode(link.url, (dots - side) // 2, y + QR_BORDER * module, module, matrix))
        y += module * modules
        add(branding.local(link.label, lang), body, centre=True)
    add(t("List of {date}, valid until {until}", date=date, until=until), small, space_after=0.25)
    add(t("This slip carries no personal data."), small, space_after=0)
    layout.height = y + margin
    return layout


def draw_slip(layout: SlipLayout) -> Image.Image:
    """The layout drawn black on white, mode "1" (what a thermal head prints)."""
    image = Image.new("1", (layout.width, layout.height), WHITE)
    d = ImageDraw.Draw(image)
    direction = "rtl" if layout.rtl else None
    x_for = {"left": (layout.margin, "la"), "right": (layout.width - layout.margin, "ra"),
             "centre": (layout.width // 2, "ma")}
    for line in layout.lines:
        x, anchor = x_for[line.align]
        d.text((x, line.y), line.text, font=line.font, fill=BLACK, anchor=anchor, direction=direction)
    for code in layout.codes:
        m = code.module
        for row, modules in enumerate(code.matrix):
            for col, black in enumerate(modules):
                if black:
                    x0, y0 = code.x + col * m, code.y + row * m
                    d.rectangle((x0, y0, x0 + m - 1, y0 + m - 1), fill=BLACK)
    return image


def render_slip(branding: Branding, texts: Texts, lang: str, list_date: str, valid_until: str, dots: int,
                rtl: bool = False) -> Image.Image:
    """The next-steps slip for a traveller reading ``lang``, ``dots`` wide, as tall as it needs."""
    return draw_slip(lay_out_slip(branding, texts, lang, list_date, valid_until, dots, rtl))

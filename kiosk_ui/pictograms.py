"""The pictograms in a screen's header disc, by name (a kind's ``pictogram``): neutral
signs, information not approval, a ticket to check rather than a stop sign, a pause
rather than "forbidden"."""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import ImageDraw, ImageFont

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
Ink = tuple[int, int, int]
# A bold font of a pixel size (the renderer's font cache).
BoldFont = Callable[[int], ImageFont.FreeTypeFont]


class _Disc:
    """Where a pictogram is drawn: the disc's centre, radius and line width."""

    __slots__ = ("d", "cx", "cy", "r", "lw", "bold")

    def __init__(self, d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], bold: BoldFont) -> None:
        x0, y0, x1, y1 = box
        self.d = d
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.r = (x1 - x0) / 2
        self.lw = max(3, int(self.r / 6))
        self.bold = bold


def globe(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], ink: Ink) -> None:
    """The language sign, also drawn on the language button."""
    x0, y0, x1, y1 = box
    lw = max(2, (x1 - x0) // 12)
    cx = (x0 + x1) / 2
    d.ellipse(box, outline=ink, width=lw)
    d.ellipse((cx - (x1 - x0) * 0.22, y0, cx + (x1 - x0) * 0.22, y1), outline=ink, width=lw)
    d.line([(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)], fill=ink, width=lw)


def _info(p: _Disc) -> None:  # "i": information, not approval
    cx, cy, r, lw = p.cx, p.cy, p.r, p.lw
    p.d.ellipse((cx - lw * 0.8, cy - r * 0.5, cx + lw * 0.8, cy - r * 0.5 + lw * 1.6), fill=BLACK)
    p.d.line([(cx, cy - r * 0.15), (cx, cy + r * 0.5)], fill=BLACK, width=int(lw * 1.4))


def _ticket(p: _Disc, mark: str) -> None:
    """A ticket with a mark: check before you buy."""
    cx, cy, r, lw = p.cx, p.cy, p.r, p.lw
    p.d.rounded_rectangle((cx - r * 0.62, cy - r * 0.36, cx + r * 0.62, cy + r * 0.36), radius=int(r * 0.1),
                          outline=BLACK, width=max(2, lw // 2))
    for k in (-0.2, 0.0, 0.2):
        p.d.ellipse((cx + r * 0.28 - lw / 3, cy + r * k - lw / 3, cx + r * 0.28 + lw / 3, cy + r * k + lw / 3),
                    fill=BLACK)
    p.d.text((cx - r * 0.18, cy), mark, font=p.bold(max(8, int(r * 0.6))), fill=BLACK, anchor="mm")


def _passport(p: _Disc) -> None:
    cx, cy, r, lw = p.cx, p.cy, p.r, p.lw
    p.d.rounded_rectangle((cx - r * 0.42, cy - r * 0.58, cx + r * 0.42, cy + r * 0.58), radius=int(r * 0.08),
                          outline=BLACK, width=lw)
    p.d.ellipse((cx - r * 0.18, cy - r * 0.35, cx + r * 0.18, cy + r * 0.01), outline=BLACK, width=max(2, lw // 2))
    for k in (0.25, 0.4):
        p.d.line([(cx - r * 0.28, cy + r * k), (cx + r * 0.28, cy + r * k)], fill=BLACK, width=max(2, lw // 2))


def _hourglass(p: _Disc) -> None:
    cx, cy, r = p.cx, p.cy, p.r
    pts = [(cx - r * 0.4, cy - r * 0.55), (cx + r * 0.4, cy - r * 0.55),
           (cx - r * 0.4, cy + r * 0.55), (cx + r * 0.4, cy + r * 0.55)]
    p.d.line(pts + [pts[0]], fill=BLACK, width=p.lw, joint="curve")


def _globe(p: _Disc) -> None:
    cx, cy, r = p.cx, p.cy, p.r
    globe(p.d, (int(cx - r * 0.6), int(cy - r * 0.6), int(cx + r * 0.6), int(cy + r * 0.6)), BLACK)


def _retry(p: _Disc) -> None:
    cx, cy, r, lw = p.cx, p.cy, p.r, p.lw
    p.d.arc((cx - r * 0.5, cy - r * 0.5, cx + r * 0.5, cy + r * 0.5), start=40, end=330, fill=BLACK, width=lw)
    ax, ay = cx + r * 0.5 * math.cos(math.radians(40)), cy + r * 0.5 * math.sin(math.radians(40))
    p.d.polygon([(ax - r * 0.22, ay + r * 0.05), (ax + r * 0.2, ay + r * 0.08), (ax + r * 0.02, ay - r * 0.3)],
                fill=BLACK)


def _pause(p: _Disc) -> None:  # out of service: paused, not "forbidden"
    cx, cy, r = p.cx, p.cy, p.r
    for dx in (-0.22, 0.22):
        p.d.rectangle((cx + r * dx - r * 0.1, cy - r * 0.42, cx + r * dx + r * 0.1, cy + r * 0.42), fill=BLACK)


def _wrench(p: _Disc) -> None:
    cx, cy, r, lw = p.cx, p.cy, p.r, p.lw
    p.d.line([(cx - r * 0.45, cy + r * 0.45), (cx + r * 0.2, cy - r * 0.2)], fill=BLACK, width=int(lw * 1.5))
    p.d.ellipse((cx + r * 0.0, cy - r * 0.6, cx + r * 0.6, cy + r * 0.0), outline=BLACK, width=lw)
    p.d.polygon([(cx + r * 0.3, cy - r * 0.3), (cx + r * 0.7, cy - r * 0.62), (cx + r * 0.62, cy - r * 0.7)],
                fill=WHITE)


PICTOGRAMS: dict[str, Callable[[_Disc], None]] = {
    "info": _info,
    "ticket_check": lambda p: _ticket(p, "!"),
    "ticket_question": lambda p: _ticket(p, "?"),
    "passport": _passport,
    "hourglass": _hourglass,
    "globe": _globe,
    "retry": _retry,
    "pause": _pause,
    "wrench": _wrench,
}


def draw(d: ImageDraw.ImageDraw, name: str, box: tuple[int, int, int, int], bold: BoldFont) -> None:
    """The pictogram ``name`` in a white disc filling ``box``."""
    d.ellipse(box, fill=WHITE)
    PICTOGRAMS[name](_Disc(d, box, bold))

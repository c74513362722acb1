"""Draws a ``Screen`` with Pillow: large type, high contrast, neutral pictograms,
buttons big enough for a thumb.

What a traveller reads must be legible on a 7-inch panel: body text is at least
``BODY_FLOOR`` px and secondary text (the list line, captions, button labels) at
least ``SECONDARY_FLOOR`` px at 800x480, scaled with the screen's short side. Text
is fitted, never clipped: it starts large and shrinks to those floors; if it would
not fit there, ``LayoutOverflow`` is raised (the tests render every screen in every
language at the supported sizes with the longest texts a config may set, so that
never reaches a traveller). Every text drawn is recorded in ``Rendered.texts`` with
its size, which is how the tests hold the floors.

Colour marks attention, never a verdict: "no match" is drawn in the same neutral blue
as the start screen, and every match or could-not-check screen in the same amber,
with an "information" or "check before you buy" pictogram, never a tick or a stop sign.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import segno
from PIL import Image, ImageDraw, ImageFont

from firmware.kiosk.kinds import KINDS, STAFF, TRAVELLER
from firmware.kiosk.screen import (
    CHOOSE_LANGUAGE,
    DIGIT_KEY,
    DONE,
    LANG_KEY,
    PAGE_KEY,
    PIN_BACK,
    PIN_OK,
    Branding,
    Button,
    Screen,
)
from kiosk_ui import pictograms
from kiosk_ui.i18n import AUTONYMS, RTL_LANGUAGES, Texts
from kiosk_ui.wording import Wording

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

# The floors at a 480-pixel short side (800x480); they scale with the short side.
BASE_SHORT_SIDE = 480
BODY_FLOOR = 20
SECONDARY_FLOOR = 16
LARGE_TEXT_FACTOR = 1.3  # large-text mode: the floors times this, where the text still fits
LARGE_TEXT_MAX_PAGES = 4  # on more pages than this, large text is not worth the paging
# Text roles: what a traveller must read (body) and what supports it (secondary).
BODY_ROLES = ("title", "lead", "body", "contact", "note", "choice")
SECONDARY_ROLES = ("subject", "caption", "button", "countdown", "check", "keypad")
LTR_ROLES = ("check",)  # the service screen's diagnostics are English, left to right in every language

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
NEUTRAL = ((13, 55, 120), WHITE)
ATTENTION = ((255, 193, 7), BLACK)
# Header band colour and its text colour, by the band a kind of screen has (its ``band``);
# contrast ratio >= 7:1 for each pair (tested).
BANDS = {
    "neutral": NEUTRAL,
    "attention": ATTENTION,
    "retry": ((55, 55, 55), WHITE),
    "halted": ((20, 20, 20), WHITE),
    "staff": ((40, 50, 60), WHITE),
}
STRIP = ((236, 240, 246), (25, 25, 25))  # the subject line under the band


# A laid-out block: (role, font, lines, line height, inset, block height, font size, gap after).
_Line = tuple[str, Any, list[str], int, int, int, int, int]


class LayoutOverflow(Exception):
    """A text that does not fit at the smallest readable size."""


class Rendered:
    """The image, its touch targets, and every text drawn as (role, pixel size, text)."""

    __slots__ = ("image", "buttons", "texts")

    def __init__(self, image: Image.Image, buttons: list[Button], texts: list[tuple[str, int, str]]) -> None:
        self.image = image
        self.buttons = buttons
        self.texts = texts


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    def lum(c: tuple[int, int, int]) -> float:
        v = [x / 255 for x in c]
        v = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in v]
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


class _Fonts:
    def __init__(self) -> None:
        self._cache: dict[tuple[bool, int], ImageFont.FreeTypeFont] = {}

    def get(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        key = (bold, size)
        if key not in self._cache:
            self._cache[key] = ImageFont.truetype(str(BOLD if bold else REGULAR), size)
        return self._cache[key]


# Measured widths kept for the next frames, the least recently used dropped first. The working
# set is what every layout measures at the kiosk's one size: 9,147 entries for the example
# config's 4 languages at 800x480 (2.5 MB at about 270 bytes an entry), 18,238 for all 5
# languages at 1080x1920, the most at the tested sizes (benchmarks/README.md, "kiosk").
# A traveller's values and the countdown's seconds are never kept (``_Canvas.remembers``,
# ``_fit_label``), so scans add nothing once each layout has been drawn.
LENGTH_CACHE_ENTRIES = 20_000


@functools.lru_cache(maxsize=LENGTH_CACHE_ENTRIES)
def _remembered_length(font: ImageFont.FreeTypeFont, text: str, rtl: bool) -> float:
    return _measure(font, text, rtl)


def _measure(font: ImageFont.FreeTypeFont, text: str, rtl: bool) -> float:
    return float(font.getlength(text, direction="rtl" if rtl else None))


def text_length(font: ImageFont.FreeTypeFont, text: str, rtl: bool = False, remember: bool = True) -> float:
    """``font.getlength``, remembered unless ``remember`` is false: a layout measures the
    same words many times over."""
    return _remembered_length(font, text, rtl) if remember else _measure(font, text, rtl)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int, rtl: bool = False,
         remember: bool = True) -> list[str] | None:
    """Greedy word wrap; None when a single word is wider than ``width``. ``remember``: keep
    the measurements (``text_length``)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = word if not line else line + " " + word
            if text_length(font, candidate, rtl, remember) <= width:
                line = candidate
                continue
            if text_length(font, word, rtl, remember) > width:
                return None
            lines.append(line)
            line = word
        lines.append(line)
    return lines


class _Canvas:
    """An ImageDraw that records every text it draws, and draws right-to-left text right-aligned."""

    def __init__(self, image: Image.Image, rtl: bool, personal: tuple[str, ...] = ()) -> None:
        self.d = ImageDraw.Draw(image)
        self.rtl = rtl
        self.personal = personal
        self.texts: list[tuple[str, int, str]] = []

    def remembers(self, text: str) -> bool:
        """Whether measurements of ``text`` may outlive the frame: not when it carries one of
        the ``personal`` values (the traveller's passport date, the matched record's end),
        which live only as long as their screen (``firmware.kiosk.screen``)."""
        return not any(value in text for value in self.personal)

    def text(self, role: str, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont,
             fill: tuple[int, int, int], anchor: str | None = None, right: float | None = None) -> None:
        """``right``: the right edge of the line's box, where right-to-left text starts."""
        self.texts.append((role, int(font.size), text))
        if self.rtl and role not in LTR_ROLES:
            if right is not None:
                self.d.text((right, xy[1]), text, font=font, fill=fill, direction="rtl", anchor="ra")
            else:
                self.d.text(xy, text, font=font, fill=fill, direction="rtl", anchor=anchor)
        elif self.rtl:  # left-to-right text among right-to-left texts: say so, or bidi guesses
            self.d.text(xy, text, font=font, fill=fill, anchor=anchor, direction="ltr")
        else:
            self.d.text(xy, text, font=font, fill=fill, anchor=anchor)


class Renderer:
    """``Renderer(branding).render(screen, (w, h)) -> Rendered``; ``branding`` is
    ``KioskConfig.branding``, the deployment's languages, operator, contacts and links."""

    def __init__(self, branding: Branding, texts: Texts | None = None) -> None:
        self.branding = branding
        self.wording = Wording(branding, texts)
        self.fonts = _Fonts()
        qr = segno.make(branding.links[0].url, error="m")
        self._qr = [[bool(v) for v in row] for row in qr.matrix]
        self._qr_border = 2

    # -- drawing -------------------------------------------------------------------

    def render(self, s: Screen, size: tuple[int, int]) -> Rendered:
        if s.large:
            try:
                return self._render(s, size, LARGE_TEXT_FACTOR)
            except LayoutOverflow:
                pass  # too much to say in large type here: the normal floors still hold
        return self._render(s, size, 1.0)

    def _render(self, s: Screen, size: tuple[int, int], factor: float) -> Rendered:
        w, h = size
        portrait = h > w
        img = Image.new("RGB", size, WHITE)
        c = _Canvas(img, s.lang in RTL_LANGUAGES, self.wording.personal(s))
        u = min(w, h) / BASE_SHORT_SIDE
        body_floor = max(BODY_FLOOR, round(BODY_FLOOR * u * factor))
        second_floor = max(SECONDARY_FLOOR, round(SECONDARY_FLOOR * u * factor))
        margin = max(8, round(12 * u))
        band_h = round(h * (0.10 if portrait else 0.145) * (1.15 if factor > 1 else 1.0))
        kind = KINDS[s.kind]
        band, ink = BANDS[kind.band]
        title, blocks = self.wording.blocks(s)

        # Header: pictogram in a white disc, title beside it.
        c.d.rectangle((0, 0, w, band_h), fill=band)
        disc = band_h - 2 * margin
        pictograms.draw(c.d, kind.pictogram, (margin, margin, margin + disc, margin + disc),
                        lambda size: self.fonts.get(size, bold=True))
        tx = margin * 2 + disc
        self._fit_title(c, title, (tx, margin // 3, w - margin, band_h - margin // 3), ink, body_floor)
        top = band_h

        # The subject line: what is checked and who runs the kiosk, on every traveller screen.
        if kind.audience == TRAVELLER:
            top = self._strip(c, self.wording.subject(s), (0, top, w, h), margin, second_floor)

        # Footer: the buttons.
        items = self._footer_items(s)
        buttons, foot_top = self._footer(c, s, items, (0, 0, w, h), margin, second_floor, u)
        if s.kind == "idle" and len(self.branding.languages) > 1:
            foot_top = self._invite(c, s, (0, foot_top), w, margin, second_floor)
        if s.seconds_left is not None and kind.audience != STAFF:
            self._countdown_bar(c.d, s, (0, foot_top - max(4, round(6 * u)), w, foot_top))
            foot_top -= max(4, round(6 * u))

        top, bottom = top + margin, foot_top - margin
        left, right = margin, w - margin
        if kind.qr:
            if portrait:
                col = right - left
                module, lines, cap_h = self._qr_layout(c, s, second_floor, col, int((bottom - top) * 0.34), u)
                height = module * self._qr_modules() + cap_h
                self._qr_block(c, s, (left, bottom - height, col), module, lines, second_floor)
                bottom -= height + margin
            else:
                caption = self.wording.qr_caption(s)
                widest = max(text_length(self.fonts.get(second_floor), word, c.rtl) for word in caption.split())
                col = max(int(w * 0.22), math.ceil(widest) + 2, self._qr_min_module(u) * self._qr_modules())
                module, lines, cap_h = self._qr_layout(c, s, second_floor, col, bottom - top, u)
                self._qr_block(c, s, (right - col, top, col), module, lines, second_floor)
                right -= col + margin * 2
        if s.kind == "pin_entry":
            if portrait:
                k = min(int((bottom - top) * 0.55), right - left)
                buttons += self._keypad(c, (left + (right - left - k) // 2, bottom - k, k))
                bottom -= k + margin
            else:
                k = min(bottom - top, int(w * 0.4))
                buttons += self._keypad(c, (right - k, top, k))
                right -= k + margin * 2
        if s.kind == "choose_language":
            grid_top = self._invite(c, s, (0, top), w, margin, second_floor, below=True)
            buttons += self._language_grid(c, s, (left, grid_top, right, bottom), body_floor)
        else:
            buttons += self._fit_body(c, blocks, (left, top, right, bottom), s, body_floor, second_floor,
                                      large=factor > 1)
        return Rendered(img, buttons, c.texts)

    def _strip(self, c: _Canvas, text: str, box: tuple[int, int, int, int], margin: int, floor: int) -> int:
        """Draws the subject line at the floor size, wrapped; returns the bottom of the strip."""
        x0, y0, x1, _ = box
        font = self.fonts.get(floor)
        lines = wrap(text, font, x1 - x0 - 2 * margin, c.rtl)
        if lines is None:
            raise LayoutOverflow(f"subject line does not fit {x1 - x0} px")
        lh = round(floor * 1.22)
        pad = max(3, margin // 2)
        y1 = y0 + 2 * pad + lh * len(lines)
        c.d.rectangle((x0, y0, x1, y1), fill=STRIP[0])
        y = y0 + pad
        for line in lines:
            c.text("subject", (x0 + margin, y), line, font, STRIP[1], right=x1 - margin)
            y += lh
        return y1

    def _invite(self, c: _Canvas, s: Screen, at: tuple[int, int], w: int, margin: int, floor: int,
                below: bool = False) -> int:
        """"Choose your language", in every language offered, just above the language buttons
        (returns the new top of the footer), or ``below`` ``at`` (returns the bottom of the lines)."""
        text = self.wording.invitation()
        font = self.fonts.get(floor, bold=True)
        lines = wrap(text, font, w - 2 * margin)
        if lines is None:
            raise LayoutOverflow("the language invitation does not fit")
        lh = round(floor * 1.25)
        top = at[1] if below else at[1] - lh * len(lines) - margin // 2
        y = top
        for line in lines:
            c.texts.append(("caption", floor, line))
            c.d.text((w // 2, y), line, font=font, fill=BLACK, anchor="ma")  # each part in its own direction
            y += lh
        return y + margin // 2 if below else top

    def _footer_items(self, s: Screen) -> list[str]:
        if KINDS[s.kind].audience == STAFF or s.kind == "choose_language":
            return [DONE]
        items = [] if CHOOSE_LANGUAGE in s.actions else [LANG_KEY + lang for lang in self.branding.languages]
        items += list(s.actions)
        if s.seconds_left is not None:
            items.append(DONE)
        return items

    def _footer(self, c: _Canvas, s: Screen, items: list[str], box: tuple[int, int, int, int], margin: int,
                floor: int, u: float) -> tuple[list[Button], int]:
        """One row of buttons (two or three when they would not fit), labels of up to two lines at
        least at the floor size; returns the buttons and the top of the footer."""
        x0, _, x1, y1 = box
        pad = max(4, margin // 2)
        min_h = max(round(min(c.d.im.size) * 0.09), round(2 * floor * 1.2 + 2 * pad))
        fonts = [self.fonts.get(size, bold=True) for size in range(round(floor * 1.4), floor - 1, -1)]

        def counting(key: str) -> bool:
            return key == DONE and s.seconds_left is not None and KINDS[s.kind].audience != STAFF

        for rows in (1, 2, 3):
            per_row = math.ceil(len(items) / rows)
            bw = (x1 - x0 - pad * (per_row + 1)) // per_row
            labels = [self._fit_label(self.wording.button_label(s, k), fonts, bw - 2 * pad, counting(k)) for k in items]
            if all(f is not None for f in labels):
                # One size for the whole row: the smallest any label needs.
                font = min((f[0] for f in labels if f is not None), key=lambda f: f.size)
                fitted = [self._fit_label(self.wording.button_label(s, k), [font], bw - 2 * pad, counting(k))
                          for k in items]
                break
        else:
            raise LayoutOverflow(f"{s.kind}/{s.lang}: the buttons do not fit {x1 - x0} px")
        bh = min_h
        foot_h = rows * (bh + pad) + pad
        top = y1 - foot_h
        c.d.rectangle((x0, top, x1, y1), fill=(235, 235, 235))
        c.d.line((x0, top, x1, top), fill=(120, 120, 120), width=2)
        buttons = []
        for i, key in enumerate(items):
            row, col = divmod(i, per_row)
            bx = x0 + pad + col * (bw + pad)
            by = top + pad + row * (bh + pad)
            rect = (bx, by, bx + bw, by + bh)
            current = key == LANG_KEY + s.lang
            if key == DONE:
                c.d.rounded_rectangle(rect, radius=bh // 5, fill=(13, 55, 120), outline=BLACK, width=3)
                ink = WHITE
            else:
                # The current language: inverted and framed thickly, not just coloured.
                c.d.rounded_rectangle(rect, radius=bh // 5, fill=BLACK if current else WHITE, outline=BLACK,
                                      width=max(3, bh // 12) if current else 2)
                ink = WHITE if current else BLACK
            font, lines = fitted[i]  # type: ignore[misc]
            lh = round(font.size * 1.15)
            cx = (rect[0] + rect[2]) // 2
            if key == CHOOSE_LANGUAGE:
                g = round(bh * 0.42)
                width = max(font.getlength(line) for line in lines)
                gx = int(cx - (width + g + pad) / 2)
                pictograms.globe(c.d, (gx, (rect[1] + rect[3] - g) // 2, gx + g, (rect[1] + rect[3] + g) // 2), ink)
                cx = gx + g + pad + int(width / 2)
            y = (rect[1] + rect[3]) // 2 - lh * len(lines) // 2 + lh // 2
            for line in lines:
                c.text("button", (cx, y), line, font, ink, anchor="mm")
                y += lh
            buttons.append(Button(key, rect))
        return buttons, top

    @staticmethod
    def _fit_label(label: str, fonts: list[ImageFont.FreeTypeFont], width: int, countdown: bool = False
                   ) -> tuple[ImageFont.FreeTypeFont, list[str]] | None:
        """The largest of ``fonts`` that fits ``label`` in two lines. ``countdown``: its last line
        is the seconds left, a new text each second, so its widths are not remembered."""
        for font in fonts:
            lines: list[str] = []
            parts = label.split("\n")
            for i, part in enumerate(parts):
                wrapped = wrap(part, font, width, remember=not (countdown and i == len(parts) - 1))
                if wrapped is None:
                    lines = []
                    break
                lines += wrapped
            if lines and len(lines) <= 2:
                return font, lines
        return None

    def _countdown_bar(self, d: ImageDraw.ImageDraw, s: Screen, box: tuple[int, int, int, int]) -> None:
        """A bar that shrinks with the seconds left (the number is on the "start again" button)."""
        x0, y0, x1, y1 = box
        d.rectangle(box, fill=(200, 200, 200))
        share = min(1.0, (s.seconds_left or 0) / 60)
        d.rectangle((x0, y0, x0 + int((x1 - x0) * share), y1), fill=(13, 55, 120))

    def _language_grid(self, c: _Canvas, s: Screen, box: tuple[int, int, int, int], floor: int) -> list[Button]:
        """The language chooser: one large button per language, each named in its own language."""
        x0, y0, x1, y1 = box
        langs = self.branding.languages
        cols = 2 if len(langs) > 2 else 1
        rows = math.ceil(len(langs) / cols)
        pad = max(6, (x1 - x0) // 60)
        bw = (x1 - x0 - pad * (cols - 1)) // cols
        bh = min((y1 - y0 - pad * (rows - 1)) // rows, round(floor * 4))
        widest = max(langs, key=lambda lang: self.fonts.get(floor, bold=True).getlength(AUTONYMS[lang]))
        size = max(floor, min(round(bh * 0.45), round(floor * 2)))
        while size > floor and self.fonts.get(size, bold=True).getlength(AUTONYMS[widest]) > bw - 2 * pad:
            size -= 1
        font = self.fonts.get(size, bold=True)
        out = []
        for i, lang in enumerate(langs):
            r, col = divmod(i, cols)
            bx, by = x0 + col * (bw + pad), y0 + r * (bh + pad)
            rect = (bx, by, bx + bw, by + bh)
            current = lang == s.lang
            c.d.rounded_rectangle(rect, radius=bh // 5, fill=BLACK if current else WHITE, outline=BLACK,
                                  width=max(3, bh // 12) if current else 2)
            label = AUTONYMS[lang]
            if font.getlength(label) > bw - 2 * pad:
                raise LayoutOverflow(f"language button {label!r} does not fit {bw} px")
            c.text("choice", ((rect[0] + rect[2]) // 2, (rect[1] + rect[3]) // 2), label, font,
                   WHITE if current else BLACK, anchor="mm")
            out.append(Button(LANG_KEY + lang, rect))
        return out

    def _keypad(self, c: _Canvas, spot: tuple[int, int, int]) -> list[Button]:
        """Digits 1-9, back, 0, OK: a square of 3x4 thumb-sized keys."""
        x, y, side = spot
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "←", "0", "✓"]
        pad = max(3, side // 60)
        kw, kh = (side - 4 * pad) // 3, (side - 5 * pad) // 4
        font = self.fonts.get(max(12, int(kh * 0.5)), bold=True)
        out = []
        for i, label in enumerate(labels):
            bx, by = x + pad + (i % 3) * (kw + pad), y + pad + (i // 3) * (kh + pad)
            rect = (bx, by, bx + kw, by + kh)
            ok = label == "✓"
            c.d.rounded_rectangle(rect, radius=kh // 6, fill=(13, 55, 120) if ok else WHITE, outline=BLACK, width=2)
            c.text("keypad", ((rect[0] + rect[2]) // 2, (rect[1] + rect[3]) // 2), label, font,
                   WHITE if ok else BLACK, anchor="mm")
            key = PIN_OK if ok else PIN_BACK if label == "←" else DIGIT_KEY + label
            out.append(Button(key, rect))
        return out

    def _fit_title(self, c: _Canvas, title: str, box: tuple[int, int, int, int], ink: tuple[int, int, int],
                   floor: int) -> None:
        x0, y0, x1, y1 = box
        for size in range(max(floor, int((y1 - y0) * 0.42)), floor - 1, -1):
            font = self.fonts.get(size, bold=True)
            lines = wrap(title, font, x1 - x0, c.rtl)
            if lines is None or len(lines) > 2:
                continue
            lh = int(size * 1.2)
            if lh * len(lines) <= y1 - y0:
                y = y0 + ((y1 - y0) - lh * len(lines)) // 2
                for line in lines:
                    c.text("title", (x0, y), line, font, ink, right=x1)
                    y += lh
                return
        raise LayoutOverflow(f"title {title!r} does not fit {x1 - x0}x{y1 - y0} at {floor} px")

    def _plan(self, c: _Canvas, blocks: list[tuple[str, str]], width: int, height: int, floor: int,
              second_floor: int, size: int | None = None) -> list[_Line] | None:
        """The blocks laid out at ``size`` (default: the largest that fits ``height``, at least
        the floors); None when they do not fit."""
        scale = {"lead": 1.1, "body": 1.0, "note": 1.0, "contact": 1.0, "check": 1.0}
        floors = {"check": second_floor}

        def layout(size: int) -> list[_Line] | None:
            plan = []
            total = 0
            for style, text in blocks:
                fs = max(floors.get(style, floor), round(size * scale[style]))
                font = self.fonts.get(fs, bold=style in ("lead", "contact"))
                inset = int(fs * 1.6) if style == "note" else 0
                lines = wrap(text, font, width - inset - (int(fs * 0.6) if style == "note" else 0),
                             c.rtl and style not in LTR_ROLES, c.remembers(text))
                if lines is None:
                    return None
                lh = int(fs * 1.22)
                block_h = lh * len(lines) + (int(fs * 0.7) if style == "note" else 0)
                gap = int(size * 0.3)
                plan.append((style, font, lines, lh, inset, block_h, fs, gap))
                total += block_h + gap
            return plan if total - (plan[-1][7] if plan else 0) <= height else None

        smallest = second_floor if all(style == "check" for style, _ in blocks) else floor
        if size is not None:
            return layout(max(size, smallest))
        best = layout(smallest)
        if best is None:
            return None
        lo, hi = smallest, max(smallest, round(floor * 1.8))
        while lo < hi:  # the largest size that fits; text height grows with size, so bisect
            mid = (lo + hi + 1) // 2
            attempt = layout(mid)
            if attempt is not None:
                best, lo = attempt, mid
            else:
                hi = mid - 1
        return best

    def _pages(self, c: _Canvas, blocks: list[tuple[str, str]], width: int, height: int, nav_h: int, floor: int,
               second_floor: int) -> list[list[_Line]] | None:
        """The body on one page, or over as many pages as it needs (each leaving room for the
        page buttons) at the floor size, split between blocks or, for a block taller than a
        page, between its lines; None only if a single line does not fit."""
        whole = self._plan(c, blocks, width, height, floor, second_floor)
        if whole is not None:
            return [whole]
        room = height - nav_h

        def fits(candidate: list[tuple[str, str]]) -> bool:
            return self._plan(c, candidate, width, room, floor, second_floor, size=floor) is not None

        pages: list[list[tuple[str, str]]] = []
        current: list[tuple[str, str]] = []
        queue = list(blocks)
        while queue:
            block = queue.pop(0)
            if fits(current + [block]):
                current.append(block)
                continue
            # A block that fits a page of its own starts the next page; only one taller than a
            # page is split, as many of its lines as this page still holds (a name stays with its
            # phone number whenever a page can hold them).
            k = 0
            if not (current and fits([block])):
                laid = self._plan(c, [block], width, 1 << 30, floor, second_floor, size=floor)
                lines = laid[0][2] if laid else []
                while k < len(lines) - 1 and fits(current + [(block[0], " ".join(lines[:k + 1]))]):
                    k += 1
            if k:
                current.append((block[0], " ".join(lines[:k])))
                queue.insert(0, (block[0], " ".join(lines[k:])))
            elif not current:
                return None  # not even one line of it fits an empty page
            else:
                queue.insert(0, block)
            pages.append(current)
            current = []
        if current:
            pages.append(current)
        planned = [self._plan(c, page, width, room, floor, second_floor, size=floor) for page in pages]
        return [plan for plan in planned if plan is not None] if all(planned) else None

    def _fit_body(self, c: _Canvas, blocks: list[tuple[str, str]], box: tuple[int, int, int, int], s: Screen,
                  floor: int, second_floor: int, large: bool = False) -> list[Button]:
        """Draws the body (the page ``s.page`` of it when it needs several) and returns the
        page buttons."""
        x0, y0, x1, y1 = box
        nav_h = max(round(min(c.d.im.size) * 0.09), round(second_floor * 2.4))
        pages = self._pages(c, blocks, x1 - x0, y1 - y0, nav_h + nav_h // 4, floor, second_floor)
        if pages is not None and large and len(pages) > LARGE_TEXT_MAX_PAGES:
            raise LayoutOverflow(f"{s.kind}/{s.lang}: large text would need {len(pages)} pages")
        if pages is None:
            raise LayoutOverflow(f"{s.kind}/{s.lang}: the text does not fit {x1 - x0}x{y1 - y0} even at {floor} px")
        page = min(s.page, len(pages) - 1)
        y = y0
        for style, font, lines, lh, inset, block_h, fs, gap in pages[page]:
            if style == "note":
                # Advice box: a thick frame and a '!' disc, so it stands out without colour.
                c.d.rectangle((x0, y, x1, y + block_h), outline=BLACK, width=max(2, fs // 8), fill=(255, 244, 214))
                r = int(fs * 0.55)
                cx = x1 - inset // 2 - 2 if c.rtl else x0 + inset // 2 + 2
                cy = y + block_h // 2
                c.d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=BLACK)
                c.d.text((cx, cy), "!", font=self.fonts.get(int(fs * 0.9), bold=True), fill=WHITE, anchor="mm")
                ty = y + int(fs * 0.35)
                for line in lines:
                    c.text(style, (x0 + inset + int(fs * 0.3), ty), line, font, BLACK,
                           right=x1 - inset - int(fs * 0.3))
                    ty += lh
            else:
                ty = y
                for line in lines:
                    c.text(style, (x0, ty), line, font, BLACK, right=x1)
                    ty += lh
            y += block_h + gap
        if len(pages) == 1:
            return []
        # "More" on every page but the last, "back" on the others: thumb-sized, at the body's foot.
        buttons = []
        font = self.fonts.get(second_floor, bold=True)
        bw = min((x1 - x0) // 2 - 4, round(second_floor * 11))
        back, on = self.wording.page_labels(s, page, len(pages))
        for key, label, rect in ((PAGE_KEY + str(page - 1), back, (x0, y1 - nav_h, x0 + bw, y1)),
                                 (PAGE_KEY + str(page + 1), on, (x1 - bw, y1 - nav_h, x1, y1))):
            target = int(key[len(PAGE_KEY):])
            if not 0 <= target < len(pages):
                continue
            if font.getlength(label) > bw - 8:
                raise LayoutOverflow(f"page button {label!r} does not fit {bw} px")
            c.d.rounded_rectangle(rect, radius=nav_h // 5, fill=WHITE, outline=BLACK, width=3)
            c.text("button", ((rect[0] + rect[2]) // 2, (rect[1] + rect[3]) // 2), label, font, BLACK, anchor="mm")
            buttons.append(Button(key, rect))
        return buttons

    def _qr_modules(self) -> int:
        return len(self._qr) + 2 * self._qr_border

    @staticmethod
    def _qr_min_module(u: float) -> int:
        """The smallest module a phone camera reads from arm's length: 3 px at 800x480 (0.5 mm
        on a 7-inch panel), scaled with the screen."""
        return max(3, round(3 * u))

    def _qr_layout(self, c: _Canvas, s: Screen, floor: int, width: int, height: int, u: float
                   ) -> tuple[int, list[str], int]:
        """(module size, caption lines, caption height) for a QR block ``width`` wide and about
        ``height`` tall (never smaller than a readable module)."""
        caption = self.wording.qr_caption(s)
        lines = wrap(caption, self.fonts.get(floor), width, c.rtl)
        if lines is None:
            raise LayoutOverflow(f"QR caption {caption!r} does not fit {width} px")
        cap_h = round(floor * 1.2) * len(lines) + 4
        module = max(self._qr_min_module(u), min(width, height - cap_h) // self._qr_modules())
        return module, lines, cap_h

    def _qr_block(self, c: _Canvas, s: Screen, spot: tuple[int, int, int], module: int, lines: list[str],
                  floor: int) -> None:
        """The official check page's QR code centred in a column ``width`` wide at (x, y), its
        label below."""
        x, y, width = spot
        side = module * self._qr_modules()
        ox = x + (width - side) // 2
        c.d.rectangle((ox, y, ox + side - 1, y + side - 1), fill=WHITE, outline=(0, 0, 0))
        for r, row in enumerate(self._qr):
            for col, dark in enumerate(row):
                if dark:
                    px = ox + (col + self._qr_border) * module
                    py = y + (r + self._qr_border) * module
                    c.d.rectangle((px, py, px + module - 1, py + module - 1), fill=BLACK)
        font = self.fonts.get(floor)
        ty = y + side + 4
        for line in lines:
            c.text("caption", (x + width // 2, ty), line, font, BLACK, anchor="ma")
            ty += round(floor * 1.2)

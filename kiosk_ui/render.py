"""Draws a ``Screen`` with Pillow: large type, high contrast, a pictogram whose
shape (not only its colour) carries the meaning, buttons big enough for a thumb.

Text is fitted, never clipped: the body starts large and shrinks until every line
fits; if even the smallest readable size does not fit, ``LayoutOverflow`` is
raised (the tests render every screen in every language at every resolution with
the longest texts, so that never reaches a traveller).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import segno
from PIL import Image, ImageDraw, ImageFont

from firmware.kiosk.screen import DIGIT_KEY, DONE, LANG_KEY, PIN_BACK, PIN_OK, RESULT_KINDS, Branding, Button, Screen
from kiosk_ui.i18n import AUTONYMS, Texts

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
# Header band colour and its text colour; contrast ratio >= 7:1 for each pair.
BANDS = {
    "idle": ((13, 55, 120), WHITE),
    "reading": ((13, 55, 120), WHITE),
    "no_record": ((22, 90, 40), WHITE),
    "possible": ((255, 193, 7), BLACK),
    "strong": ((150, 20, 20), WHITE),
    "read_failed": ((55, 55, 55), WHITE),
    "out_of_service": ((20, 20, 20), WHITE),
    "service": ((40, 50, 60), WHITE),
    "pin_entry": ((40, 50, 60), WHITE),
}
PICTOGRAMS = {
    "idle": "passport", "reading": "hourglass", "no_record": "check", "possible": "triangle",
    "strong": "stop", "read_failed": "retry", "out_of_service": "blocked", "service": "wrench",
    "pin_entry": "wrench",
}


class LayoutOverflow(Exception):
    """A text that does not fit at the smallest readable size."""


class Rendered:
    __slots__ = ("image", "buttons")

    def __init__(self, image: Image.Image, buttons: list[Button]) -> None:
        self.image = image
        self.buttons = buttons


def iso_to_local(iso: str | None) -> str:
    """2026-11-01 -> 01.11.2026, the way dates are written in the region."""
    if not iso:
        return "?"
    if "-" not in iso:
        return iso  # a year alone (ban ends are kept per year)
    y, m, d = iso.split("-")
    return f"{d}.{m}.{y}"


class _Fonts:
    def __init__(self) -> None:
        self._cache: dict[tuple[bool, int], ImageFont.FreeTypeFont] = {}

    def get(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        key = (bold, size)
        if key not in self._cache:
            self._cache[key] = ImageFont.truetype(str(BOLD if bold else REGULAR), size)
        return self._cache[key]


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str] | None:
    """Greedy word wrap; None when a single word is wider than ``width``."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = word if not line else line + " " + word
            if font.getlength(candidate) <= width:
                line = candidate
                continue
            if font.getlength(word) > width:
                return None
            lines.append(line)
            line = word
        lines.append(line)
    return lines


class Renderer:
    """``Renderer(branding).render(screen, (w, h)) -> Rendered``; ``branding`` is
    ``KioskConfig.branding``, the deployment's languages, contacts and link."""

    def __init__(self, branding: Branding, texts: Texts | None = None) -> None:
        self.branding = branding
        self.texts = texts or Texts()
        self.fonts = _Fonts()
        qr = segno.make(branding.official_link, error="m")
        self._qr = [[bool(v) for v in row] for row in qr.matrix]
        self._qr_border = 2

    def t(self, lang: str, msgid: str, **values: str) -> str:
        return self.texts.translate(lang, msgid, **values)

    # -- blocks of text per screen ------------------------------------------------

    def blocks(self, s: Screen) -> tuple[str, list[tuple[str, str]]]:
        """(title, [(style, text)]) with style in lead, body, note, contact."""
        t = lambda msgid, **v: self.t(s.lang, msgid, **v)  # noqa: E731
        date = iso_to_local(s.list_date)
        b: list[tuple[str, str]] = []
        if s.kind == "idle":
            title = t("Check before you buy a ticket")
            b += [("lead", t("Place your passport on the scanner, photo page down.")),
                  ("body", t("The check takes a few seconds. Nothing you show here is stored."))]
        elif s.kind == "reading":
            title = t("Reading the passport…")
            b += [("lead", t("Please keep the passport still."))]
        elif s.kind == "no_record":
            title = t("No record found")
            b += [("lead", t("No record matching your passport was found in the list of {date}.", date=date)),
                  ("body", t("This is not a permission to travel: the border service decides at the border."))]
        elif s.kind in ("possible", "strong"):
            if s.kind == "possible":
                title = t("Your details may match a record")
                b.append(("lead", t("Your name and date of birth match a record on the list of {date}. "
                                    "It may be another person with the same details.", date=date)))
            else:
                title = t("Your details match a record")
                b.append(("lead", t("Your passport matches a record on the list of {date}.", date=date)))
            if s.ban_end:
                b.append(("body", t("The record gives an end date: {date}.", date=iso_to_local(s.ban_end))))
            else:
                b.append(("body", t("The list gives no end date for this record.")))
            b.append(("body", t("Before you buy a ticket, confirm with:")))
            for c in self.branding.contacts:
                b.append(("contact", f"{c.name[s.lang]}: {c.phone}"))
            b.append(("contact", f"{t('Hotline')}: {self.branding.hotline}"))
        elif s.kind == "read_failed":
            title = t("Could not read the passport")
            b.append(("lead", t("Place it again, photo page down, flat on the glass.")))
            if s.failures >= 3:
                b.append(("note", t("Please ask a member of staff for help.")))
        elif s.kind == "out_of_service":
            title = t("Out of service")
            for reason, when in s.reasons:
                if reason == "no_list":
                    b.append(("lead", t("No valid ban list is installed.")))
                elif reason == "list_expired":
                    b.append(("lead", t("The installed list expired on {date}.", date=iso_to_local(when))))
                elif reason == "list_budget":
                    b.append(("lead", t("The installed list cannot be used on this kiosk.")))
                elif reason == "scanner_missing":
                    b.append(("lead", t("The passport scanner is not connected.")))
            b.append(("body", t("Staff have been told. Please use another kiosk or ask at the desk.")))
        elif s.kind == "pin_entry":
            title = t("Service mode")
            b.append(("lead", t("Enter the service PIN")))
            b.append(("lead", " ".join("●" * s.digits_typed) if s.digits_typed else "–"))
            for reason, _ in s.reasons:
                if reason == "wrong_pin":
                    b.append(("note", t("Wrong PIN. Try again.")))
                elif reason == "locked":
                    b.append(("note", t("Too many wrong PINs. Try again later.")))
        else:  # service
            title = t("Service mode")
            b.append(("lead", t("Technician checks")))
            labels = {"pass": t("OK"), "warn": t("Warning"), "fail": t("Fault")}
            marks = {"pass": "✓", "warn": "!", "fail": "✗"}
            for name, status, message in s.checks:
                b.append(("check", f"{marks.get(status, '?')} {labels.get(status, status)} — {name}: {message}"))
        if s.kind in RESULT_KINDS and s.passport is not None:
            state, when = s.passport
            if state == "expired":
                b.append(("note", t("Your passport expired on {date}.", date=iso_to_local(when)) + " "
                          + t("Renew your passport before you travel.")))
            else:
                b.append(("note", t("Your passport expires on {date}. Many countries require six more months of "
                                    "validity.", date=iso_to_local(when))))
        if s.kind in RESULT_KINDS or s.kind == "idle":
            if s.list_date and s.valid_until:
                b.append(("small", t("List of {date}, valid until {until}", date=date,
                                     until=iso_to_local(s.valid_until))))
        return title, b

    # -- drawing -------------------------------------------------------------------

    def render(self, s: Screen, size: tuple[int, int]) -> Rendered:
        w, h = size
        portrait = h > w
        img = Image.new("RGB", size, WHITE)
        d = ImageDraw.Draw(img)
        unit = min(w, h)
        margin = max(8, unit // 30)
        band_h = int(h * (0.15 if portrait else 0.22))
        foot_h = int(h * (0.10 if portrait else 0.16))
        band, ink = BANDS[s.kind]
        title, blocks = self.blocks(s)

        # Header: pictogram in a white disc, title beside it.
        d.rectangle((0, 0, w, band_h), fill=band)
        disc = band_h - 2 * margin
        self._pictogram(d, PICTOGRAMS[s.kind], (margin, margin, margin + disc, margin + disc), band)
        tx = margin * 2 + disc
        self._fit_title(d, title, (tx, margin // 2, w - margin, band_h - margin // 2), ink)

        # Footer: a button per language, "done" on screens that end.
        buttons = self._footer(d, s, (0, h - foot_h, w, h), margin)

        # Body, and the QR code on results.
        top, bottom = band_h + margin, h - foot_h - margin
        left, right = margin, w - margin
        if s.kind in RESULT_KINDS or s.kind == "idle":
            if portrait:
                q = min(int((bottom - top) * 0.32), right - left)
                self._qr_block(d, s, (left + (right - left - q) // 2, bottom - q, q))
                bottom -= q + margin
            else:
                q = min(int((bottom - top) * 0.78), int(w * 0.26))
                self._qr_block(d, s, (right - q, top, q))
                right -= q + margin * 2
        if s.kind == "pin_entry":
            if portrait:
                k = min(int((bottom - top) * 0.55), right - left)
                buttons += self._keypad(d, (left + (right - left - k) // 2, bottom - k, k))
                bottom -= k + margin
            else:
                k = min(bottom - top, int(w * 0.4))
                buttons += self._keypad(d, (right - k, top, k))
                right -= k + margin * 2
        self._fit_body(d, blocks, (left, top, right, bottom), s)
        return Rendered(img, buttons)

    def _keypad(self, d: ImageDraw.ImageDraw, spot: tuple[int, int, int]) -> list[Button]:
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
            d.rounded_rectangle(rect, radius=kh // 6, fill=(13, 55, 120) if ok else WHITE, outline=BLACK, width=2)
            d.text(((rect[0] + rect[2]) // 2, (rect[1] + rect[3]) // 2), label, font=font,
                   fill=WHITE if ok else BLACK, anchor="mm")
            key = PIN_OK if ok else PIN_BACK if label == "←" else DIGIT_KEY + label
            out.append(Button(key, rect))
        return out

    def _fit_title(self, d: ImageDraw.ImageDraw, title: str, box: tuple[int, int, int, int],
                   ink: tuple[int, int, int]) -> None:
        x0, y0, x1, y1 = box
        for size in range(int((y1 - y0) * 0.42), 11, -1):
            font = self.fonts.get(size, bold=True)
            lines = wrap(title, font, x1 - x0)
            if lines is None or len(lines) > 2:
                continue
            lh = int(size * 1.2)
            if lh * len(lines) <= y1 - y0:
                y = y0 + ((y1 - y0) - lh * len(lines)) // 2
                for line in lines:
                    d.text((x0, y), line, font=font, fill=ink)
                    y += lh
                return
        raise LayoutOverflow(f"title {title!r} does not fit {x1 - x0}x{y1 - y0}")

    def _fit_body(self, d: ImageDraw.ImageDraw, blocks: list[tuple[str, str]], box: tuple[int, int, int, int],
                  s: Screen) -> None:
        x0, y0, x1, y1 = box
        height = y1 - y0
        smallest = max(12, int(min(d.im.size) / 34))
        largest = max(smallest, int(min(d.im.size) / 11))
        scale = {"lead": 1.0, "body": 0.8, "note": 0.8, "contact": 0.8, "small": 0.55, "check": 0.5}
        def layout(size: int) -> list[tuple[str, Any, list[str], int, int, int, int, int]] | None:
            plan = []
            total = 0
            for style, text in blocks:
                fs = max(10, int(size * scale[style]))
                font = self.fonts.get(fs, bold=style in ("lead", "contact"))
                inset = int(fs * 1.6) if style == "note" else 0
                lines = wrap(text, font, x1 - x0 - inset - (int(fs * 0.6) if style == "note" else 0))
                if lines is None:
                    return None
                lh = int(fs * 1.25)
                block_h = lh * len(lines) + (int(fs * 0.8) if style == "note" else 0)
                gap = int(size * 0.45)
                plan.append((style, font, lines, lh, inset, block_h, fs, gap))
                total += block_h + gap
            return plan if total <= height else None

        # The largest size that fits; text height grows with size, so bisect.
        best = layout(smallest)
        if best is None:
            raise LayoutOverflow(f"{s.kind}/{s.lang}: the text does not fit {x1 - x0}x{height} even at {smallest} px")
        lo, hi = smallest, largest
        while lo < hi:
            mid = (lo + hi + 1) // 2
            attempt = layout(mid)
            if attempt is not None:
                best, lo = attempt, mid
            else:
                hi = mid - 1
        plan = best
        y = y0
        for style, font, lines, lh, inset, block_h, fs, gap in plan:
            if style == "note":
                # Advice box: a thick frame and a '!' disc, so it stands out without colour.
                d.rectangle((x0, y, x1, y + block_h), outline=BLACK, width=max(2, fs // 8), fill=(255, 244, 214))
                r = int(fs * 0.55)
                cx, cy = x0 + inset // 2 + 2, y + block_h // 2
                d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=BLACK)
                d.text((cx, cy), "!", font=self.fonts.get(int(fs * 0.9), bold=True), fill=WHITE, anchor="mm")
                ty = y + int(fs * 0.4)
                for line in lines:
                    d.text((x0 + inset + int(fs * 0.3), ty), line, font=font, fill=BLACK)
                    ty += lh
            else:
                ty = y
                fill = (70, 70, 70) if style == "small" else BLACK
                for line in lines:
                    d.text((x0, ty), line, font=font, fill=fill)
                    ty += lh
            y += block_h + gap

    def _qr_block(self, d: ImageDraw.ImageDraw, s: Screen, spot: tuple[int, int, int]) -> None:
        x, y, q = spot
        caption = self.t(s.lang, "Scan for official information")
        n = len(self._qr) + 2 * self._qr_border
        cap_font_size = max(10, q // 12)
        font = self.fonts.get(cap_font_size)
        lines = wrap(caption, font, q) or [caption]
        cap_h = int(cap_font_size * 1.25) * len(lines)
        module = max(1, (q - cap_h) // n)
        side = module * n
        ox = x + (q - side) // 2
        d.rectangle((ox, y, ox + side - 1, y + side - 1), fill=WHITE, outline=(0, 0, 0))
        for r, row in enumerate(self._qr):
            for c, dark in enumerate(row):
                if dark:
                    px = ox + (c + self._qr_border) * module
                    py = y + (r + self._qr_border) * module
                    d.rectangle((px, py, px + module - 1, py + module - 1), fill=BLACK)
        ty = y + side + 4
        for line in lines:
            d.text((x + q // 2, ty), line, font=font, fill=BLACK, anchor="ma")
            ty += int(cap_font_size * 1.25)

    def _footer(self, d: ImageDraw.ImageDraw, s: Screen, box: tuple[int, int, int, int], margin: int) -> list[Button]:
        x0, y0, x1, y1 = box
        d.rectangle(box, fill=(235, 235, 235))
        d.line((x0, y0, x1, y0), fill=(120, 120, 120), width=2)
        pad = max(4, margin // 2)
        items = [LANG_KEY + lang for lang in self.branding.languages]
        if s.kind in RESULT_KINDS or s.kind in ("read_failed", "pin_entry"):
            items.append(DONE)
        n = len(items)
        bw = (x1 - x0 - pad * (n + 1)) // n
        bh = y1 - y0 - 2 * pad
        buttons = []
        for i, key in enumerate(items):
            bx = x0 + pad + i * (bw + pad)
            rect = (bx, y0 + pad, bx + bw, y0 + pad + bh)
            current = key == LANG_KEY + s.lang
            if key == DONE:
                label = self.t(s.lang, "Done")
                d.rounded_rectangle(rect, radius=bh // 5, fill=(13, 55, 120), outline=BLACK, width=3)
                ink = WHITE
            else:
                label = AUTONYMS[key[len(LANG_KEY):]]
                # The current language: inverted and framed thickly, not just coloured.
                d.rounded_rectangle(rect, radius=bh // 5, fill=BLACK if current else WHITE, outline=BLACK,
                                    width=max(3, bh // 12) if current else 2)
                ink = WHITE if current else BLACK
            for size in range(int(bh * 0.42), 7, -1):
                font = self.fonts.get(size, bold=True)
                if font.getlength(label) <= bw - 2 * pad:
                    break
            else:
                raise LayoutOverflow(f"button {label!r} does not fit {bw} px")
            d.text(((rect[0] + rect[2]) // 2, (rect[1] + rect[3]) // 2), label, font=font, fill=ink, anchor="mm")
            buttons.append(Button(key, rect))
        return buttons

    # -- pictograms ----------------------------------------------------------------

    def _pictogram(self, d: ImageDraw.ImageDraw, kind: str, box: tuple[int, int, int, int],
                   band: tuple[int, int, int]) -> None:
        x0, y0, x1, y1 = box
        d.ellipse(box, fill=WHITE)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        r = (x1 - x0) / 2
        lw = max(3, int(r / 6))
        ink = BLACK
        if kind == "check":
            d.line([(cx - r * 0.5, cy), (cx - r * 0.12, cy + r * 0.4), (cx + r * 0.52, cy - r * 0.42)],
                   fill=ink, width=lw, joint="curve")
        elif kind == "triangle":
            pts = [(cx, cy - r * 0.62), (cx + r * 0.62, cy + r * 0.45), (cx - r * 0.62, cy + r * 0.45)]
            d.polygon(pts, outline=ink, width=lw)
            d.line([(cx, cy - r * 0.25), (cx, cy + r * 0.12)], fill=ink, width=lw)
            d.ellipse((cx - lw / 1.5, cy + r * 0.22, cx + lw / 1.5, cy + r * 0.22 + lw * 1.3), fill=ink)
        elif kind == "stop":
            pts = [(cx + r * 0.68 * math.cos(math.radians(22.5 + 45 * i)),
                    cy + r * 0.68 * math.sin(math.radians(22.5 + 45 * i))) for i in range(8)]
            d.polygon(pts, fill=ink)
            d.line([(cx, cy - r * 0.38), (cx, cy + r * 0.1)], fill=WHITE, width=lw)
            d.ellipse((cx - lw / 1.5, cy + r * 0.2, cx + lw / 1.5, cy + r * 0.2 + lw * 1.3), fill=WHITE)
        elif kind == "passport":
            d.rounded_rectangle((cx - r * 0.42, cy - r * 0.58, cx + r * 0.42, cy + r * 0.58), radius=int(r * 0.08),
                                outline=ink, width=lw)
            d.ellipse((cx - r * 0.18, cy - r * 0.35, cx + r * 0.18, cy + r * 0.01), outline=ink, width=max(2, lw // 2))
            for k in (0.25, 0.4):
                d.line([(cx - r * 0.28, cy + r * k), (cx + r * 0.28, cy + r * k)], fill=ink, width=max(2, lw // 2))
        elif kind == "hourglass":
            pts = [(cx - r * 0.4, cy - r * 0.55), (cx + r * 0.4, cy - r * 0.55),
                   (cx - r * 0.4, cy + r * 0.55), (cx + r * 0.4, cy + r * 0.55)]
            d.line(pts + [pts[0]], fill=ink, width=lw, joint="curve")
        elif kind == "retry":
            d.arc((cx - r * 0.5, cy - r * 0.5, cx + r * 0.5, cy + r * 0.5), start=40, end=330, fill=ink, width=lw)
            ax, ay = cx + r * 0.5 * math.cos(math.radians(40)), cy + r * 0.5 * math.sin(math.radians(40))
            d.polygon([(ax - r * 0.22, ay + r * 0.05), (ax + r * 0.2, ay + r * 0.08), (ax + r * 0.02, ay - r * 0.3)],
                      fill=ink)
        elif kind == "blocked":
            d.ellipse((cx - r * 0.6, cy - r * 0.6, cx + r * 0.6, cy + r * 0.6), outline=ink, width=lw)
            d.line([(cx - r * 0.42, cy + r * 0.42), (cx + r * 0.42, cy - r * 0.42)], fill=ink, width=lw)
        elif kind == "wrench":
            d.line([(cx - r * 0.45, cy + r * 0.45), (cx + r * 0.2, cy - r * 0.2)], fill=ink, width=int(lw * 1.5))
            d.ellipse((cx + r * 0.0, cy - r * 0.6, cx + r * 0.6, cy + r * 0.0), outline=ink, width=lw)
            d.polygon([(cx + r * 0.3, cy - r * 0.3), (cx + r * 0.7, cy - r * 0.62), (cx + r * 0.62, cy - r * 0.7)],
                      fill=WHITE)

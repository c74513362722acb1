"""The deployment's settings (who runs the kiosk, contacts, official links, languages,
scanner, display, printer, I/O board), read from a TOML file and validated completely
at start: a kiosk that starts must not discover a missing contact in front of a
traveller. ``KioskConfig.placeholders()`` says which next steps are still the shipped
example's, so that ``safar kiosk`` can refuse to start with them (docs/next-steps.md).
"""

from __future__ import annotations

import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from firmware import untrusted_toml
from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.kiosk.board import parse_quiet_hours
from firmware.kiosk.screen import SUPPORTED_SIZES, Branding, Contact, Link, supported_size
from firmware.kiosk.technician import parse_pin_hash
from firmware.readings import METRICS_TEXTFILE
from firmware.scanner.link import PortSettings
from firmware.update.layout import StateLayout

LANGUAGES = ("tg", "ru", "uz", "en", "prs")  # prs: Dari, in Perso-Arabic script
EXAMPLE = """\
# Safar kiosk settings (see docs/kiosk.md; the next steps: docs/next-steps.md)
deployment = "safar-tj"
languages = ["tg", "ru", "uz", "en"]   # offered on the screen, in this order; "prs" (Dari) may be added
default_language = "tg"                # for passports of other nationalities
result_seconds = 60                    # a result returns to the start screen after this (10 to 600)
# service_key_sha256 = "..."          # sha256sum of SAFAR-SERVICE.key on the technician's USB stick
# service_pin = "pbkdf2_sha256$..."    # from: safar kiosk --hash-pin (F4 F1 F4 F1 or 5 taps top-left, then the PIN)

# Who runs this kiosk, shown on the start screen and the slip (at most 60 characters each).
# This name and the contacts and links below are placeholders: safar kiosk does not
# start while any is still the example's (docs/next-steps.md says what to configure
# and how to confirm it; the demo runs this example).
[operator]
tg = "Оператори ин киоск (дар kiosk.toml нишон диҳед)"
ru = "Оператор этого киоска (укажите в kiosk.toml)"
uz = "Ushbu kiosk operatori (kiosk.toml da koʻrsating)"
en = "Operator of this kiosk (set in kiosk.toml)"
prs = "گردانندهٔ این کیوسک (در kiosk.toml بنویسید)"

# Where a traveller can confirm or get help: 1 to 3 contacts, a name in every language
# (at most 60 characters) and a phone (at most 24 characters: + digits spaces ( ) -).
# The X digits are placeholders: write the number confirmed with the office itself.
[[contacts]]
phone = "+992 XX XXX XX XX"
[contacts.name]
tg = "Хадамоти муҳоҷират"
ru = "Служба миграции"
uz = "Migratsiya xizmati"
en = "Migration Service"
prs = "ادارهٔ مهاجرت"

[[contacts]]
phone = "+7 XXX XXX-XX-XX"
[contacts.name]
tg = "Сафорати Тоҷикистон дар Русия (шӯъбаи консулӣ)"
ru = "Посольство Таджикистана в России (консульский отдел)"
uz = "Tojikistonning Rossiyadagi elchixonasi (konsullik boʻlimi)"
en = "Embassy of Tajikistan in Russia (consular section)"
prs = "سفارت تاجیکستان در روسیه (بخش قونسلی)"

# Official pages, drawn as QR codes: 1 to 3 links, https:// only, at most 120 characters,
# a label in every language (at most 50 characters). The FIRST link is the official
# check page: its QR code is on every result screen. example.org is reserved for
# examples (RFC 2606): placeholders.
[[links]]
url = "https://official-check.example.org/entry-ban"
[links.label]
tg = "Санҷиши расмии манъи вуруд"
ru = "Официальная проверка запрета на въезд"
uz = "Kirish taqiqini rasmiy tekshirish"
en = "Official entry-ban check"
prs = "بررسی رسمی منع ورود"

[[links]]
url = "https://migrant-info.example.org/"
[links.label]
tg = "Маълумот барои муҳоҷирон"
ru = "Информация для мигрантов"
uz = "Migrantlar uchun axborot"
en = "Information for migrants"
prs = "معلومات برای مهاجران"

[matching]
# The most false alarms per innocent traveller this kiosk accepts from a list (the
# builder's budget; a list that allows more is not used and the kiosk is out of service).
max_false_strong = 1e-7
max_false_possible = 1e-6

[scanner]
port = "/dev/safar-scanner"            # or /dev/serial/by-id/usb-...
settings = "9600,8N1"                  # 9600,7E1 for readers set to 7 data bits
# enabled = false                      # a kiosk that reads with its camera only

# The camera reader (docs/camera.md): a Pi camera over the passport's data page, besides
# or instead of the scanner; the first good read wins.
# [camera]
# source = "picamera2"                 # or "files" (replayed images: files = ["/path/a.jpg", ...])
# frames_to_agree = 2                  # frames in a row that must read the same zone (2 to 10)
# read_timeout_seconds = 10            # a zone in view this long without a read: "could not read"
# size = [1280, 960]

[display]
backend = "framebuffer"                # or "png" (previews)
device = "/dev/fb0"
output = "@SCREENS@"      # png backend only
size = [800, 480]                      # png backend only; each side 480 to 4096 px, long side <= 2.4 x short

[input]
devices = []                           # evdev devices: touch panel, keypad (/dev/input/by-path/...)

# A thermal receipt printer (ESC/POS) for the next-steps slip; optional hardware, off by
# default. The slip holds the contacts, the links as QR codes and the list date, never
# anything read from the passport (docs/next-steps.md).
# [printer]
# enabled = true
# device = "/dev/usb/lp0"              # USB printer; or a serial port such as /dev/ttyUSB0 with baudrate
# baudrate = 19200                     # only for a serial printer
# paper_width_mm = 80                  # 58 or 80

# The Safar I/O board (hw/ioboard.md): panel lamps, the answer cue, the presence sensor
# (the screen goes dark when nobody is in front), the service-door switch (open: out of
# service, and an audit entry), the call-staff lamp and a watchdog that resets a hung Pi.
# Without it the kiosk works the same, with none of these.
# [ioboard]
# port = "/dev/safar-ioboard"
# watchdog_seconds = 120               # 0 (off) or 60 to 3600
# cue_ms = 80                          # the short beep when an answer appears (the same for every answer); 0: none
# quiet_hours = "22:00-07:00"          # no cue then (local time); "" for none
# blank_after_minutes = 5              # start screen dark after this long with nobody in front; 0: never

# Health for the fleet's monitoring (docs/fleet.md): a Prometheus node_exporter textfile
# with the list, the devices and a count of scans, nothing about any traveller.
[metrics]
enabled = true
textfile = "/run/safar-metrics/safar.prom"
result_totals = false                  # true: also yesterday's totals per answer (docs/fleet.md says why no more)
""".replace("@SCREENS@", str(StateLayout().screens))

MAX_ENTRIES = 3  # contacts, links: more would not fit a result screen
DEFAULT_QUIET_HOURS = "22:00-07:00"
DEFAULT_METRICS = METRICS_TEXTFILE
CAMERA_SOURCES = ("picamera2", "files")
MAX_NAME = 60  # operator and contact names, characters
MAX_LABEL = 50  # link labels
MAX_PHONE = 24
MAX_URL = 120  # longer URLs give QR codes too dense to scan from an 800x480 screen
PHONE_CHARACTERS = frozenset("+0123456789 ()-X")  # X: a placeholder digit (placeholders())
# Domains reserved for examples (RFC 2606, RFC 6761): nobody can register them, so a
# placeholder link under them leads nowhere rather than to whoever bought the name.
RESERVED_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
# The display sizes the renderer lays out (kiosk_ui/render.py): smaller screens cannot
# hold the text at its legible floor, narrower ones not a line of it.
PRINTER_DOTS = {58: 384, 80: 576}  # dots per line at 203 dpi, by paper width in mm
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
MAX_FILE_BYTES = 256 * 1024  # the example is 6 KB; every setting filled in stays far below
# Bidirectional controls: U+202E in a contact name shows, reversed, a phone number the file
# does not hold; the screens and slip add their own isolates (kiosk_ui/wording.py, slip.py).
BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]))
# Zero-width non-joiner and joiner: Dari and Tajik words need them (the plural ``ها`` apart).
JOINERS = frozenset("\u200c\u200d")
C0_NAMES = {0x00: "NULL", 0x09: "CHARACTER TABULATION", 0x0A: "LINE FEED", 0x0D: "CARRIAGE RETURN",
            0x1B: "ESCAPE", 0x7F: "DELETE"}  # unicodedata has no names for Cc characters


class ConfigError(Exception):
    """``file``: the config file; ``key``: the setting (dotted path); ``line`` when known."""

    def __init__(self, file: str, key: str | None, reason: str, line: int | None = None) -> None:
        where = file + (f":{line}" if line else "") + (f": {key}" if key else "")
        super().__init__(f"{where}: {reason}")
        self.file, self.key, self.reason, self.line = file, key, reason, line


def reserved_for_examples(host: str) -> bool:
    """Whether ``host`` is under a domain reserved for examples (RFC 2606, RFC 6761)."""
    return host.rsplit(".", 1)[-1] in RESERVED_TLDS or any(
        host == d or host.endswith("." + d) for d in RESERVED_EXAMPLE_DOMAINS)


def _is_dns_name(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2 or len(host) > 253 or labels[-1].isdigit():
        return False
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-")
    return all(0 < len(x) <= 63 and set(x) <= allowed and not x.startswith("-") and not x.endswith("-")
               for x in labels)


def _url_host(url: str) -> str | None:
    """The host of an https address whose authority is a DNS name alone (a user name
    would hide the real host from a reader; a port is not an official page's), or None."""
    if not url.startswith("https://") or not all("!" <= ch <= "~" for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = parts.hostname
    if host is None or parts.netloc.lower() != host or not _is_dns_name(host):
        return None
    return host


@lru_cache(maxsize=1)
def _example_texts() -> frozenset[str]:
    """Every name, label, phone and url of the shipped EXAMPLE: still one of them is a placeholder."""
    data = tomllib.loads(EXAMPLE)
    texts = set(data["operator"].values())
    for c in data["contacts"]:
        texts.update(c["name"].values())
        texts.add(c["phone"])
    for link in data["links"]:
        texts.update(link["label"].values())
        texts.add(link["url"])
    return frozenset(texts)


def hidden_character(text: str) -> str | None:
    """Why ``text`` cannot be shown as written (a bidi control or another Cc/Cf character,
    named by code point, name and 1-based position), or None."""
    for i, ch in enumerate(text, 1):
        if ch in BIDI_CONTROLS:
            why = "a bidirectional control would reorder what the screen shows"
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch not in JOINERS:
            why = "a control character, drawn as an empty box or not at all"
        else:
            continue
        name = unicodedata.name(ch, C0_NAMES.get(ord(ch), "a control character"))
        return f"U+{ord(ch):04X} {name} at character {i}: {why}"
    return None


def _check_texts(data: dict[str, Any], r: _Reader) -> None:
    """Every text of the parsed file (values, and the names of settings) is free of hidden
    characters; a walk with a stack, as the file may nest as deep as the reader allows."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            why = hidden_character(value)
            if why:
                raise r.error(where, why)
        elif isinstance(value, dict):
            for key, item in value.items():
                why = hidden_character(key)
                if why:
                    raise r.error(where or None, f"a setting's name holds {why}")
                stack.append((f"{where}.{key}" if where else key, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))


class _Reader:
    """Takes settings out of a parsed file one by one, so that what is left is unknown."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, key: str | None, reason: str) -> ConfigError:
        return ConfigError(self.file, key, reason)

    def take(self, src: dict[str, Any], key: str, kind: type, default: Any = ..., prefix: str = "") -> Any:
        if key not in src:
            if default is ...:
                raise self.error(prefix + key, "missing (required)")
            return default
        value = src.pop(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(prefix + key, f"must be {kind.__name__}, got {value!r}")
        return value

    def section(self, src: dict[str, Any], key: str) -> dict[str, Any]:
        return dict(self.take(src, key, dict, {}))

    def done(self, src: dict[str, Any], prefix: str = "") -> None:
        if src:
            raise self.error(prefix + sorted(src)[0], "unknown setting")

    def texts(self, src: dict[str, Any], key: str, languages: tuple[str, ...], limit: int,
              prefix: str = "") -> dict[str, str]:
        """A text per language (``{ tg = "...", ru = "..." }``): every enabled language, each
        at most ``limit`` characters; other known languages may be given ahead of enabling them."""
        value = self.take(src, key, dict, prefix=prefix)
        where = prefix + key
        for lang, text in value.items():
            if lang not in LANGUAGES:
                raise self.error(f"{where}.{lang}", f"unknown language (known: {', '.join(LANGUAGES)})")
            if not isinstance(text, str) or not text.strip():
                raise self.error(f"{where}.{lang}", f"must be a text, got {text!r}")
            if len(text) > limit:
                raise self.error(f"{where}.{lang}", f"at most {limit} characters, got {len(text)}")
        for lang in languages:
            if lang not in value:
                raise self.error(f"{where}.{lang}", "missing: every enabled language needs this text")
        return dict(value)

    def entries(self, src: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
        """An array of tables (``[[key]]``) of 1 to MAX_ENTRIES entries, with each one's prefix."""
        value = self.take(src, key, list)
        if not 1 <= len(value) <= MAX_ENTRIES:
            raise self.error(key, f"1 to {MAX_ENTRIES} entries are needed, got {len(value)}")
        out = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise self.error(f"{key}[{i}]", f"must be a table ([[{key}]]), got {entry!r}")
            out.append((f"{key}[{i}].", dict(entry)))
        return out

    def path(self, src: dict[str, Any], key: str, default: Any = ..., prefix: str = "") -> Any:
        value = self.take(src, key, str, default, prefix)
        if value is not None and not value.startswith("/"):
            raise self.error(prefix + key, f"must be a device path such as /dev/..., got {value!r}")
        return value


class KioskConfig:
    def __init__(self, data: dict[str, Any], file: str = "<config>") -> None:
        self.file = file
        r = _Reader(file)
        _check_texts(data, r)
        d = dict(data)
        self.deployment: str = r.take(d, "deployment", str)
        self._read_languages(r, d)
        self.result_seconds: int = r.take(d, "result_seconds", int, 60)
        if not 10 <= self.result_seconds <= 600:
            raise r.error("result_seconds", f"must be between 10 and 600, got {self.result_seconds}")
        self.operator: dict[str, str] = r.texts(d, "operator", self.languages, MAX_NAME)
        self.contacts: list[Contact] = [self._read_contact(r, prefix, c) for prefix, c in r.entries(d, "contacts")]
        self.links: list[Link] = [self._read_link(r, prefix, x) for prefix, x in r.entries(d, "links")]
        self._read_service_access(r, d)
        self._read_matching(r, r.section(d, "matching"))
        self._read_scanner(r, r.section(d, "scanner"))
        self._read_camera(r, d)
        if not self.scanner_enabled and self.camera_source is None:
            raise r.error("scanner.enabled", "the scanner is off and no [camera] is configured: "
                          "the kiosk would have nothing to read passports with")
        self._read_display(r, r.section(d, "display"))
        inputs = r.section(d, "input")
        devices = r.take(inputs, "devices", list, [], "input.")
        if not all(isinstance(v, str) and v.startswith("/") for v in devices):
            raise r.error("input.devices", "must be a list of device paths such as /dev/input/by-path/...-event")
        self.input_devices: list[str] = devices
        r.done(inputs, "input.")
        self._read_printer(r, r.section(d, "printer"))
        self._read_ioboard(r, d)
        self._read_metrics(r, r.section(d, "metrics"))
        r.done(d)

    def _read_languages(self, r: _Reader, d: dict[str, Any]) -> None:
        self.languages: tuple[str, ...] = tuple(r.take(d, "languages", list, ["tg", "ru", "uz", "en"]))
        for lang in self.languages:
            if lang not in LANGUAGES:
                raise r.error("languages", f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
        if not self.languages:
            raise r.error("languages", "at least one language is needed")
        self.default_language: str = r.take(d, "default_language", str, self.languages[0])
        if self.default_language not in self.languages:
            raise r.error("default_language",
                          f"{self.default_language!r} is not among languages {list(self.languages)}")

    def _read_contact(self, r: _Reader, prefix: str, c: dict[str, Any]) -> Contact:
        name = r.texts(c, "name", self.languages, MAX_NAME, prefix)
        phone = r.take(c, "phone", str, prefix=prefix)
        if not set(phone) <= PHONE_CHARACTERS or len(phone) > MAX_PHONE or not any(ch.isdigit() for ch in phone):
            raise r.error(prefix + "phone", f"must be a phone number of at most {MAX_PHONE} characters, written "
                          f"with + digits spaces ( ) - (X for a placeholder digit), got {phone!r}")
        r.done(c, prefix)
        return Contact(name, phone)

    def _read_link(self, r: _Reader, prefix: str, x: dict[str, Any]) -> Link:
        label = r.texts(x, "label", self.languages, MAX_LABEL, prefix)
        url = r.take(x, "url", str, prefix=prefix)
        host = _url_host(url) if len(url) <= MAX_URL else None
        if host is None:
            raise r.error(prefix + "url", f"must be an https:// address with a DNS name as host (no user or port), "
                          f"at most {MAX_URL} characters so its QR code stays scannable, got {url!r}")
        if "example" in host.split(".") and not reserved_for_examples(host):
            raise r.error(prefix + "url", f"{host} is not a reserved example domain: anyone could register it; "
                          "configure the real official address")
        r.done(x, prefix)
        return Link(label, url)

    def _read_service_access(self, r: _Reader, d: dict[str, Any]) -> None:
        self.service_key_sha256: str | None = r.take(d, "service_key_sha256", str, None)
        if self.service_key_sha256 is not None:
            key = self.service_key_sha256.lower()
            if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
                raise r.error("service_key_sha256", "must be the 64 hex digits of sha256sum SAFAR-SERVICE.key")
            self.service_key_sha256 = key
        self.service_pin: str | None = r.take(d, "service_pin", str, None)
        if self.service_pin is not None:
            try:
                parse_pin_hash(self.service_pin)
            except ValueError as e:
                raise r.error("service_pin", str(e)) from None

    def _read_matching(self, r: _Reader, matching: dict[str, Any]) -> None:
        limits = []
        for key, default in (("max_false_strong", DEFAULT_STRONG), ("max_false_possible", DEFAULT_POSSIBLE)):
            value = r.take(matching, key, float, default, "matching.")
            if not 0 < value <= 1e-3:
                raise r.error("matching." + key, f"must be a probability above 0 and at most 0.001, got {value!r}")
            limits.append(value)
        r.done(matching, "matching.")
        self.false_alarm_limits: tuple[float, float] = (limits[0], limits[1])

    def _read_camera(self, r: _Reader, d: dict[str, Any]) -> None:
        self.camera_source: str | None = None
        self.camera_files: list[str] = []
        self.camera_frames_to_agree = 2
        self.camera_read_timeout = 10
        self.camera_size: tuple[int, int] = (1280, 960)
        if "camera" not in d:
            return
        camera = r.section(d, "camera")
        source = r.take(camera, "source", str, "picamera2", "camera.")
        if source not in CAMERA_SOURCES:
            raise r.error("camera.source", f"must be one of {', '.join(CAMERA_SOURCES)}, got {source!r}")
        self.camera_source = source
        files = r.take(camera, "files", list, [], "camera.")
        if not all(isinstance(f, str) and f.startswith("/") for f in files):
            raise r.error("camera.files", "must be a list of absolute paths of images or folders")
        if source == "files" and not files:
            raise r.error("camera.files", "source = \"files\" needs the images to replay")
        self.camera_files = files
        self.camera_frames_to_agree = r.take(camera, "frames_to_agree", int, 2, "camera.")
        if not 2 <= self.camera_frames_to_agree <= 10:
            raise r.error("camera.frames_to_agree", "must be between 2 and 10: one frame alone could misread a "
                          f"name, which no check digit covers; got {self.camera_frames_to_agree}")
        self.camera_read_timeout = r.take(camera, "read_timeout_seconds", int, 10, "camera.")
        if not 3 <= self.camera_read_timeout <= 60:
            raise r.error("camera.read_timeout_seconds", f"must be between 3 and 60, got {self.camera_read_timeout}")
        size = r.take(camera, "size", list, [1280, 960], "camera.")
        if len(size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and 320 <= v <= 4608
                                     for v in size):
            raise r.error("camera.size", f"must be [width, height], 320 to 4608 pixels, got {size!r}")
        self.camera_size = (size[0], size[1])
        r.done(camera, "camera.")

    def _read_scanner(self, r: _Reader, scanner: dict[str, Any]) -> None:
        self.scanner_enabled: bool = r.take(scanner, "enabled", bool, True, "scanner.")
        self.scanner_port: str = r.take(scanner, "port", str, "/dev/safar-scanner", "scanner.")
        self.scanner_settings: str = r.take(scanner, "settings", str, "9600,8N1", "scanner.")
        try:
            PortSettings.parse(self.scanner_settings)
        except ValueError as e:
            raise r.error("scanner.settings", str(e)) from None
        r.done(scanner, "scanner.")

    def _read_display(self, r: _Reader, display: dict[str, Any]) -> None:
        self.display_backend: str = r.take(display, "backend", str, "framebuffer", "display.")
        if self.display_backend not in ("framebuffer", "png"):
            raise r.error("display.backend", f"must be framebuffer or png, got {self.display_backend!r}")
        self.display_device: str = r.take(display, "device", str, "/dev/fb0", "display.")
        self.display_output: str = r.take(display, "output", str, str(StateLayout().screens), "display.")
        size = r.take(display, "size", list, [800, 480], "display.")
        if len(size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in size):
            raise r.error("display.size", f"must be [width, height] in pixels, got {size!r}")
        if not supported_size(size[0], size[1]):
            raise r.error("display.size", f"{size[0]}x{size[1]} is not supported: {SUPPORTED_SIZES}")
        self.display_size: tuple[int, int] = (size[0], size[1])
        r.done(display, "display.")

    def _read_printer(self, r: _Reader, printer: dict[str, Any]) -> None:
        self.printer_enabled: bool = r.take(printer, "enabled", bool, False, "printer.")
        self.printer_device: str = r.path(printer, "device", "/dev/usb/lp0", "printer.")
        self.printer_baudrate: int | None = r.take(printer, "baudrate", int, None, "printer.")
        if self.printer_baudrate is not None and self.printer_baudrate not in BAUDRATES:
            raise r.error("printer.baudrate", f"must be one of {', '.join(map(str, BAUDRATES))} "
                          f"(set only for a serial printer), got {self.printer_baudrate}")
        width = r.take(printer, "paper_width_mm", int, 80, "printer.")
        if width not in PRINTER_DOTS:
            raise r.error("printer.paper_width_mm", f"must be 58 or 80, got {width}")
        self.printer_dots: int = PRINTER_DOTS[width]
        r.done(printer, "printer.")

    def _read_ioboard(self, r: _Reader, d: dict[str, Any]) -> None:
        self.ioboard_port: str | None = None
        self.ioboard_watchdog_seconds = 120
        self.ioboard_cue_ms = 80
        self.ioboard_quiet_hours: tuple[int, int] | None = parse_quiet_hours(DEFAULT_QUIET_HOURS)
        self.ioboard_blank_after_minutes = 5
        if "ioboard" not in d:
            return
        ioboard = r.section(d, "ioboard")
        self.ioboard_port = r.path(ioboard, "port", prefix="ioboard.")
        wdt = r.take(ioboard, "watchdog_seconds", int, self.ioboard_watchdog_seconds, "ioboard.")
        if wdt != 0 and not 60 <= wdt <= 3600:
            raise r.error("ioboard.watchdog_seconds", "must be 0 (off) or 60 to 3600: shorter would reset the Pi "
                          f"before systemd's own restart of a hung kiosk (WatchdogSec=20) had a chance; got {wdt}")
        self.ioboard_watchdog_seconds = wdt
        cue = r.take(ioboard, "cue_ms", int, self.ioboard_cue_ms, "ioboard.")
        if not 0 <= cue <= 300:
            raise r.error("ioboard.cue_ms", f"must be 0 (no cue) to 300 ms: a cue, not an alarm; got {cue}")
        self.ioboard_cue_ms = cue
        quiet = r.take(ioboard, "quiet_hours", str, DEFAULT_QUIET_HOURS, "ioboard.")
        try:
            self.ioboard_quiet_hours = None if quiet == "" else parse_quiet_hours(quiet)
        except ValueError as e:
            raise r.error("ioboard.quiet_hours", f"{e} (\"\" for none)") from None
        blank = r.take(ioboard, "blank_after_minutes", int, self.ioboard_blank_after_minutes, "ioboard.")
        if not 0 <= blank <= 240:
            raise r.error("ioboard.blank_after_minutes", f"must be 0 (never) to 240, got {blank}")
        self.ioboard_blank_after_minutes = blank
        r.done(ioboard, "ioboard.")

    def _read_metrics(self, r: _Reader, metrics: dict[str, Any]) -> None:
        self.metrics_enabled: bool = r.take(metrics, "enabled", bool, False, "metrics.")
        path = r.take(metrics, "textfile", str, DEFAULT_METRICS, "metrics.")
        if not path.startswith("/") or not path.endswith(".prom"):
            raise r.error("metrics.textfile", f"must be an absolute path ending in .prom (node_exporter reads "
                          f"only those), got {path!r}")
        self.metrics_textfile: str = path
        self.metrics_result_totals: bool = r.take(metrics, "result_totals", bool, False, "metrics.")
        r.done(metrics, "metrics.")

    def placeholders(self) -> list[tuple[str, str]]:
        """The next steps that are still placeholders, as (dotted key, why): ``safar kiosk``
        refuses to start while this is not empty, so that no traveller is sent to a made-up
        number or an unowned address. The config itself parses with them (the demo and the
        tests run the shipped example)."""
        found: dict[str, str] = {}
        example = _example_texts()

        def texts(prefix: str, values: dict[str, str]) -> None:
            for lang, text in values.items():
                if text in example:
                    found.setdefault(f"{prefix}.{lang}", "the shipped example's text: write this deployment's own")

        texts("operator", self.operator)
        for i, c in enumerate(self.contacts):
            texts(f"contacts[{i}].name", c.name)
            key, digits = f"contacts[{i}].phone", "".join(ch for ch in c.phone if ch.isdigit())
            if "X" in c.phone:
                found.setdefault(key, "X is a placeholder digit: write the number confirmed with the office")
            if "00000" in digits:
                found.setdefault(key, "a run of five zeros is not a real number: write the confirmed one")
            if c.phone in example:
                found.setdefault(key, "the shipped example's number: write the confirmed one")
        for i, link in enumerate(self.links):
            texts(f"links[{i}].label", link.label)
            key, host = f"links[{i}].url", urlsplit(link.url).hostname or ""
            if reserved_for_examples(host):
                found.setdefault(key, f"{host} is reserved for examples (RFC 2606): "
                                 "configure the real official address")
            if link.url in example:
                found.setdefault(key, "the shipped example's address: configure the real official one")
        return list(found.items())

    @property
    def branding(self) -> Branding:
        """What the screens show of this deployment (all ``kiosk_ui`` gets of the config)."""
        return Branding(self.languages, self.operator, tuple(self.contacts), tuple(self.links))

    @classmethod
    def load(cls, path: str | Path) -> KioskConfig:
        path = Path(path)
        try:
            with path.open("rb") as f:
                raw = f.read(MAX_FILE_BYTES + 1)  # no further: /dev/zero or a 1 GB file is refused unread
        except OSError as e:
            raise ConfigError(str(path), None, f"cannot read: {e.strerror or e}") from None
        try:
            data = untrusted_toml.loads(raw, max_bytes=MAX_FILE_BYTES)
        except untrusted_toml.UntrustedTOMLError as e:
            raise ConfigError(str(path), None, e.reason, e.line) from None
        return cls(data, str(path))

    @classmethod
    def example(cls) -> KioskConfig:
        return cls(tomllib.loads(EXAMPLE), "<example>")


def limits_from(path: str | Path | None) -> tuple[float, float]:
    """The false-alarm limits of the kiosk settings at ``path`` (the built-in ones without a
    file): what ``safar update``, ``safar serviceport`` and ``safar diag`` judge a list by."""
    if path is None:
        return (DEFAULT_STRONG, DEFAULT_POSSIBLE)
    return KioskConfig.load(path).false_alarm_limits

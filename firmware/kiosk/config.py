"""The deployment's settings (contacts, hotline, official link, languages, scanner,
display), read from a TOML file and validated completely at start: a kiosk that
starts must not discover a missing hotline in front of a traveller.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.kiosk.screen import Branding, Contact
from firmware.kiosk.technician import parse_pin_hash
from firmware.scanner.link import PortSettings
from firmware.update.layout import StateLayout

LANGUAGES = ("tg", "ru", "uz", "en")
EXAMPLE = """\
# Safar kiosk settings (see docs/kiosk.md)
deployment = "safar-tj"
languages = ["tg", "ru", "uz", "en"]   # offered on the screen, in this order
default_language = "tg"                # for passports of other nationalities
result_seconds = 20                    # a result returns to the start screen after this
official_link = "https://migration.example.tj/ban-check"   # shown as a QR code
hotline = "+992 37 000 00 00"
# service_key_sha256 = "..."          # sha256sum of SAFAR-SERVICE.key on the technician's USB stick
# service_pin = "pbkdf2_sha256$..."    # from: safar kiosk --hash-pin (F4 F1 F4 F1 or 5 taps top-left, then the PIN)

[[contacts]]
phone = "+992 37 000 00 01"
name = { tg = "Хадамоти муҳоҷират", ru = "Служба миграции", uz = "Migratsiya xizmati", en = "Migration Service" }

[matching]
# The most false alarms per innocent traveller this kiosk accepts from a list (the
# builder's budget; a list that allows more is not used and the kiosk is out of service).
max_false_strong = 1e-7
max_false_possible = 1e-6

[scanner]
port = "/dev/safar-scanner"            # or /dev/serial/by-id/usb-...
settings = "9600,8N1"                  # 9600,7E1 for readers set to 7 data bits

[display]
backend = "framebuffer"                # or "png" (previews)
device = "/dev/fb0"
output = "@SCREENS@"      # png backend only
size = [800, 480]                      # png backend only

[input]
devices = []                           # evdev devices: touch panel, keypad (/dev/input/by-path/...)
""".replace("@SCREENS@", str(StateLayout().screens))


class ConfigError(Exception):
    """``file``: the config file; ``key``: the setting (dotted path); ``line`` when known."""

    def __init__(self, file: str, key: str | None, reason: str, line: int | None = None) -> None:
        where = file + (f":{line}" if line else "") + (f": {key}" if key else "")
        super().__init__(f"{where}: {reason}")
        self.file, self.key, self.reason, self.line = file, key, reason, line


class KioskConfig:
    def __init__(self, data: dict[str, Any], file: str = "<config>") -> None:
        self.file = file
        d = dict(data)

        def take(key: str, kind: type, default: Any = ..., section: dict[str, Any] | None = None,
                 prefix: str = "") -> Any:
            src = d if section is None else section
            if key not in src:
                if default is ...:
                    raise ConfigError(file, prefix + key, "missing (required)")
                return default
            value = src.pop(key)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ConfigError(file, prefix + key, f"must be {kind.__name__}, got {value!r}")
            return value

        self.deployment: str = take("deployment", str)
        self.languages: tuple[str, ...] = tuple(take("languages", list, list(LANGUAGES)))
        for lang in self.languages:
            if lang not in LANGUAGES:
                raise ConfigError(file, "languages", f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
        if not self.languages:
            raise ConfigError(file, "languages", "at least one language is needed")
        self.default_language: str = take("default_language", str, self.languages[0])
        if self.default_language not in self.languages:
            raise ConfigError(file, "default_language",
                              f"{self.default_language!r} is not among languages {list(self.languages)}")
        self.result_seconds: int = take("result_seconds", int, 20)
        if not 3 <= self.result_seconds <= 300:
            raise ConfigError(file, "result_seconds", f"must be between 3 and 300, got {self.result_seconds}")
        self.official_link: str = take("official_link", str)
        if not self.official_link.startswith(("https://", "http://")) or len(self.official_link) > 200:
            raise ConfigError(file, "official_link", "must be an http(s) address of at most 200 characters")
        self.hotline: str = take("hotline", str)
        self.contacts: list[Contact] = []
        for i, c in enumerate(take("contacts", list, [])):
            prefix = f"contacts[{i}]."
            if not isinstance(c, dict):
                raise ConfigError(file, f"contacts[{i}]", "must be a table with name and phone")
            c = dict(c)
            phone = take("phone", str, section=c, prefix=prefix)
            name = take("name", dict, section=c, prefix=prefix)
            for lang in self.languages:
                if not isinstance(name.get(lang), str) or not name[lang].strip():
                    raise ConfigError(file, prefix + "name." + lang,
                                      "missing: every enabled language needs the contact's name")
            if c:
                raise ConfigError(file, prefix + sorted(c)[0], "unknown setting")
            self.contacts.append(Contact({k: str(v) for k, v in name.items()}, phone))
        self.service_key_sha256: str | None = take("service_key_sha256", str, None)
        if self.service_key_sha256 is not None:
            key = self.service_key_sha256.lower()
            if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
                raise ConfigError(file, "service_key_sha256",
                                  "must be the 64 hex digits of sha256sum SAFAR-SERVICE.key")
            self.service_key_sha256 = key
        self.service_pin: str | None = take("service_pin", str, None)
        if self.service_pin is not None:
            try:
                parse_pin_hash(self.service_pin)
            except ValueError as e:
                raise ConfigError(file, "service_pin", str(e)) from None
        matching = dict(take("matching", dict, {}))
        limits = []
        for key, default in (("max_false_strong", DEFAULT_STRONG), ("max_false_possible", DEFAULT_POSSIBLE)):
            value = take(key, float, default, matching, "matching.")
            if not 0 < value <= 1e-3:
                raise ConfigError(file, "matching." + key,
                                  f"must be a probability above 0 and at most 0.001, got {value!r}")
            limits.append(value)
        if matching:
            raise ConfigError(file, "matching." + sorted(matching)[0], "unknown setting")
        self.false_alarm_limits: tuple[float, float] = (limits[0], limits[1])
        scanner = dict(take("scanner", dict, {}))
        self.scanner_port: str = take("port", str, "/dev/safar-scanner", scanner, "scanner.")
        self.scanner_settings: str = take("settings", str, "9600,8N1", scanner, "scanner.")
        try:
            PortSettings.parse(self.scanner_settings)
        except ValueError as e:
            raise ConfigError(file, "scanner.settings", str(e)) from None
        if scanner:
            raise ConfigError(file, "scanner." + sorted(scanner)[0], "unknown setting")
        display = dict(take("display", dict, {}))
        self.display_backend: str = take("backend", str, "framebuffer", display, "display.")
        if self.display_backend not in ("framebuffer", "png"):
            raise ConfigError(file, "display.backend", f"must be framebuffer or png, got {self.display_backend!r}")
        self.display_device: str = take("device", str, "/dev/fb0", display, "display.")
        self.display_output: str = take("output", str, str(StateLayout().screens), display, "display.")
        size = take("size", list, [800, 480], display, "display.")
        if len(size) != 2 or not all(isinstance(v, int) and 240 <= v <= 4096 for v in size):
            raise ConfigError(file, "display.size", f"must be [width, height] in pixels, got {size!r}")
        self.display_size: tuple[int, int] = (size[0], size[1])
        if display:
            raise ConfigError(file, "display." + sorted(display)[0], "unknown setting")
        inputs = dict(take("input", dict, {}))
        devices = take("devices", list, [], inputs, "input.")
        if not all(isinstance(v, str) and v.startswith("/") for v in devices):
            raise ConfigError(file, "input.devices",
                              "must be a list of device paths such as /dev/input/by-path/...-event")
        self.input_devices: list[str] = devices
        if inputs:
            raise ConfigError(file, "input." + sorted(inputs)[0], "unknown setting")
        if d:
            raise ConfigError(file, sorted(d)[0], "unknown setting")

    @property
    def branding(self) -> Branding:
        """What the screens show of this deployment (all ``kiosk_ui`` gets of the config)."""
        return Branding(self.languages, tuple(self.contacts), self.hotline, self.official_link)

    @classmethod
    def load(cls, path: str | Path) -> KioskConfig:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise ConfigError(str(path), None, f"cannot read: {e.strerror or e}") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise ConfigError(str(path), None, f"not UTF-8 at byte {e.start}") from None
        except tomllib.TOMLDecodeError as e:
            line = None
            msg = str(e)
            if "(at line " in msg:
                try:
                    line = int(msg.split("(at line ")[1].split(",")[0])
                except ValueError:
                    pass
            raise ConfigError(str(path), None, f"not valid TOML: {msg}", line) from None
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

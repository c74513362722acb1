"""Touch and buttons: evdev events in, key names out ('lang:tg', 'done', ...; the keys
of ``firmware.kiosk.screen``).

``EventTranslator`` is pure (Linux input events as (type, code, value) tuples plus
the buttons of the frame on screen); ``EvdevInput`` reads real devices with
python-evdev. Tests feed recorded sequences to the translator.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from firmware.kiosk.screen import DIGIT_KEY, DONE, ENTER, LANG_KEY, PIN_BACK, SERVICE_REQUEST, Button

EV_SYN, EV_KEY, EV_ABS = 0, 1, 3
ABS_X, ABS_Y, ABS_MT_POSITION_X, ABS_MT_POSITION_Y = 0, 1, 53, 54
BTN_TOUCH = 330
# Hardware buttons on the kiosk front (wired to GPIO keys or a USB keypad).
KEY_ENTER, KEY_SPACE, KEY_F1, KEY_F2, KEY_F3, KEY_F4, KEY_L = 28, 57, 59, 60, 61, 62, 38
KEY_1, KEY_0, KEY_BACKSPACE = 2, 11, 14  # KEY_1..KEY_9 are 2..10
# A technician asks for service mode with F4 F1 F4 F1, or five taps in the top-left
# corner, each within SEQUENCE_SECONDS; the kiosk then asks for the PIN.
SERVICE_KEYS = (KEY_F4, KEY_F1, KEY_F4, KEY_F1)
SERVICE_TAPS = 5
SEQUENCE_SECONDS = 5.0


class EventTranslator:
    def __init__(self, languages: Sequence[str], screen_size: tuple[int, int],
                 abs_range: tuple[int, int] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        """``abs_range``: the touch panel's (max_x, max_y); None when it reports pixels."""
        self.clock = clock
        self._keys: list[tuple[float, int]] = []
        self._taps: list[float] = []
        self.languages = list(languages)
        self.screen_size = screen_size
        self.abs_range = abs_range
        self._x = self._y = 0
        self._touching = False
        self.current_language = self.languages[0]

    def feed(self, events: Iterable[tuple[int, int, int]], buttons: Sequence[Button]) -> list[str]:
        """The keys pressed by ``events``, on the frame whose touch targets are ``buttons``."""
        keys: list[str] = []
        for etype, code, value in events:
            if etype == EV_ABS and code in (ABS_X, ABS_MT_POSITION_X):
                self._x = value
            elif etype == EV_ABS and code in (ABS_Y, ABS_MT_POSITION_Y):
                self._y = value
            elif etype == EV_KEY and code == BTN_TOUCH:
                if value == 1:
                    self._touching = True
                elif value == 0 and self._touching:
                    # Act on release, where the finger left: a slide off a button cancels.
                    self._touching = False
                    x, y = self._pixel()
                    w, h = self.screen_size
                    if x < w * 0.08 and y < h * 0.1:
                        now = self.clock()
                        self._taps = [t for t in self._taps if now - t <= SEQUENCE_SECONDS] + [now]
                        if len(self._taps) >= SERVICE_TAPS:
                            self._taps = []
                            keys.append(SERVICE_REQUEST)
                        continue
                    for b in buttons:
                        if b.contains(x, y):
                            keys.append(b.key)
                            break
            elif etype == EV_KEY and value == 1:
                now = self.clock()
                self._keys = [(t, c) for t, c in self._keys if now - t <= SEQUENCE_SECONDS][-3:] + [(now, code)]
                if tuple(c for _, c in self._keys) == SERVICE_KEYS:
                    self._keys = []
                    keys.append(SERVICE_REQUEST)
                    continue
                if code == KEY_ENTER:
                    keys.append(ENTER)
                elif code == KEY_SPACE:
                    keys.append(DONE)
                elif KEY_1 <= code <= KEY_0:
                    keys.append(f"{DIGIT_KEY}{(code - KEY_1 + 1) % 10}")
                elif code == KEY_BACKSPACE:
                    keys.append(PIN_BACK)
                elif KEY_F1 <= code <= KEY_F4 and code - KEY_F1 < len(self.languages):
                    keys.append(LANG_KEY + self.languages[code - KEY_F1])
                elif code == KEY_L:
                    i = self.languages.index(self.current_language) if self.current_language in self.languages else -1
                    keys.append(LANG_KEY + self.languages[(i + 1) % len(self.languages)])
            if keys and keys[-1].startswith(LANG_KEY):
                self.current_language = keys[-1][len(LANG_KEY):]
        return keys

    def _pixel(self) -> tuple[int, int]:
        if self.abs_range is None:
            return self._x, self._y
        w, h = self.screen_size
        return self._x * (w - 1) // max(1, self.abs_range[0]), self._y * (h - 1) // max(1, self.abs_range[1])


class EvdevInput:
    """Non-blocking reads from the kiosk's input devices (touch panel, keypad)."""

    def __init__(self, paths: Sequence[str]) -> None:
        import evdev

        self.devices = [evdev.InputDevice(p) for p in paths]

    def touch_range(self) -> tuple[int, int] | None:
        for dev in self.devices:
            caps: dict[int, Any] = dict(dev.capabilities().get(EV_ABS, []))  # type: ignore[arg-type]
            if ABS_X in caps and ABS_Y in caps:
                return caps[ABS_X].max, caps[ABS_Y].max
        return None

    def read(self) -> list[tuple[int, int, int]]:
        out: list[tuple[int, int, int]] = []
        for dev in self.devices:
            try:
                for e in dev.read():
                    out.append((e.type, e.code, e.value))
            except BlockingIOError:
                continue
        return out

    def close(self) -> None:
        for dev in self.devices:
            dev.close()

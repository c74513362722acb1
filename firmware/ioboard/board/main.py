"""Safar I/O board firmware (MicroPython on a Raspberry Pi Pico, RP2040/RP2350).

Deployed as main.py with protocol.py (a copy of firmware/ioboard/protocol.py)
and pins.py beside it; see hw/ioboard.md.  All protocol logic lives in the
portable `BoardState`, tested on CPython and MicroPython; this file only moves
bytes and pin levels, so what cannot be tested off the board is kept small.
"""

import select
import sys
import time

import micropython
from machine import PWM, WDT, Pin

try:
    from protocol import BoardState, LineReader, encode
except ImportError:  # running from a checkout (e.g. type checking) rather than the board
    from firmware.ioboard.protocol import BoardState, LineReader, encode

try:
    import pins
except ImportError:
    from firmware.ioboard.board import pins


class Clock:
    """A monotonic millisecond count from the wrapping `time.ticks_ms()`."""

    def __init__(self) -> None:
        self._last = time.ticks_ms()
        self._now = 0

    def now(self) -> int:
        t = time.ticks_ms()
        self._now += time.ticks_diff(t, self._last)
        self._last = t
        return self._now


def write(line: bytes) -> None:
    sys.stdout.buffer.write(line)


def reset_pi(run: Pin, wdt: WDT) -> None:
    """Hold the Pi's RUN pin low for RUN_PULSE_MS (through the transistor), then release."""
    run.value(1)
    time.sleep_ms(pins.RUN_PULSE_MS)
    run.value(0)
    wdt.feed()


def main() -> None:
    service = Pin(pins.SERVICE_PIN, Pin.IN, Pin.PULL_UP)
    if service.value() == 0:
        print("safar-ioboard: service jumper set, staying at the REPL")
        return
    # Control bytes from line noise must not drop us to the REPL (which would
    # silently stop the Pi watchdog); use the service jumper to get a REPL.
    micropython.kbd_intr(-1)

    leds = {}
    for name in pins.LED_PINS:
        leds[name] = Pin(pins.LED_PINS[name], Pin.OUT, value=0)
    heartbeat = Pin(pins.STATUS_LED, Pin.OUT, value=0)
    buzzer = PWM(Pin(pins.BUZZER_PIN))
    buzzer.freq(pins.BUZZER_HZ)
    buzzer.duty_u16(0)
    tamper = Pin(pins.TAMPER_PIN, Pin.IN, Pin.PULL_UP)
    presence = Pin(pins.PRESENCE_PIN, Pin.IN, Pin.PULL_DOWN)
    run = Pin(pins.RUN_RESET_PIN, Pin.OUT, value=0)
    wdt = WDT(timeout=pins.BOARD_WDT_MS)

    clock = Clock()
    state = BoardState(clock.now())
    reader = LineReader()
    poller = select.poll()
    poller.register(sys.stdin, select.POLLIN)
    stdin = sys.stdin.buffer
    write(encode(["EVT", "BOOT"]))

    while True:
        wdt.feed()
        now = clock.now()
        # At most MAX_READ bytes per pass, so a flood of input cannot starve
        # the outputs, the inputs or the board's own watchdog.
        for _ in range(pins.MAX_READ):
            if not poller.poll(0):
                break
            data = stdin.read(1)
            if not data:
                break
            for line in reader.feed(data):
                for reply in state.handle_line(line, now):
                    write(reply)
        for event in state.set_inputs(tamper.value(), presence.value(), now):
            write(encode(event))
        for event in state.heartbeat(now):
            write(encode(event))
        for name in leds:
            leds[name].value(1 if state.led_on(name, now) else 0)
        buzzer.duty_u16(32768 if state.buzzer_on(now) else 0)
        heartbeat.value(1 if (now // 1000) % 2 == 0 else 0)
        if state.tick(now):
            reset_pi(run, wdt)
        time.sleep_ms(pins.LOOP_MS)


main()

"""The kiosk's I/O board: LEDs, buzzer, tamper switch, presence sensor, Pi watchdog.

`protocol` is portable (CPython and MicroPython) and shared by both ends of the
USB-CDC link; `board/` is the MicroPython firmware; `driver` is the Pi side.
"""

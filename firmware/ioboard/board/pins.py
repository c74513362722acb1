"""Raspberry Pi Pico (RP2040/RP2350) pinout of the Safar I/O board.

Keep in step with hw/ioboard.md, which is the document the technician wires from.
"""

LED_PINS = {"green": 2, "amber": 3, "red": 4}  # GP2..GP4, each via 330 ohm to an LED to GND
BUZZER_PIN = 15      # GP15: PWM into a 2N3904 driving a passive piezo/magnetic buzzer
BUZZER_HZ = 2700     # resonant frequency of common 12 mm buzzers: loudest for the current
TAMPER_PIN = 16      # GP16: lid microswitch (NC) to GND, internal pull-up: 1 = lid open or wire cut
PRESENCE_PIN = 17    # GP17: PIR sensor output (3.3 V logic), internal pull-down: 1 = someone there
RUN_RESET_PIN = 18   # GP18: 1 k into a 2N7000/2N3904 whose collector pulls the Pi's RUN pad low
SERVICE_PIN = 22     # GP22: jumper to GND at power-up = do not start, stay at the REPL
STATUS_LED = "LED"   # on-board LED: heartbeat, so a glance shows the firmware is running

RUN_PULSE_MS = 200   # how long RUN is held low to reset the Pi
BOARD_WDT_MS = 5000  # RP2040 watchdog for the board itself (hardware maximum is 8388 ms)
MAX_READ = 256       # bytes read from USB per loop pass (3 full lines)
LOOP_MS = 5          # main loop period; also the input sampling period

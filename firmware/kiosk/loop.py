"""The kiosk's imperative shell: scanner events, input, the list and the clock in;
frames out. Each part is passed in (``firmware/app/compose.py`` wires them: the real
ones for the service, a pty scanner and a PNG display for the demo, stand-ins for the
benchmark), so tests run this same loop with a temp state directory.

The installed list's sets are read back in the background (``check_list``): a full
pass at start, before the first frame, then ``CHECK_BYTES_PER_SECOND`` of the loop's
clock, so bit rot is noticed within one pass (docs/kiosk.md, "Checking the list").

Privacy: a scanned document is matched and reduced to (match kind, ban end year,
nationality, passport validity) inside ``_on_document``; the document object is
dropped there and nothing about it is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from firmware.banlist.verify import DAMAGED, INTACT
from firmware.kiosk.kinds import KINDS, SCREEN_FOR_MATCH, KindName
from firmware.kiosk.parts import KioskParts, KioskSettings
from firmware.kiosk.screen import CALL_STAFF, DONE, ENTER, PIN_OK, PRINT, SERVICE_REQUEST, Button, Screen
from firmware.kiosk.state import KioskState
from firmware.kiosk.status import KioskStatus
from firmware.kiosk.technician import check_pin
from firmware.printer.escpos import PrinterError
from firmware.scanner.events import DocumentRead, ReadFailed, ScannerAvailable, ScannerUnavailable

log = logging.getLogger("safar.kiosk")

LIST_RECHECK_SECONDS = 60.0
TECHNICIAN_POLL_SECONDS = 2.0
# The background read-back of the installed list: 64 KiB/s is a pass over a 5M-record list
# (60 MB) in 16 minutes and over the largest list an install accepts (1 GiB) in under 5 hours,
# at about 0.2% of an SD card's read rate; a stalled loop catches up at most 1 MiB a turn.
CHECK_BYTES_PER_SECOND = 64 * 1024
CHECK_MAX_BYTES_PER_STEP = 1 << 20
# At start, before the first frame: a whole list up to 256 MiB (a few seconds on a Pi);
# beyond that the rest of the first pass continues in the background.
START_CHECK_BYTES = 256 << 20


def passport_validity(expiry: Any, today: dt.date) -> tuple[str, str] | None:
    """('expired' | 'expiring', ISO date) for a passport expired or within 6 months."""
    if expiry is None or expiry.year is None or expiry.month is None or expiry.day is None:
        return None
    try:
        end = dt.date(expiry.year, expiry.month, expiry.day)
    except ValueError:
        return None
    if end < today:
        return ("expired", end.isoformat())
    six = today.replace(day=1) + dt.timedelta(days=31 * 6)
    if end < six.replace(day=min(today.day, 28)):
        return ("expiring", end.isoformat())
    return None


class Kiosk:
    """The loop over the kiosk's parts; ``firmware/app/compose.py`` wires it."""

    def __init__(self, settings: KioskSettings, parts: KioskParts) -> None:
        self.settings = settings
        self.link = parts.link
        self.list_source = parts.lists
        self.display = parts.display
        self.renderer = parts.renderer
        self.size = parts.display.size
        self.inputs = parts.inputs
        self.translator = parts.translator
        self.clock = parts.clock
        self.today = parts.today
        self.on_frame = parts.on_frame
        self.checks = parts.checks
        self.technician = parts.technician
        self._technician_checked = -1e9
        self._technician_present = False
        # print_slip(screen) prints the next steps for the screen's language and list (it raises
        # PrinterError or OSError); it runs in a thread, since a printer out of paper may block.
        self.print_slip = parts.print_slip
        self._printing: threading.Thread | None = None
        self._printed: list[bool] = []
        # The I/O board (lamps, cue, presence, tamper, staff lamp, Pi watchdog) or None.
        self.board = parts.board
        # The fleet metrics (``firmware.fleet.health.KioskHealth``) or None; it is told counts
        # and the kiosk's condition, never anything about a traveller.
        self.health = parts.health
        self.audit = parts.audit  # audit(action, result): the tamper switch's entries in the audit log
        self.blank_after = settings.blank_after  # idle seconds with nobody in front before the screen goes dark
        self.devices = parts.devices  # more devices' up/down for the metrics (the camera)
        self.blanked = False
        self._active_at = self.clock()
        self.state = KioskState(settings.languages, settings.default_language, settings.result_seconds,
                                can_print=parts.print_slip is not None, can_call_staff=parts.board is not None)
        self.banlist: Any = None
        self._list_checked = -1e9
        self.list_check: Any = None  # the current pass over the list's bytes (``ContentCheck``)
        self._check_directory: Path | None = None
        self._check_clock = 0.0
        self._shown: Screen | None = None
        self._buttons: Sequence[Button] = []
        self.frames = 0
        self.scans = 0

    def start(self) -> None:
        """Before the first frame: the list, read back in full (up to ``START_CHECK_BYTES``)."""
        self.refresh_list()
        self.check_list(START_CHECK_BYTES)

    def close(self) -> None:
        """A clean stop: the readers closed, the board's watchdog disarmed, the metrics' last word."""
        self.link.close()
        if self.board is not None:
            self.board.close()
        if self.health is not None:
            self.health.close()

    def refresh_list(self) -> None:
        now = self.clock()
        self._list_checked = now
        status, banlist = self.list_source(self.today())
        if banlist is not self.banlist and self.banlist is not None and hasattr(self.banlist, "close"):
            self.banlist.close()
        self.banlist = banlist
        self._follow_list(now)
        self.state.set_list(status, now)
        if not status.usable:
            log.warning("no usable list: %s", ", ".join(r for r, _ in status.reasons))

    def _follow_list(self, now: float) -> None:
        """A list opened again from the same directory keeps its pass; another list starts one."""
        directory = getattr(self.banlist, "directory", None)
        if directory is not None and directory == self._check_directory:
            return
        if self.list_check is not None:
            self.list_check.close()
        self.list_check = self.banlist.content_check() if directory is not None else None
        self._check_directory = directory
        self._check_clock = now

    def check_list(self, max_bytes: int) -> None:
        """Reads up to ``max_bytes`` more of the list's sets. A damaged list is distrusted and
        the list source asked again: the previous list if it reads back intact, else out of service."""
        if self.list_check is None:
            return
        result = self.list_check.step(max_bytes)
        if result == INTACT:
            log.debug("installed list read back intact (%d bytes)", self.list_check.total)
            self.list_check = self.banlist.content_check()
        elif result == DAMAGED:
            log.error("installed list damaged, not used: %s", self.list_check.problem)
            damaged, self._check_directory, self.list_check = self._check_directory, None, None
            if damaged is not None:
                self.list_source.distrust(damaged)
            self.refresh_list()

    def _check_some(self, now: float) -> None:
        """The background pass, paced by the loop's clock."""
        allowance = int((now - self._check_clock) * CHECK_BYTES_PER_SECOND)
        if allowance > 0:
            self._check_clock = now
            self.check_list(min(allowance, CHECK_MAX_BYTES_PER_STEP))

    def step(self, timeout: float = 0.1) -> None:
        """One turn: wait up to ``timeout`` for the scanner, then input, clock, screen."""
        if self.clock() - self._list_checked >= LIST_RECHECK_SECONDS:
            self.refresh_list()
        self._check_some(self.clock())
        for event in self.link.read_events(timeout):
            self._on_event(event)
        if self.state.kind == "idle" and self.link.receiving:
            self.state.reading(self.clock())
        if self.board is not None:
            self._follow_board(self.clock())
        if self.inputs is not None and self.translator is not None:
            self.translator.current_language = self.state.lang
            keys = self.translator.feed(self.inputs.read(), self._buttons)
            if keys and self.blanked:
                self._wake()  # a touch on a dark screen wakes it and does nothing else
                keys = []
            for key in keys:
                self.press(key)
        if self.technician is not None and self.clock() - self._technician_checked >= TECHNICIAN_POLL_SECONDS:
            self._technician_checked = self.clock()
            present = self.technician.present()
            # On the key's arrival and removal only: a technician who pressed "done" with the
            # key still in stays out, and one who came in by PIN is not sent out by a poll.
            if present and not self._technician_present and not self.state.service:
                log.warning("service mode: technician key inserted")
                self.enter_service()
            elif not present and self._technician_present and self.state.service_by == "key":
                log.warning("service mode ended: technician key removed")
                self.leave_service()
            self._technician_present = present
        if self._printed:
            self.state.printed_slip(self._printed.pop(), self.clock())
            self._printing = None
        now = self.clock()
        self.state.tick(now)
        if self.board is not None:
            self.board.show(self.state.kind, self.state.staff_called, now)
            self._follow_presence(now)
        self.draw()
        if self.health is not None:
            self.health.observe(now, self.status())

    def press(self, key: str) -> None:
        """A key pressed on the touch screen or the front buttons (``firmware.kiosk.screen``)."""
        self._active_at = self.clock()
        if key == ENTER:
            key = PIN_OK if self.state.kind == "pin_entry" else DONE
        if key == SERVICE_REQUEST and not self.settings.service_pin:
            return  # no PIN configured: the sequence means nothing
        if key == PIN_OK:
            self._check_pin()
        elif key == PRINT:
            self._print()
        elif key == CALL_STAFF:
            self._call_staff()
        else:
            self.state.press(key, self.clock())
        self.draw()

    def enter_service(self) -> None:
        """A technician's key was inserted (or the demo asks): the service screen, checks run now."""
        self._run_checks()
        self.state.enter_service(self.clock())
        self.draw()

    def leave_service(self) -> None:
        self.state.leave_service(self.clock())
        self.draw()

    def _print(self) -> None:
        """The next-steps slip for the screen shown: its language and list, nothing of the traveller."""
        if self.print_slip is None or not KINDS[self.state.kind].printable or self.state.printed:
            return
        if self._printing is not None:
            return  # one slip at a time
        screen = Screen(self.state.kind, self.state.lang, list_date=self.state.list.list_date,
                        valid_until=self.state.list.valid_until)
        print_slip = self.print_slip

        def run() -> None:
            try:
                print_slip(screen)
                self._printed.append(True)
            except (PrinterError, OSError) as e:
                log.warning("slip printer: %s", e)
                self._printed.append(False)

        self._printing = threading.Thread(target=run, name="slip-printer", daemon=True)
        self._printing.start()

    def _call_staff(self) -> None:
        """The staff lamp blinks until the traveller who called has gone (done, timed out,
        next scan): the lamps follow ``state.staff_called``."""
        if self.board is None or self.state.staff_called:
            return
        ok = self.board.call(self.clock())
        log.warning("staff call %s", "signalled" if ok else "could not be signalled")
        self.state.staff_signalled(ok, self.clock())

    # -- the I/O board -----------------------------------------------------------------

    def _follow_board(self, now: float) -> None:
        """Board events: the service door and the presence sensor; the poll also kicks the
        board's watchdog, so a loop that stops turning stops kicking."""
        assert self.board is not None
        for event in self.board.poll(now):
            if event.kind == "TAMPER":
                opened = bool(event.value)
                if opened != self.state.enclosure_open:
                    log.warning("service door %s", "opened" if opened else "closed")
                    if self.audit is not None:
                        self.audit("enclosure", "opened" if opened else "closed")
                self.state.set_enclosure(opened, now)
            elif event.kind == "PRESENCE" and event.value:
                self._active_at = now

    def _follow_presence(self, now: float) -> None:
        """The screen goes dark on the start screen after ``blank_after`` seconds with nobody
        in front (the presence sensor says so), and wakes when someone comes, touches or scans.
        Without a working sensor it never goes dark: nobody could wake it."""
        assert self.board is not None
        if self.state.kind != "idle" or self.board.presence:
            self._active_at = now
        dark = (bool(self.blank_after) and self.board.up and self.board.presence is False
                and self.state.kind == "idle" and now - self._active_at >= self.blank_after)
        if dark and not self.blanked and hasattr(self.display, "blank"):
            self.display.blank()
            self.blanked, self._shown = True, None
            log.info("screen dark: nobody in front")
        elif not dark and self.blanked:
            self._wake()

    def _wake(self) -> None:
        self.blanked = False
        self._active_at = self.clock()
        self._shown = None  # the next draw shows the screen again

    def status(self) -> KioskStatus:
        """The kiosk's condition for the fleet metrics: mode, list, devices, last checks."""
        mode = KINDS[self.state.kind].mode
        # "scanner": a reader the loop can read passports with (with a camera too: either of them)
        devices: dict[str, bool | None] = {
            "scanner": self.state.scanner_ok if self.settings.scanner_enabled else None,
            "ioboard": self.board.up if self.board is not None else None}
        if self.devices is not None:
            devices.update(self.devices())
        listed = self.state.list
        return KioskStatus(mode=mode, list_version=listed.version, list_date=listed.list_date,
                           valid_until=listed.valid_until, devices=devices, checks=self.state.checks,
                           list_usable=listed.usable,
                           enclosure_open=self.state.enclosure_open if self.board is not None else None)

    def _check_pin(self) -> None:
        stored = self.settings.service_pin
        good = bool(stored) and check_pin(self.state.pin, stored or "")
        log.warning("service PIN %s", "accepted" if good else "refused")
        if good:
            self._run_checks()
        self.state.pin_checked(good, self.clock())

    def _run_checks(self) -> None:
        if self.checks is not None:
            self.state.set_checks(self.checks())

    def draw(self) -> None:
        if self.blanked:
            return
        screen = self.state.screen(self.clock())
        if screen == self._shown:
            return
        rendered = self.renderer.render(screen, self.size)
        self._buttons = rendered.buttons
        self.display.show(rendered.image, screen.kind + "-" + screen.lang)
        self._shown = screen
        self.frames += 1
        if self.on_frame is not None:
            self.on_frame(screen, rendered)

    # -- events ------------------------------------------------------------------------

    def _on_event(self, event: Any) -> None:
        now = self.clock()
        if isinstance(event, ScannerAvailable):
            self.state.set_scanner(True, now)
        elif isinstance(event, ScannerUnavailable):
            self.state.set_scanner(False, now)
        elif isinstance(event, ReadFailed):
            self.scans += 1
            self.state.read_failed(now)
            self._answered("read_failed", now)
        elif isinstance(event, DocumentRead):
            self.scans += 1
            self._on_document(event)

    def _answered(self, shown: KindName, now: float) -> None:
        """A traveller's answer is on screen (or the language chooser in front of it): the cue,
        and one more in the metrics' count."""
        if self.state.kind != shown and self.state.kind != "choose_language":
            return  # not shown (out of service, service mode)
        if self.board is not None:  # a dark screen wakes in _follow_presence: the start screen has gone
            self.board.cue(now)
        answer = KINDS[shown].answer  # every screen a scan leads to is an answer (tested)
        if self.health is not None and answer is not None:
            self.health.count_scan(answer)

    def _on_document(self, event: DocumentRead) -> None:
        today = self.today()
        if self.banlist is not None and self.banlist.expired(today):
            self.refresh_list()
        if self.banlist is None:
            return
        doc = event.document
        match = self.banlist.match(doc, today)
        passport = passport_validity(doc.expiry_date, today)
        nationality = doc.nationality
        del doc, event  # nothing of the document outlives this call
        ban_end = str(match.ban_end_year) if match.ban_end_year else None
        # No lookup at all (no year of birth): the kiosk could not check, and must not say "no match".
        kind = "unchecked" if match.lookups == 0 else match.kind
        self.state.scanned(kind, ban_end, nationality, passport, self.clock())
        self._answered(SCREEN_FOR_MATCH[kind], self.clock())

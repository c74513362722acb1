"""Camera frames -> the kiosk's scanner events: the same ``DocumentRead`` / ``ReadFailed``
the serial link gives, so the loop, the matching and the screens are the same.

One frame: find the zone (``locate``), read each line's characters (``LineReader``: ranked
hypotheses), and take the best-scored combination that ``firmware.core.mrz.parse`` finds
valid: the check digits choose among the model's hypotheses, and nothing is guessed
beyond them (the parser's no-guess rules apply unchanged).

Check digits do not cover the names, the nationality or the sex, and two O/0 swaps in a
document number cancel out. So a valid reading whose name or nationality the model was
not sure of, or whose number or birth date has another plausible reading that passes the
check digits too, is refused (``confidence``), and a
camera read is accepted only when ``frames_to_agree`` frames in a row give the same text,
each sure of it: a misread name would have to come out the same way twice, from two
different frames, with confidence. Until then
the kiosk shows "reading" (keep the passport still); after a read the passport must
leave the camera's view before it is read again.

Privacy: frames and the text read from them live in memory only; reasons carry no
content; nothing here logs or writes what a frame shows.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from firmware.camera import confidence
from firmware.camera.sources import BadFrame, CameraError, FrameSource
from firmware.core import mrz
from firmware.scanner.events import DocumentRead, Event, ReadFailed, ScannerAvailable, ScannerUnavailable

log = logging.getLogger("safar.camera")

FRAMING = "camera"
MAX_COMBINATIONS = 256  # line hypotheses tried together, best-scored first
GONE_FRAMES = 3  # frames without a zone before the passport counts as taken away


class FrameResult:
    """What one frame gave: the zone's text when a combination parsed valid and the model was sure
    of it, else a reason; ``confidence``: per line, its least sure character's probability."""

    __slots__ = ("text", "reason", "zone_seen", "confidence")

    def __init__(self, text: str | None, reason: str, zone_seen: bool,
                 confidence: tuple[float, ...] = ()) -> None:
        self.text = text
        self.reason = reason  # fixed words, no content
        self.zone_seen = zone_seen
        self.confidence = confidence

    def __repr__(self) -> str:
        return f"FrameResult({'text' if self.text else self.reason})"


NO_VALID_READING = "no valid reading of the zone"


def read_frame(image: Any, line_reader: Any, today: tuple[int, int, int] | None = None) -> FrameResult:
    """One frame's reading, both orientations if the first gives nothing valid."""
    from firmware.camera.locate import NotFound, locate

    located = locate(image)
    if isinstance(located, NotFound):
        return FrameResult(None, located.reason, False)
    result = read_zone(located, line_reader, today)
    if result.reason == NO_VALID_READING:
        other = locate(image, upside_down=not located.upside_down)
        if not isinstance(other, NotFound):
            turned = read_zone(other, line_reader, today)
            result = turned if turned.reason != NO_VALID_READING else result
    return result


def read_zone(located: Any, line_reader: Any, today: tuple[int, int, int] | None) -> FrameResult:
    """The located zone's text: the best-scored combination of line hypotheses that parses valid,
    with the parser's repairs applied, unless the model was unsure of a character no check digit
    guards (``confidence.unsure``: then refused, not the next combination: that is less likely still)."""
    lengths = tuple(getattr(located, "lengths", ()) or (located.length,))
    for length in lengths:
        per_line = [line_reader.read(line, length) for line in located.lines]
        if not all(per_line):
            continue
        combos = sorted(itertools.product(*per_line), key=lambda c: -sum(h.score for h in c))
        for combo in combos[:MAX_COMBINATIONS]:
            try:
                doc = mrz.parse("\n".join(h.text for h in combo), today=today)
            except mrz.MRZError:
                continue
            if doc.valid and doc.format is not None:
                text = repaired_text(doc)
                lines = text.split("\n")
                probabilities = [h.probabilities for h in combo]
                per_character = confidence.character_confidence(doc.format, lines, probabilities)
                least = tuple(round(float(c.min()), 3) for c in per_character)
                if confidence.unsure(doc.format, lines, probabilities, today):
                    return FrameResult(None, confidence.UNSURE, True, least)
                return FrameResult(text, "read", True, least)
    return FrameResult(None, NO_VALID_READING, True)


def repaired_text(doc: Any) -> str:
    """The zone as the parser understood it: its type-forced repairs applied (a 0 read in a
    name is an O), so two frames that differ only there agree, and the text is the truth."""
    lines = [list(line) for line in doc.lines]
    for r in doc.repairs:
        lines[r["line"] - 1][r["column"] - 1] = r["now"]
    return "\n".join("".join(line) for line in lines)


class Agreement:
    """Frames in a row that read the same text: ``frames`` of them make a read."""

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self._text: str | None = None
        self._count = 0

    def add(self, text: str | None) -> str | None:
        """The agreed text when this frame completes the run, else None."""
        if text is None:
            return None  # a frame that read nothing neither confirms nor contradicts
        if text == self._text:
            self._count += 1
        else:
            self._text, self._count = text, 1
        if self._count >= self.frames:
            agreed, self._text, self._count = text, None, 0
            return agreed
        return None

    def reset(self) -> None:
        self._text, self._count = None, 0


class CameraLink:
    """The camera as the kiosk loop's link: ``read_events(timeout)`` and ``receiving``, as
    ``firmware.scanner.link.ScannerLink``; frames are taken and read in a thread of its own
    (a frame takes a few hundred milliseconds; the screen must not wait for it)."""

    def __init__(self, open_source: Callable[[], FrameSource], line_reader: Any, frames_to_agree: int = 2,
                 read_timeout: float = 10.0, today: Callable[[], tuple[int, int, int]] | None = None,
                 clock: Callable[[], float] = time.monotonic, idle_sleep: float = 0.05) -> None:
        self.open_source = open_source
        self.line_reader = line_reader
        self.agreement = Agreement(frames_to_agree)
        self.read_timeout = read_timeout
        self.today = today
        self.clock = clock
        self.idle_sleep = idle_sleep
        self.frames = 0  # frames read (a count only)
        self.skipped_frames = 0  # frames the source could not give (unreadable, too large): skipped
        self.source_name: str | None = None
        self.problem: str | None = None  # why the camera gives no frames, when it does not
        self.last_frame: float | None = None
        self._events: queue.Queue[Event] = queue.Queue()
        self._receiving = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()

    @property
    def receiving(self) -> bool:
        """A zone is in view and being read: the kiosk shows "reading, keep it still"."""
        return self._receiving

    def read_events(self, timeout: float) -> list[Event]:
        events: list[Event] = []
        try:
            events.append(self._events.get(timeout=timeout))
            while True:
                events.append(self._events.get_nowait())
        except queue.Empty:
            pass
        return events

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        try:
            source = self.open_source()
        except CameraError as e:
            log.warning("camera unavailable: %s", e)
            self.problem = e.reason
            self._events.put(ScannerUnavailable(f"camera: {e.reason}"))
            return
        self.source_name = source.name
        self._events.put(ScannerAvailable(f"camera {source.name}"))
        try:
            self._read_frames(source)
        except CameraError as e:
            log.warning("camera lost: %s", e)
            self.problem = e.reason
            self._events.put(ScannerUnavailable(f"camera: {e.reason}"))
        except Exception as e:  # a reader bug: say so (no content: the type only) rather than go quiet
            log.error("camera reader stopped: %s", type(e).__name__)
            self.problem = f"the camera reader stopped ({type(e).__name__})"
            self._events.put(ScannerUnavailable(f"camera: {self.problem}"))
        finally:
            source.close()

    def _read_frames(self, source: FrameSource) -> None:
        first_seen: float | None = None  # when the zone came into view (for the time-out)
        done = False  # read (or given up on): wait for the passport to leave
        gone = 0
        while not self._stop.is_set():
            try:
                image = source.frame()
            except BadFrame as e:  # one bad image (a bomb among the files) must not stop the camera
                self.skipped_frames += 1
                log.warning("camera frame skipped: %s", e)
                self._stop.wait(self.idle_sleep)
                continue
            if image is None:
                self._receiving = False
                self._stop.wait(self.idle_sleep)
                continue
            result = read_frame(image, self.line_reader, self.today() if self.today else None)
            del image  # the frame is not kept
            self.frames += 1
            self.last_frame = self.clock()
            if not result.zone_seen:
                gone += 1
                if gone >= GONE_FRAMES:
                    done, first_seen, self._receiving = False, None, False
                    self.agreement.reset()
                continue
            gone = 0
            if done:
                continue
            now = self.clock()
            first_seen = now if first_seen is None else first_seen
            self._receiving = True
            agreed = self.agreement.add(result.text)
            if agreed is not None:
                self._events.put(self._document(agreed))
                done, self._receiving = True, False
            elif now - first_seen >= self.read_timeout:
                self._events.put(ReadFailed(f"camera: {result.reason} within {self.read_timeout:g} s", FRAMING))
                done, self._receiving = True, False
                self.agreement.reset()

    def health(self) -> tuple[str, str, str]:
        """The service screen's camera line, from the running link (the camera is in use:
        a diagnostic could not open it again): (name, status, sentence), counts only."""
        if self.problem is not None:
            return ("camera", "fail", f"Camera: {self.problem}.")
        if self.source_name is None:
            return ("camera", "warn", "Camera: starting.")
        ago = "no frame yet" if self.last_frame is None else f"last frame {self.clock() - self.last_frame:.1f} s ago"
        skipped = f" ({self.skipped_frames} skipped: unreadable or too large)" if self.skipped_frames else ""
        return ("camera", "pass", f"Camera {self.source_name}: {self.frames} frames read{skipped}; {ago}.")

    def _document(self, text: str) -> Event:
        doc = mrz.parse(text, today=self.today() if self.today else None)
        del text
        return DocumentRead(doc, FRAMING)


class Links:
    """The loop's link when a kiosk has both a scanner and a camera: the first good read wins;
    available while either is. The same passport read by the other one within
    ``SAME_READ_SECONDS`` is that traveller again and dropped; a different passport in that
    time means the two disagree (two passports, or a misread neither check digit caught), and
    the kiosk asks for the passport again rather than pick one."""

    SAME_READ_SECONDS = 5.0

    def __init__(self, *links: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.links = links
        self.clock = clock
        self._available = [False] * len(links)
        self._any = False
        self._last: tuple[int, str, float] | None = None  # (link, a digest of who, when): no content

    @property
    def receiving(self) -> bool:
        return any(link.receiving for link in self.links)

    def read_events(self, timeout: float) -> list[Event]:
        out: list[Event] = []
        for i, link in enumerate(self.links):
            for event in link.read_events(timeout if i == 0 else 0.0):
                if isinstance(event, ScannerAvailable):
                    self._available[i] = True
                elif isinstance(event, ScannerUnavailable):
                    self._available[i] = False
                elif isinstance(event, DocumentRead):
                    kept = self._first_read(i, event)
                    if kept is not None:
                        out.append(kept)
                    continue
                else:
                    out.append(event)
                    continue
                now_any = any(self._available)
                if now_any != self._any:
                    self._any = now_any
                    out.append(event)
        return out

    def _first_read(self, link: int, event: DocumentRead) -> Event | None:
        d = event.document
        who = hashlib.sha256(repr((d.document_number, d.nationality, str(d.birth_date), d.surname,
                                   d.given_names)).encode()).hexdigest()
        now = self.clock()
        last = self._last
        if last is None or last[0] == link or now - last[2] > self.SAME_READ_SECONDS:
            self._last = (link, who, now)
            return event
        if last[1] == who:
            return None  # the same traveller, read by the other reader too
        self._last = None
        return ReadFailed("the scanner and the camera read different passports", event.framing)

    def close(self) -> None:
        for link in self.links:
            link.close()

"""The camera reading path end to end: rendered data pages -> frames -> the kiosk's events.

The pages come from ``host_tools.camera_pages`` (synthetic data pages, with ground truth);
the model is the committed one; the frame sources are real (files in a temp directory).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from firmware.app.config import EXAMPLE, ConfigError, KioskConfig
from firmware.camera.reader import Agreement, CameraLink, Links, read_frame
from firmware.camera.recognise import ALPHABET, Hypothesis, LineReader
from firmware.camera.sources import CameraError, FileSource
from firmware.scanner.events import DocumentRead, ReadFailed, ScannerAvailable, ScannerUnavailable
from host_tools.camera_pages import render_page
from host_tools.fake_documents import random_document

TODAY = (2026, 11, 23)


@pytest.fixture(scope="module")
def reader() -> LineReader:
    return LineReader()


def _page(seed: int, fmt: str = "TD3", **kw: object) -> tuple[Image.Image, object]:
    rng = random.Random(seed)
    doc = random_document(rng, today=TODAY, fmt=fmt)
    image, _ = render_page(doc, rng, **kw)  # type: ignore[arg-type]
    return image, doc


# -- agreement ------------------------------------------------------------------------


def test_a_read_needs_two_frames_in_a_row_that_agree() -> None:
    a = Agreement(2)
    assert a.add("A") is None and a.add("B") is None  # a different reading starts the count again
    assert a.add(None) is None  # a frame that read nothing neither confirms nor contradicts
    assert a.add("B") == "B"
    assert a.add("B") is None  # the count starts afresh after a read
    three = Agreement(3)
    assert [three.add("X") for _ in range(3)] == [None, None, "X"]


# -- one frame ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["TD1", "TD2", "TD3"])
def test_one_frame_reads_the_zone_in_every_format(reader: LineReader, fmt: str) -> None:
    read = 0
    for seed in range(6):
        image, doc = _page(100 + seed, fmt)
        result = read_frame(image, reader, TODAY)
        if result.text is not None:
            # a valid reading is the document's own zone, never another one
            assert result.text.split("\n") == list(doc.lines), (fmt, seed)  # type: ignore[attr-defined]
            read += 1
    assert read >= 5, f"{fmt}: {read} of 6 frames read"


def test_a_frame_without_a_passport_reads_nothing(reader: LineReader) -> None:
    result = read_frame(Image.new("RGB", (1280, 960), (120, 120, 120)), reader, TODAY)
    assert result.text is None and not result.zone_seen and result.reason


# -- the link the kiosk polls ----------------------------------------------------------


def _frames(tmp_path: Path, seeds: list[int]) -> tuple[Path, object]:
    folder = tmp_path / "frames"
    folder.mkdir()
    rng = random.Random(seeds[0])
    doc = random_document(rng, today=TODAY, fmt="TD3", nationality="TJK")
    for i, seed in enumerate(seeds):
        image, _ = render_page(doc, random.Random(seed), tilt=random.Random(seed).uniform(-4, 4))
        image.save(folder / f"frame-{i:02d}.jpg", quality=90)
    return folder, doc


def _events(link: CameraLink | Links, want: type, timeout: float = 60.0) -> list[object]:
    seen: list[object] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += link.read_events(0.2)
        if any(isinstance(e, want) for e in seen):
            return seen
    raise AssertionError(f"no {want.__name__} within {timeout} s: {seen}")


def test_the_camera_link_gives_the_kiosk_a_document_from_agreeing_frames(
        tmp_path: Path, reader: LineReader, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    folder, doc = _frames(tmp_path, [11, 12, 13])
    before = sorted(p.name for p in tmp_path.rglob("*"))
    link = CameraLink(lambda: FileSource(folder), reader, frames_to_agree=2, today=lambda: TODAY)
    try:
        events = _events(link, DocumentRead)
    finally:
        link.close()
    assert isinstance(events[0], ScannerAvailable)
    read = next(e for e in events if isinstance(e, DocumentRead))
    assert read.document.valid and read.framing == "camera"
    assert read.document.document_number == doc.document_number  # type: ignore[attr-defined]
    # Privacy: no frame or text was written anywhere, and the log has no content.
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    for secret in (doc.surname, doc.document_number, doc.lines[1][:20]):  # type: ignore[attr-defined]
        assert secret not in caplog.text
        assert secret not in repr(events)


def test_a_zone_that_never_reads_ends_in_read_failed(tmp_path: Path, reader: LineReader) -> None:
    class Unreadable:
        """Reads every line as fillers: the zone is seen, nothing parses valid."""

        def read(self, line: object, length: int) -> list[Hypothesis]:
            return [Hypothesis("<" * length, 0.0, np.full((length, len(ALPHABET)), 1 / len(ALPHABET)))]

    folder, _ = _frames(tmp_path, [21])
    link = CameraLink(lambda: FileSource(folder, loop=True), Unreadable(), read_timeout=1.0, today=lambda: TODAY)
    try:
        events = _events(link, ReadFailed, timeout=30)
    finally:
        link.close()
    failed = next(e for e in events if isinstance(e, ReadFailed))
    assert failed.framing == "camera" and "within 1 s" in failed.reason


def test_a_missing_camera_is_reported_and_the_scanner_still_counts(tmp_path: Path, reader: LineReader) -> None:
    def missing() -> FileSource:
        raise CameraError("picamera2", "the camera did not start")

    camera = CameraLink(missing, reader)

    class Scanner:
        receiving = False

        def __init__(self) -> None:
            self.sent = False

        def read_events(self, timeout: float) -> list[object]:
            if self.sent:
                return []
            self.sent = True
            return [ScannerAvailable("/dev/pts/9")]

        def close(self) -> None:
            pass

    both = Links(Scanner(), camera)
    events: list[object] = []
    deadline = time.monotonic() + 10
    while camera.problem is None and time.monotonic() < deadline:
        events += both.read_events(0.05)
        time.sleep(0.05)
    events += both.read_events(0.05)
    # the scanner came up; the camera's loss alone does not make the kiosk "scanner missing"
    assert [type(e) for e in events] == [ScannerAvailable]
    assert camera.health()[1] == "fail" and not camera.receiving
    alone = CameraLink(missing, reader).read_events(5.0)
    assert any(isinstance(e, ScannerUnavailable) for e in alone)


# -- config, command, diagnostics ---------------------------------------------------------


def test_camera_settings_are_checked() -> None:
    import tomllib

    data = tomllib.loads(EXAMPLE)
    assert KioskConfig(data).camera_source is None
    data["camera"] = {"source": "picamera2"}
    c = KioskConfig(data)
    assert (c.camera_source, c.camera_frames_to_agree, c.camera_size) == ("picamera2", 2, (1280, 960))
    for bad, key in (({"source": "webcam"}, "camera.source"), ({"source": "files"}, "camera.files"),
                     ({"frames_to_agree": 1}, "camera.frames_to_agree"), ({"colour": 1}, "camera.colour")):
        data["camera"] = bad
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            KioskConfig(data)
    data.pop("camera")
    data["scanner"] = {"enabled": False}
    with pytest.raises(ConfigError, match="scanner.enabled: the scanner is off and no"):
        KioskConfig(data)


def test_safar_camera_read_prints_the_zone_as_json(tmp_path: Path) -> None:
    image, doc = _page(31)
    path = tmp_path / "page.jpg"
    image.save(path, quality=90)
    blank = tmp_path / "blank.png"
    Image.new("RGB", (640, 480), "white").save(blank)
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "camera", "read", str(path), "--today", "2026-11-23"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["mrz"]["valid"] and out["image"] == str(path)
    assert len(out["line_confidence"]) == 2 and all(0.0 < c <= 1.0 for c in out["line_confidence"])
    assert doc.document_number in p.stdout  # type: ignore[attr-defined]
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "camera", "read", str(blank)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "error" in json.loads(p.stdout)
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "camera", "read", str(tmp_path / "none.jpg")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "no such image" in p.stderr


def test_diag_checks_the_camera_when_one_is_configured(tmp_path: Path) -> None:
    from firmware.diag.checks import DiagContext, check_camera

    image, _ = _page(41)
    image.save(tmp_path / "frame.png")
    result = check_camera(DiagContext(root=tmp_path, camera=lambda: FileSource(tmp_path / "frame.png")))
    assert result.status in ("pass", "warn"), result.message
    assert "ai-edge-litert" in result.details["runtime"] and result.details["width"] == 1280

    def missing() -> FileSource:
        return FileSource(tmp_path / "nothing.png")

    result = check_camera(DiagContext(root=tmp_path, camera=missing))
    assert result.status == "fail" and "nothing.png" in result.message


def test_the_kiosk_shows_a_camera_read_like_a_scanned_one(tmp_path: Path, reader: LineReader) -> None:
    from firmware.app.compose import Devices, build
    from tests.test_kiosk import _NoPixels, signed_state

    folder, doc = _frames(tmp_path, [51, 52, 53])
    state = signed_state(tmp_path, [doc])  # type: ignore[list-item]
    config = KioskConfig.example()
    pixels, shown = _NoPixels(), []
    link = CameraLink(lambda: FileSource(folder), reader, today=lambda: TODAY)
    kiosk = build(config, state, Devices(link=link, display=pixels, renderer=pixels, camera=link),
                  today=lambda: dt.date(*TODAY), on_frame=lambda s, r: shown.append(s.kind))
    try:
        kiosk.refresh_list()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "strong" not in shown:
            kiosk.step(0.1)
    finally:
        link.close()
    assert "strong" in shown and kiosk.scans == 1


def test_cells_past_the_end_of_a_line_are_cut_from_paper() -> None:
    """A pitch estimate a little long puts the last cells beyond the line image (a frame in
    the camera benchmark crashed the reader thread here)."""
    import numpy as np

    from firmware.camera.cells import CELL_HEIGHT, CELL_WIDTH, Segmentation, cut_cells

    line = np.full((20, 300), 255, dtype=np.uint8)
    line[5:15, 10:290] = 0
    for left, pitch in ((0.0, 12.0), (-40.0, 9.0), (250.0, 3.0)):
        cells = cut_cells(line, Segmentation(left=left, pitch=pitch, top=5, bottom=15, cost=0.0), 44)
        assert cells.shape == (44, CELL_HEIGHT, CELL_WIDTH)


@pytest.mark.slow(seconds=60)
@pytest.mark.parametrize("chunk", [0, 1])
def test_200_seeded_pages_read_right_and_none_accepted_wrong_after_two_frames(reader: LineReader,
                                                                             chunk: int) -> None:
    """The issue's bar: >= 97% of 200 seeded data pages (TD1, TD2, TD3 in turn; tilt within
    +-8 degrees, blur, noise, uneven light, JPEG) read exactly right through the kiosk's
    two-frame rule, and none accepted with wrong text. A traveller gets up to 3 frames."""
    right = wrong = 0
    for i in range(chunk * 100, chunk * 100 + 100):
        rng = random.Random(9000 + i)
        doc = random_document(rng, today=TODAY, fmt=("TD1", "TD2", "TD3")[i % 3])
        agreement, accepted = Agreement(2), None
        for _ in range(3):
            image, _ = render_page(doc, random.Random(rng.getrandbits(32)))
            accepted = agreement.add(read_frame(image, reader, TODAY).text)
            if accepted is not None:
                break
        if accepted is not None:
            right += accepted == "\n".join(doc.lines)
            wrong += accepted != "\n".join(doc.lines)
    assert wrong == 0 and right >= 97, (right, wrong)


def test_scanner_and_camera_first_read_wins_and_a_disagreement_asks_again() -> None:
    from firmware.core import mrz

    class Queue:
        receiving = False

        def __init__(self) -> None:
            self.events: list[object] = []

        def read_events(self, timeout: float) -> list[object]:
            out, self.events = self.events, []
            return out

        def close(self) -> None:
            pass

    def read(seed: int) -> DocumentRead:
        doc = random_document(random.Random(seed), today=TODAY, fmt="TD3")
        return DocumentRead(mrz.parse("\n".join(doc.lines), today=TODAY), "plain")

    now = [0.0]
    scanner, camera = Queue(), Queue()
    both = Links(scanner, camera, clock=lambda: now[0])
    scanner.events.append(read(1))
    assert [type(e) for e in both.read_events(0)] == [DocumentRead]
    now[0] = 1.0
    camera.events.append(read(1))  # the same traveller, seen by the camera a second later
    assert both.read_events(0) == []
    now[0] = 2.0
    camera.events.append(read(2))  # another passport within seconds: which one is it?
    (event,) = both.read_events(0)
    assert isinstance(event, ReadFailed) and "different passports" in event.reason
    now[0] = 20.0
    scanner.events.append(read(2))  # later: a new traveller
    assert [type(e) for e in both.read_events(0)] == [DocumentRead]

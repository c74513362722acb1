"""A zone that reads valid with warnings (no surname, a state code off Part 3's list, no
nationality) goes through every path that reads one: `safar mrz parse`, the scanner link and
the camera link; none of them crashes on it or logs what it says."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from firmware.camera.reader import CameraLink
from firmware.camera.recognise import ALPHABET, Hypothesis
from firmware.camera.sources import FileSource
from firmware.core import mrz
from firmware.scanner.events import DocumentRead
from firmware.scanner.framing import ScannerFrame
from firmware.scanner.link import frame_event
from host_tools.camera_pages import render_page
from host_tools.fake_documents import FakeDocument, random_document

TODAY = (2026, 11, 23)
NO_SURNAME = "name: no primary identifier; the kiosk matches on the document key alone"
OFF_PART_3 = "issuing_state: not a code of ICAO Doc 9303 Part 3"
NO_NATIONALITY = "nationality: not given ('<<<'); the document key carries the issuing state"


def _single_name(fmt: str = "TD3") -> FakeDocument:
    return random_document(random.Random(26), today=TODAY, fmt=fmt, surname="", given_names="RAVI", nationality="IND")


def _secrets(doc: FakeDocument) -> list[str]:
    return [doc.given_names, doc.document_number, doc.birth_date, *doc.lines]


def test_safar_mrz_parse_prints_the_warnings() -> None:
    lines = mrz.generate("TD1", "I", "TRC", "", "LANA", "SD9990322", "", "900413", "F", "310701")
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "mrz", "parse", "--today", "2026-11-23", *lines],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout
    out = json.loads(p.stdout)
    assert out["valid"] and out["surname"] == "" and out["nationality"] == "<<<"
    assert out["warnings"] == [NO_NATIONALITY, OFF_PART_3, NO_SURNAME]


def test_the_scanner_link_reads_a_zone_with_warnings_and_logs_none_of_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    doc = _single_name()
    event = frame_event(ScannerFrame(doc.text(), "plain"), TODAY)
    assert isinstance(event, DocumentRead) and event.document.warnings == [NO_SURNAME]
    for secret in _secrets(doc):
        assert secret not in caplog.text and secret not in repr(event)


class _ReadsTheTruth:
    """A line reader that reads each located line as the zone printed it (the model is not
    what is tested here: the path from a valid reading to the kiosk's event is)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.calls = 0

    def read(self, line: object, length: int) -> list[Hypothesis]:
        text = self.lines[self.calls % len(self.lines)]
        self.calls += 1
        if len(text) != length:
            return []
        certain = np.zeros((length, len(ALPHABET)))
        certain[np.arange(length), [ALPHABET.index(c) for c in text]] = 1.0
        return [Hypothesis(text, 0.0, certain)]


def test_the_camera_link_gives_the_kiosk_a_zone_with_warnings(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    doc = _single_name()
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        image, _ = render_page(doc, random.Random(i), tilt=0.0, blur=0.0, noise=2.0, jpeg_quality=0)  # type: ignore[arg-type]
        image.save(folder / f"frame-{i}.png")
    link = CameraLink(lambda: FileSource(folder, loop=True), _ReadsTheTruth(doc.lines), frames_to_agree=2,
                      today=lambda: TODAY)
    events: list[object] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not any(isinstance(e, DocumentRead) for e in events):
            events += link.read_events(0.2)
    finally:
        link.close()
    read = next(e for e in events if isinstance(e, DocumentRead))
    assert read.document.valid and read.document.warnings == [NO_SURNAME]
    assert list(read.document.lines) == doc.lines
    for secret in _secrets(doc):
        assert secret not in caplog.text and secret not in repr(events)

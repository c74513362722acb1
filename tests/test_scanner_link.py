"""The real scanner link, driven through a pty by the real emulator."""

from __future__ import annotations

import logging
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import serial

from firmware.scanner.events import DocumentRead, ReadFailed, ScannerAvailable, ScannerUnavailable
from firmware.scanner.framing import FRAMINGS, encode, encode_accessis, encode_rte
from firmware.scanner.link import PortSettings, ScannerLink, resolve_port
from host_tools.fake_documents import random_document
from host_tools.scanner_emulator import EmulatedScanner, frames_with_noise, noise
from host_tools.specimens import specimen_lines

TODAY = (2026, 11, 23)


def today() -> tuple[int, int, int]:
    return TODAY


def collect(link: ScannerLink, want: int, timeout: float = 10.0) -> list:
    """Events until ``want`` documents/failures arrived or the time is up."""
    events: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events += link.read_events(0.2)
        if sum(isinstance(e, (DocumentRead, ReadFailed)) for e in events) >= want:
            break
    return events


def docs(events: list) -> list[str]:
    return ["\n".join(e.document.lines) for e in events if isinstance(e, DocumentRead)]


@pytest.fixture
def scanner(tmp_path: Path):
    em = EmulatedScanner(link=str(tmp_path / "by-id-scanner"))
    yield em
    em.unplug()


@pytest.fixture
def link(scanner: EmulatedScanner):
    lk = ScannerLink(scanner.name, today=today, backoff=(0.05, 0.4), inter_byte_timeout=0.2)
    assert isinstance(lk.read_events(1.0)[0], ScannerAvailable)
    yield lk
    lk.close()


@pytest.mark.parametrize("framing", FRAMINGS)
def test_every_framing_one_byte_writes(scanner: EmulatedScanner, link: ScannerLink, framing: str) -> None:
    zones = specimen_lines()
    for z in zones:
        scanner.send(z, framing, split=1)
    events = collect(link, len(zones))
    assert docs(events) == ["\n".join(z) for z in zones]
    assert all(e.framing == framing for e in events if isinstance(e, DocumentRead))


def test_plain_document_without_blank_line_ends_on_silence(scanner: EmulatedScanner, link: ScannerLink) -> None:
    z = specimen_lines()[0]
    scanner.write(("\r".join(z)).encode())
    assert docs(collect(link, 1, 3.0)) == ["\n".join(z)]


def test_a_megabyte_of_noise_with_frames_interleaved(scanner: EmulatedScanner, link: ScannerLink) -> None:
    rng = random.Random(7)
    zones = [random_document(rng, today=TODAY, fmt=rng.choice(["TD1", "TD2", "TD3"])).lines for _ in range(120)]
    parts = list(frames_with_noise(zones, FRAMINGS, rng, 17_000, "binary"))
    stream = b"".join(parts) + noise(rng, 1000)
    assert len(stream) >= 1_000_000
    writer = threading.Thread(target=scanner.write, args=(stream,), kwargs={"split": 4096, "rng": rng})
    writer.start()
    events = collect(link, len(zones), timeout=120)
    writer.join()
    assert docs(events) == ["\n".join(z) for z in zones]
    assert not [e for e in events if isinstance(e, ReadFailed)]
    assert int(link.decoder.stats()["garbage_bytes"]) > 900_000  # type: ignore[call-overload]


def test_unplug_and_replug_recover_without_restart(scanner: EmulatedScanner, link: ScannerLink) -> None:
    z = specimen_lines()
    scanner.send(z[0], "rte")
    assert docs(collect(link, 1)) == ["\n".join(z[0])]
    scanner.unplug()
    events: list = link.read_events(2.0)
    assert [type(e) for e in events] == [ScannerUnavailable]
    assert "disconnected" in events[0].detail
    # Unplugged for a while: retries back off quietly, one event per outage.
    t = time.monotonic()
    quiet: list = []
    while time.monotonic() - t < 1.0:
        quiet += link.read_events(0.2)
    assert quiet == [] and not link.is_open
    scanner.plug()
    events = link.read_events(3.0)
    assert [type(e) for e in events] == [ScannerAvailable]
    scanner.send(z[1], "accessis")
    assert docs(collect(link, 1)) == ["\n".join(z[1])]
    assert link.stats()["outages"] == 1


def test_port_absent_at_start_is_reported_then_found(tmp_path: Path) -> None:
    name = str(tmp_path / "scanner")
    lk = ScannerLink(name, today=today, backoff=(0.05, 0.2))
    events: list = lk.read_events(0.3)
    assert [type(e) for e in events] == [ScannerUnavailable] and "not present" in events[0].detail
    with EmulatedScanner(link=name) as em:
        assert [type(e) for e in lk.read_events(2.0)] == [ScannerAvailable]
        em.send(specimen_lines()[2], "plain")
        assert len(docs(collect(lk, 1))) == 1
    lk.close()


def test_exclusive_open(scanner: EmulatedScanner, link: ScannerLink) -> None:
    with pytest.raises(serial.SerialException):
        serial.Serial(scanner.path, exclusive=True)


def test_overlong_frame_then_resync(scanner: EmulatedScanner, link: ScannerLink) -> None:
    z = specimen_lines()[0]
    scanner.write(bytes([0x1C, 0x02]) + b"A" * 2000)
    scanner.send(z, "accessis")
    events = collect(link, 2)
    assert [e.reason for e in events if isinstance(e, ReadFailed)] == ["frame rejected: overlong"]
    assert docs(events) == ["\n".join(z)]


def test_bad_bcc_is_a_read_failure_and_the_kiosk_link_goes_on(scanner: EmulatedScanner, link: ScannerLink) -> None:
    z = specimen_lines()[1]
    scanner.write(encode_rte(z, bcc_xor=0x40))
    scanner.write(encode_rte(z))
    events = collect(link, 2)
    failed = [e for e in events if isinstance(e, ReadFailed)]
    assert [f.reason for f in failed] == ["frame rejected: bad BCC"]
    assert docs(events) == ["\n".join(z)]
    assert link.stats()["decoder"]["rejects"] == {"bad BCC": 1}  # type: ignore[index]


def test_wrong_check_digit_is_a_read_failure_naming_the_field_not_the_data(scanner: EmulatedScanner,
                                                                           link: ScannerLink) -> None:
    z = list(specimen_lines()[0])
    # Change the birth date's check digit: no single repair explains it.
    z[1] = z[1][:19] + str((int(z[1][19]) + 5) % 10) + z[1][20:]
    scanner.send(z, "accessis")
    events = collect(link, 1)
    (failed,) = [e for e in events if isinstance(e, ReadFailed)]
    assert "birth_date" in failed.reason
    assert "740812" not in failed.reason and "ERIKSSON" not in repr(failed)


def test_seven_bit_even_parity_settings(tmp_path: Path) -> None:
    settings = PortSettings.parse("9600,7E1")
    assert (settings.bytesize, settings.parity, settings.stopbits) == (7, "E", 1)
    with EmulatedScanner(link=str(tmp_path / "s"), settings=settings) as em:
        lk = ScannerLink(em.name, settings=settings, today=today)
        lk.read_events(1.0)
        assert lk._serial is not None and lk._serial.bytesize == 7 and lk._serial.parity == "E"
        # A reader in 7E1 sends the parity bit in the 8th bit; the link masks it.
        data = bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in encode(specimen_lines()[0], "plain"))
        em.write(data)
        assert len(docs(collect(lk, 1))) == 1
        lk.close()


def test_port_settings_errors_say_what() -> None:
    for bad in ("fast", "9600,9N1", "9600,8X1", "9600,8N3"):
        with pytest.raises(ValueError):
            PortSettings.parse(bad)
    assert str(PortSettings.parse("115200")) == "115200,8N1"


def test_resolve_port_globs_like_by_id(tmp_path: Path) -> None:
    (tmp_path / "usb-Access_IS_ATOM-if00").touch()
    assert resolve_port(str(tmp_path / "usb-Access_IS*")) == str(tmp_path / "usb-Access_IS_ATOM-if00")
    assert resolve_port(str(tmp_path / "usb-3M*")) is None


def test_logs_hold_no_zone_content(scanner: EmulatedScanner, link: ScannerLink,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="safar.scanner")
    doc = random_document(random.Random(3), today=TODAY)
    scanner.send(doc.lines, "plain")
    scanner.write(encode_rte(doc.lines, bcc_xor=1))
    bad = [doc.lines[0], doc.lines[1][:13] + "X" + doc.lines[1][14:]]
    scanner.write(encode_accessis(bad))
    events = collect(link, 3)
    assert len(events) == 3
    text = caplog.text + "".join(repr(e) for e in events if not isinstance(e, DocumentRead))
    text += repr(events[0])
    for secret in (doc.surname, doc.given_names, doc.document_number, doc.birth_date, doc.lines[0], doc.lines[1]):
        assert secret not in text


def test_emulator_cli_prints_its_pty_and_sends(tmp_path: Path) -> None:
    name = str(tmp_path / "scanner")
    p = subprocess.Popen([sys.executable, "-m", "firmware.cli", "scanner-emulator", "--link", name,
                          "--framing", "mixed", "--source", "specimens", "--interval", "0.05", "--wait", "0.5",
                          "--noise", "50"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == name
        lk = ScannerLink(name, today=today)
        events = collect(lk, len(specimen_lines()))
        assert sorted(docs(events)) == sorted("\n".join(z) for z in specimen_lines())
        lk.close()
    finally:
        p.wait(10)
    assert p.returncode == 0


def test_emulator_cli_bad_file_says_what(tmp_path: Path) -> None:
    f = tmp_path / "zones.txt"
    f.write_bytes(b"P<UTO\xc3\xa9\n")
    p = subprocess.run([sys.executable, "-m", "firmware.cli", "scanner-emulator", "--source", str(f), "--wait", "0"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "byte 5 is not ASCII" in p.stderr

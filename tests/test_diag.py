"""`safar diag`: every check against fake sysfs/proc/dev trees, through the real parsing code.

Serial ports are real pseudo-terminals symlinked into the fake /dev, the
installed list is a real bundle built by the list tools, signed with throwaway demo
keys and installed by ``firmware.update.install`` exactly as on a kiosk, and the I/O
board is `FakeBoard` (the real board protocol on a pty).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import threading
import time
import tty
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import serial
from test_ioboard_driver import FakeBoard

from firmware.app import diag_cli as cli
from firmware.diag import CheckResult, DiagContext, remote, report, run_all
from firmware.diag import checks as C
from firmware.update import install, provision
from firmware.update.layout import StateLayout
from host_tools.listbuild.bundle import write_bundle
from host_tools.listbuild.csvinput import read_list
from host_tools.signing import make_demo_repository

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
LIST_DATE = dt.date(2026, 11, 1)
VALID_UNTIL = dt.date(2027, 5, 20)
GB = 1024 ** 3
MB = 1024 ** 2

LIST_CSV = """surname,given_names,birth_date,nationality,document_number,ban_end
Қодиров,Ҷамшед,14.03.1990,TJK,400123456,01.06.2029
Smith,John,1970-01-02,GBR,123456789,
"""


# -- fake trees -------------------------------------------------------------------

def put(root: Path, path: str, text: str = "") -> Path:
    p = root / path.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def link(root: Path, path: str, target: str) -> Path:
    p = root / path.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, p)
    return p


def fake_statvfs(free_bytes: int) -> Any:
    def statvfs(path: Path) -> os.statvfs_result:
        blocks = free_bytes // 4096
        return os.statvfs_result((4096, 4096, blocks * 2, blocks, blocks, 1000, 500, 500, 0, 255))
    return statvfs


def ctx(root: Path, state: Path | None = None, **kw: Any) -> DiagContext:
    kw.setdefault("clock", lambda: NOW)
    kw.setdefault("statvfs", fake_statvfs(10 * GB))
    kw.setdefault("env", {})
    return DiagContext(root=root, state_dir=state if state is not None else root / "var/lib/safar", **kw)


@pytest.fixture
def pty_port() -> Iterator[str]:
    master, slave = os.openpty()
    tty.setraw(slave)
    yield os.ttyname(slave)
    os.close(master)
    os.close(slave)


def framebuffer(root: Path, bpp: int = 32, size: str = "800,480", stride: int | None = None,
                dev: bool = True) -> bool:
    """A fake /sys/class/graphics/fb0 (and /dev/fb0); returns False so setups can chain with `or`."""
    base = "/sys/class/graphics/fb0/"
    put(root, base + "bits_per_pixel", f"{bpp}\n")
    put(root, base + "virtual_size", size + "\n")
    w = int(size.split(",")[0])
    put(root, base + "stride", f"{stride if stride is not None else w * bpp // 8}\n")
    put(root, base + "name", "vc4drmfb\n")
    if dev:
        put(root, "/dev/fb0")
    return False


SignedRepository = tuple[Path, bytes]  # (repository directory, the root.json a kiosk is provisioned with)


def signed_repository(work: Path, list_date: dt.date = LIST_DATE, valid_until: dt.date = VALID_UNTIL
                      ) -> SignedRepository:
    """LIST_CSV built into a bundle, signed by 2 of 3 demo targets keys and published."""
    entries = read_list(LIST_CSV.encode(), "l.csv", list_date).entries
    write_bundle(entries, work / "bundle", list_version=12, list_date=list_date, valid_until=valid_until,
                 deployment="safar-demo")
    return make_demo_repository(work / "signing", work / "bundle")


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> SignedRepository:
    return signed_repository(tmp_path_factory.mktemp("signed"))


def install_signed(repository: SignedRepository, state: Path, now: dt.date = TODAY) -> StateLayout:
    """Provisions ``state`` with the repository's root and installs its list, as on a kiosk."""
    repo, root = repository
    provision(state, root)
    install(state, repo, now=now)
    return StateLayout(state)


# -- scanner ------------------------------------------------------------------------

def test_scanner_missing_fails(tmp_path: Path) -> None:
    r = C.check_scanner(ctx(tmp_path))
    assert r.status == "fail" and "No scanner serial port" in r.message


def test_scanner_by_id_port_opens(tmp_path: Path, pty_port: str) -> None:
    link(tmp_path, "/dev/serial/by-id/usb-Access_IS_ATOM-if00", pty_port)
    r = C.check_scanner(ctx(tmp_path))
    assert r.status == "pass", r.message
    assert r.details["port"].endswith("usb-Access_IS_ATOM-if00") and "opens" in r.message


def test_scanner_prefers_udev_link_and_skips_the_io_board(tmp_path: Path, pty_port: str) -> None:
    link(tmp_path, "/dev/serial/by-id/usb-MicroPython_Board_in_FS_mode_e66-if00", pty_port)
    r = C.check_scanner(ctx(tmp_path))
    assert r.status == "fail" and r.details["candidates"] == []
    link(tmp_path, "/dev/safar-scanner", pty_port)
    r = C.check_scanner(ctx(tmp_path))
    assert r.status == "pass" and r.details["port"].endswith("/dev/safar-scanner")


def test_scanner_held_by_kiosk_passes(tmp_path: Path, pty_port: str) -> None:
    with serial.Serial(pty_port, 9600, exclusive=True):
        r = C.check_scanner(ctx(tmp_path, scanner_port=pty_port))
    assert r.status == "pass" and "in use by the kiosk" in r.message


def test_scanner_port_that_is_not_a_tty_fails(tmp_path: Path) -> None:
    put(tmp_path, "/dev/serial/by-id/usb-broken-if00", "")
    r = C.check_scanner(ctx(tmp_path))
    assert r.status == "fail" and "cannot be opened" in r.message


def test_scanner_configured_port_missing_or_dangling(tmp_path: Path) -> None:
    r = C.check_scanner(ctx(tmp_path, scanner_port=str(tmp_path / "ttyUSB7")))
    assert r.status == "fail" and "does not exist" in r.message
    link(tmp_path, "/dev/safar-scanner", "/nonexistent/ttyACM0")
    r = C.check_scanner(ctx(tmp_path))
    assert r.status == "fail" and "does not exist" in r.message


# -- display ------------------------------------------------------------------------

def test_display_pass(tmp_path: Path) -> None:
    framebuffer(tmp_path, 32, "800,480")
    r = C.check_display(ctx(tmp_path))
    assert r.status == "pass" and "800x480 XRGB8888" in r.message
    assert r.details["stride"] == 3200 and r.details["driver"] == "vc4drmfb"


def test_display_rgb565_pass(tmp_path: Path) -> None:
    framebuffer(tmp_path, 16, "1024,600")
    r = C.check_display(ctx(tmp_path))
    assert r.status == "pass" and r.details["format"] == "RGB565"


def test_display_warns(tmp_path: Path) -> None:
    framebuffer(tmp_path, 24)
    assert C.check_display(ctx(tmp_path)).status == "warn"
    shutil.rmtree(tmp_path / "sys")
    framebuffer(tmp_path, 32, "640,480")
    r = C.check_display(ctx(tmp_path))
    assert r.status == "warn" and "cramped" in r.message


@pytest.mark.parametrize("setup, words", [
    (lambda root: None, "No framebuffer"),
    (lambda root: framebuffer(root, 8), "8 bits per pixel"),
    (lambda root: framebuffer(root, 32, stride=1600), "stride"),
    (lambda root: framebuffer(root, dev=False), "/dev/fb0 is missing"),
    (lambda root: framebuffer(root, size="800,480") or put(root, "/sys/class/graphics/fb0/virtual_size", "junk"),
     "unreadable"),
])
def test_display_fails(tmp_path: Path, setup: Any, words: str) -> None:
    setup(tmp_path)
    r = C.check_display(ctx(tmp_path))
    assert r.status == "fail" and words in r.message, r.message


# -- storage ------------------------------------------------------------------------

OVERLAY_MOUNTS = """/dev/mmcblk0p2 /media/root-ro ext4 ro,relatime 0 0
tmpfs /media/root-rw tmpfs rw,relatime 0 0
overlayroot / overlay rw,relatime,lowerdir=/media/root-ro,upperdir=/media/root-rw/overlay 0 0
/dev/mmcblk0p3 /var/lib/safar ext4 rw,noatime 0 0
"""


def storage_tree(root: Path, mounts: str = OVERLAY_MOUNTS) -> Path:
    put(root, "/proc/mounts", mounts)
    put(root, "/sys/fs/ext4/mmcblk0p2/errors_count", "0\n")
    put(root, "/sys/fs/ext4/mmcblk0p3/errors_count", "0\n")
    state = root / "var/lib/safar"
    state.mkdir(parents=True)
    return state


def test_storage_pass(tmp_path: Path) -> None:
    storage_tree(tmp_path)
    r = C.check_storage(ctx(tmp_path))
    assert r.status == "pass", r.message
    assert r.details["root_protection"] == "overlay" and r.details["free_bytes"] == 10 * GB


def test_storage_read_only_root_pass(tmp_path: Path) -> None:
    storage_tree(tmp_path, "/dev/mmcblk0p2 / ext4 ro,noatime 0 0\n")
    r = C.check_storage(ctx(tmp_path))
    assert r.status == "pass" and r.details["root_protection"] == "read-only"


def test_storage_warns(tmp_path: Path) -> None:
    storage_tree(tmp_path, "/dev/mmcblk0p2 / ext4 rw,noatime 0 0\n")
    r = C.check_storage(ctx(tmp_path))
    assert r.status == "warn" and "writable" in r.message
    r = C.check_storage(ctx(tmp_path, statvfs=fake_statvfs(120 * MB)))
    assert r.status == "warn" and "Only 120 MB free" in r.message


def test_storage_fails(tmp_path: Path) -> None:
    storage_tree(tmp_path)
    r = C.check_storage(ctx(tmp_path, statvfs=fake_statvfs(10 * MB)))
    assert r.status == "fail" and "too little to install" in r.message
    put(tmp_path, "/sys/fs/ext4/mmcblk0p3/errors_count", "7\n")
    r = C.check_storage(ctx(tmp_path))
    assert r.status == "fail" and "mmcblk0p3: 7" in r.message and r.details["ext4_errors"] == {"mmcblk0p3": 7}
    r = C.check_storage(ctx(tmp_path, state=tmp_path / "nowhere"))
    assert r.status == "fail" and "missing" in r.message


def test_storage_unreadable_mounts_warn(tmp_path: Path) -> None:
    (tmp_path / "var/lib/safar").mkdir(parents=True)
    r = C.check_storage(ctx(tmp_path))
    assert r.status == "warn" and "Cannot tell" in r.message


# -- installed list ------------------------------------------------------------------

def test_list_not_provisioned_or_not_installed_fails(tmp_path: Path, repository: SignedRepository) -> None:
    state = tmp_path / "state"
    r = C.check_list(ctx(tmp_path, state))
    assert r.status == "fail" and "No usable list" in r.message and "no trusted root" in r.message
    assert "safar update provision ROOT.json" in r.message  # what the technician does about it
    provision(state, repository[1])
    r = C.check_list(ctx(tmp_path, state))
    assert r.status == "fail" and "no list installed" in r.message and "Install a current signed list" in r.message


def test_list_signed_passes_with_its_signers(tmp_path: Path, repository: SignedRepository) -> None:
    state = tmp_path / "state"
    install_signed(repository, state)
    r = C.check_list(ctx(tmp_path, state))
    assert r.status == "pass", r.message
    assert "List version 12 of 2026-11-01, signed by" in r.message and "22 days old" in r.message
    assert r.details["signature"] == "verified" and len(r.details["signed_by"]) == 2
    assert r.details["valid_until"] == "2027-05-20" and r.details["records"] == 2


def test_list_past_cycle_warns_expired_fails_and_future_warns(tmp_path: Path, repository: SignedRepository) -> None:
    state = tmp_path / "state"
    install_signed(repository, state)
    r = C.check_list(ctx(tmp_path, state, clock=lambda: dt.datetime(2027, 5, 10, tzinfo=UTC)))
    assert r.status == "warn" and "past the six-month cycle" in r.message and r.details["age_days"] == 190
    r = C.check_list(ctx(tmp_path, state, clock=lambda: dt.datetime(2027, 5, 21, tzinfo=UTC)))
    assert r.status == "fail" and "expired on 2027-05-20" in r.message
    r = C.check_list(ctx(tmp_path, state, clock=lambda: dt.datetime(2026, 10, 1, tzinfo=UTC)))
    assert r.status == "warn" and "the clock (2026-10-01) is earlier than the last verified list" in r.message


def test_list_looser_than_the_configured_limits_fails(tmp_path: Path, repository: SignedRepository) -> None:
    state = tmp_path / "state"
    install_signed(repository, state)
    r = C.check_list(ctx(tmp_path, state, false_alarm_limits=(1e-7, 1e-7)))
    assert r.status == "fail" and "false possible answers 1e-06 per traveller" in r.message
    assert r.details["false_alarm_per_traveller"]["possible"] <= 1e-6
    r = C.check_list(ctx(tmp_path, state))
    assert r.status == "pass" and "self-test passed" in r.message


def _writable(path: Path) -> Path:
    path.chmod(0o644)
    return path


def test_list_damaged_fails(tmp_path: Path, repository: SignedRepository) -> None:
    state = tmp_path / "state"
    current = install_signed(repository, state).current
    victim = _writable(sorted(current.glob("*.fps"))[0])
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte in the filter body: the manifest's sha256 no longer matches
    victim.write_bytes(bytes(data))
    r = C.check_list(ctx(tmp_path, state))
    assert r.status == "fail" and "failed verification" in r.message and "sha256" in r.message, r.message
    victim.unlink()
    r = C.check_list(ctx(tmp_path, state))
    assert r.status == "fail" and "failed verification" in r.message


def test_list_bad_manifest_fails(tmp_path: Path, repository: SignedRepository) -> None:
    state = tmp_path / "state"
    current = install_signed(repository, state).current
    _writable(current / "manifest.json").write_text("{not json")
    r = C.check_list(ctx(tmp_path, state))
    assert r.status == "fail" and "failed verification" in r.message, r.message


# -- clock ------------------------------------------------------------------------------

def test_clock_synchronised_pass(tmp_path: Path, repository: SignedRepository) -> None:
    put(tmp_path, "/run/systemd/timesync/synchronized")
    install_signed(repository, tmp_path / "var/lib/safar")  # writes the time floor
    r = C.check_clock(ctx(tmp_path))
    assert r.status == "pass" and r.details["ntp_synchronized"] is True
    assert r.details["floor"].startswith("2026-11-01")


def test_clock_timedatectl_says_not_synchronised_warns(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def run(argv: Any) -> str:
        seen.append(list(argv))
        return "no\n"
    r = C.check_clock(ctx(tmp_path, run=run))
    assert r.status == "warn" and "not synchronised by NTP" in r.message
    assert seen == [["timedatectl", "show", "-p", "NTPSynchronized", "--value"]]
    assert C.check_clock(ctx(tmp_path, run=lambda argv: "NTPSynchronized=yes")).status == "pass"


def test_clock_unknown_ntp_warns(tmp_path: Path) -> None:
    r = C.check_clock(ctx(tmp_path))
    assert r.status == "warn" and "NTP state unknown" in r.message and "no trusted time" in r.message
    assert r.details["floor"] is None


def test_clock_behind_the_signed_time_floor_fails(tmp_path: Path, repository: SignedRepository) -> None:
    put(tmp_path, "/run/systemd/timesync/synchronized")
    state = tmp_path / "state"
    install_signed(repository, state)
    r = C.check_clock(ctx(tmp_path, state, clock=lambda: dt.datetime(2026, 10, 1, tzinfo=UTC)))
    assert r.status == "fail" and "behind the last trusted time" in r.message
    assert r.details["floor"].startswith("2026-11-01")


def test_clock_before_build_fails(tmp_path: Path) -> None:
    r = C.check_clock(ctx(tmp_path, clock=lambda: dt.datetime(1970, 1, 1, 0, 5, tzinfo=UTC)))
    assert r.status == "fail" and "1970-01-01" in r.message


def test_clock_unreadable_floor_warns(tmp_path: Path, repository: SignedRepository) -> None:
    put(tmp_path, "/run/systemd/timesync/synchronized")
    layout = install_signed(repository, tmp_path / "var/lib/safar")
    layout.floors.write_text("yesterday-ish\n")
    assert C.check_clock(ctx(tmp_path)).status == "pass"  # the other copy is read
    layout.floors_backup.write_text("yesterday-ish\n")
    r = C.check_clock(ctx(tmp_path))
    assert r.status == "warn" and "unreadable" in r.message and "floors file" in r.details["floor_error"]
    assert "safar update provision ROOT.json --force --built" in r.message


# -- power and temperature -------------------------------------------------------------------

THROTTLED = "/sys/devices/platform/soc/soc:firmware/get_throttled"


@pytest.mark.parametrize("value, status, words", [
    ("0\n", "pass", "no under-voltage"),
    ("50005\n", "fail", "Under-voltage now"),
    ("50000\n", "warn", "Since boot: under-voltage, throttling occurred"),
    ("80008\n", "warn", "soft temperature limit"),
    ("e0006\n", "warn", "Now: CPU frequency capped, CPU throttled"),
])
def test_power_from_sysfs(tmp_path: Path, value: str, status: str, words: str) -> None:
    put(tmp_path, THROTTLED, value)
    r = C.check_power(ctx(tmp_path))
    assert r.status == status and words in r.message, r.message
    assert r.details["source"] == "sysfs"


def test_power_from_vcgencmd_and_missing(tmp_path: Path) -> None:
    r = C.check_power(ctx(tmp_path, run=lambda argv: "throttled=0x50005" if argv[0] == "vcgencmd" else None))
    assert r.status == "fail" and r.details["source"] == "vcgencmd" and r.details["throttled"] == "0x50005"
    r = C.check_power(ctx(tmp_path))
    assert r.status == "warn" and "Cannot read the power state" in r.message


@pytest.mark.parametrize("milli, status", [("45277", "pass"), ("72000", "warn"), ("85500", "fail")])
def test_temperature(tmp_path: Path, milli: str, status: str) -> None:
    put(tmp_path, "/sys/class/thermal/thermal_zone0/temp", milli + "\n")
    r = C.check_temperature(ctx(tmp_path))
    assert r.status == status and f"{int(milli) / 1000:.1f} °C" in r.message


def test_temperature_missing_warns(tmp_path: Path) -> None:
    assert C.check_temperature(ctx(tmp_path)).status == "warn"


# -- watchdog ------------------------------------------------------------------------------

def test_watchdog_missing_fails(tmp_path: Path) -> None:
    r = C.check_watchdog(ctx(tmp_path))
    assert r.status == "fail" and "/dev/watchdog missing" in r.message


def test_watchdog_unarmed_warns(tmp_path: Path) -> None:
    put(tmp_path, "/dev/watchdog")
    put(tmp_path, "/etc/systemd/system.conf", "[Manager]\n#RuntimeWatchdogSec=off\n")
    r = C.check_watchdog(ctx(tmp_path))
    assert r.status == "warn" and "nothing arms it" in r.message


def test_watchdog_armed_passes_and_drop_in_wins(tmp_path: Path) -> None:
    put(tmp_path, "/dev/watchdog")
    put(tmp_path, "/etc/systemd/system.conf", "[Manager]\nRuntimeWatchdogSec=15\n")
    r = C.check_watchdog(ctx(tmp_path, env={"WATCHDOG_USEC": "20000000"}))
    assert r.status == "pass" and "RuntimeWatchdogSec=15" in r.message and "20000000" in r.message
    put(tmp_path, "/etc/systemd/system.conf.d/50-off.conf", "[Manager]\nRuntimeWatchdogSec=off\n")
    r = C.check_watchdog(ctx(tmp_path, env={"WATCHDOG_USEC": "20000000"}))
    assert r.status == "warn" and "does not arm the hardware watchdog" in r.message


def test_watchdog_service_setting_via_systemctl(tmp_path: Path) -> None:
    put(tmp_path, "/dev/watchdog")
    put(tmp_path, "/etc/systemd/system.conf.d/safar.conf", "[Manager]\nRuntimeWatchdogSec=10s\n")
    r = C.check_watchdog(ctx(tmp_path, run=lambda argv: "20s" if argv[0] == "systemctl" else None))
    assert r.status == "pass" and r.details["service_watchdog"] == "20s"


# -- I/O board --------------------------------------------------------------------------------

@pytest.fixture
def board() -> Iterator[FakeBoard]:
    b = FakeBoard().start()
    yield b
    b.stop()


def test_ioboard_absent_warns(tmp_path: Path) -> None:
    r = C.check_ioboard(ctx(tmp_path))
    assert r.status == "warn" and "No I/O board" in r.message


def test_ioboard_answers_passes(tmp_path: Path, board: FakeBoard) -> None:
    link(tmp_path, "/dev/safar-ioboard", board.path)
    board.state.wdt_s = 30
    r = C.check_ioboard(ctx(tmp_path))
    assert r.status == "pass", r.message
    assert "armed (30 s)" in r.message and r.details["tamper"] == 0


def test_ioboard_tamper_fails_and_resets_warn(tmp_path: Path, board: FakeBoard) -> None:
    board.state.tamper = 1
    r = C.check_ioboard(ctx(tmp_path, ioboard_port=board.path))
    assert r.status == "fail" and "enclosure is open" in r.message
    board.state.tamper = 0
    board.state.resets = 2
    r = C.check_ioboard(ctx(tmp_path, ioboard_port=board.path))
    assert r.status == "warn" and "reset the Pi 2 times" in r.message


def test_ioboard_silent_or_missing_fails(tmp_path: Path, board: FakeBoard) -> None:
    board.silent = True
    r = C.check_ioboard(ctx(tmp_path, ioboard_port=board.path, ioboard_timeout=0.2))
    assert r.status == "fail" and "does not respond" in r.message
    link(tmp_path, "/dev/safar-ioboard", "/nonexistent/ttyACM1")
    r = C.check_ioboard(ctx(tmp_path))
    assert r.status == "fail" and "does not exist" in r.message


def test_ioboard_held_by_kiosk_warns(tmp_path: Path, board: FakeBoard) -> None:
    from firmware.ioboard.driver import IOBoard
    with IOBoard(board.path):
        r = C.check_ioboard(ctx(tmp_path, ioboard_port=board.path))
    assert r.status == "warn" and "held by the running kiosk" in r.message


# -- run_all, report, CLI -------------------------------------------------------------------------

def healthy_tree(root: Path, repository: SignedRepository, scanner: str, board: FakeBoard,
                 now: dt.date = TODAY) -> Path:
    state = storage_tree(root)
    install_signed(repository, state, now)
    link(root, "/dev/serial/by-id/usb-Access_IS_ATOM-if00", scanner)
    link(root, "/dev/safar-ioboard", board.path)
    framebuffer(root)
    put(root, "/run/systemd/timesync/synchronized")
    put(root, THROTTLED, "0\n")
    put(root, "/sys/class/thermal/thermal_zone0/temp", "48000\n")
    put(root, "/dev/watchdog")
    put(root, "/etc/systemd/system.conf", "[Manager]\nRuntimeWatchdogSec=15\n")
    return state


def test_run_all_healthy_kiosk(tmp_path: Path, repository: SignedRepository, pty_port: str,
                               board: FakeBoard) -> None:
    state = healthy_tree(tmp_path, repository, pty_port, board)
    results = run_all(root=tmp_path, state_dir=state, clock=lambda: NOW, statvfs=fake_statvfs(10 * GB))
    names = [r.name for r in results]
    assert names == ["scanner", "display", "storage", "list", "clock", "power", "temperature", "watchdog", "ioboard"]
    by = {r.name: r for r in results}
    assert all(isinstance(r, CheckResult) and r.message.endswith(".") for r in results)
    assert [(r.name, r.message) for r in results if r.status != "pass"] == []
    assert by["list"].details["signature"] == "verified"
    assert C.worst(results) == "pass"


def test_run_all_reports_a_crashing_check_as_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx: DiagContext) -> CheckResult:
        raise RuntimeError("kaput")
    boom.__name__ = "check_display"
    monkeypatch.setattr(C, "CHECKS", [boom, C.check_temperature])
    results = run_all(root=tmp_path, state_dir=tmp_path)
    assert results[0].name == "display" and results[0].status == "fail" and "kaput" in results[0].message
    assert results[1].name == "temperature"


def test_exit_code_is_the_worst_status() -> None:
    ok, warn, bad = (CheckResult("a", "pass", "ok."), CheckResult("b", "warn", "hm."), CheckResult("c", "fail", "no."))
    assert report.exit_code([ok]) == 0
    assert report.exit_code([ok, warn]) == 1
    assert report.exit_code([warn, bad, ok]) == 2
    with pytest.raises(ValueError):
        CheckResult("x", "maybe", "?")


def run_cli(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(argv)
    return code, out.getvalue()


def test_cli_json_and_text(tmp_path: Path, pty_port: str, board: FakeBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI judges the list by the real clock: a list of today's
    today = dt.datetime.now(UTC).date()
    fresh = signed_repository(tmp_path / "signed", list_date=today, valid_until=today + dt.timedelta(days=180))
    root = tmp_path / "root"
    state = healthy_tree(root, fresh, pty_port, board, now=today)
    monkeypatch.setattr(os, "statvfs", fake_statvfs(10 * GB))

    code, out = run_cli(["--root", str(root), "--state", str(state), "--json"])
    result = json.loads(out)
    assert code == 0 and result["worst"] == "pass", out
    assert [c["name"] for c in result["checks"]][:3] == ["scanner", "display", "storage"]
    assert {c["name"]: c["status"] for c in result["checks"]}["list"] == "pass"

    code, out = run_cli(["--root", str(root), "--state", str(state)])
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("PASS scanner:") and any(line.startswith("PASS list:") for line in lines)
    assert lines[-1] == "-- PASS: 9 checks, 0 failed, 0 warnings"


def test_cli_warning_exits_1(tmp_path: Path, repository: SignedRepository, pty_port: str, board: FakeBoard,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    state = healthy_tree(tmp_path, repository, pty_port, board)
    (tmp_path / "run/systemd/timesync/synchronized").unlink()  # NTP state unknown: a warning
    monkeypatch.setattr(os, "statvfs", fake_statvfs(10 * GB))
    monkeypatch.setattr(C, "CHECKS", [C.check_clock, C.check_temperature])
    code, out = run_cli(["--root", str(tmp_path), "--state", str(state)])
    assert code == 1 and out.splitlines()[0].startswith("WARN clock:"), out


def test_cli_empty_tree_fails_with_2(tmp_path: Path) -> None:
    code, out = run_cli(["--root", str(tmp_path), "--state", str(tmp_path / "state")])
    assert code == 2
    assert out.splitlines()[0].startswith("FAIL scanner:")
    assert out.splitlines()[-1].startswith("-- FAIL: 9 checks")


def test_cli_bad_arguments_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--no-such-flag"]) == 3
    assert "safar diag:" in capsys.readouterr().err
    assert cli.main(["--port", "/dev/x", "--serve", "/dev/y"]) == 3
    assert "not allowed with argument" in capsys.readouterr().err
    bad = put(tmp_path, "kiosk.toml", "[matching]\nmax_false_strong = 'lots'\n")
    assert cli.main(["--root", str(tmp_path), "--config", str(bad)]) == 3
    assert capsys.readouterr().err.startswith("safar diag: ")


def test_cli_help_names_its_doc(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "docs/diag.md" in out and "`" not in out


# -- remote over the service serial console -----------------------------------------------------

def test_remote_report_over_serial(tmp_path: Path) -> None:
    """`safar diag --serve` on the kiosk side of a serial line, `safar diag --port` on the other."""
    put(tmp_path, "/sys/class/thermal/thermal_zone0/temp", "51000\n")
    kiosk_master, kiosk_slave = os.openpty()
    ws_master, ws_slave = os.openpty()
    for fd in (kiosk_slave, ws_slave):
        tty.setraw(fd)
    stop = threading.Event()

    def cable() -> None:  # a null-modem cable between the two masters
        import select
        while not stop.is_set():
            ready, _, _ = select.select([kiosk_master, ws_master], [], [], 0.02)
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return
                os.write(ws_master if fd == kiosk_master else kiosk_master, data)

    served: list[int] = []
    kctx = ctx(tmp_path, tmp_path / "state")
    wire = threading.Thread(target=cable, daemon=True)
    kiosk = threading.Thread(target=lambda: served.append(remote.serve(os.ttyname(kiosk_slave), kctx, 1)),
                             daemon=True)
    wire.start()
    kiosk.start()
    try:
        time.sleep(0.1)
        code, out = run_cli(["--port", os.ttyname(ws_slave), "--json", "--timeout", "20"])
        kiosk.join(10)
    finally:
        stop.set()
        wire.join(2)
        for fd in (kiosk_master, kiosk_slave, ws_master, ws_slave):
            os.close(fd)
    got = json.loads(out)
    assert served == [1]
    assert code == 2 and got["worst"] == "fail"
    temp = {c["name"]: c for c in got["checks"]}["temperature"]
    assert temp["status"] == "pass" and temp["details"]["celsius"] == 51.0


def test_remote_unreachable_exit_3(pty_port: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--port", pty_port, "--timeout", "0.5"]) == 3
    assert "no report" in capsys.readouterr().err


def test_answer_to_blank_and_unknown_lines(tmp_path: Path) -> None:
    kctx = ctx(tmp_path, tmp_path / "state")
    assert remote.answer(b"  \r", kctx) is None
    assert remote.answer(b"HELLO", kctx) == b"ERR unknown request\n"


@pytest.mark.parametrize("line", [b'{"checks": 3}', b'{"checks": [{"name": "x"}]}', b"{not json", b"[1]",
                                  b'{"checks": ' + b"[" * 60000])  # nesting that kills json.loads
def test_a_line_that_is_not_a_report_is_refused(line: bytes) -> None:
    with pytest.raises(remote.RemoteDiagError):
        remote._parse_report(line)

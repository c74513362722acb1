"""Hardware, clock and list checks for `safar diag`.

Every check takes a `DiagContext` and returns one `CheckResult`; it never
raises (an unexpected error becomes a 'fail' naming the check), so one broken
part cannot hide the report on the others.  All paths under /sys, /proc, /dev,
/etc and /run go through `ctx.path()`, so tests feed the real parsing code a
fake tree; external commands (timedatectl, vcgencmd, systemctl) are used only
when the root is the real "/" and the file-based source is missing.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.readings import FAIL, METRICS_TEXTFILE, PASS, SEVERITY, SOC_TEMPERATURE, WARN, soc_celsius
from firmware.update.layout import DEFAULT_STATE, StateLayout

SCANNER_LINK = "/dev/safar-scanner"   # made by hw/udev/99-safar.rules
IOBOARD_LINK = "/dev/safar-ioboard"   # made by hw/udev/99-safar.rules
KIOSK_METRICS = METRICS_TEXTFILE  # the running kiosk's health (firmware/fleet/health.py)
KIOSK_METRICS_FRESH_SECONDS = 120  # it is rewritten every 15 s while the kiosk runs
LIST_CYCLE_DAYS = 183                 # the official list comes every six months
STORAGE_FAIL_BYTES = 50 * 1024 * 1024    # below this a new list cannot be installed beside the old one
STORAGE_WARN_BYTES = 200 * 1024 * 1024
TEMP_WARN_C = 70.0
TEMP_FAIL_C = 80.0
CLOCK_MIN = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # earlier than any build: the clock was reset

# get_throttled bits (Raspberry Pi firmware)
THROTTLE_NOW = {0: "under-voltage", 1: "CPU frequency capped", 2: "CPU throttled", 3: "soft temperature limit"}
THROTTLE_PAST = {16: "under-voltage", 17: "CPU frequency capping", 18: "throttling", 19: "soft temperature limit"}

Runner = Callable[[Sequence[str]], str | None]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run_command(argv: Sequence[str]) -> str | None:
    """stdout of a short system command, or None if it is missing or fails."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


class DiagContext:
    """Where the checks look: a root for system paths, the kiosk's state, configured ports, a clock.

    The state directory is `state` (a `StateLayout`: its owner says what lives where);
    `printer` is the enabled slip printer's (device, baud rate or None), else None;
    `run` executes helper commands; it defaults to really running them only when
    `root` is "/", because with a fake root they would describe the wrong machine.
    """

    def __init__(
        self,
        root: str | Path = "/",
        state_dir: str | Path = DEFAULT_STATE,
        scanner_port: str | None = None,
        fb: str = "fb0",
        ioboard_port: str | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        run: Runner | None = None,
        env: Mapping[str, str] | None = None,
        scanner_baud: int = 9600,
        ioboard_timeout: float = 1.0,
        statvfs: Callable[[Path], os.statvfs_result] | None = None,
        false_alarm_limits: tuple[float, float] = (DEFAULT_STRONG, DEFAULT_POSSIBLE),
        printer: tuple[str, int | None] | None = None,
        camera: Callable[[], Any] | None = None,
        kiosk_metrics: str = KIOSK_METRICS,
    ) -> None:
        self.root = Path(root)
        self.state_dir = Path(state_dir)
        self.state = StateLayout(self.state_dir)
        self.scanner_port = scanner_port
        self.fb = fb
        self.ioboard_port = ioboard_port
        self.clock = clock
        if run is None:
            run = run_command if self.root.resolve() == Path("/") else (lambda argv: None)
        self.run = run
        self.env = dict(os.environ if env is None else env)
        self.scanner_baud = scanner_baud
        self.ioboard_timeout = ioboard_timeout
        self.statvfs: Callable[[Path], os.statvfs_result] = statvfs if statvfs is not None else os.statvfs
        self.false_alarm_limits = false_alarm_limits
        self.printer = printer  # (device, baud rate or None) when the slip printer is enabled
        # the camera reader's frame source opener (``firmware.camera.sources``) when one is configured
        self.camera = camera
        self.kiosk_metrics = kiosk_metrics  # what the running kiosk says of its devices

    def path(self, system_path: str) -> Path:
        """`system_path` (absolute, e.g. '/sys/class/...') under the root."""
        return self.root / system_path.lstrip("/")

    def now(self) -> dt.datetime:
        """The clock, as an aware UTC datetime."""
        t = self.clock()
        return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


class CheckResult:
    """One line of the report: `status` is 'pass', 'warn' or 'fail'; `message` is for a technician."""

    __slots__ = ("name", "status", "message", "details")

    def __init__(self, name: str, status: str, message: str, details: dict[str, Any] | None = None) -> None:
        if status not in SEVERITY:
            raise ValueError(f"status must be one of {sorted(SEVERITY)}, not {status!r}")
        self.name = name
        self.status = status
        self.message = message
        self.details = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON fields, for `safar diag --json` and the remote report."""
        return {"name": self.name, "status": self.status, "message": self.message, "details": self.details}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        """A result from a remote report's JSON (the kiosk's own diagnostics over the port)."""
        return cls(str(d["name"]), str(d["status"]), str(d["message"]), dict(d.get("details") or {}))

    def __repr__(self) -> str:
        return f"CheckResult({self.name!r}, {self.status!r}, {self.message!r})"


def worst(results: Sequence[CheckResult]) -> str:
    """The most severe status among `results` ('pass' when empty)."""
    return max((r.status for r in results), key=SEVERITY.__getitem__, default=PASS)


def _read(p: Path) -> str | None:
    try:
        return p.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


# -- scanner ------------------------------------------------------------------

def _is_ioboard(ctx: DiagContext, dev: str) -> bool:
    """Whether a /dev/serial/by-id entry is the I/O board (a Pico running MicroPython), not a scanner."""
    if "MicroPython" in os.path.basename(dev):
        return True
    link = ctx.path(IOBOARD_LINK)
    return os.path.lexists(link) and os.path.realpath(link) == os.path.realpath(dev)


def _scanner_candidates(ctx: DiagContext) -> list[str]:
    """The configured port, else /dev/safar-scanner, else every /dev/serial/by-id entry but the I/O board."""
    if ctx.scanner_port:
        return [ctx.scanner_port]
    found = []
    link = ctx.path(SCANNER_LINK)
    if os.path.lexists(link):
        found.append(str(link))
    found += [p for p in sorted(glob.glob(str(ctx.path("/dev/serial/by-id")) + "/*")) if not _is_ioboard(ctx, p)]
    return found


def check_scanner(ctx: DiagContext) -> CheckResult:
    """The MRZ scanner's serial port exists and opens (or is held by the running kiosk)."""
    import serial

    from firmware.ioboard.driver import port_locked

    name = "scanner"
    candidates = _scanner_candidates(ctx)
    details: dict[str, Any] = {"candidates": candidates}
    if not candidates:
        return CheckResult(name, FAIL, "No scanner serial port found (no /dev/safar-scanner, nothing in "
                           "/dev/serial/by-id): check the scanner's USB cable and the udev rule.", details)
    port = candidates[0]
    details["port"] = port
    if not os.path.exists(port):
        return CheckResult(name, FAIL, f"Scanner port {port} does not exist: check the USB cable "
                           "and the configured port.", details)
    try:
        # exclusive=True: if the kiosk holds the port (it opens it exclusively) we
        # must not reconfigure it under its feet, and the lock error tells us it is busy.
        ser = serial.Serial(port, ctx.scanner_baud, timeout=0, exclusive=True)
        ser.close()
        opened = "opens"
        status = PASS
    except serial.SerialException as e:
        if not port_locked(e):
            details["error"] = str(e)
            return CheckResult(name, FAIL, f"Scanner port {port} exists but cannot be opened ({e}).", details)
        opened = "is in use by the kiosk"
        status = PASS
    details["opened"] = opened
    return CheckResult(name, status, f"Scanner port {port} {opened}.", details)


# -- display ------------------------------------------------------------------

FB_FORMATS = {16: "RGB565", 32: "XRGB8888"}


def check_display(ctx: DiagContext) -> CheckResult:
    """The framebuffer exists in a pixel format the screen renderer writes (RGB565 or XRGB8888)."""
    name = "display"
    base = ctx.path(f"/sys/class/graphics/{ctx.fb}")
    details: dict[str, Any] = {"device": f"/dev/{ctx.fb}"}
    bpp_text = _read(base / "bits_per_pixel")
    if bpp_text is None:
        return CheckResult(name, FAIL, f"No framebuffer {ctx.fb}: the display is not detected "
                           "(check the display cable and the display overlay in config.txt).", details)
    try:
        bpp = int(bpp_text)
        w_text, h_text = (_read(base / "virtual_size") or "").split(",")
        width, height = int(w_text), int(h_text)
    except ValueError:
        return CheckResult(name, FAIL, f"Framebuffer {ctx.fb} reports an unreadable mode "
                           f"(bits_per_pixel={bpp_text!r}).", details)
    stride_text = _read(base / "stride")
    stride = int(stride_text) if stride_text and stride_text.isdigit() else None
    details.update(bpp=bpp, width=width, height=height, stride=stride, driver=_read(base / "name"))
    if not ctx.path(f"/dev/{ctx.fb}").exists():
        return CheckResult(name, FAIL, f"/dev/{ctx.fb} is missing although the kernel reports the framebuffer.",
                           details)
    fmt = FB_FORMATS.get(bpp)
    if fmt is None:
        status = WARN if bpp == 24 else FAIL
        return CheckResult(name, status, f"Framebuffer {ctx.fb} is {width}x{height} at {bpp} bits per pixel; "
                           "the kiosk draws RGB565 (16) or XRGB8888 (32): set framebuffer_depth in config.txt.",
                           details)
    details["format"] = fmt
    if stride is not None and stride < width * bpp // 8:
        return CheckResult(name, FAIL, f"Framebuffer {ctx.fb} stride {stride} is shorter than a {width}-pixel "
                           "row: the driver reports an inconsistent mode.", details)
    if width < 800 or height < 480:
        return CheckResult(name, WARN, f"Framebuffer {ctx.fb} is {width}x{height} {fmt}; screens are laid out "
                           "for at least 800x480 and will be cramped.", details)
    return CheckResult(name, PASS, f"Framebuffer {ctx.fb} is {width}x{height} {fmt}.", details)


# -- storage ------------------------------------------------------------------

def _mounts(ctx: DiagContext) -> list[tuple[str, str, str, list[str]]]:
    """(device, mount point, fstype, options) from /proc/mounts; octal escapes decoded."""
    out = []
    for line in (_read(ctx.path("/proc/mounts")) or "").splitlines():
        parts = line.split()
        if len(parts) >= 4:
            mp = parts[1].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
            out.append((parts[0], mp, parts[2], parts[3].split(",")))
    return out


def check_storage(ctx: DiagContext) -> CheckResult:
    """Free space for the next list, a read-only root, and no ext4 errors logged by the kernel."""
    name = "storage"
    problems: list[tuple[str, str]] = []
    details: dict[str, Any] = {"state_dir": str(ctx.state_dir)}

    if not ctx.state_dir.is_dir():
        problems.append((FAIL, f"state directory {ctx.state_dir} is missing"))
    else:
        st = ctx.statvfs(ctx.state_dir)
        free = st.f_bavail * st.f_frsize
        details["free_bytes"] = free
        mb = free // (1024 * 1024)
        if free < STORAGE_FAIL_BYTES:
            problems.append((FAIL, f"only {mb} MB free in {ctx.state_dir}, too little to install a new list"))
        elif free < STORAGE_WARN_BYTES:
            problems.append((WARN, f"only {mb} MB free in {ctx.state_dir}"))
        if not os.access(ctx.state_dir, os.W_OK):
            problems.append((FAIL, f"state directory {ctx.state_dir} is not writable"))

    mounts = _mounts(ctx)
    root_entries = [m for m in mounts if m[1] == "/"]
    if not root_entries:
        problems.append((WARN, "cannot tell whether the root filesystem is read-only (/proc/mounts unreadable)"))
    else:
        dev, _, fstype, opts = root_entries[-1]  # the last mount on / is the visible one
        details["root"] = {"device": dev, "fstype": fstype, "options": opts}
        if fstype == "overlay":
            details["root_protection"] = "overlay"
        elif "ro" in opts:
            details["root_protection"] = "read-only"
        else:
            details["root_protection"] = "none"
            problems.append((WARN, "the root filesystem is writable (a power cut can corrupt it; "
                                   "enable the overlay, see hw/os-setup.md)"))

    errors: dict[str, int] = {}
    for p in sorted(glob.glob(str(ctx.path("/sys/fs/ext4")) + "/*/errors_count")):
        text = _read(Path(p))
        if text is not None and text.isdigit() and int(text) > 0:
            errors[Path(p).parent.name] = int(text)
    details["ext4_errors"] = errors
    if errors:
        listed = ", ".join(f"{dev}: {n}" for dev, n in errors.items())
        problems.append((FAIL, f"the kernel logged ext4 filesystem errors ({listed}); replace the SD card "
                               "or run fsck"))

    if not problems:
        free_mb = details.get("free_bytes", 0) // (1024 * 1024)
        return CheckResult(name, PASS, f"{free_mb} MB free in {ctx.state_dir}; root filesystem is "
                           f"{details.get('root_protection')}; no filesystem errors.", details)
    status = max((s for s, _ in problems), key=SEVERITY.__getitem__)
    return CheckResult(name, status, _sentence([m for _, m in problems]), details)


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


# -- installed list -------------------------------------------------------------

def check_list(ctx: DiagContext) -> CheckResult:
    """The installed ban list, judged exactly as the kiosk uses it (``firmware.update.installed``).

    That is signatures under the trusted root, deployment, every file's sha256, the canary
    self-test and expiry against the time floor; then its false-alarm bounds against this
    kiosk's limits and its age against the list cycle. A list the kiosk would not use fails.
    """
    from firmware.update import installed
    from firmware.update.errors import EXPIRED, FAILED_VERIFICATION, NO_LIST

    name = "list"
    now = ctx.now()
    with installed(ctx.state_dir, now=now, verify_hashes=True) as inst:
        details: dict[str, Any] = {"signature": "verified" if inst.banlist is not None else "not usable",
                                   "signed_by": list(inst.signed_by), "list_version": inst.list_version,
                                   "list_date": inst.list_date.isoformat() if inst.list_date else None,
                                   "valid_until": inst.valid_until.isoformat() if inst.valid_until else None,
                                   "deployment": inst.deployment, "root_version": inst.root_version}
        if inst.banlist is None:
            details["code"] = inst.code
            if inst.code in (NO_LIST, EXPIRED, FAILED_VERIFICATION):
                todo = "Install a current signed list."
            else:  # the trusted root itself: no copy verifies, or none was provisioned
                todo = ("Provision the kiosk image's root: safar update provision ROOT.json --force --built "
                        "YYYY-MM-DD (the image's build date).")
            return CheckResult(name, FAIL, f"No usable list: {inst.reason}. {todo}", details)
        records = inst.banlist.manifest.records
        details["records"] = records
        budget = _budget(inst.banlist, ctx, details)
    if budget is not None:
        return CheckResult(name, FAIL, f"The installed list is not used: {budget}.", details)
    assert inst.list_date is not None and inst.valid_until is not None
    age_days = (now.date() - inst.list_date).days
    details["age_days"] = age_days
    until = inst.valid_until.isoformat()
    label = f"List version {inst.list_version} of {inst.list_date.isoformat()}, signed by {', '.join(inst.signed_by)}"
    if inst.warning:
        return CheckResult(name, WARN, f"{label}: {inst.warning}", details)
    if age_days > LIST_CYCLE_DAYS:
        return CheckResult(name, WARN, f"{label}, is {age_days} days old, past the six-month cycle; a newer list "
                           f"should exist (valid until {until}).", details)
    return CheckResult(name, PASS, f"{label}, {age_days} days old, valid until {until}, {records} records, "
                       "self-test passed.", details)


def _budget(banlist: Any, ctx: DiagContext, details: dict[str, Any]) -> str | None:
    """The list's per-traveller false-alarm bounds into ``details``; the reason the kiosk
    refuses the list when they exceed its limits."""
    details["false_alarm_per_traveller"] = banlist.false_alarm_bounds()
    details["false_alarm_limits"] = {"strong": ctx.false_alarm_limits[0], "possible": ctx.false_alarm_limits[1]}
    problem: str | None = banlist.budget_problem(*ctx.false_alarm_limits)
    return problem


# -- clock ----------------------------------------------------------------------

def check_clock(ctx: DiagContext) -> CheckResult:
    """The clock is synchronised, or at least not behind the last time the kiosk trusted."""
    from firmware.update import UpdateError, read_floors

    name = "clock"
    now = ctx.now()
    details: dict[str, Any] = {"now": now.isoformat(timespec="seconds")}
    synced: bool | None = None
    if ctx.path("/run/systemd/timesync/synchronized").exists():
        synced = True
        details["ntp_source"] = "/run/systemd/timesync/synchronized"
    else:
        out = ctx.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
        if out is not None and out.strip():
            value = out.strip().split("=")[-1].lower()  # with or without --value
            synced = value == "yes"
            details["ntp_source"] = "timedatectl"
    details["ntp_synchronized"] = synced

    floor: dt.datetime | None = None
    unreadable: str | None = None
    try:
        recorded = read_floors(ctx.state_dir).time_floor  # raised by every install (firmware.update)
    except UpdateError as e:
        unreadable = e.reason
    except OSError as e:
        unreadable = e.strerror or type(e).__name__
    else:
        floor = recorded if recorded >= CLOCK_MIN else None  # before the first install: the epoch, nothing known
    details["floor"] = floor.isoformat() if floor else None
    if unreadable is not None:
        details["floor_error"] = unreadable
    if now < CLOCK_MIN:
        return CheckResult(name, FAIL, f"The clock says {now:%Y-%m-%d}, before this software existed: set the "
                           "date (no RTC battery, or no network time).", details)
    if floor is not None and now < floor:
        return CheckResult(name, FAIL, f"The clock ({now:%Y-%m-%d %H:%M} UTC) is behind the last trusted time "
                           f"({floor:%Y-%m-%d %H:%M} UTC): set the date; list expiry cannot be judged.", details)
    if unreadable is not None:
        return CheckResult(name, WARN, f"No copy of the time floor is readable ({ctx.state.floors}, "
                           f"{ctx.state.floors_backup}: {unreadable}), so a clock set back cannot be detected and "
                           "the kiosk neither uses nor installs a list. Reset it with the kiosk image's root: "
                           "safar update provision ROOT.json --force --built YYYY-MM-DD (the image's build date).",
                           details)
    if synced:
        return CheckResult(name, PASS, f"Clock synchronised by NTP: {now:%Y-%m-%d %H:%M} UTC.", details)
    basis = "not behind the last trusted time" if floor else "no trusted time recorded yet"
    why = "not synchronised by NTP" if synced is False else "NTP state unknown"
    return CheckResult(name, WARN, f"Clock {why} ({now:%Y-%m-%d %H:%M} UTC, {basis}); fine offline if the "
                       "RTC keeps time, check it against a watch.", details)


# -- power and temperature --------------------------------------------------------

def decode_throttled(value: int) -> tuple[list[str], list[str]]:
    """(conditions now, conditions since boot) from a get_throttled bit field."""
    now = [text for bit, text in THROTTLE_NOW.items() if value & (1 << bit)]
    past = [text for bit, text in THROTTLE_PAST.items() if value & (1 << bit)]
    return now, past


def _parse_throttled(text: str) -> int | None:
    text = text.strip()
    if "=" in text:  # vcgencmd: throttled=0x50005
        text = text.split("=", 1)[1]
    try:
        return int(text, 16)
    except ValueError:
        return None


def check_power(ctx: DiagContext) -> CheckResult:
    """Under-voltage and throttling reported by the Pi firmware, now and since boot."""
    name = "power"
    details: dict[str, Any] = {}
    text = _read(ctx.path("/sys/devices/platform/soc/soc:firmware/get_throttled"))
    source = "sysfs"
    if text is None:
        text = ctx.run(["vcgencmd", "get_throttled"])
        source = "vcgencmd"
    value = _parse_throttled(text) if text is not None else None
    if value is None:
        return CheckResult(name, WARN, "Cannot read the power state (get_throttled not available): not a "
                           "Raspberry Pi, or the firmware interface is missing.", details)
    now, past = decode_throttled(value)
    details.update(source=source, throttled=f"0x{value:x}", now=now, since_boot=past)
    if "under-voltage" in now:
        return CheckResult(name, FAIL, "Under-voltage now: the power supply or cable is too weak "
                           "(use the official 5 V supply); SD card corruption is likely.", details)
    if now:
        return CheckResult(name, WARN, f"Now: {', '.join(now)}; the kiosk is slowed down (check cooling).", details)
    if past:
        return CheckResult(name, WARN, f"Since boot: {', '.join(past)} occurred; the supply or cooling is marginal.",
                           details)
    return CheckResult(name, PASS, "Power supply good: no under-voltage or throttling since boot.", details)


def check_temperature(ctx: DiagContext) -> CheckResult:
    """SoC temperature: warn at 70 °C, fail at 80 °C (the Pi throttles from 80-85 °C)."""
    name = "temperature"
    celsius = soc_celsius(_read(ctx.path(SOC_TEMPERATURE)))
    if celsius is None:
        return CheckResult(name, WARN, "Cannot read the SoC temperature (thermal_zone0 missing).", {})
    details = {"celsius": celsius}
    if celsius >= TEMP_FAIL_C:
        return CheckResult(name, FAIL, f"SoC at {celsius:.1f} °C: too hot, the kiosk will throttle; check the fan, "
                           "vents and sun exposure.", details)
    if celsius >= TEMP_WARN_C:
        return CheckResult(name, WARN, f"SoC at {celsius:.1f} °C: running hot; check the fan and vents.", details)
    return CheckResult(name, PASS, f"SoC at {celsius:.1f} °C.", details)


# -- watchdog -------------------------------------------------------------------

def _runtime_watchdog(ctx: DiagContext) -> str | None:
    """systemd's RuntimeWatchdogSec from system.conf and its drop-ins (last one wins)."""
    value = None
    files = [ctx.path("/etc/systemd/system.conf")]
    files += sorted(Path(p) for p in glob.glob(str(ctx.path("/etc/systemd/system.conf.d")) + "/*.conf"))
    for f in files:
        for line in (_read(f) or "").splitlines():
            line = line.strip()
            if line.startswith("RuntimeWatchdogSec="):
                value = line.split("=", 1)[1].strip()
    if value in (None, "", "0", "off"):
        return None
    return value


def check_watchdog(ctx: DiagContext) -> CheckResult:
    """A hardware watchdog device and who pets it: systemd (RuntimeWatchdogSec) and the kiosk service."""
    name = "watchdog"
    details: dict[str, Any] = {}
    device = ctx.path("/dev/watchdog")
    details["device"] = os.path.exists(device)
    runtime = _runtime_watchdog(ctx)
    details["runtime_watchdog"] = runtime
    service_usec = ctx.env.get("WATCHDOG_USEC")
    if service_usec is None:
        out = ctx.run(["systemctl", "show", "safar-kiosk.service", "-p", "WatchdogUSec", "--value"])
        if out and out not in ("0", "infinity"):
            service_usec = out
    details["service_watchdog"] = service_usec
    if not details["device"]:
        return CheckResult(name, FAIL, "No hardware watchdog (/dev/watchdog missing): a hung kiosk will not "
                           "reboot by itself; enable dtparam=watchdog=on.", details)
    if runtime is None and service_usec is None:
        return CheckResult(name, WARN, "/dev/watchdog exists but nothing arms it: set RuntimeWatchdogSec "
                           "in systemd (see hw/os-setup.md).", details)
    parts = []
    if runtime is not None:
        parts.append(f"systemd pets /dev/watchdog (RuntimeWatchdogSec={runtime})")
    if service_usec is not None:
        parts.append(f"the kiosk service has a systemd watchdog ({service_usec})")
    if runtime is None:
        return CheckResult(name, WARN, _sentence(parts + ["but systemd does not arm the hardware watchdog"]), details)
    return CheckResult(name, PASS, _sentence(parts), details)


# -- I/O board --------------------------------------------------------------------

def _board_as_the_kiosk_sees_it(ctx: DiagContext) -> dict[str, Any] | None:
    """The board's condition from the running kiosk's health textfile, when it is fresh: the
    kiosk holds the port, so this is the one view of the board diagnostics can have."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = ctx.path(ctx.kiosk_metrics).read_text(encoding="utf-8")
        seen: dict[str, Any] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "safar_device_up" and sample.labels.get("device") == "ioboard":
                    seen["up"] = bool(sample.value)
                elif sample.name == "safar_enclosure_open":
                    seen["enclosure_open"] = bool(sample.value)
                elif sample.name == "safar_metrics_written_timestamp_seconds":
                    seen["written"] = sample.value
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    age = ctx.now().timestamp() - seen.get("written", 0.0)
    if "up" not in seen or not 0 <= age <= KIOSK_METRICS_FRESH_SECONDS:
        return None
    seen["age_seconds"] = round(age, 1)
    return seen


def check_ioboard(ctx: DiagContext) -> CheckResult:
    """The I/O board answers PING and STATUS; an open enclosure (tamper) fails."""
    from firmware.ioboard.driver import IOBoard, IOBoardError, PortBusy

    name = "ioboard"
    port = ctx.ioboard_port
    if port is None and os.path.lexists(ctx.path(IOBOARD_LINK)):
        port = str(ctx.path(IOBOARD_LINK))
    details: dict[str, Any] = {"port": port}
    if port is None:
        return CheckResult(name, WARN, "No I/O board configured or found (/dev/safar-ioboard): LEDs, buzzer, "
                           "tamper switch and the Pi watchdog are not available.", details)
    if not os.path.exists(port):
        return CheckResult(name, FAIL, f"I/O board port {port} does not exist: check the board's USB cable.",
                           details)
    try:
        with IOBoard(port, timeout=ctx.ioboard_timeout) as board:
            board.ping()
            status = board.status()
            details["link_errors"] = board.error_counts
    except PortBusy as e:
        details["error"] = str(e)
        seen = _board_as_the_kiosk_sees_it(ctx)
        if seen is not None:
            details["kiosk_view"] = seen
            if not seen["up"]:
                return CheckResult(name, FAIL, f"The running kiosk reports that the I/O board on {port} does not "
                                   "answer (no lamps, tamper switch or Pi watchdog; travellers are still served): "
                                   "check its USB cable.", details)
            if seen.get("enclosure_open"):
                return CheckResult(name, FAIL, "The enclosure is open (tamper switch), as the running kiosk "
                                   f"reports; its I/O board on {port} answers.", details)
            return CheckResult(name, PASS, f"The running kiosk holds the I/O board on {port} and reports that it "
                               "answers.", details)
        return CheckResult(name, WARN, f"The I/O board port {port} is held by the running kiosk, so diagnostics "
                           "cannot query the board; see the service screen or stop the kiosk first.", details)
    except (IOBoardError, OSError) as e:  # serial.SerialException is an OSError
        details["error"] = str(e)
        return CheckResult(name, FAIL, f"The I/O board on {port} does not respond ({e}); check its USB cable "
                           "and that its firmware is installed.", details)
    details.update(status)
    wdt = status.get("wdt", 0)
    armed = f"armed ({wdt} s)" if wdt else "disarmed"
    text = f"I/O board on {port} answers; Pi watchdog {armed}"
    if status.get("resets"):
        text += f"; it has reset the Pi {status['resets']} times since it powered up"
    if status.get("tamper"):
        return CheckResult(name, FAIL, "The enclosure is open (tamper switch); " + text + ".", details)
    if status.get("resets"):
        return CheckResult(name, WARN, text + " (the kiosk hung).", details)
    return CheckResult(name, PASS, text + ".", details)


# -- camera reader ------------------------------------------------------------------

# A frame's mean brightness (0-255) and sharpness (the variance of its Laplacian) outside
# these bounds reads badly: light the passport evenly, focus the lens.
CAMERA_BRIGHTNESS = (60.0, 210.0)
CAMERA_MIN_SHARPNESS = 50.0


def check_camera(ctx: DiagContext) -> CheckResult:
    """The camera gives a frame, bright and sharp enough; the character model loads and runs.
    The frame is measured in memory and dropped: nothing of it is written or shown."""
    import numpy as np

    from firmware.camera.recognise import LineReader
    from firmware.camera.runtime import runtime_name, runtime_version
    from firmware.camera.sources import CameraError

    assert ctx.camera is not None  # run_all runs this check only with a camera configured
    details: dict[str, Any] = {}
    try:
        LineReader()
    except (OSError, ValueError, RuntimeError) as e:
        return CheckResult("camera", FAIL, f"The camera reader's model does not load: {e}.", details)
    details["runtime"] = f"{runtime_name()} {runtime_version()}"
    try:
        source = ctx.camera()
    except CameraError as e:
        return CheckResult("camera", FAIL, f"Camera {e.source}: {e.reason}.", details)
    try:
        image = source.frame()
    except CameraError as e:
        return CheckResult("camera", FAIL, f"Camera {e.source}: {e.reason}.", details)
    finally:
        source.close()
    if image is None:
        return CheckResult("camera", FAIL, f"Camera {source.name} gives no frames: check the cable and the "
                           "camera's enable setting.", details)
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    del image
    lap = gray[1:-1, 1:-1] * 4 - gray[:-2, 1:-1] - gray[2:, 1:-1] - gray[1:-1, :-2] - gray[1:-1, 2:]
    brightness, sharpness = float(gray.mean()), float(lap.var())
    details.update({"source": source.name, "width": gray.shape[1], "height": gray.shape[0],
                    "brightness": round(brightness, 1), "sharpness": round(sharpness, 1)})
    figures = (f"{source.name}: a {gray.shape[1]}x{gray.shape[0]} frame, brightness {brightness:.0f}/255, "
               f"sharpness {sharpness:.0f}; model on {details['runtime']}")
    if not CAMERA_BRIGHTNESS[0] <= brightness <= CAMERA_BRIGHTNESS[1]:
        return CheckResult("camera", WARN, f"{figures}: too {'dark' if brightness < 100 else 'bright'}; "
                           "light the passport evenly.", details)
    if sharpness < CAMERA_MIN_SHARPNESS:
        return CheckResult("camera", WARN, f"{figures}: blurred; focus the lens on the passport's place.", details)
    return CheckResult("camera", PASS, figures + ".", details)


# -- slip printer -------------------------------------------------------------------

def check_printer(ctx: DiagContext) -> CheckResult:
    """The enabled slip printer's device exists and opens for writing (nothing is printed)."""
    from firmware.printer.escpos import probe

    assert ctx.printer is not None  # run_all runs this check only with a printer configured
    device, baudrate = ctx.printer
    status, sentence = probe(device, baudrate)
    return CheckResult("printer", status, sentence, {"device": device, "baudrate": baudrate})


CHECKS: list[Callable[[DiagContext], CheckResult]] = [
    check_scanner, check_display, check_storage, check_list, check_clock,
    check_power, check_temperature, check_watchdog, check_ioboard,
]


def run_all(
    root: str | Path = "/",
    state_dir: str | Path = DEFAULT_STATE,
    scanner_port: str | None = None,
    context: DiagContext | None = None,
    **options: Any,
) -> list[CheckResult]:
    """Every check in order (what `safar diag` prints and the service screen shows).

    Either pass `root`, `state_dir`, `scanner_port` and any other `DiagContext`
    keyword (`fb`, `ioboard_port`, `clock`, `printer`, ...), or a ready `context`.  The
    printer is checked only when the context names one (it is optional hardware).  A
    check that crashes is reported as a failure of that check, never raised.
    """
    ctx = context if context is not None else DiagContext(root=root, state_dir=state_dir,
                                                          scanner_port=scanner_port, **options)
    checks = CHECKS + ([check_camera] if ctx.camera is not None else []) \
        + ([check_printer] if ctx.printer is not None else [])
    results = []
    for check in checks:
        try:
            results.append(check(ctx))
        except Exception as e:  # a diagnostics bug must not hide the other results
            name = check.__name__.removeprefix("check_")
            results.append(CheckResult(name, FAIL, f"The {name} check itself failed: {type(e).__name__}: {e}.",
                                       {"exception": type(e).__name__}))
    return results

"""The kiosk's health for a fleet's monitoring: a Prometheus node_exporter textfile.

The kiosk runs no network listener. Every ``write_every`` seconds (and at once when it goes
in or out of service) it writes ``/run/safar-metrics/safar.prom`` (RAM: no SD-card wear),
which node_exporter's textfile collector serves (docs/fleet.md). The registry is this
module's own, never ``prometheus_client``'s global one.

Privacy: a count of travellers served, never what any of them was told. ``count_scan`` adds
one to ``safar_scans_total``; the answers (no record, possible, strong, ...) are exported only
when the operator turns ``result_totals`` on, and then only as the totals of the last whole
day, and only for a day with at least ``RESULT_TOTALS_MIN_SCANS`` travellers: a live
per-answer counter moving the moment a traveller is told "strong" would tell anyone who sees
the dashboard and the hall (CCTV, the queue) who matched. The day's counts live in RAM only:
a restart loses the day so far (``safar_results_yesterday_complete`` is then 0).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
    StateSetMetricFamily,
)
from prometheus_client.registry import Collector

from firmware import durable
from firmware.kiosk.kinds import ANSWERS
from firmware.kiosk.status import MODES, KioskStatus
from firmware.readings import SEVERITY, SOC_TEMPERATURE, soc_celsius

log = logging.getLogger("safar.kiosk")

STOPPED = "stopped"  # written by ``close``: the kiosk program ended
# A change between these is written at once; idle <-> serving only on the period: how long one
# traveller's answer stayed on screen is a (weak) hint of which answer it was.
_AT_ONCE = {"idle": "in_service", "serving": "in_service"}
RESULTS = ANSWERS  # the answers counted, by label (firmware/kiosk/kinds.py)
# A day's answers are published only over at least this many travellers: on a quiet day
# "1 strong of 3" in a hall with a camera is nearly a name.
RESULT_TOTALS_MIN_SCANS = 20
TEMPERATURE_PATH = Path(SOC_TEMPERATURE)
# the audit log's entries read back to find the last install (enclosure entries come between)
AUDIT_ENTRIES_READ = 1000


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _package_version() -> str:
    try:
        return importlib.metadata.version("safar")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _day_start(day: dt.date, zone: dt.tzinfo | None) -> float:
    """The unix time a day begins in ``zone`` (None: the kiosk's local time)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).timestamp()  # naive: local time


class _DayTotals:
    """Answers counted per day of ``zone`` (None: the kiosk's local time); only a finished day
    is ever shown. A day the clock jumped into (boot before NTP, a correction) is not whole."""

    def __init__(self, zone: dt.tzinfo | None, today: dt.date) -> None:
        self.zone = zone
        self.day = today
        self.counts = dict.fromkeys(RESULTS, 0)
        self.whole = False  # counting began at the day's start (the kiosk ran through midnight)
        self.finished: tuple[dt.date, dict[str, int], bool] | None = None

    def roll(self, today: dt.date) -> None:
        if today == self.day:
            return
        if today == self.day + dt.timedelta(days=1):
            self.finished = (self.day, self.counts, self.whole)
            self.whole = True
        else:
            self.finished, self.whole = None, False
        self.day, self.counts = today, dict.fromkeys(RESULTS, 0)


class KioskHealth:
    """Writes the kiosk's metrics to ``path`` (a ``.prom`` file node_exporter reads).

    ``state_dir``: the kiosk's state directory (the audit log's last install, the time floor,
    free space); ``result_totals``: export yesterday's answers (see the module docstring);
    ``write_every``: seconds of the loop's monotonic clock between writes; ``wall``: the
    aware wall clock (timestamps, days); ``started``: the process's start as a unix time
    (default: the kernel's); ``day_zone``: the zone whose midnight ends a day (None: local)."""

    def __init__(self, path: Path, state_dir: Path, *, result_totals: bool = False, write_every: float = 15.0,
                 temperature_path: Path = TEMPERATURE_PATH, wall: Callable[[], dt.datetime] = _utc_now,
                 started: float | None = None, day_zone: dt.tzinfo | None = None) -> None:
        path = Path(path)
        if path.suffix != ".prom":
            raise ValueError(f"metrics textfile {path}: must end in .prom (node_exporter reads only those)")
        if write_every <= 0:
            raise ValueError(f"metrics write_every: must be more than 0 seconds, got {write_every}")
        self.path = path
        self.state_dir = Path(state_dir)
        self.write_every = write_every
        self.temperature_path = Path(temperature_path)
        self.wall = wall
        self.day_zone = day_zone
        self.version = _package_version()
        self.registry = CollectorRegistry()
        process = ProcessCollector(namespace="safar", registry=self.registry)  # RSS, CPU, open files
        self.started = started if started is not None else self._process_start(process)
        self.scans = 0
        self.days = _DayTotals(day_zone, self._today()) if result_totals else None
        self.status: KioskStatus | None = None
        self.mode = "idle"
        self.writes = 0
        self._written_at: float | None = None  # the monotonic time of the last write
        self._failed: str | None = None  # the last write error, logged once
        self._installed = _LastInstall(self.state_dir)
        self.registry.register(_Snapshot(self))

    # -- what the loop calls -------------------------------------------------------------

    def count_scan(self, result: str) -> None:
        """One traveller served: ``result`` is one of ``RESULTS``. Only a count is exported
        unless ``result_totals`` is on, and then only as totals of whole past days."""
        if result not in RESULTS:
            raise ValueError(f"count_scan: {result!r} is not one of {', '.join(RESULTS)}")
        self.scans += 1
        if self.days is not None:
            self.days.roll(self._today())
            self.days.counts[result] += 1

    def observe(self, now: float, status: KioskStatus) -> None:
        """Every loop turn (cheap when not due): writes every ``write_every`` seconds of the
        monotonic ``now``, and at once when the kiosk goes in or out of service."""
        changed = _AT_ONCE.get(status.mode, status.mode) != _AT_ONCE.get(self.mode, self.mode)
        self.status, self.mode = status, status.mode
        if changed or self._written_at is None or now - self._written_at >= self.write_every:
            self._written_at = now
            self.write()

    def close(self) -> None:
        """The last write: mode ``stopped`` (node_exporter goes on serving the file; its mtime ages)."""
        self.mode = STOPPED
        self.write()

    # -- the file ----------------------------------------------------------------------

    def write(self) -> bool:
        """The metrics, atomically (a temp file renamed over ``path``); a failure is logged
        once and the kiosk goes on: monitoring must never stop a kiosk serving travellers."""
        if self.days is not None:
            self.days.roll(self._today())
        try:
            _write_textfile(self.path, generate_latest(self.registry))
        except OSError as e:
            problem = f"cannot write {self.path}: {e.strerror or e}"
            if problem != self._failed:
                log.warning("metrics: %s (node_exporter will report the file stale)", problem)
            self._failed = problem
            return False
        if self._failed is not None:
            log.warning("metrics: writing %s again", self.path)
        self._failed = None
        self.writes += 1
        return True

    def _today(self) -> dt.date:
        return self.wall().astimezone(self.day_zone).date()

    @staticmethod
    def _process_start(process: ProcessCollector) -> float:
        for family in process.collect():
            if family.name.endswith("process_start_time_seconds") and family.samples:
                return family.samples[0].value
        return _utc_now().timestamp()

    def temperature(self) -> float | None:
        """The SoC's temperature in °C (the kernel gives millidegrees); None when unreadable."""
        try:
            return soc_celsius(self.temperature_path.read_text())
        except (OSError, ValueError):  # ValueError: not text
            return None


def _write_textfile(path: Path, data: bytes) -> None:
    """``data`` into ``path`` by the one atomic writer. Not ``write_to_textfile``: under the
    unit's ``UMask=0077`` its file would be 0600 and node_exporter (another user) could not
    read it; this one is 0644 from the start. The temp name does not end in .prom, so
    node_exporter never reads a half-written file. No fsync: the file lives in RAM."""
    durable.atomic_write(path, data, mode=0o644, sync=False)


class _LastInstall:
    """The last successful install and the last refused install or poll, from the audit log;
    read again only when the log changed (it is appended to a few times a month)."""

    def __init__(self, state_dir: Path) -> None:
        from firmware.update.layout import StateLayout

        self.state_dir = state_dir
        self.log = StateLayout(state_dir).audit_log
        self._seen: tuple[int, int] | None = None
        self.installed: float | None = None
        self.refused: tuple[float, str] | None = None

    def read(self) -> None:
        try:
            st = self.log.stat()
        except OSError:
            return
        if (st.st_mtime_ns, st.st_size) == self._seen:
            return
        from firmware.update import audit_entries

        try:
            entries = audit_entries(self.state_dir, AUDIT_ENTRIES_READ)
        except OSError:
            return  # unreadable now: what was found before stands, and the next write tries again
        self._seen = (st.st_mtime_ns, st.st_size)
        for entry in entries:
            when = _timestamp(entry.get("time"))
            if when is None:
                continue
            if entry.get("action") == "install" and entry.get("result") == "installed":
                self.installed = when
            elif entry.get("action") in ("install", "poll") and entry.get("result") == "refused":
                self.refused = (when, str(entry.get("code") or "unknown"))


def _timestamp(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


class _Snapshot(Collector):
    """The metric families, made from the kiosk's last status at each write. A custom
    collector, so what is not known (temperature, a device not configured) is absent."""

    def __init__(self, health: KioskHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[Metric]:
        h, status = self.health, self.health.status
        wall = h.wall()
        yield from self._identity(h, status)
        yield from self._list(h, status)
        yield from self._condition(h, status)
        yield CounterMetricFamily("safar_scans", "Travellers served (a count; answers are never exported live).",
                                  value=h.scans)
        if h.days is not None:
            yield from self._day_totals(h.days)
        yield GaugeMetricFamily("safar_uptime_seconds", "Seconds since the kiosk program started.",
                                value=max(0.0, wall.timestamp() - h.started))
        temperature = h.temperature()
        if temperature is not None:
            yield GaugeMetricFamily("safar_soc_temperature_celsius", "The SoC's temperature.", value=temperature)
        try:
            free = shutil.disk_usage(h.state_dir).free
        except OSError:
            pass
        else:
            yield GaugeMetricFamily("safar_state_free_bytes", "Free space where the lists are installed.",
                                    value=free)
        yield GaugeMetricFamily("safar_metrics_written_timestamp_seconds",
                                "When the kiosk wrote this file, by its own clock.", value=wall.timestamp())

    @staticmethod
    def _identity(h: KioskHealth, status: KioskStatus | None) -> Iterable[Metric]:
        version = status.list_version if status is not None else None
        info = InfoMetricFamily("safar", "The kiosk program's version and the list in use.")
        info.add_metric([], {"version": h.version, "list_version": "" if version is None else str(version)})
        yield info
        mode = StateSetMetricFamily("safar_mode", "What the kiosk does: one state is 1.", labels=[])
        mode.add_metric([], {m: m == h.mode for m in (*MODES, STOPPED)})
        yield mode

    @staticmethod
    def _list(h: KioskHealth, status: KioskStatus | None) -> Iterable[Metric]:
        if status is not None:
            if status.list_version is not None:
                yield GaugeMetricFamily("safar_list_version", "The installed list's version.",
                                        value=status.list_version)
            if status.list_usable is not None:
                yield GaugeMetricFamily("safar_list_usable", "1: the kiosk matches against its list; 0: it cannot.",
                                        value=int(status.list_usable))
            # days as the kiosk judges them: its own zone's (``day_zone``), the list valid through valid_until
            if status.list_day is not None:
                yield GaugeMetricFamily("safar_list_date_timestamp_seconds", "The start of the list's date.",
                                        value=_day_start(status.list_day, h.day_zone))
            if status.valid_day is not None:
                yield GaugeMetricFamily("safar_list_valid_until_timestamp_seconds",
                                        "The start of the list's last valid day.",
                                        value=_day_start(status.valid_day, h.day_zone))
                yield GaugeMetricFamily("safar_list_expiry_timestamp_seconds",
                                        "When the list stops being valid (the end of its last valid day); "
                                        "days left: (this - time()) / 86400.",
                                        value=_day_start(status.valid_day + dt.timedelta(days=1), h.day_zone))
        installs = h._installed
        installs.read()
        if installs.installed is not None:
            yield GaugeMetricFamily("safar_list_installed_timestamp_seconds",
                                    "The last successful list install (audit log).", value=installs.installed)
        if installs.refused is not None:
            refused = GaugeMetricFamily("safar_list_refused_timestamp_seconds",
                                        "The last refused install or poll (audit log), by its error code.",
                                        labels=["code"])
            refused.add_metric([installs.refused[1]], installs.refused[0])
            yield refused
        from firmware.update import read_floors
        from firmware.update.errors import UpdateError

        try:
            floors = read_floors(h.state_dir)
        except (UpdateError, OSError):
            return
        if floors.time_floor.timestamp() <= 0:
            return  # not provisioned yet: no floor
        yield GaugeMetricFamily("safar_time_floor_timestamp_seconds",
                                "The time floor: the kiosk never believes a clock earlier than this.",
                                value=floors.time_floor.timestamp())

    @staticmethod
    def _condition(h: KioskHealth, status: KioskStatus | None) -> Iterable[Metric]:
        if status is None:
            return
        devices = GaugeMetricFamily("safar_device_up", "1: the device answers; 0: it is configured and does not.",
                                    labels=["device"])
        for name, up in sorted(status.devices.items()):
            if up is not None:
                devices.add_metric([name], int(up))
        yield devices
        checks = GaugeMetricFamily("safar_check_state", "The last diagnostics run: 0 pass, 1 warn, 2 fail.",
                                   labels=["check"])
        for name, state, _ in status.checks:
            checks.add_metric([name], SEVERITY[state.lower()])
        yield checks
        if status.enclosure_open is not None:
            yield GaugeMetricFamily("safar_enclosure_open", "1: the service door is open (tamper switch).",
                                    value=int(status.enclosure_open))

    @staticmethod
    def _day_totals(days: _DayTotals) -> Iterable[Metric]:
        if days.finished is None:
            return
        day, counts, whole = days.finished
        if sum(counts.values()) < RESULT_TOTALS_MIN_SCANS:
            return  # too few travellers for their answers to stay anonymous
        totals = GaugeMetricFamily("safar_results_yesterday", "The last whole day's answers, by answer.",
                                   labels=["result"])
        for result in RESULTS:
            totals.add_metric([result], counts[result])
        yield totals
        yield GaugeMetricFamily("safar_results_yesterday_date_timestamp_seconds",
                                "The start of the day those answers were counted on.", value=_day_start(day, days.zone))
        yield GaugeMetricFamily("safar_results_yesterday_complete",
                                "1: the kiosk ran that whole day; 0: it started or its clock jumped during it.",
                                value=int(whole))

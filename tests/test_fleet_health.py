"""Fleet health (firmware/fleet/health.py, hw/fleet/, docs/fleet.md): the node_exporter textfile
read back with prometheus_client's parser, its privacy rules, the real kiosk loop for 1,000
scans, and the alert rules and dashboard checked against what a kiosk really writes."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import json
import logging
import os
import random
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from update_world import INSTALL_DAY

from firmware.app.compose import Devices, build
from firmware.app.config import KioskConfig
from firmware.fleet.health import RESULT_TOTALS_MIN_SCANS, KioskHealth
from firmware.kiosk.status import KioskStatus
from firmware.update import install, read_floors
from firmware.update.errors import UpdateError
from host_tools.fake_documents import random_document
from tests.test_kiosk import TODAY, FakeScannerLink, _NoPixels, assert_nothing_personal, misread, signed_state

ROOT = Path(__file__).resolve().parents[1]
FLEET = ROOT / "hw" / "fleet"
PROMTOOL = shutil.which("promtool")
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
UP = {"scanner": True, "camera": None, "printer": False, "ioboard": True}
CHECKS = (("scanner", "pass", "Scanner answers."), ("clock", "warn", "Clock not synchronised."),
          ("ioboard", "fail", "The I/O board is not answering."))


class Wall:
    """A wall clock the test moves."""

    def __init__(self, when: dt.datetime) -> None:
        self.now = when

    def __call__(self) -> dt.datetime:
        return self.now


def status(mode: str = "idle", **kw: Any) -> KioskStatus:
    values: dict[str, Any] = {"list_version": 20261101, "list_date": "2026-11-01", "valid_until": "2027-05-20",
                              "devices": UP, "checks": CHECKS, "list_usable": True, "enclosure_open": False}
    values.update(kw)
    return KioskStatus(mode, **values)


def health(tmp_path: Path, state: Path | None = None, **kw: Any) -> KioskHealth:
    (tmp_path / "metrics").mkdir(exist_ok=True)
    kw.setdefault("wall", Wall(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)))
    kw.setdefault("temperature_path", tmp_path / "temp")
    kw.setdefault("day_zone", dt.UTC)
    return KioskHealth(tmp_path / "metrics" / "safar.prom", state or tmp_path / "state", **kw)


def scrape(path: Path) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """sample name -> {sorted labels: value}, as Prometheus would read the file."""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def value(samples: dict[str, Any], name: str, **labels: str) -> float:
    return samples[name][tuple(sorted(labels.items()))]


# -- the file --------------------------------------------------------------------------


def test_the_file_is_replaced_whole_and_readable_by_node_exporter_under_the_units_umask(tmp_path: Path) -> None:
    (tmp_path / "temp").write_text("48312\n")
    h = health(tmp_path, started=dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC).timestamp())
    old = os.umask(0o077)  # the unit's UMask
    try:
        h.observe(0.0, status())
    finally:
        os.umask(old)
    path = tmp_path / "metrics" / "safar.prom"
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["safar.prom"]  # no temp file left
    m = scrape(path)
    assert value(m, "safar_info", version=importlib.metadata.version("safar"), list_version="20261101") == 1
    assert value(m, "safar_list_version") == 20261101
    assert value(m, "safar_list_usable") == 1
    assert value(m, "safar_list_date_timestamp_seconds") == dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()
    assert value(m, "safar_list_valid_until_timestamp_seconds") == \
        dt.datetime(2027, 5, 20, tzinfo=dt.UTC).timestamp()
    assert value(m, "safar_list_expiry_timestamp_seconds") == dt.datetime(2027, 5, 21, tzinfo=dt.UTC).timestamp()
    # up, down; the camera is not configured: absent, not "down"
    assert m["safar_device_up"] == {(("device", "ioboard"),): 1, (("device", "printer"),): 0,
                                    (("device", "scanner"),): 1}
    assert m["safar_check_state"] == {(("check", "scanner"),): 0, (("check", "clock"),): 1,
                                      (("check", "ioboard"),): 2}
    assert {labels[0][1]: v for labels, v in m["safar_mode"].items()} == \
        {"idle": 1, "serving": 0, "out_of_service": 0, "service": 0, "stopped": 0}
    assert value(m, "safar_scans_total") == 0
    assert value(m, "safar_uptime_seconds") == 3600
    assert value(m, "safar_soc_temperature_celsius") == pytest.approx(48.312)
    assert value(m, "safar_enclosure_open") == 0
    assert value(m, "safar_metrics_written_timestamp_seconds") == \
        dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC).timestamp()
    assert value(m, "safar_process_resident_memory_bytes") > 0  # prometheus_client's process collector
    assert "safar_results_yesterday" not in m


def test_writes_follow_the_period_and_going_in_or_out_of_service_is_written_at_once(tmp_path: Path) -> None:
    h = health(tmp_path, write_every=15.0)
    path = tmp_path / "metrics" / "safar.prom"

    def mode() -> str:
        return next(labels[0][1] for labels, v in scrape(path)["safar_mode"].items() if v == 1)

    h.observe(100.0, status("idle"))
    assert (h.writes, mode()) == (1, "idle")
    h.observe(110.0, status("idle"))
    h.count_scan("no_record")
    assert h.writes == 1  # a scan is not written at once: it would date each traveller to the second
    h.observe(115.0, status("idle"))
    assert h.writes == 2 and value(scrape(path), "safar_scans_total") == 1
    h.observe(116.0, status("out_of_service"))
    assert (h.writes, mode()) == (3, "out_of_service")
    h.observe(117.0, status("idle"))
    h.observe(118.0, status("service"))
    assert (h.writes, mode()) == (5, "service")
    h.observe(133.0, status("idle"))
    h.observe(134.0, status("serving"))  # idle <-> serving: on the period only
    assert (h.writes, mode()) == (6, "idle")
    h.observe(148.0, status("serving"))
    assert (h.writes, mode()) == (7, "serving")
    h.close()
    assert (h.writes, mode()) == (8, "stopped")


def test_answers_are_exported_only_when_enabled_and_only_for_whole_past_days(tmp_path: Path) -> None:
    path = tmp_path / "metrics" / "safar.prom"
    wall = Wall(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC))

    def day(h: KioskHealth, strong: int, none: int) -> None:
        for _ in range(strong):
            h.count_scan("strong")
        for _ in range(none):
            h.count_scan("no_record")
        h.write()

    off = health(tmp_path, wall=wall)
    day(off, 5, 20)
    wall.now += dt.timedelta(days=1)
    off.write()
    assert not [name for name in scrape(path) if name.startswith("safar_results")]
    assert value(scrape(path), "safar_scans_total") == 25

    wall.now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    h = health(tmp_path, wall=wall, result_totals=True)
    day(h, 5, 20)  # 23 November, from 10:00
    assert not [name for name in scrape(path) if name.startswith("safar_results")]  # the day is not over
    wall.now = dt.datetime(2026, 11, 24, 0, 0, 1, tzinfo=dt.UTC)
    day(h, 1, 0)  # a traveller just after midnight is not in yesterday's totals
    m = scrape(path)
    assert m["safar_results_yesterday"] == {(("result", "no_record"),): 20, (("result", "not_checked"),): 0,
                                            (("result", "possible"),): 0, (("result", "read_failed"),): 0,
                                            (("result", "strong"),): 5}
    assert value(m, "safar_results_yesterday_date_timestamp_seconds") == \
        dt.datetime(2026, 11, 23, tzinfo=dt.UTC).timestamp()
    assert value(m, "safar_results_yesterday_complete") == 0  # counting began at 10:00
    day(h, 2, 30)
    wall.now = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    h.write()
    m = scrape(path)
    assert value(m, "safar_results_yesterday", result="strong") == 3
    assert value(m, "safar_results_yesterday", result="no_record") == 30
    assert value(m, "safar_results_yesterday_complete") == 1
    # a quiet day: too few travellers for their answers to be anonymous
    day(h, 1, RESULT_TOTALS_MIN_SCANS - 2)
    wall.now = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    h.write()
    assert "safar_results_yesterday" not in scrape(path)
    # the clock jumps over days (boot before NTP): no day was counted whole
    day(h, 5, 30)
    wall.now = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)
    h.write()
    assert "safar_results_yesterday" not in scrape(path)
    assert value(scrape(path), "safar_scans_total") == 1 + 5 + 20 + 2 + 30 + 1 + RESULT_TOTALS_MIN_SCANS - 2 + 35


@pytest.mark.parametrize("content", [None, "", "warm\n"])
def test_an_unreadable_temperature_is_absent(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        (tmp_path / "temp").write_text(content)
    h = health(tmp_path)
    h.observe(0.0, status())
    assert "safar_soc_temperature_celsius" not in scrape(tmp_path / "metrics" / "safar.prom")


def test_last_install_refusal_and_time_floor_come_from_the_state_directory(state_with_a: Path,
                                                                          tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    h = KioskHealth(tmp_path / "metrics" / "safar.prom", state_with_a, temperature_path=tmp_path / "none")
    h.observe(0.0, status())
    m = scrape(tmp_path / "metrics" / "safar.prom")
    # the real installer's audit entry (conftest: list A installed on INSTALL_DAY)
    assert value(m, "safar_list_installed_timestamp_seconds") == \
        dt.datetime.combine(INSTALL_DAY, dt.time(), tzinfo=dt.UTC).timestamp()
    assert value(m, "safar_time_floor_timestamp_seconds") == read_floors(state_with_a).time_floor.timestamp()
    assert value(m, "safar_state_free_bytes") > 0
    assert "safar_list_refused_timestamp_seconds" not in m
    (tmp_path / "empty").mkdir()
    with pytest.raises(UpdateError) as refused:
        install(state_with_a, tmp_path / "empty", now=INSTALL_DAY + dt.timedelta(days=1))
    h.observe(20.0, status())
    m = scrape(tmp_path / "metrics" / "safar.prom")
    assert value(m, "safar_list_refused_timestamp_seconds", code=refused.value.code) == \
        dt.datetime.combine(INSTALL_DAY + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC).timestamp()
    assert value(m, "safar_list_installed_timestamp_seconds") == \
        dt.datetime.combine(INSTALL_DAY, dt.time(), tzinfo=dt.UTC).timestamp()


def test_bad_input_is_refused_naming_what(tmp_path: Path) -> None:
    h = health(tmp_path)
    with pytest.raises(ValueError, match="count_scan: 'match' is not one of no_record"):
        h.count_scan("match")
    with pytest.raises(ValueError, match="KioskStatus.mode: 'busy'"):
        KioskStatus("busy")
    with pytest.raises(ValueError, match="KioskStatus.checks: 'clock' has state 'ok'"):
        KioskStatus("idle", checks=(("clock", "ok", "fine"),))
    with pytest.raises(ValueError, match="KioskStatus.devices: 'scaner' is not one of scanner"):
        KioskStatus("idle", devices={"scaner": True})
    with pytest.raises(ValueError, match="KioskStatus.valid_until: not an ISO date: 'soon'"):
        KioskStatus("idle", valid_until="soon")
    with pytest.raises(ValueError, match=r"safar\.txt: must end in \.prom"):
        KioskHealth(tmp_path / "safar.txt", tmp_path)


def test_a_missing_directory_is_logged_once_and_the_kiosk_goes_on(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    h = KioskHealth(tmp_path / "gone" / "safar.prom", tmp_path / "state", temperature_path=tmp_path / "t")
    caplog.set_level(logging.WARNING, "safar.kiosk")
    for now in (0.0, 15.0, 30.0):
        h.observe(now, status())
    assert h.writes == 0
    assert [r.getMessage() for r in caplog.records] == \
        [f"metrics: cannot write {tmp_path / 'gone' / 'safar.prom'}: No such file or directory "
         "(node_exporter will report the file stale)"]
    (tmp_path / "gone").mkdir()
    h.observe(45.0, status())
    assert h.writes == 1 and "writing" in caplog.records[-1].getMessage()


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")
def test_promtool_lints_the_file_clean(tmp_path: Path) -> None:
    (tmp_path / "temp").write_text("51000")
    h = health(tmp_path, result_totals=True)
    _full_day(h)
    h.observe(0.0, status())
    data = (tmp_path / "metrics" / "safar.prom").read_bytes()
    run = subprocess.run([str(PROMTOOL), "check", "metrics"], input=data, capture_output=True, timeout=60)
    assert run.returncode == 0, run.stdout.decode() + run.stderr.decode()


@pytest.mark.skipif(NODE_EXPORTER is None, reason="node_exporter (Debian prometheus-node-exporter) is not installed")
def test_node_exporter_serves_the_file(tmp_path: Path) -> None:
    h = health(tmp_path)
    h.count_scan("no_record")
    h.observe(0.0, status())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exporter = subprocess.Popen([str(NODE_EXPORTER), f"--web.listen-address=127.0.0.1:{port}",
                                 "--collector.disable-defaults", "--collector.textfile",
                                 f"--collector.textfile.directory={tmp_path / 'metrics'}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        text = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    text = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
    finally:
        exporter.terminate()
        exporter.wait(10)
    served = {(s.name, tuple(sorted(s.labels.items()))): s.value
              for f in text_string_to_metric_families(text) for s in f.samples}
    assert served[("node_textfile_scrape_error", ())] == 0
    assert served[("safar_scans_total", ())] == 1
    assert (("node_textfile_mtime_seconds", (("file", str(tmp_path / "metrics" / "safar.prom")),))) in served


# -- the done-when test: the real loop ---------------------------------------------------


@pytest.mark.slow(seconds=9)
def test_1000_scans_through_the_kiosk_loop_are_counted_and_the_file_holds_nothing_personal(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(15)
    people = [random_document(rng, today=(2026, 11, 23), fmt=rng.choice(["TD1", "TD3"])) for _ in range(980)]
    state = signed_state(tmp_path, people[::10])
    caplog.set_level(logging.DEBUG)
    clock = [0.0]
    wall = Wall(dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC))
    (tmp_path / "metrics").mkdir()
    metrics = tmp_path / "metrics" / "safar.prom"
    fleet = KioskHealth(metrics, state, result_totals=True, wall=wall, temperature_path=tmp_path / "none",
                        day_zone=dt.UTC)
    config = KioskConfig.example()
    link, pixels = FakeScannerLink(), _NoPixels()
    kiosk = build(config, state, Devices(link=link, display=pixels, renderer=pixels, health=fleet),
                  today=lambda: TODAY, clock=lambda: clock[0])
    kiosk.refresh_list()
    kiosk.step(0)
    seen: list[str] = []
    expected: dict[str, int] = {"strong": 0, "no_record": 0, "read_failed": 0}

    def turn() -> None:
        clock[0] += 1.0  # a traveller a second: the 15 s writes fall between them
        wall.now += dt.timedelta(seconds=1)
        kiosk.step(0)

    for i, p in enumerate(people):
        if i % 49 == 7:  # 20 zones misread first
            link.scan(misread(p))
            turn()
            assert kiosk.state.kind == "read_failed"
            expected["read_failed"] += 1
        link.scan(p.lines)
        turn()
        if kiosk.state.kind == "choose_language":  # an Afghan passport: the chooser first
            kiosk.press("lang:en")
        kind = "strong" if i % 10 == 0 else "no_record"
        assert kiosk.state.kind == kind, i
        expected[kind] += 1
        seen.append(metrics.read_text())
        kiosk.press("done")
    clock[0] += 20.0  # past the write period: the last scans are written
    kiosk.step(0)
    m = scrape(metrics)
    assert sum(expected.values()) == 1000 and kiosk.scans == 1000
    assert value(m, "safar_scans_total") == 1000
    assert fleet.writes > 1000 // 15
    assert value(m, "safar_list_version") == 1
    assert value(m, "safar_device_up", device="scanner") == 1
    # during the day, no answer was ever in the file
    assert not [text for text in seen if "safar_results" in text]
    wall.now = dt.datetime(2026, 11, 24, 0, 0, 5, tzinfo=dt.UTC)
    clock[0] += 20.0
    kiosk.step(0)
    m = scrape(metrics)
    assert {labels[0][1]: v for labels, v in m["safar_results_yesterday"].items()} == \
        {"strong": expected["strong"], "no_record": expected["no_record"], "read_failed": 20, "possible": 0,
         "not_checked": 0}
    kiosk.close()  # the metrics' last word
    assert value(scrape(metrics), "safar_mode", safar_mode="stopped") == 1
    out, err = capfd.readouterr()
    blobs = [metrics.read_bytes(), *(t.encode() for t in seen), caplog.text.encode(), out.encode(), err.encode(),
             *(p.read_bytes() for p in metrics.parent.iterdir())]
    assert_nothing_personal(people, blobs)


# -- the alert rules and the dashboard, against a real file ------------------------------------


def _full_day(h: KioskHealth) -> None:
    """A day of answers ended: every family a kiosk can write is in the next file."""
    assert isinstance(h.wall, Wall)
    for i in range(RESULT_TOTALS_MIN_SCANS):
        h.count_scan(("strong", "no_record", "possible", "not_checked", "read_failed")[i % 5])
    h.wall.now += dt.timedelta(days=1)


def real_samples(tmp_path: Path, state: Path) -> dict[str, set[tuple[tuple[str, str], ...]]]:
    """Every sample name with its label sets that a kiosk with everything configured writes,
    plus node_exporter's own for the file and Prometheus's ``up``."""
    (tmp_path / "temp").write_text("51000")
    h = health(tmp_path, state, result_totals=True)
    _full_day(h)
    h.observe(0.0, status(devices={"scanner": True, "camera": True, "printer": True, "ioboard": False}))
    h.observe(1.0, status("out_of_service", devices={"scanner": False, "camera": True, "printer": True,
                                                     "ioboard": False}))
    found: dict[str, set[tuple[tuple[str, str], ...]]] = {}
    for name, series in scrape(tmp_path / "metrics" / "safar.prom").items():
        found[name] = set(series)
    found["node_textfile_mtime_seconds"] = {(("file", "/run/safar-metrics/safar.prom"),)}
    found["up"] = {()}
    return found


METRIC = re.compile(r"\b(safar_[a-z0-9_]+|node_[a-z0-9_]+|up)\b")
SELECTOR = re.compile(r"\b([a-z_][a-z0-9_]*)\{([^}]*)\}")
MATCHER = re.compile(r'(\w+)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"')


def metric_uses(expr: str) -> list[tuple[str, dict[str, str]]]:
    """Each metric an expression names (outside strings), and each selector's exact label matches
    (``instance`` and ``job`` are the scrape target's)."""
    uses: list[tuple[str, dict[str, str]]] = [(name, {}) for name in
                                              METRIC.findall(re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr))]
    for name, matchers in SELECTOR.findall(expr):
        exact = {k: v for k, op, v in MATCHER.findall(matchers) if op == "=" and k not in ("instance", "job")}
        uses.append((name, exact))
    return uses


def assert_known(expr: str, real: dict[str, set[tuple[tuple[str, str], ...]]], where: str) -> int:
    uses = metric_uses(expr)
    for name, exact in uses:
        assert name in real, f"{where}: {name} is not written by a kiosk (in: {expr})"
        assert any(set(exact.items()) <= set(labels) for labels in real[name]), \
            f"{where}: no {name} sample with {exact} (in: {expr})"
    return len(uses)


def dashboard_exprs(board: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    exprs += [v["query"] for v in board["templating"]["list"] if v["type"] == "query"]
    return exprs


def test_alert_rules_and_dashboard_name_only_what_a_kiosk_writes(state_with_a: Path, tmp_path: Path) -> None:
    real = real_samples(tmp_path, state_with_a)
    rules = yaml.safe_load((FLEET / "alerts.yml").read_text(encoding="utf-8"))
    names = 0
    for group in rules["groups"]:
        for rule in group["rules"]:
            names += assert_known(rule["expr"], real, f"alerts.yml {rule['alert']}")
    unit = yaml.safe_load((FLEET / "alerts.test.yml").read_text(encoding="utf-8"))
    for test in unit["tests"]:
        for series in test["input_series"]:
            names += assert_known(series["series"], real, "alerts.test.yml")
    board = json.loads((FLEET / "safar-fleet.json").read_text(encoding="utf-8"))
    for expr in dashboard_exprs(board):
        names += assert_known(expr, real, "safar-fleet.json")
    assert names > 60


def test_alert_rules_pass_promtool_or_a_structural_check() -> None:
    rules = yaml.safe_load((FLEET / "alerts.yml").read_text(encoding="utf-8"))
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    assert set(alerts) == {"SafarListExpiringSoon", "SafarListUnusable", "SafarKioskOutOfService",
                           "SafarScannerDown", "SafarIoBoardDown", "SafarKioskNotReporting",
                           "SafarKioskUnreachable", "SafarTemperatureHigh", "SafarTemperatureCritical"}
    for name, rule in alerts.items():
        assert rule["expr"].strip() and rule["labels"]["severity"] in ("warning", "critical"), name
        assert {"summary", "description"} <= set(rule["annotations"]), name
    assert alerts["SafarKioskOutOfService"]["for"] == "10m"
    if PROMTOOL is None:
        pytest.skip("promtool not installed: structure checked only (./dev test installs it)")
    for args in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"],
                 ["check", "config", "prometheus.yml"]):
        run = subprocess.run([PROMTOOL, *args], cwd=FLEET, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location("fleet_dashboard", FLEET / "dashboard.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_dashboard_is_what_grafanas_typed_builders_make() -> None:
    committed = (FLEET / "safar-fleet.json").read_text(encoding="utf-8")
    board = json.loads(committed)
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)) and all(p["type"] and p["gridPos"] for p in board["panels"])
    assert {p["type"] for p in board["panels"]} == {"row", "stat", "table", "timeseries"}
    pytest.importorskip("grafana_foundation_sdk", reason="the dashboard's builder (pip grafana-foundation-sdk)")
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.dashboard import Dashboard

    assert _builder().build_json() == committed, "rebuild: .venv/bin/python hw/fleet/dashboard.py > " \
                                                 "hw/fleet/safar-fleet.json"
    # and the committed JSON reads back into the schema's model unchanged
    again = json.loads(json.dumps(Dashboard.from_json(board), cls=JSONEncoder))
    assert again == board

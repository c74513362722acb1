"""Builds ``safar-fleet.json``, the fleet's Grafana dashboard, with Grafana's own typed builders
(``grafana-foundation-sdk``, generated from Grafana 11.6's schema), so a misnamed option or a
wrong type fails here instead of silently in Grafana.

    .venv/bin/python hw/fleet/dashboard.py > hw/fleet/safar-fleet.json

``tests/test_fleet_health.py`` builds it again and compares it with the committed file, and
checks every metric its queries name against a real kiosk's textfile.
"""

from __future__ import annotations

import json
import sys

from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DatasourceVariable,
    QueryVariable,
    Row,
    ThresholdsConfig,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.table import Panel as Table
from grafana_foundation_sdk.builders.timeseries import Panel as TimeSeries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

UID = "safar-fleet"
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="${datasource}")
KIOSKS = 'instance=~"$instance"'
TEXTFILE = 'file=~".*/safar\\\\.prom"'  # node_exporter's label: the file's full path
STALE_SECONDS = 300  # as the SafarKioskNotReporting alert
DEVICES = (("scanner", "Scanner"), ("ioboard", "I/O board"), ("camera", "Camera"), ("printer", "Printer"))
UP_DOWN = [ValueMap({"1": ValueMappingResult(text="up", color="green"),
                     "0": ValueMappingResult(text="down", color="red")})]


def steps(*pairs: tuple[float | None, str]) -> ThresholdsConfig:
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([Threshold(value=v, color=c) for v, c in pairs])


def instant(ref: str, expr: str) -> Dataquery:
    return Dataquery().ref_id(ref).expr(expr).instant().format(PromQueryFormat.TABLE).datasource(PROMETHEUS)


def series(ref: str, expr: str, legend: str) -> Dataquery:
    return Dataquery().ref_id(ref).expr(expr).range().legend_format(legend).datasource(PROMETHEUS)


def stat(title: str, expr: str, description: str, thresholds: ThresholdsConfig, unit: str = "none") -> Stat:
    return (Stat().title(title).description(description).datasource(PROMETHEUS).unit(unit).height(4).span(4)
            .thresholds(thresholds).with_target(Dataquery().ref_id("A").expr(expr).instant().datasource(PROMETHEUS)))


def kiosk_table() -> Table:
    """One row per kiosk (``instance``): the queries are merged on it and renamed."""
    queries = [
        ("A", f"max by (instance) (safar_list_version{{{KIOSKS}}})", "List version"),
        ("B", f"floor((min by (instance) (safar_list_expiry_timestamp_seconds{{{KIOSKS}}}) - time()) / 86400)",
         "Days left"),
        ("C", f"max by (instance, safar_mode) (safar_mode{{{KIOSKS}}} == 1)", None),
        *((f"D{i}", f'max by (instance) (safar_device_up{{device="{d}", {KIOSKS}}})', name)
          for i, (d, name) in enumerate(DEVICES)),
        ("E", f"sum by (instance) (increase(safar_scans_total{{{KIOSKS}}}[1h]))", "Scans / h"),
        ("F", f"max by (instance) (safar_soc_temperature_celsius{{{KIOSKS}}})", "SoC °C"),
        ("G", f"time() - max by (instance) (safar_list_installed_timestamp_seconds{{{KIOSKS}}})", "Last update"),
        ("H", f"time() - max by (instance) (node_textfile_mtime_seconds{{{TEXTFILE}, {KIOSKS}}})", "Last report"),
        ("I", f"max by (instance, version) (safar_info{{{KIOSKS}}})", None),
    ]
    table = (Table().title("Kiosks").datasource(PROMETHEUS).span(24).height(12)
             .description("One row per kiosk. Days left: whole days until the list runs out; below 0 it has. "
                          "Last update: since the last list install; last report: since the kiosk wrote its "
                          f"metrics (over {STALE_SECONDS} s: not reporting)."))
    rename = {"instance": "Kiosk", "safar_mode": "Mode", "version": "Program"}
    for ref, expr, name in queries:
        table = table.with_target(instant(ref, expr))
        if name is not None:
            rename[f"Value #{ref}"] = name
    table = table.with_transformation(DataTransformerConfig(id_val="merge", options={}))
    table = table.with_transformation(DataTransformerConfig(id_val="organize", options={
        "excludeByName": {"Time": True, "Value #C": True, "Value #I": True},
        "renameByName": rename,
    }))
    for _, name in DEVICES:
        table = table.override_by_name(name, [DynamicConfigValue(id_val="mappings", value=UP_DOWN),
                                              DynamicConfigValue(id_val="custom.cellOptions",
                                                                 value={"type": "color-text"})])
    table = table.override_by_name("Days left", [
        DynamicConfigValue(id_val="thresholds", value=steps((None, "red"), (0, "orange"), (30, "green")).build()),
        DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"})])
    table = table.override_by_name("SoC °C", [
        DynamicConfigValue(id_val="unit", value="celsius"),
        DynamicConfigValue(id_val="thresholds", value=steps((None, "green"), (70, "orange"), (80, "red")).build()),
        DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"})])
    for name in ("Last update", "Last report"):
        table = table.override_by_name(name, [DynamicConfigValue(id_val="unit", value="s")])
    return table


def build() -> dashboard.Dashboard:
    """The dashboard's model; panels numbered 1.. in order (Grafana links and edits panels by id)."""
    fleet = (
        Dashboard("Safar kiosk fleet").uid(UID).tags(["safar", "kiosk"]).refresh("1m").time("now-24h", "now")
        .description("Safar kiosks' health from their node_exporter textfile (docs/fleet.md). "
                     "A count of travellers only: no answer is ever shown live.")
        .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_variable(QueryVariable("instance").label("Kiosk").datasource(PROMETHEUS)
                       .query("label_values(safar_info, instance)").refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
                       .multi(True).include_all(True).all_value(".*"))
        .with_row(Row("Fleet now"))
        .with_panel(stat("Kiosks reporting", f"count(safar_info{{{KIOSKS}}})",
                         "Kiosks whose metrics Prometheus has now.", steps((None, "blue"))))
        .with_panel(stat("Out of service", f'sum(safar_mode{{safar_mode="out_of_service", {KIOSKS}}}) or vector(0)',
                         "Kiosks showing travellers the out-of-service screen.",
                         steps((None, "green"), (1, "red"))))
        .with_panel(stat("Not reporting",
                         f"count(time() - node_textfile_mtime_seconds{{{TEXTFILE}, {KIOSKS}}} > {STALE_SECONDS}) "
                         "or vector(0)",
                         "Kiosks whose metrics file is older than 5 minutes (stopped or hung).",
                         steps((None, "green"), (1, "red"))))
        .with_panel(stat("Fewest days left",
                         f"floor((min(safar_list_expiry_timestamp_seconds{{{KIOSKS}}}) - time()) / 86400)",
                         "The list that runs out first in the fleet: whole days left.",
                         steps((None, "red"), (0, "orange"), (30, "green"))))
        .with_panel(stat("Lowest list version", f"min(safar_list_version{{{KIOSKS}}})",
                         "A kiosk behind the others has not received the newest list.", steps((None, "blue"))))
        .with_panel(stat("Scans, last hour", f"sum(increase(safar_scans_total{{{KIOSKS}}}[1h]))",
                         "Travellers served in the last hour across the fleet.", steps((None, "blue"))))
        .with_row(Row("Kiosks"))
        .with_panel(kiosk_table())
        .with_row(Row("Over time"))
        .with_panel(TimeSeries().title("Scans per hour, fleet").datasource(PROMETHEUS).span(12).height(8)
                    .unit("none").min(0)
                    .with_target(series("A", f"sum(increase(safar_scans_total{{{KIOSKS}}}[1h]))", "all kiosks"))
                    .with_target(series("B", f"sum by (instance) (increase(safar_scans_total{{{KIOSKS}}}[1h]))",
                                        "{{instance}}")))
        .with_panel(TimeSeries().title("Kiosks out of service").datasource(PROMETHEUS).span(12).height(8)
                    .unit("none").min(0).decimals(0)
                    .with_target(series("A", f'sum(safar_mode{{safar_mode="out_of_service", {KIOSKS}}})',
                                        "out of service"))
                    .with_target(series("B", f'sum(safar_mode{{safar_mode="service", {KIOSKS}}})', "service mode")))
        .with_panel(TimeSeries().title("SoC temperature").datasource(PROMETHEUS).span(12).height(8)
                    .unit("celsius").thresholds(steps((None, "green"), (70, "orange"), (80, "red")))
                    .with_target(series("A", f"safar_soc_temperature_celsius{{{KIOSKS}}}", "{{instance}}")))
        .with_panel(TimeSeries().title("Kiosk program memory (RSS)").datasource(PROMETHEUS).span(12).height(8)
                    .unit("bytes")
                    .with_target(series("A", f"safar_process_resident_memory_bytes{{{KIOSKS}}}", "{{instance}}")))
    ).build()
    for number, panel in enumerate(fleet.panels or [], 1):
        panel.id_val = number
    return fleet


def build_json() -> str:
    return json.dumps(build(), cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(build_json())

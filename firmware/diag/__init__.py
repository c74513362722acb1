"""Diagnostics: one report on the kiosk's hardware, clock, storage and installed list.

`checks` holds the checks (each `DiagContext -> CheckResult`); `report` shapes their
results (table, JSON, exit code); `remote` carries a report over the service serial
console; `cli` is `safar diag`.
"""

from firmware.diag.checks import CheckResult, DiagContext, run_all, worst

__all__ = ["CheckResult", "DiagContext", "run_all", "worst"]

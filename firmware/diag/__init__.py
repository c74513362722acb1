"""Diagnostics: one report on the kiosk's hardware, clock, storage and installed list.

`checks` holds the checks (each `DiagContext -> CheckResult`); `cli` is `safar diag`,
locally or over the service serial port.
"""

from firmware.diag.checks import CheckResult, DiagContext, run_all, worst

__all__ = ["CheckResult", "DiagContext", "run_all", "worst"]

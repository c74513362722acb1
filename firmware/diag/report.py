"""The diagnostics report as a technician and a program read it: a table, JSON, an exit code.

The same report is printed by ``safar diag`` and carried over the serial line by
``firmware.diag.remote``, so both sides shape it here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from firmware.diag.checks import CheckResult, worst
from firmware.readings import FAIL, SEVERITY, WARN


def report_dict(results: Sequence[CheckResult]) -> dict[str, Any]:
    """The JSON report: checks in order and the worst status."""
    return {"worst": worst(results), "checks": [r.to_dict() for r in results]}


def results_from(report: Mapping[str, Any]) -> list[CheckResult]:
    """The results of a JSON report; ValueError if it is not one."""
    checks = report.get("checks")
    if not isinstance(checks, list):
        raise ValueError("not a diagnostics report (no list of checks)")
    try:
        return [CheckResult.from_dict(c) for c in checks]
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"not a diagnostics report (a check is malformed: {type(e).__name__})") from None


def exit_code(results: Sequence[CheckResult]) -> int:
    """0 all pass, 1 worst is a warning, 2 something failed."""
    return SEVERITY[worst(results)]


def format_table(results: Sequence[CheckResult]) -> str:
    """`PASS name: message` lines and a summary line, for a technician's terminal."""
    width = max((len(r.name) for r in results), default=0) + 1
    lines = [f"{r.status.upper()} {(r.name + ':'):<{width}} {r.message}" for r in results]
    fails = sum(r.status == FAIL for r in results)
    warns = sum(r.status == WARN for r in results)
    lines.append(f"-- {worst(results).upper()}: {len(results)} checks, {fails} failed, {warns} warnings")
    return "\n".join(lines) + "\n"

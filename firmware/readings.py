"""What the kiosk reads about itself, for the diagnostics (``firmware/diag``) and the
fleet metrics (``firmware/fleet/health.py``) alike: the states a check ends in and
their order, where the SoC's temperature and the metrics textfile are. Both read these
facts here, below them both, so neither imports the other."""

from __future__ import annotations

PASS, WARN, FAIL = "pass", "warn", "fail"
SEVERITY = {PASS: 0, WARN: 1, FAIL: 2}  # the metrics export a check's state as this number

SOC_TEMPERATURE = "/sys/class/thermal/thermal_zone0/temp"  # millidegrees Celsius
METRICS_TEXTFILE = "/run/safar-metrics/safar.prom"  # the unit's RuntimeDirectory: RAM, no SD-card wear


def soc_celsius(text: str | None) -> float | None:
    """The SoC's temperature in °C from the kernel's millidegrees; None when unreadable."""
    if text is None:
        return None
    text = text.strip()
    if not text.lstrip("-").isdigit():
        return None
    return int(text) / 1000.0

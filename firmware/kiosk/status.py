"""The kiosk's condition in one loop turn, as the fleet's monitoring is told it
(``firmware/fleet/health.py`` writes it out): nothing about any traveller."""

from __future__ import annotations

import datetime as dt

from firmware.readings import SEVERITY

MODES = ("idle", "serving", "out_of_service", "service")
DEVICES = ("scanner", "camera", "printer", "ioboard")


def _iso_date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        raise ValueError(f"KioskStatus.{name}: not an ISO date: {value!r}") from None


class KioskStatus:
    """The kiosk's condition as the loop sees it in one turn (nothing about any traveller).

    ``mode``: idle | serving | out_of_service | service; ``list_date``, ``valid_until``: ISO
    dates; ``devices``: name -> up (True), down (False) or not configured (None, not exported);
    ``checks``: (name, pass|warn|fail, sentence) of the last diagnostics run, may be ();
    ``list_usable``: the installed list may be matched against (None: not known);
    ``enclosure_open``: the I/O board's tamper switch (None: no board)."""

    __slots__ = ("mode", "list_version", "list_date", "valid_until", "devices", "checks", "list_usable",
                 "enclosure_open", "list_day", "valid_day")

    def __init__(self, mode: str, list_version: int | None = None, list_date: str | None = None,
                 valid_until: str | None = None, devices: dict[str, bool | None] | None = None,
                 checks: tuple[tuple[str, str, str], ...] = (), list_usable: bool | None = None,
                 enclosure_open: bool | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"KioskStatus.mode: {mode!r} is not one of {', '.join(MODES)}")
        for device in devices or {}:
            if device not in DEVICES:
                raise ValueError(f"KioskStatus.devices: {device!r} is not one of {', '.join(DEVICES)}")
        for name, state, _ in checks:
            if state.lower() not in SEVERITY:
                raise ValueError(f"KioskStatus.checks: {name!r} has state {state!r}, not pass, warn or fail")
        self.mode = mode
        self.list_version = list_version
        self.list_date = list_date
        self.valid_until = valid_until
        self.devices = dict(devices or {})
        self.checks = checks
        self.list_usable = list_usable
        self.enclosure_open = enclosure_open
        # parsed here, so a bad value fails where it is made, not in a later write
        self.list_day = _iso_date(list_date, "list_date")
        self.valid_day = _iso_date(valid_until, "valid_until")

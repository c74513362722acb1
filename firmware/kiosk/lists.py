"""The kiosk's view of the installed list, through ``firmware.update.installed``:
only a verified list is ever matched against."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.kiosk.state import ListStatus

log = logging.getLogger("safar.kiosk")


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class InstalledList:
    """A ``ListSource`` for ``Kiosk``: (status, BanList or None). ``limits``: the most false
    strong and false possible answers per traveller the kiosk accepts from a list."""

    def __init__(self, state_dir: str | Path, limits: tuple[float, float] = (DEFAULT_STRONG, DEFAULT_POSSIBLE)) -> None:
        self.state_dir = Path(state_dir)
        self.limits = limits

    def __call__(self, today: dt.date) -> tuple[ListStatus, Any]:
        # imported when first asked: firmware.update brings python-tuf and numpy
        from firmware.update import installed
        from firmware.update.errors import BUDGET, EXPIRED

        now = dt.datetime.combine(today, dt.time(12, 0), tzinfo=dt.UTC)
        current = installed(self.state_dir, now=now)
        list_date, valid_until = _iso(current.list_date), _iso(current.valid_until)
        code = current.code
        if current.banlist is not None:
            problem = current.banlist.budget_problem(*self.limits)
            if problem is None:
                return ListStatus(True, list_date, valid_until), current.banlist
            log.warning("installed list not used: %s", problem)
            current.close()
            code = BUDGET
        # the traveller's out-of-service reason, by code
        if code == EXPIRED and valid_until:
            reason: tuple[str, str | None] = ("list_expired", valid_until[:10])
        elif code == BUDGET:
            reason = ("list_budget", None)
        else:
            reason = ("no_list", None)
        return ListStatus(False, list_date, valid_until, (reason,)), None

"""The kiosk's view of the installed list, through ``firmware.update.installed``:
only a verified list is ever matched against."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.kiosk.state import ListStatus

if TYPE_CHECKING:
    from firmware.update.installed_list import Installed

log = logging.getLogger("safar.kiosk")


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class InstalledList:
    """A ``ListSource`` for ``Kiosk``: (status, BanList or None). ``limits``: the most false
    strong and false possible answers per traveller the kiosk accepts from a list.

    A list the kiosk found damaged (``distrust``) passes the minute-by-minute check still
    (headers and canaries), so while ``current`` points at it the answer is what one full
    check of the installed lists found instead, kept: the previous list, or none."""

    def __init__(self, state_dir: str | Path, limits: tuple[float, float] = (DEFAULT_STRONG, DEFAULT_POSSIBLE)) -> None:
        self.state_dir = Path(state_dir)
        self.limits = limits
        self._distrusted: set[Path] = set()
        self._instead: Installed | None = None  # the answer while current is distrusted

    def distrust(self, directory: Path) -> None:
        """Not to be used again until another list is installed or the kiosk restarts."""
        self._distrusted.add(Path(directory))
        self._instead = None

    def __call__(self, today: dt.date) -> tuple[ListStatus, Any]:
        # imported when first asked: firmware.update brings python-tuf and numpy
        from firmware.update import installed

        now = dt.datetime.combine(today, dt.time(12, 0), tzinfo=dt.UTC)
        current = installed(self.state_dir, now=now)
        if current.directory not in self._distrusted:
            self._instead = None
            return self._status(self._within_limits(current))
        current.close()
        if self._instead is None:
            self._instead = self._within_limits(self._checked_in_full(now))
        else:
            self._judge_expiry(self._instead, today)
        return self._status(self._instead)

    def _checked_in_full(self, now: dt.datetime) -> Installed:
        from firmware.update import installed
        from firmware.update.errors import FAILED_VERIFICATION

        log.warning("installed list distrusted: checking the installed lists in full")
        found = installed(self.state_dir, now=now, verify_hashes=True)
        if found.directory in self._distrusted:  # it reads back intact now, but it did not
            found.close()
            found.banlist, found.code, found.reason = None, FAILED_VERIFICATION, "the installed list was damaged"
        elif found.banlist is not None:
            log.warning("using the previous installed list (version %s)", found.list_version)
        return found

    def _judge_expiry(self, found: Installed, today: dt.date) -> None:
        """The kept answer ages: expiry by the later of today and the date it was judged by.
        Its list stays open: the kiosk closes it when it is given something else."""
        from firmware.update.errors import EXPIRED

        judged = max(today, found.today) if found.today else today
        if found.banlist is not None and found.valid_until is not None and judged > found.valid_until:
            found.banlist, found.code = None, EXPIRED
            found.reason = f"the installed list expired on {found.valid_until.isoformat()}"

    def _within_limits(self, found: Installed) -> Installed:
        from firmware.update.errors import BUDGET

        if found.banlist is not None:
            problem = found.banlist.budget_problem(*self.limits)
            if problem is not None:
                log.warning("installed list not used: %s", problem)
                found.close()
                found.banlist, found.code = None, BUDGET
        return found

    @staticmethod
    def _status(found: Installed) -> tuple[ListStatus, Any]:
        from firmware.update.errors import BUDGET, EXPIRED

        list_date, valid_until = _iso(found.list_date), _iso(found.valid_until)
        if found.banlist is not None:
            return ListStatus(True, list_date, valid_until, version=found.list_version), found.banlist
        # the traveller's out-of-service reason, by code
        if found.code == EXPIRED and valid_until:
            reason: tuple[str, str | None] = ("list_expired", valid_until[:10])
        elif found.code == BUDGET:
            reason = ("list_budget", None)
        else:
            reason = ("no_list", None)
        return ListStatus(False, list_date, valid_until, (reason,), version=found.list_version), None

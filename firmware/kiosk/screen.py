"""What the traveller should see, as plain values: the kiosk decides, ``kiosk_ui`` draws.

A ``Screen`` holds no personal data except, on a result, the passport's expiry
date (shown so the traveller can act on it) and it lives only until the result
times out.
"""

from __future__ import annotations

KINDS = ("idle", "reading", "no_record", "possible", "strong", "read_failed", "out_of_service", "service", "pin_entry")
RESULT_KINDS = ("no_record", "possible", "strong")


class Screen:
    __slots__ = ("kind", "lang", "list_date", "valid_until", "ban_end", "passport", "failures", "reasons", "checks")

    def __init__(
        self,
        kind: str,
        lang: str,
        list_date: str | None = None,
        valid_until: str | None = None,
        ban_end: str | None = None,
        passport: tuple[str, str] | None = None,
        failures: int = 0,
        reasons: tuple[tuple[str, str | None], ...] = (),
        checks: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        if kind not in KINDS:
            raise ValueError("unknown screen %r" % kind)
        self.kind = kind
        self.lang = lang
        self.list_date = list_date  # ISO dates
        self.valid_until = valid_until
        self.ban_end = ban_end
        self.passport = passport  # ('expired' | 'expiring', ISO date) or None
        self.failures = failures  # consecutive unreadable scans
        self.reasons = reasons  # out of service: ('no_list' | 'list_expired' | 'list_budget' | 'scanner_missing', ISO date or None)
        self.checks = checks  # service: (name, 'pass' | 'warn' | 'fail', sentence)
        # pin_entry: ``failures`` is the number of digits typed; ``reasons`` holds
        # (('wrong_pin', None),) or (('locked', None),) after a refusal.

    def _key(self) -> tuple:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Screen) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "Screen(%s, %s)" % (self.kind, self.lang)

    def replace(self, **changes: object) -> "Screen":
        values = {k: getattr(self, k) for k in self.__slots__}
        values.update(changes)
        return Screen(**values)  # type: ignore[arg-type]

"""Refusals of a signed list: a short code for programs, a sentence for people.

Callers decide on the code (the constants below), never on words in the sentence.
"""

from __future__ import annotations

# why a repository, a bundle or an installed list is refused (``UpdateError.code``)
UNSIGNED = "unsigned"
UNKNOWN_KEY = "unknown-key"
THRESHOLD = "threshold"
TAMPERED = "tampered"
TRUNCATED = "truncated"
OVERSIZED = "oversized"
BOMB = "bomb"
EXPIRED = "expired"
ROLLBACK = "rollback"
DEPLOYMENT = "deployment"
INCONSISTENT = "inconsistent"
MALFORMED = "malformed"
MISSING = "missing"
IO = "io"
NO_SPACE = "no-space"
SELF_TEST = "self-test"
BUDGET = "budget"
NOT_PROVISIONED = "not-provisioned"
PROVISIONED = "provisioned"

# why the kiosk has no usable list (``Installed.code``), besides NOT_PROVISIONED, EXPIRED
# and why no copy of the trusted root verifies (MALFORMED, IO, OVERSIZED, THRESHOLD, DEPLOYMENT)
NO_LIST = "no-list"
FAILED_VERIFICATION = "failed-verification"


class UpdateError(Exception):
    """Why a repository, a bundle or an installed list is refused.

    ``code`` is one of the constants above, for programs and the audit log; ``reason``
    is the sentence a technician reads; ``file`` names the file if known. Reasons never
    contain list content or anything read from a passport.
    """

    def __init__(self, code: str, reason: str, file: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.file = file

    def __str__(self) -> str:
        return f"{self.reason} ({self.file})" if self.file else self.reason

    def to_dict(self) -> dict[str, str | None]:
        """The error as JSON fields, for `--json` output and the audit log."""
        return {"code": self.code, "reason": self.reason, "file": self.file}

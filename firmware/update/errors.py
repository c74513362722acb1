"""One error type for every refusal of a signed list: a short code and a sentence."""

from __future__ import annotations


class UpdateError(Exception):
    """Why a repository, a bundle or an installed list is refused.

    ``code`` is a short stable word for programs and the audit log (``unsigned``,
    ``threshold``, ``tampered``, ``truncated``, ``oversized``, ``bomb``, ``expired``,
    ``rollback``, ``deployment``, ``malformed``, ``missing``, ``self-test``, ``budget``, ...);
    ``reason`` is the sentence a technician reads; ``file`` names the file if known.
    Reasons never contain list content or anything read from a passport.
    """

    def __init__(self, code: str, reason: str, file: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.file = file

    def __str__(self) -> str:
        return f"{self.reason} ({self.file})" if self.file else self.reason

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "reason": self.reason, "file": self.file}

"""One error type for everything wrong with a bundle or an installed list."""

from __future__ import annotations

INVALID = "invalid"  # anything wrong with the bundle's bytes or fields
BOMB = "bomb"  # a set whose header would expand beyond its declared size


class BundleError(Exception):
    """Says what is wrong and where: the file, and the field or byte offset if known.
    ``code`` (``INVALID`` or ``BOMB``) is for programs; ``reason`` is for people."""

    def __init__(self, reason: str, file: str | None = None, field: str | None = None,
                 offset: int | None = None, code: str = INVALID) -> None:
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.field = field
        self.offset = offset
        self.code = code

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.field:
            where.append(f"field {self.field}")
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        return f"{self.reason} ({', '.join(where)})" if where else self.reason

    def to_dict(self) -> dict[str, object]:
        """The error as JSON fields, for `--json` output and the audit log."""
        return {"reason": self.reason, "file": self.file, "field": self.field, "offset": self.offset}

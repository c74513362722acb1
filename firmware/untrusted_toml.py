"""TOML from a file an operator (or whoever reached the SD card) wrote: the kiosk's settings.

``tomllib`` recurses once per array or inline-table level, so ``x = [[[[…`` 500 deep
raises ``RecursionError`` (not ``TOMLDecodeError``) and a traceback replaces the one
line that says what is wrong. ``loads`` bounds the size, measures the nesting without
recursing before it parses (the JSON analogue: ``firmware/untrusted_json.py``), and turns
every failure into one ``UntrustedTOMLError``.
"""

from __future__ import annotations

import tomllib
from typing import Any

# far deeper than any setting Safar reads (``size = [800, 480]``, ``[[contacts]]``: 2)
MAX_DEPTH = 16


class UntrustedTOMLError(ValueError):
    """The bytes are not TOML Safar can accept; ``line`` when tomllib knows it."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line


def nesting_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest outside strings and comments (a linear scan, no recursion).

    Table headers count too (``[[contacts]]`` is 2), which only makes the measure larger."""
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "\"'":
            i = _string_end(text, i)
            continue
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return deepest


def _string_end(text: str, start: int) -> int:
    """The index after the string opening at ``start``: basic ``"`` strings take backslash
    escapes, literal ``'`` strings none; tripled quotes span lines, single ones end at one."""
    quote = text[start]
    escapes = quote == '"'
    closer = quote * 3 if text.startswith(quote * 3, start) else quote
    i, n = start + len(closer), len(text)
    while i < n:
        c = text[i]
        if escapes and c == "\\":
            i += 2
        elif text.startswith(closer, i):
            i += len(closer)
            while i < n and text[i] == quote and len(closer) == 3:  # """a"""" ends on its last quotes
                i += 1
            return i
        elif c == "\n" and len(closer) == 1:
            return i
        else:
            i += 1
    return n


def loads(data: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The TOML document in ``data`` (UTF-8), or ``UntrustedTOMLError`` saying why not."""
    if len(data) > max_bytes:
        raise UntrustedTOMLError(f"larger than {max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UntrustedTOMLError(f"not UTF-8 at byte {e.start}") from None
    depth = nesting_depth(text)
    if depth > max_depth:
        raise UntrustedTOMLError(f"nested {depth} levels deep, more than {max_depth}")
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as e:
        msg = str(e)
        line = None
        if "(at line " in msg:
            try:
                line = int(msg.split("(at line ")[1].split(",")[0])
            except ValueError:
                pass
        raise UntrustedTOMLError(f"not valid TOML: {msg}", line) from None

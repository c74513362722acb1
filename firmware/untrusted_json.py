"""JSON from bytes nobody vouches for yet: a manifest, a service-port frame, a remote report.

``json.loads`` recurses once per nesting level, so ``[[[[…`` sixty thousand deep raises
``RecursionError`` (not ``ValueError``) and kills whatever called it. Every reader of
untrusted JSON goes through ``loads``: it bounds the size, measures the nesting without
recursing before it parses, and turns every failure into one ``UntrustedJSONError``.
"""

from __future__ import annotations

import json
from typing import Any

# far deeper than any document Safar writes (manifests and frames nest 3-4 levels)
MAX_DEPTH = 32


class UntrustedJSONError(ValueError):
    """The bytes are not JSON Safar can accept: too big, too deep, or not JSON."""


def nesting_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest outside strings (a linear scan, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def loads(data: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in ``data`` (UTF-8), or ``UntrustedJSONError`` saying why not."""
    if len(data) > max_bytes:
        raise UntrustedJSONError(f"larger than {max_bytes} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as e:
        raise UntrustedJSONError(f"not UTF-8 (byte offset {e.start})") from None
    depth = nesting_depth(text)
    if depth > max_depth:
        raise UntrustedJSONError(f"nested {depth} levels deep, more than {max_depth}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        where = f" (line {e.lineno}, column {e.colno})" if isinstance(e, json.JSONDecodeError) else ""
        raise UntrustedJSONError(f"not JSON{where}") from None

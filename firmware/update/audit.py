"""The kiosk's audit log (``audit.log`` in the state directory): one JSON line per provision,
install or refused poll, so a technician can see what changed and why.

Entries hold versions, key names, codes and reasons only, never list or passport content.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from firmware import durable, untrusted_json
from firmware.update.layout import StateLayout

# far longer than any entry (versions, key names, a reason)
MAX_ENTRY_BYTES = 64 << 10


def audit(layout: StateLayout, clock: dt.datetime, action: str, result: str, **fields: Any) -> None:
    """Appends one entry; fields that are None are left out."""
    if not layout.root.is_dir():
        return
    entry = {"time": clock.replace(microsecond=0).isoformat(), "action": action, "result": result}
    entry.update({k: v for k, v in fields.items() if v is not None})
    try:
        durable.append_line(layout.audit_log, json.dumps(entry, sort_keys=True))
    except OSError:
        pass  # a full disk must not turn a good install into a failure


def audit_entries(state_dir: Path | str, limit: int = 100) -> list[dict[str, Any]]:
    """The last ``limit`` entries, oldest first (for diagnostics and ``safar update status``)."""
    path = StateLayout(state_dir).audit_log
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[-limit:]:
        try:  # a line cut by a power cut or damaged on disk is skipped, never a crash
            entry = untrusted_json.loads(line, max_bytes=MAX_ENTRY_BYTES)
        except untrusted_json.UntrustedJSONError:
            continue
        if isinstance(entry, dict):
            out.append(entry)
    return out

"""The kiosk side of the service port: receive a repository over serial, resumably, then install it.

Files land in ``<state>/incoming/<session>/`` (the session is named by the hash of the
announced file list, so a technician who reconnects after a pulled cable resumes where
the kiosk's files end). Each file's sha256 is checked when it is complete; the whole
repository is then verified and installed by ``firmware.update.install`` exactly as
from a USB stick. Names are confined to ``metadata/`` and ``targets/``; sizes and counts
are bounded. Nothing received is logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.serviceport import protocol as p
from firmware.serviceport.transport import Transport
from firmware.update import UpdateError, install, installed
from firmware.update.layout import StateLayout

# matched with fullmatch: "$" would let a final newline through
NAME_RE = re.compile(r"(metadata|targets)/[A-Za-z0-9][A-Za-z0-9._-]{0,100}")
MAX_FILES = 256
MAX_TOTAL = 2 << 30
WRITE_TIMEOUT = 5.0  # seconds


@dataclass
class _File:
    length: int
    sha256: str
    path: Path
    size: int = 0
    handle: BinaryIO | None = None
    done: bool = False


@dataclass
class _Session:
    id: str
    directory: Path
    files: dict[str, _File] = field(default_factory=dict)

    def close(self) -> None:
        for f in self.files.values():
            if f.handle is not None:
                f.handle.close()
                f.handle = None


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class ServicePort:
    """Answers one technician at a time; ``poll`` reads once and handles whole frames."""

    def __init__(self, transport: Transport, state_dir: Path | str,
                 now: Callable[[], dt.datetime | dt.date | None] = lambda: None,
                 max_total: int = MAX_TOTAL,
                 false_alarm_limits: tuple[float, float] = (DEFAULT_STRONG, DEFAULT_POSSIBLE),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.transport = transport
        self.clock = clock
        self.false_alarm_limits = false_alarm_limits
        self.layout = StateLayout(state_dir)
        self.now = now
        self.max_total = max_total
        self.decoder = p.Decoder()
        self.session: _Session | None = None
        self.results: list[dict[str, Any]] = []
        self.lost_replies = 0

    # -- loop

    def poll(self) -> int:
        """Reads what arrived and answers each complete frame; returns how many frames were handled."""
        frames = self.decoder.feed(self.transport.read(4096), self.clock())
        for frame in frames:
            for reply in self.handle(frame):
                try:
                    self.transport.write(reply)
                except OSError:  # a write timeout: nobody reads; the host asks again when it is back
                    self.lost_replies += 1
        return len(frames)

    def serve(self, stop: threading.Event | None = None) -> None:
        """Polls until ``stop`` is set (for ever without one): the service port's own loop."""
        while stop is None or not stop.is_set():
            self.poll()

    # -- frames

    def handle(self, frame: p.ServiceFrame) -> list[bytes]:
        """The replies to one frame; a bad frame gets an ERROR reply, never an exception."""
        try:
            if frame.type == p.HELLO:
                return [p.encode_json(p.INFO, self._info())]
            if frame.type == p.BEGIN:
                return [p.encode_json(p.READY, self._begin(frame.json()))]
            if frame.type == p.DATA:
                return [p.encode_json(p.ACK, self._data(*p.unpack_data(frame.payload)))]
            if frame.type == p.COMMIT:
                return [p.encode_json(p.RESULT, self._commit())]
            raise p.ServicePortError(f"unexpected {p.NAMES.get(frame.type, frame.type)} frame")
        except p.ServicePortError as e:
            reason = str(e)
        except OSError as e:  # the incoming directory: full, read-only; the port stays up
            reason = f"kiosk storage: {e.strerror or type(e).__name__}"
        # "refused" names the frame by its CRC: a host passes over refusals of frames it did not send
        return [p.encode_json(p.ERROR, {"reason": reason[:1000], "refused": frame.crc})]

    def _info(self) -> dict[str, Any]:
        with installed(self.layout.root, self.now()) as inst:
            return {"protocol": 1, "chunk": p.CHUNK, "deployment": inst.deployment,
                    "list_version": inst.list_version, "root_version": inst.root_version,
                    "ok": inst.banlist is not None, "reason": inst.reason}

    def _begin(self, msg: dict[str, Any]) -> dict[str, Any]:
        files = msg.get("files")
        if not isinstance(files, list) or not 0 < len(files) <= MAX_FILES:
            raise p.ServicePortError(f"BEGIN needs 1 to {MAX_FILES} files")
        clean: list[tuple[str, int, str]] = []
        for f in files:
            if not isinstance(f, dict):
                raise p.ServicePortError("BEGIN: a file entry is not an object")
            name, length, sha = f.get("name"), f.get("length"), f.get("sha256")
            if not isinstance(name, str) or not NAME_RE.fullmatch(name):
                raise p.ServicePortError(f"BEGIN: file name {name!r} not allowed")
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise p.ServicePortError(f"BEGIN: bad length for {name}")
            if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise p.ServicePortError(f"BEGIN: bad sha256 for {name}")
            clean.append((name, length, sha))
        clean.sort()
        if len({name for name, _, _ in clean}) != len(clean):
            raise p.ServicePortError("BEGIN: a file is listed twice")
        if sum(length for _, length, _ in clean) > self.max_total:
            raise p.ServicePortError(f"BEGIN: more than {self.max_total} bytes")
        sid = hashlib.sha256(json.dumps(clean).encode()).hexdigest()[:24]
        if self.session is not None:
            self.session.close()
        incoming = self.layout.incoming
        incoming.mkdir(parents=True, exist_ok=True)
        for old in incoming.iterdir():  # one session at a time
            if old.name != sid:
                shutil.rmtree(old, ignore_errors=True)
        session = _Session(sid, incoming / sid)
        for name, length, sha in clean:
            path = session.directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            entry = _File(length, sha, path)
            if path.exists():
                entry.size = path.stat().st_size
                if entry.size > entry.length or (entry.size == entry.length and _sha256_file(path) != entry.sha256):
                    path.unlink()
                    entry.size = 0
                entry.done = entry.size == entry.length
            if entry.length == 0 and not path.exists():
                path.touch()
                entry.done = _sha256_file(path) == entry.sha256
            session.files[name] = entry
        self.session = session
        return {"session": sid, "offsets": {n: f.size for n, f in session.files.items()}}

    def _data(self, name: str, offset: int, data: bytes) -> dict[str, Any]:
        if self.session is None or name not in self.session.files:
            raise p.ServicePortError(f"DATA for {name!r} outside a session")
        f = self.session.files[name]
        if offset > f.size:  # a gap: tell the host where we are
            return {"name": name, "offset": f.size}
        if offset + len(data) > f.length:
            raise p.ServicePortError(f"DATA past the announced length of {name}")
        if f.handle is None:
            f.handle = open(f.path, "r+b" if f.path.exists() else "w+b")
        f.handle.seek(offset)
        f.handle.write(data)
        f.handle.truncate()
        f.handle.flush()
        f.size = offset + len(data)
        f.done = False
        restart = False
        if f.size == f.length:
            f.handle.close()
            f.handle = None
            if _sha256_file(f.path) == f.sha256:
                f.done = True
            else:  # only possible after a damaged resume: start the file again
                f.path.unlink()
                f.size = 0
                restart = True
        return {"name": name, "offset": f.size, "restart": restart}

    def _commit(self) -> dict[str, Any]:
        if self.session is None:
            raise p.ServicePortError("COMMIT outside a session")
        session = self.session
        session.close()
        missing = [f"{n} ({f.size} of {f.length})" for n, f in session.files.items() if not f.done]
        if missing:
            raise p.ServicePortError("COMMIT before every file arrived: " + ", ".join(missing))
        try:
            r = install(self.layout.root, session.directory, self.now(), source_kind="serial",
                        false_alarm_limits=self.false_alarm_limits)
            result: dict[str, Any] = {"ok": True, **r.to_dict()}
        except UpdateError as e:
            result = {"ok": False, **e.to_dict()}
        finally:
            shutil.rmtree(session.directory, ignore_errors=True)
            self.session = None
        self.results.append(result)
        return result

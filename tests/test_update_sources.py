"""List sources: USB sticks under /media and /run/media, and a web server polled over HTTP (loopback)."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from update_world import World

from firmware.update import UpdateError, audit_entries, installed, provision
from firmware.update.sources import TransferDeadlines, install_from_usb, poll_http, usb_repositories
from firmware.usb import USB_FOLDER
from host_tools import signing

NOW = dt.date(2026, 12, 5)


def test_usb_sticks_are_found_and_installed(world: World, tmp_path: Path) -> None:
    root = tmp_path / "fs"
    bundle = world.bundle(version=20261101, name="b-usb")
    world.repo(bundle, name="r-usb-unused")  # signs the bundle
    chain = signing.root_chain(world.keys)
    pub = world.signer("publish-1")
    a = signing.publish(bundle, root / "media" / "kiosk" / "STICK", chain, pub, usb=True)
    b = signing.publish(bundle, root / "run" / "media" / "kiosk" / "OTHER", chain, pub, usb=True)
    (root / "media" / "EMPTY").mkdir(parents=True)
    (root / "mnt" / "X" / USB_FOLDER).mkdir(parents=True)  # no metadata: ignored
    assert usb_repositories(root) == [a, b]
    state = tmp_path / "state"
    provision(state, world.root)
    outcomes = install_from_usb(state, root, now=NOW)
    assert [getattr(o, "action", None) for o in outcomes] == ["installed", "unchanged"]
    assert [e["source"] for e in audit_entries(state)[1:]] == ["usb", "usb"]
    assert install_from_usb(state, tmp_path / "nothing", now=NOW) == []


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        super().do_GET()


@pytest.fixture()
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    docroot = tmp_path / "www"
    docroot.mkdir()
    _Handler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(docroot)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/lists/", docroot / "lists"
    finally:
        server.shutdown()
        server.server_close()


def test_http_poll_installs_new_lists_only(world: World, tmp_path: Path, web: tuple[str, Path]) -> None:
    url, docroot = web
    state = tmp_path / "state"
    provision(state, world.root)
    with pytest.raises(UpdateError) as info:
        poll_http(state, url, tmp_path / "cache", now=NOW)
    assert info.value.code == "missing"
    shutil.copytree(world.repo(world.bundle(version=20261101, name="b-w1"), name="r-w1"), docroot)
    r = poll_http(state, url, tmp_path / "cache", now=NOW)
    assert r.action == "installed" and r.list_version == 20261101
    assert not (tmp_path / "cache").exists()
    assert any(p.endswith(".gcs") for p in _Handler.requests)
    # nothing new: only the timestamp is fetched
    _Handler.requests.clear()
    assert poll_http(state, url, tmp_path / "cache", now=NOW).action == "unchanged"
    assert _Handler.requests == ["/lists/metadata/timestamp.json"]
    # a newer list
    shutil.rmtree(docroot)
    shutil.copytree(world.repo(world.bundle(version=20261201, list_date=dt.date(2026, 12, 1), name="b-w2"),
                               name="r-w2"), docroot)
    assert poll_http(state, url, tmp_path / "cache", now=NOW).list_version == 20261201
    with installed(state, now=NOW) as inst:
        assert inst.list_version == 20261201 and inst.banlist is not None
    # a newer but tampered list on the server: refused, nothing downloaded past the bad file, list kept
    shutil.rmtree(docroot)
    shutil.copytree(world.repo(world.bundle(version=20261215, list_date=dt.date(2026, 12, 1), name="b-w3"),
                               name="r-w3"), docroot)
    f = sorted((docroot / "targets").glob("*.gcs"))[0]
    f.write_bytes(f.read_bytes() + b"more")
    with pytest.raises(UpdateError) as info:
        poll_http(state, url, tmp_path / "cache", now=NOW)
    assert info.value.code == "oversized"
    with pytest.raises(UpdateError):
        poll_http(state, url, tmp_path / "cache", now=NOW)
    refusals = [e for e in audit_entries(state) if e["result"] == "refused"]
    assert len(refusals) == 2  # the 'missing' one and the first 'oversized'; the repeat is not logged again
    with installed(state, now=NOW) as inst:
        assert inst.list_version == 20261201
    # an older list on the server: rollback
    shutil.rmtree(docroot)
    shutil.copytree(world.tmp / "r-w1", docroot)
    with pytest.raises(UpdateError) as info:
        poll_http(state, url, tmp_path / "cache", now=NOW)
    assert info.value.code == "rollback"


def test_http_server_unreachable_is_an_io_error(world: World, tmp_path: Path) -> None:
    state = tmp_path / "state"
    provision(state, world.root)
    with pytest.raises(UpdateError) as info:
        poll_http(state, "http://127.0.0.1:9/", tmp_path / "cache", now=NOW, timeout=2)
    assert info.value.code == "io"
    assert [e["action"] for e in audit_entries(state)] == ["provision"]


# ---------------------------------------------------------------- a slow server (issue 12, item 9)


class _Trickle(_Handler):
    """Serves the repository, but the files named in ``slow`` one byte every 20 ms."""

    slow = ""

    def do_GET(self) -> None:
        if not self.path.endswith(type(self).slow):
            super().do_GET()
            return
        path = Path(self.translate_path(self.path))
        data = path.read_bytes() if path.is_file() else b"x" * 100_000
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(0.02)
        except OSError:  # the kiosk gave up and closed the connection
            pass


@pytest.mark.parametrize("slow", ["timestamp.json", ".gcs"])
def test_a_server_trickling_bytes_cannot_hold_a_poll(world: World, tmp_path: Path, slow: str) -> None:
    docroot = tmp_path / "www"
    shutil.copytree(world.repo(world.bundle(version=20261101, name="b-slow"), name="r-slow"), docroot)
    _Trickle.slow = slow
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Trickle, directory=str(docroot)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state = tmp_path / "state"
    provision(state, world.root)
    started = time.monotonic()
    try:
        with pytest.raises(UpdateError) as info:
            # each byte comes well within the per-read timeout: only the whole file's deadline stops it
            poll_http(state, f"http://127.0.0.1:{server.server_address[1]}/", tmp_path / "cache", now=NOW,
                      timeout=5, deadlines=TransferDeadlines(floor=0.3, min_rate=1e7))
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < 2
    assert info.value.code == "io" and info.value.file is not None and info.value.file.endswith(slow)
    with installed(state, now=NOW) as inst:
        assert inst.banlist is None


def test_a_deadline_is_proportional_to_the_signed_length_with_a_floor() -> None:
    limits = TransferDeadlines(floor=60, min_rate=8192)
    assert limits.for_length(0).seconds == 60
    assert limits.for_length(8192 * 600).seconds == 660


# ---------------------------------------------------------------- a frozen mirror (issue 12, item 8)


def _stale_repository(world: World, name: str, signed: dt.datetime, days: int = 7) -> Path:
    """A repository whose timestamp was signed on ``signed`` and never refreshed."""
    bundle = world.bundle(version=20261101, name=f"b-{name}")
    world.repo(bundle, name=f"r-{name}-unused")  # signs the bundle
    return signing.publish(bundle, world.tmp / f"r-{name}", signing.root_chain(world.keys),
                           world.signer("publish-1"), timestamp_days=days, now=signed)


def test_a_mirror_serving_an_expired_timestamp_is_refused(world: World, tmp_path: Path,
                                                          web: tuple[str, Path]) -> None:
    url, docroot = web
    state = tmp_path / "state"
    provision(state, world.root)
    shutil.copytree(_stale_repository(world, "stale", signed=dt.datetime(2026, 11, 20, tzinfo=dt.UTC)), docroot)
    with pytest.raises(UpdateError) as info:
        poll_http(state, url, tmp_path / "cache", now=NOW)  # the timestamp ran out on 2026-11-27
    assert (info.value.code, info.value.file) == ("expired", "timestamp.json")
    assert [e["code"] for e in audit_entries(state) if e["result"] == "refused"] == ["expired"]
    # the same repository on a USB stick is judged by the list's own validity (offline kiosks)
    stick = tmp_path / "fs" / "media" / "kiosk" / "STICK" / USB_FOLDER
    shutil.copytree(docroot, stick)
    assert [getattr(o, "action", o) for o in install_from_usb(state, tmp_path / "fs", now=NOW)] == ["installed"]


def test_a_mirror_replaying_the_installed_timestamp_cannot_freeze_the_kiosk(world: World, tmp_path: Path,
                                                                            web: tuple[str, Path]) -> None:
    url, docroot = web
    state = tmp_path / "state"
    provision(state, world.root)
    shutil.copytree(_stale_repository(world, "frozen", signed=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)), docroot)
    first = poll_http(state, url, tmp_path / "cache", now=NOW)
    assert first.action == "installed" and first.warning is None
    day = dt.timedelta(days=1)
    # the timestamp runs out on 2026-12-08: the poll the day before warns, the one after refuses
    late = poll_http(state, url, tmp_path / "cache", now=dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC), poll_period=day)
    assert late.action == "unchanged" and late.warning is not None and "2026-12-08" in late.warning
    with pytest.raises(UpdateError) as info:
        poll_http(state, url, tmp_path / "cache", now=dt.date(2026, 12, 9))
    assert (info.value.code, info.value.file) == ("expired", "timestamp.json")
    # the installed list itself stays in use: it is valid until 2027-05-20
    with installed(state, now=dt.date(2026, 12, 9)) as inst:
        assert inst.list_version == 20261101 and inst.banlist is not None


def test_a_refreshed_timestamp_keeps_a_polling_kiosk_current(world: World, tmp_path: Path,
                                                            web: tuple[str, Path]) -> None:
    url, docroot = web
    state = tmp_path / "state"
    provision(state, world.root)
    shutil.copytree(_stale_repository(world, "refreshed", signed=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)), docroot)
    assert poll_http(state, url, tmp_path / "cache", now=NOW).action == "installed"
    signing.refresh_timestamp(docroot, world.signer("publish-1"), days=7, now=dt.datetime(2026, 12, 8, tzinfo=dt.UTC))
    r = poll_http(state, url, tmp_path / "cache", now=dt.date(2026, 12, 9))
    assert (r.action, r.list_version, r.warning) == ("unchanged", 20261101, None)

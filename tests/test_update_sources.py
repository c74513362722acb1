"""List sources: USB sticks under /media and /run/media, and a web server polled over HTTP (loopback)."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from update_world import World

from firmware.update import UpdateError, audit_entries, installed, provision
from firmware.update.sources import install_from_usb, poll_http, usb_repositories
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

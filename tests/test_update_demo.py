"""The demo path: a bundle from ``write_bundle``, throwaway keys, a repository, a kiosk state dir."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from firmware.update import install, installed, provision
from host_tools.listbuild.bundle import write_bundle
from host_tools.listbuild.csvinput import read_list
from host_tools.signing import SigningError, make_demo_repository

LIST_DATE = dt.date(2026, 11, 1)
CSV = """surname,given_names,birth_date,nationality,document_number,ban_end
Қодиров,Ҷамшед,14.03.1990,TJK,400123456,01.06.2029
Юсупова,Гулнора,1993-07-21,TJK,,2027-12-31
"""


def _bundle(out: Path, deployment: str = "safar-demo") -> Path:
    entries = read_list(CSV.encode(), "demo.csv", LIST_DATE).entries
    write_bundle(entries, out, list_version=20261101, list_date=LIST_DATE, valid_until=dt.date(2027, 5, 20),
                 deployment=deployment)
    return out


def test_demo_repository_installs_and_matches(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "bundle")
    repo, root = make_demo_repository(tmp_path / "demo", bundle)
    state = tmp_path / "state"
    provision(state, root)
    today = dt.date(2026, 11, 23)
    result = install(state, repo, now=today)
    assert result.action == "installed" and result.list_version == 20261101
    assert len(result.signed_by) == 2
    with installed(state, now=today) as inst:
        assert inst.reason is None and inst.banlist is not None
        assert inst.list_version == 20261101 and inst.valid_until == dt.date(2027, 5, 20)
        m = inst.banlist.match_fields("Қодиров", "Ҷамшед", "TJK", "400123456", "900314", today)
        assert m.kind == "strong"
        assert inst.banlist.match_fields("Smith", "John", "GBR", None, "700102", today).kind == "none"
    # the same repository again changes nothing
    assert install(state, repo, now=today).action == "unchanged"


def test_demo_refuses_a_bundle_for_another_deployment(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "bundle", deployment="safar-tj")
    with pytest.raises(SigningError, match="deployment"):
        make_demo_repository(tmp_path / "demo", bundle)
    repo, root = make_demo_repository(tmp_path / "demo", bundle, deployment="safar-tj")
    provision(tmp_path / "state", root)
    assert install(tmp_path / "state", repo, now=LIST_DATE).action == "installed"

"""`safar mrz parse`: JSON out, exit codes 0 valid / 1 invalid or unreadable / 2 usage."""

import json
import subprocess
import sys

from host_tools.specimens import SPECIMENS


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "firmware.cli", "mrz", *args], input=stdin,
                          capture_output=True, text=True)


def test_parse_specimens_from_stdin() -> None:
    for name, spec in SPECIMENS.items():
        p = run("parse", "--today", "2026-11-23", stdin="\r\n".join(spec["lines"]) + "\r\n")  # type: ignore[arg-type]
        assert p.returncode == 0, (name, p.stdout)
        out = json.loads(p.stdout)
        assert out["valid"] and out["document_number"] == spec["document_number"]
        assert out["birth_date"]["iso"] == spec["birth"] and out["expiry_date"]["iso"] == spec["expiry"]
        assert all(out["checks"].values())


def test_parse_arguments_reports_repairs() -> None:
    lines = SPECIMENS["TD3"]["lines"]
    bad = lines[1][:15] + "O" + lines[1][16:]  # type: ignore[index]
    p = run("parse", "--today", "2026-11-23", lines[0], bad)  # type: ignore[index]
    out = json.loads(p.stdout)
    assert p.returncode == 0 and out["repairs"] == [{"line": 2, "column": 16, "was": "O", "now": "0"}]


def test_invalid_check_digit_exit_1() -> None:
    lines = SPECIMENS["TD3"]["lines"]
    p = run("parse", lines[0], lines[1][:9] + "7" + lines[1][10:])  # type: ignore[index]
    out = json.loads(p.stdout)
    assert p.returncode == 1 and out["valid"] is False and out["checks"]["document_number"] is False


def test_unreadable_exit_1_with_position() -> None:
    lines = SPECIMENS["TD3"]["lines"]
    p = run("parse", lines[0], lines[1][:30])  # type: ignore[index]
    out = json.loads(p.stdout)
    assert p.returncode == 1 and out["line"] == 2 and out["column"] == 31 and "characters" in out["error"]


def test_usage_exit_2() -> None:
    assert run("parse", "--no-such-option").returncode == 2
    assert run().returncode == 2


def test_generate_then_parse() -> None:
    g = run("generate", "--surname", "RAHIMOV", "--given-names", "FIRDAVS", "--number", "401234567",
            "--birth", "900515", "--expiry", "300101", "--sex", "M")
    assert g.returncode == 0
    p = run("parse", "--today", "2026-11-23", stdin=g.stdout)
    assert p.returncode == 0 and json.loads(p.stdout)["surname"] == "RAHIMOV"

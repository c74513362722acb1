"""The `safar` command dispatches to every registered subcommand module."""

import importlib
import subprocess
import sys

import pytest

from firmware.cli import COMMANDS, main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-thing"]) == 2
    assert "unknown command" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_module_has_main(name: str) -> None:
    module = importlib.import_module(COMMANDS[name][0])
    assert callable(module.main)


def test_console_script_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "firmware.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "safar" in out.stdout

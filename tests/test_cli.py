"""The ``safar`` command: its listing, its version, every subcommand's help, a reader that leaves early."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.version import Version

from firmware import cli
from firmware.cli import COMMANDS, EXIT_BROKEN_PIPE, main

ROOT = Path(__file__).resolve().parent.parent
DOC_REFERENCE = re.compile(r"docs/[\w./-]+\.md")
SPECIMEN = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]




def test_listing_shows_each_command_on_its_own_line_with_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name, (_, text) in COMMANDS.items():
        assert f"  {name:<18} {text}" in lines, f"safar --help has no line for {name!r}"
    assert lines[0] == "usage: safar COMMAND [ARGS...]"


def test_no_command_prints_the_listing_as_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert capsys.readouterr().out.startswith("usage: safar COMMAND")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-thing"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("safar: unknown command 'no-such-thing'") and "usage: safar COMMAND" in err


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    installed = importlib.metadata.version("safar")
    assert capsys.readouterr().out == f"safar {installed}\n"
    Version(installed)  # a PEP 440 version (setuptools-scm's), not "unknown"


@pytest.mark.slow(seconds=3)
def test_the_version_comes_from_the_git_tags(tmp_path: Path) -> None:
    """setuptools-scm reads the version from the newest tag; a clone without tags still builds
    (tests/test_wheel.py builds from a tree with no git at all: the fallback version)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{ROOT}", str(clone)], check=True,
                   capture_output=True)

    def scm_version() -> str:  # what the build backend would write into the wheel, from pyproject.toml
        return subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "--version"], cwd=clone,
                              check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]

    untagged = Version(scm_version())
    assert untagged.is_devrelease and untagged.local is not None, untagged  # 0.1.devN+gHASH: no release claimed
    subprocess.run(["git", "tag", "v9.9.9"], cwd=clone, check=True)
    assert scm_version() == "9.9.9"


def test_version_of_a_tree_never_installed_says_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert cli.version().startswith("unknown")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_module_has_main(name: str) -> None:
    module = importlib.import_module(COMMANDS[name][0])
    assert callable(module.main)


# --- every subcommand's help, read from its own argparse parsers ---------------------------------

class _Parsing(BaseException):
    """Raised instead of parsing, to hand the parser a command built back to the test (never caught by main)."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__(parser.prog)
        self.parser = parser


def _command_parser(name: str, monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    def hand_over(self: argparse.ArgumentParser, *args: object, **_kwargs: object) -> None:
        raise _Parsing(self)

    module = importlib.import_module(COMMANDS[name][0])
    with monkeypatch.context() as m:
        m.setattr(argparse.ArgumentParser, "parse_known_args", hand_over)
        try:
            module.main(["--help"])
        except _Parsing as parsing:
            return parsing.parser
    raise AssertionError(f"safar {name}: main() never parsed its arguments with argparse")


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and, depth first, the parsers of its sub-commands."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def _unexplained(parser: argparse.ArgumentParser) -> list[str]:
    """Arguments and sub-commands of ``parser`` that have no help line."""
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest for choice in action._choices_actions if choice.help}
            missing += [f"sub-command {c!r}" for c in action.choices if c not in helped]
        elif action.help != argparse.SUPPRESS and not (action.help or "").strip():
            missing.append("/".join(action.option_strings) or action.dest)
    return missing


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_argument_has_a_help_line(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    problems = {p.prog: _unexplained(p) for p in _parsers(_command_parser(name, monkeypatch))}
    assert not {prog: missing for prog, missing in problems.items() if missing}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_is_plain_text(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """reST literals (``x``) read as stray quotes in a terminal."""
    marked = [line.strip() for p in _parsers(_command_parser(name, monkeypatch))
              for line in p.format_help().splitlines() if "`" in line]
    assert not marked, "reST markup in help: " + " | ".join(marked)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_names_its_document(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    parser = _command_parser(name, monkeypatch)
    assert (parser.description or "").strip(), f"safar {name} --help does not say what the command does"
    for sub in _parsers(parser):
        documents = DOC_REFERENCE.findall(sub.format_help())
        assert documents, f"{sub.prog} --help names no docs/....md"
        for doc in documents:
            assert (ROOT / doc).is_file(), f"{sub.prog} --help names {doc}, which does not exist"


def _sub_commands(name: str, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """``[name]`` and ``[name, sub, ...]`` for every sub-command below it."""
    root = _command_parser(name, monkeypatch)
    return [p.prog.split()[1:] for p in _parsers(root)]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_is_the_commands_own(name: str, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``safar NAME ... --help`` returns 0 and shows that command's usage, not another's."""
    for words in _sub_commands(name, monkeypatch):
        assert main([*words, "--help"]) == 0, f"safar {' '.join(words)} --help"
        out = capsys.readouterr().out
        assert re.match(rf"usage: safar {re.escape(' '.join(words))}(\s|$)", out), out[:200]


def test_console_script_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "firmware.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("usage: safar COMMAND")


# --- a reader that leaves early (`safar ... | head`) ----------------------------------------------

@pytest.mark.parametrize("argv, code", [
    (["--help"], EXIT_BROKEN_PIPE),
    (["--version"], EXIT_BROKEN_PIPE),
    (["update", "status", "--json", "--state", "{tmp}"], EXIT_BROKEN_PIPE),
    (["mrz", "parse", *SPECIMEN], EXIT_BROKEN_PIPE),
    (["mrz", "--help"], None),  # argparse itself ignores a failed write of its help
], ids=["help", "version", "update-status", "mrz-parse", "mrz-help"])
def test_stdout_closed_early_is_no_traceback(argv: list[str], code: int | None, tmp_path: Path) -> None:
    # The reading end is closed before the command starts, so its first write fails for certain
    # (a reader that takes one byte and leaves may be too late when the output fits the pipe).
    reader, writer = os.pipe()
    os.close(reader)
    try:
        p = subprocess.run([sys.executable, "-m", "firmware.cli", *(a.format(tmp=tmp_path) for a in argv)],
                           stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(writer)
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr and "Broken pipe" not in p.stderr, p.stderr
    if code is not None:
        assert p.returncode == code

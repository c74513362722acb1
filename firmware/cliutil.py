"""What every ``safar`` subcommand shares: its parser's shape and one way to run it.

A subcommand module builds its parser with ``command_parser`` and ends with
``return run_cli(parser, handlers, argv, errors=...)``: argparse's exits become
return codes (0 for ``--help``, 2 for a usage error), a subcommand is picked by
``args.cmd``, and the module's expected errors become one ``prog: message`` line on
stderr instead of a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable, Mapping, Sequence

Handler = Callable[[argparse.Namespace], int]

# ``literal`` and `literal` in docstrings read as quotes in a terminal
_REST_LITERAL = re.compile(r"``([^`]+)``|`([^`]+)`")


def plain(text: str) -> str:
    """Docstring text for a terminal: reST literals become plain words."""
    return _REST_LITERAL.sub(lambda m: m.group(1) or m.group(2), text)


def command_parser(prog: str, description: str, doc: str | None = None,
                   parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> argparse.ArgumentParser:
    """A subcommand's parser; ``doc`` (a path in the source tree) is named at the end of its help."""
    epilog = f"Documentation: {doc} in the Safar source." if doc else None
    return parser_class(prog=prog, description=plain(description), epilog=epilog)


class Subcommands:
    """The sub-commands of a command (``safar list build``); the chosen one is ``args.cmd``."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._parent = parser
        self._action = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    def add(self, name: str, text: str) -> argparse.ArgumentParser:
        """A sub-command whose help line is also its description, and names the command's doc."""
        return self._action.add_parser(name, help=text, description=text, epilog=self._parent.epilog)


def subcommands(parser: argparse.ArgumentParser) -> Subcommands:
    """A command's subcommand table, so every command adds its subcommands the same way."""
    return Subcommands(parser)


def iso_date(text: str) -> dt.date:
    """An argparse type: a YYYY-MM-DD date, or a usage error that says what was expected."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def run_cli(parser: argparse.ArgumentParser, handlers: Mapping[str, Handler] | Handler, argv: Sequence[str] | None,
            *, errors: tuple[type[BaseException], ...] = (), error_code: int = 1,
            describe: Callable[[BaseException], str] = str) -> int:
    """Parses ``argv`` and runs the handler; returns the exit code.

    ``handlers`` is one function, or a mapping from ``args.cmd`` to a function. An
    exception in ``errors`` prints ``prog: describe(error)`` to stderr and returns
    ``error_code``; any other exception is a bug and propagates."""
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    handler = handlers if callable(handlers) else handlers[args.cmd]
    try:
        return int(handler(args) or 0)
    except BrokenPipeError:  # stdout closed early: the dispatcher exits quietly (an OSError, not a failure)
        raise
    except errors as e:
        print(f"{parser.prog}: {describe(e)}", file=sys.stderr)
        return error_code

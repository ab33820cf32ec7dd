"""The command line: the parser built from the registry (``registry.COMMANDS``), dispatch to each command's
module, and one line for every user error.

Never imports Qt: ``ui.launcher`` sends any subcommand here before Qt is loaded. Every user error ends in one
line on stderr and exit 2, never a traceback; an unknown command, flag or workspace is always an error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import NoReturn

from assist import __version__
from assist.cli.common import UserError
from assist.cli.registry import COMMANDS
from assist.errors import AssistError

__all__ = ["build_parser", "main"]


WINDOW_HELP = """With no command, assist opens the window on the active workspace (the embedded demo when nothing is
configured). Window options:
  --smoke            open the window, load a ticket, draft offline, exit 0 (self-test)
  --screenshot PNG   open a ticket, save a screenshot, exit
  --ticket ID        open this ticket first (with --smoke/--screenshot)
  --size WxH         window size for --screenshot, e.g. 1366x768
  --tab TAB          side tab for --screenshot: customer, actions or history
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line and the usage, exit 2 (argparse's own format)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="assist", description="Agent assist for support teams.", epilog=WINDOW_HELP,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"assist {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        module = import_module(f"assist.cli.{command.module}")
        p = sub.add_parser(command.name, help=command.help)
        module.arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a headless command. Every user error ends in one line on stderr and a non-zero exit."""
    try:
        return _main(argv)
    except (UserError, AssistError) as exc:
        print(f"assist: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("assist: interrupted", file=sys.stderr)
        return 130


def _main(argv: Sequence[str] | None = None) -> int:
    from assist.paths import Paths

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    code: int = args.run(Paths.default(), args)
    return code

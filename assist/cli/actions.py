"""``assist actions import SPEC [--out FILE]``: an OpenAPI 3 spec turned into catalog entries to review."""

from __future__ import annotations

import argparse
import sys

from assist.cli.common import write_out
from assist.paths import Paths


def arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="actions_command", metavar="ACTION", required=True)
    imp = actions.add_parser("import", help="turn an OpenAPI 3 spec into catalog entries to review")
    imp.add_argument("spec", help="OpenAPI 3 file (YAML or JSON)")
    imp.add_argument("--out", help="write the TOML here instead of printing it")


def run(paths: Paths, args: argparse.Namespace) -> int:
    return _import_actions(args)


def _import_actions(args: argparse.Namespace) -> int:
    from pathlib import Path

    import tomli_w

    from assist.actions.catalog import parse_catalog
    from assist.actions.openapi import import_openapi, ownership_to_review
    from assist.errors import SettingsError

    try:
        data = import_openapi(Path(args.spec).read_text("utf-8"))
        parse_catalog(data, args.spec)  # the result must load as a catalog
    except (OSError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    header = (f"# Imported from {args.spec} by assist actions import. Review every entry before use:\n"
              "# risk levels are guesses from the method and the operation's name, results and policies\n"
              "# need writing, and secrets named {secret:NAME} must be added in Settings.\n")
    owned = ownership_to_review(data)
    if owned:
        header += ("#\n# OWNERSHIP, to review: approval refuses an action whose id-like parameter has no rule proving\n"
                   "# it belongs to the ticket's requester. Uncomment and complete one line per parameter:\n"
                   "# [ownership]\n"
                   + "".join(f'# {p} = {{ lookup = "READ_ONLY_ACTION", field = "FIELD_WITH_OWNER_EMAIL" }}'
                             f"  # or {{ requester = true }}\n" for p in owned))
    text = header + "\n" + tomli_w.dumps(data)
    if args.out:
        write_out(args.out, text.encode())
        print(f"{len(data['actions'])} actions written to {args.out}")
    else:
        print(text)
    return 0

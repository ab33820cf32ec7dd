"""``assist journal export --out FILE``: a consistent copy of this desk's journal, even while Assist runs."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from assist.cli.common import check_folder
from assist.paths import Paths


def arguments(parser: argparse.ArgumentParser) -> None:
    journal = parser.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    exp = journal.add_parser("export", help="copy your journal (consistently, even while Assist runs)")
    exp.add_argument("--out", required=True, help="file to write, e.g. sam-2026-W47.db")


def run(paths: Paths, args: argparse.Namespace) -> int:
    return _export_journal(paths, args)


def _export_journal(paths: Paths, args: argparse.Namespace) -> int:
    if not paths.journal_file.exists():
        print(f"error: no journal at {paths.journal_file}", file=sys.stderr)
        return 2
    check_folder(args.out)
    src = sqlite3.connect(paths.journal_file)
    dst = sqlite3.connect(args.out)
    try:
        src.backup(dst)  # a consistent snapshot, safe while the app is writing (WAL)
    finally:
        dst.close()
        src.close()
    print(f"journal exported to {args.out}")
    return 0

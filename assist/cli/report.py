"""``assist report --out FILE [--week W] [--format html|csv|pdf] [--journal DB ...]``: the lead's weekly report,
from the team store when the workspace has one, else from journals."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys

from assist.cli.common import UserError, check_folder, write_out
from assist.paths import Paths
from assist.text import plural


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", help="workspace name (default: the active one; not with --journal)")
    parser.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: last week)")
    parser.add_argument("--format", choices=("html", "csv", "pdf"), default="html")
    parser.add_argument("--out", required=True, help="file to write")
    parser.add_argument("--journal", action="append", metavar="DB",
                        help="journal file to include (repeat to merge several agents'); default: the team "
                             "store when the workspace has one, else yours")


def run(paths: Paths, args: argparse.Namespace) -> int:
    return _report(paths, args)


def _report(paths: Paths, args: argparse.Namespace) -> int:
    from pathlib import Path

    from assist.reports import build_report, export, last_week, team_report

    if args.journal and args.workspace:
        raise UserError("--workspace reads the workspace's own store or journal; with --journal, leave it out.")
    check_folder(args.out)  # before minutes of work, not after
    week = (args.week or last_week()).upper()
    team_url = ""
    if not args.journal:
        from assist.workspace import settings_for

        settings = settings_for(paths, args.workspace)
        team_url = settings.current.team.url
    try:
        if team_url:
            from assist.cli.common import ask_for_missing
            from assist.secrets import SecretStore
            from assist.team.store import TeamStore

            secrets, name = SecretStore(), f"{settings.workspace}:team-password"
            ask_for_missing(secrets, [(name, "ASSIST_TEAM_PASSWORD", f"Team store password for {team_url}")])
            store = TeamStore(team_url, secrets.get(name))
            report = asyncio.run(team_report(store, week, with_rows=args.format == "csv"))
            source = "the team store"
        else:
            if args.journal:
                journals = [Path(j) for j in args.journal]
            else:  # this desk's journal (and, in the demo workspace, the demo's weeks of history)
                from assist.reports import report_journals

                journals = report_journals(paths, settings, paths.journal_file)
            report = build_report(journals, week)
            from assist.reports import is_demo_history

            demo = [j for j in journals if is_demo_history(j)]
            source = plural(len(journals) - len(demo), "journal") + (" and the demo's history" if demo else "")
            source = source.removeprefix("0 journals and ")
    except (ValueError, FileNotFoundError, sqlite3.DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.journal:  # intents by the workspace's titles ("Where is my order")
        from assist.errors import AssistError
        from assist.workspace import load_taxonomy

        try:
            from assist.reports import intent_names

            report.intent_titles, report.intent_parents = intent_names(
                load_taxonomy(paths, settings.workspace, settings.current))
        except (AssistError, OSError, ValueError) as exc:
            print(f"note: intents shown by their names (the taxonomy could not be read: {exc})", file=sys.stderr)
    write_out(args.out, export(report, args.format))
    print(f"{week}: {plural(report.replies_sent, 'reply', 'replies')}, "
          f"{plural(report.escalations, 'escalation')} from {source} -> {args.out}")
    if not report.replies_sent and not report.escalations and not any(t.drafts for t in report.tiers):
        print(f"note: nothing was recorded in {week} in {source}: "
              "the report is empty. Check the week (ISO, e.g. 2026-W47) and the journals.", file=sys.stderr)
    return 0

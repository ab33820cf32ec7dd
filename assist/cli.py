"""Headless commands: ``assist doctor`` (and, as issues land, kb / report / eval / journal).

Never imports Qt: ``ui.launcher`` sends any subcommand here before Qt is loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sqlite3
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import TYPE_CHECKING, NoReturn, TextIO

from assist import __version__
from assist.cli_common import UserError, check_folder, settings_for, write_out
from assist.commands import SUBCOMMANDS, suggest
from assist.errors import AssistError
from assist.paths import Paths
from assist.text import plural

if TYPE_CHECKING:  # the heavy modules load inside the commands that use them: `assist --version` is instant
    from assist.knowledge.ingest import IngestProgress
    from assist.secrets import SecretStore

__all__ = ["SUBCOMMANDS", "doctor", "main", "suggest"]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _fts5() -> bool:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def doctor(paths: Paths, secrets: SecretStore, out: TextIO | None = None) -> int:
    """Print what is installed, where things live and what is configured. Exit 1 on config problems."""
    from assist import embeddings
    from assist.journal import Journal
    from assist.journal import health as journal_health
    from assist.settings import load_settings, url_warnings

    settings, problems = load_settings(paths.config_file)
    lines = [
        f"Assist {__version__}",
        f"Python {platform.python_version()} on {platform.platform()}",
        "Packages: " + ", ".join(
            f"{d} {_version(d)}"
            for d in ("PySide6-Essentials", "qasync", "httpx", "litellm", "keyring", "sqlite-utils", "nh3")
        ),
        f"SQLite {sqlite3.sqlite_version} (FTS5: {'yes' if _fts5() else 'NO'})",
        "",
        f"Config file: {paths.config_file} "
        + ("(not created yet: defaults in use)" if not paths.config_file.exists() else "(found)"),
    ]
    if problems:
        lines.append("Config problems (defaults used for these):")
        lines += [f"  - {p}" for p in problems]
    else:
        lines.append("Config: valid")
    lines += [f"Warning: {w}" for w in url_warnings(settings)]
    lines.append(f"Data dir: {paths.data_dir}")
    broken = journal_health(paths.journal_file)
    if broken:
        problems.append("journal damaged")
        lines.append(f"Journal: {paths.journal_file} is {broken}. Start Assist to recover it: the damaged file is "
                     "kept aside, a new one started and every readable record copied over.")
    else:
        try:
            journal = Journal(paths.journal_file, settings.workspace)
            lines.append(f"Journal: {paths.journal_file} (schema v{journal.schema_version()})")
            journal.close()
        except Exception as exc:  # doctor reports, it never crashes
            problems.append("journal unusable")
            lines.append(f"Journal: {paths.journal_file} cannot be opened: {exc}")
    lines.append(f"Log dir: {paths.log_dir}")
    status = secrets.status()
    lines.append(
        f"Keyring: {status.backend} ({'secure' if status.secure else 'NOT secure'})"
        + ("" if status.secure else f"\n  {status.message}")
    )
    lines += [
        "",
        f"Workspace: {settings.workspace} (of {', '.join(settings.workspaces) or 'demo'})",
        f"Helpdesk: {settings.current.helpdesk.kind}"
        + (" (embedded demo, no network)" if settings.current.helpdesk.kind == "demo"
           else f" at {settings.current.helpdesk.url or '(no URL set)'}"),
        f"CRM: {settings.current.crm.kind}"
        + (" (embedded, no network)" if settings.current.crm.kind == "demo" else ""),
        f"Sentence vectors: {embeddings.describe(settings.ai.embeddings, settings.models.embedding.model)}",
        "Models: " + (", ".join(f"{t} = {getattr(settings.models, t).model}" for t in ("fast", "frontier")
                                if getattr(settings.models, t).model) or "not configured (offline drafting only)"),
    ]
    from assist import model_keys

    names = list(dict.fromkeys(model_keys.key_name(t) for t in (settings.models.fast, settings.models.frontier,
                                                                settings.models.embedding) if t.model))
    if not names:
        lines.append("Model API keys: none needed (no model configured)")
    if settings.current.helpdesk.kind != "demo":
        names.append(f"{settings.workspace}:helpdesk-token")
    if settings.current.crm.kind in ("hubspot", "http_json"):
        names.append(f"{settings.workspace}:crm-token")
    for name in names:
        try:
            state = "set" if secrets.has(name) else "not set"
        except Exception as exc:
            state = f"unreadable ({exc})"
        lines.append(f"Secret {name}: {state}")
    print("\n".join(lines), file=out or sys.stdout)
    return 1 if problems else 0


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
    sub.add_parser("doctor", help="report versions, paths, keyring and what is configured")
    kb = sub.add_parser("kb", help="the knowledge base").add_subparsers(dest="kb_command", metavar="ACTION")
    ingest = kb.add_parser("ingest", help="ingest files, folders, page URLs or sitemap URLs")
    ingest.add_argument("targets", nargs="+", metavar="PATH|URL")
    ingest.add_argument("--rate", type=float, default=0.5, help="seconds between web requests (0.5)")
    search = kb.add_parser("search", help="search the knowledge base")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5, help="number of passages (5)")
    actions = sub.add_parser("actions", help="the AI Actions catalog").add_subparsers(
        dest="actions_command", metavar="ACTION")
    imp = actions.add_parser("import", help="turn an OpenAPI 3 spec into catalog entries to review")
    imp.add_argument("spec", help="OpenAPI 3 file (YAML or JSON)")
    imp.add_argument("--out", help="write the TOML here instead of printing it")
    ev = sub.add_parser("eval", help="run a regression suite against the current roster and routing")
    ev.add_argument("suite", nargs="?", help="cases (JSONL or YAML); default: the demo suite. "
                    "'assist eval import --tickets FILE|--from-helpdesk --out SUITE.jsonl' builds cases from "
                    "solved tickets and the agents' replies")
    ev.add_argument("--workspace", help="workspace name (default: the active one)")
    ev.add_argument("--tickets", metavar="FILE", help="import: JSONL or CSV with subject, body, reply[, label]")
    ev.add_argument("--from-helpdesk", action="store_true", help="import: the helpdesk's solved tickets")
    ev.add_argument("--last", type=int, default=1000, metavar="N", help="import: how many tickets (1000)")
    ev.add_argument("--label-field", default="", metavar="F", help="import: helpdesk field with the intent")
    ev.add_argument("--out", help="import: the suite file to write")
    ev.add_argument("--baseline", help="baseline JSON to compare with (default: saved next to your data)")
    ev.add_argument("--save-baseline", action="store_true", help="store this run as the new baseline")
    report = sub.add_parser("report", help="weekly team report from one or more journals")
    report.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: last week)")
    report.add_argument("--format", choices=("html", "csv", "pdf"), default="html")
    report.add_argument("--out", required=True, help="file to write")
    report.add_argument("--journal", action="append", metavar="DB",
                        help="journal file to include (repeat to merge several agents'); default: the team "
                             "store when the workspace has one, else yours")
    journal = sub.add_parser("journal", help="the local journal").add_subparsers(dest="journal_command",
                                                                                 metavar="ACTION")
    exp = journal.add_parser("export", help="copy your journal (consistently, even while Assist runs)")
    exp.add_argument("--out", required=True, help="file to write, e.g. sam-2026-W47.db")
    from assist import learn_cli

    learn_cli.add_parsers(sub)
    from assist.team import cli as team_cli

    team_cli.add_parser(sub)
    return parser


async def _eval(paths: Paths, args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from assist.evaluation import baseline_path, evaluate, load_suite, regressions, table, to_json
    from assist.paths import resources_dir

    suite = Path(args.suite) if args.suite else resources_dir() / "demo" / "eval.jsonl"
    try:
        cases = load_suite(suite)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from assist.secrets import SecretStore
    from assist.workspace import build_session

    try:
        settings = settings_for(paths, args.workspace)  # --workspace X evaluates X; an unknown name is an error
    except AssistError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    session = build_session(paths, settings, SecretStore())
    try:
        rows, found = await evaluate(session, cases, suite, paths.data_dir)
    finally:
        await session.aclose()
    print(f"{suite.name}: {len(cases)} cases\n")
    print(table(rows))
    baseline_file = Path(args.baseline) if args.baseline else baseline_path(paths.data_dir, suite)
    if args.baseline:
        found = regressions(rows, json.loads(baseline_file.read_text()))
    if args.save_baseline:
        baseline_file.parent.mkdir(parents=True, exist_ok=True)
        baseline_file.write_text(json.dumps(to_json(rows), indent=2))
        print(f"\nBaseline saved to {baseline_file}")
        return 0
    if not baseline_file.exists():
        print(f"\nNo baseline yet ({baseline_file}); run with --save-baseline to keep this one.")
        return 0
    if found:
        print("\nREGRESSION against the baseline:")
        print("\n".join(f"  {line}" for line in found))
        return 1
    print("\nNo regression against the baseline.")
    return 0


def _report(paths: Paths, args: argparse.Namespace) -> int:
    from pathlib import Path

    from assist.reports import build_report, export, last_week, team_report

    check_folder(args.out)  # before minutes of work, not after
    week = (args.week or last_week()).upper()
    team_url = ""
    if not args.journal:
        from assist.settings import load_settings

        settings, _ = load_settings(paths.config_file)
        team_url = settings.current.team.url
    try:
        if team_url:
            from assist.cli_common import ask_for_missing
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


def _progress(p: IngestProgress) -> None:
    if sys.stderr.isatty():
        print(f"\r[{p.done}/{p.total}] {p.current[:60]:<60}", end="", file=sys.stderr, flush=True)
    elif p.done == p.total or p.done % 25 == 0:
        print(f"[{p.done}/{p.total}] {p.current}", file=sys.stderr)


async def _kb(paths: Paths, args: argparse.Namespace) -> int:
    from assist.secrets import SecretStore
    from assist.settings import load_settings
    from assist.workspace import build_session

    settings, _ = load_settings(paths.config_file)
    session = build_session(paths, settings, SecretStore())
    try:
        await session.prepare()
        if args.kb_command == "ingest":
            report = await session.kb.ingest(args.targets, progress=_progress, min_interval=args.rate)
            await session.kb.maintained()  # leave the index merged: the window starts with no upkeep
            if sys.stderr.isatty():
                print(file=sys.stderr)
            print(f"Ingested: {report.summary()}")
            for name, why in report.failed:
                print(f"  failed  {name}: {why}")
            for name, why in report.skipped:
                print(f"  skipped {name}: {why}")
            docs, chunks = await session.kb.stats()
            print(f"Knowledge base: {docs} documents, {chunks} passages ({session.kb.path})")
            return 1 if report.failed else 0
        hits = await session.kb.search(args.query, args.k)
        if not hits:
            print("No passage matches.")
            return 1
        for n, h in enumerate(hits, start=1):
            text = " ".join(h.text.split())
            print(f"{n}. {h.label}  (score {h.score:.1f}, {h.doc_id})\n   {text[:240]}")
        return 0
    except AssistError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        await session.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    """Run a headless command. Every user error ends in one line on stderr and a non-zero exit."""
    try:
        return _main(argv)
    except UserError as exc:
        print(f"assist: error: {exc}", file=sys.stderr)
        return 2
    except AssistError as exc:
        print(f"assist: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("assist: interrupted", file=sys.stderr)
        return 130


def _main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    paths = Paths.default()
    if args.command == "doctor":
        from assist.secrets import SecretStore

        return doctor(paths, SecretStore())
    if args.command == "eval" and args.suite == "import":
        from assist import learn_cli

        return asyncio.run(learn_cli.eval_import(paths, args))
    if args.command == "eval":
        return asyncio.run(_eval(paths, args))
    if args.command == "report":
        return _report(paths, args)
    if args.command == "journal" and args.journal_command == "export":
        return _export_journal(paths, args)
    if args.command == "actions" and args.actions_command == "import":
        return _import_actions(args)
    if args.command == "team" and args.team_command:
        from assist.team import cli as team_cli

        return asyncio.run(team_cli.run(paths, args))
    if args.command in ("learn", "route"):
        from assist import learn_cli

        return learn_cli.run(paths, args)
    if args.command == "kb" and args.kb_command:
        return asyncio.run(_kb(paths, args))
    build_parser().print_help()
    return 0

"""``assist eval [SUITE]``: a regression suite against the current roster and routing; ``assist eval import``
builds a suite from solved tickets and the agents' actual replies."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assist.cli.common import check_folder, write_out
from assist.errors import AssistError
from assist.paths import Paths
from assist.text import plural

if TYPE_CHECKING:
    from assist.secrets import SecretStore


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suite", nargs="?", help="cases (JSONL or YAML); default: the demo suite. "
                        "'assist eval import --tickets FILE|--from-helpdesk --out SUITE.jsonl' builds cases from "
                        "solved tickets and the agents' replies")
    parser.add_argument("--workspace", help="workspace name (default: the active one)")
    parser.add_argument("--tickets", metavar="FILE", help="import: JSONL or CSV with subject, body, reply[, label]")
    parser.add_argument("--from-helpdesk", action="store_true", help="import: the helpdesk's solved tickets")
    parser.add_argument("--last", type=int, default=1000, metavar="N", help="import: how many tickets (1000)")
    parser.add_argument("--label-field", default="", metavar="F", help="import: helpdesk field with the intent")
    parser.add_argument("--out", help="import: the suite file to write")
    parser.add_argument("--baseline", help="baseline JSON to compare with (default: saved next to your data)")
    parser.add_argument("--save-baseline", action="store_true", help="store this run as the new baseline")


def run(paths: Paths, args: argparse.Namespace) -> int:
    if args.suite == "import":
        return asyncio.run(eval_import(paths, args))
    return asyncio.run(_eval(paths, args))


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
    from assist.workspace import build_session, settings_for

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


async def eval_import(paths: Paths, args: argparse.Namespace, secrets: SecretStore | None = None) -> int:
    """Regression cases from solved tickets with the agents' actual replies and the facts in them."""
    from assist.cli.learn import read_history
    from assist.evaluation import import_cases
    from assist.learning.workspace import label_names
    from assist.workspace import load_taxonomy, settings_for

    if not args.out:
        raise AssistError("eval import needs --out SUITE.jsonl (the cases to write).")
    if not (args.tickets or args.from_helpdesk):
        raise AssistError("eval import needs --tickets FILE or --from-helpdesk.")
    check_folder(args.out)
    settings = settings_for(paths, args.workspace)
    history, _ = label_names(await read_history(paths, settings, args, secrets, cache=False))
    taxonomy = load_taxonomy(paths, settings.workspace, settings.current)
    patterns = []
    catalog_path = Path(settings.current.actions.catalog).expanduser() if settings.current.actions.catalog else None
    if catalog_path is not None and catalog_path.exists():
        from assist.actions.catalog import load_catalog

        patterns = list(load_catalog(catalog_path).patterns().values())
    cases = import_cases(history, set(taxonomy.names), patterns)
    write_out(args.out, "".join(json.dumps(c) + "\n" for c in cases).encode("utf-8"))
    with_facts = sum("reference_facts" in c["expect"] for c in cases)
    print(f"{plural(len(cases), 'case')} from {plural(len(history), 'ticket')} ({with_facts:,} with facts a draft "
          f"must not contradict) -> {args.out}")
    if len(cases) < len(history):
        print(f"{len(history) - len(cases):,} tickets had no agent reply to compare with and were left out.")
    return 0

"""``assist learn``: the team's history in (a file or the helpdesk), its intents and router out.

    assist learn [--workspace W] (--from-helpdesk [--last N] [--label-field F] | --tickets FILE)
                 [--report FILE.html|FILE.csv] [--accept]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from assist import embeddings
from assist.cli.common import check_folder, write_out
from assist.errors import AssistError
from assist.paths import Paths
from assist.text import plural

if TYPE_CHECKING:
    from assist.learning.history import HistoryTicket
    from assist.secrets import SecretStore
    from assist.settings import Settings


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", help="workspace name (default: the active one)")
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--from-helpdesk", action="store_true", help="pull solved/closed tickets from the helpdesk")
    src.add_argument("--tickets", metavar="FILE", help="JSONL or CSV: subject, body[, label, reply, handle_minutes]")
    parser.add_argument("--last", type=int, default=1000, metavar="N", help="how many tickets (1000; at most 10000)")
    parser.add_argument("--label-field", default="", metavar="F",
                        help="helpdesk field holding each ticket's intent: tags, tags:PREFIX, queue, type, group, "
                             "cf.NAME, field.ID (default: none, discover buckets); with --tickets, the file's "
                             "column (default: label, intent, category, type or tags, whichever it has)")
    parser.add_argument("--report", metavar="FILE", help="write the ranked buckets as HTML (inline SVG) or CSV")
    parser.add_argument("--accept", action="store_true",
                        help="unlabelled history: accept the discovered buckets as the workspace's intents")


def run(paths: Paths, args: argparse.Namespace) -> int:
    return asyncio.run(learn(paths, args))


def learning_settings(paths: Paths, workspace: str | None, from_file: bool) -> Settings:
    """``settings_for`` for ``assist learn``: a team's history never goes into the demo workspace, and a new
    name given with ``--tickets`` creates that workspace (its helpdesk is connected later, in Settings)."""
    from assist.settings import WorkspaceSettings, load_settings, save_settings

    settings, _ = load_settings(paths.config_file)
    if workspace and workspace not in settings.workspaces and from_file:
        if not workspace.replace("-", "_").replace("_", "a").isalnum():
            raise AssistError(f"{workspace!r} is not a workspace name (letters, digits, - and _).")
        settings.workspaces[workspace] = WorkspaceSettings()
        save_settings(settings, paths.config_file)
        print(f"created workspace {workspace!r} (connect its helpdesk in Settings)", file=sys.stderr)
    from assist.workspace import settings_for

    settings = settings_for(paths, workspace)
    if settings.workspace == "demo":
        raise AssistError("The demo workspace keeps its own intents: learn into a team's workspace with "
                          "`assist learn --workspace NAME --tickets FILE` (a new NAME is created).")
    return settings


def _vector_progress(done: int, total: int) -> None:
    if done == total or done % 1024 == 0:
        print(f"sentence vectors {done:,}/{total:,}", file=sys.stderr, flush=True)


class _Progress:
    """Tickets fetched so far and, once the rate is known, how long the rest should take."""

    def __init__(self) -> None:
        from assist.learning.history import Eta

        self.eta = Eta()

    def __call__(self, done: int, total: int) -> None:
        eta = self.eta(done, total)
        if sys.stderr.isatty():
            print(f"\rfetching tickets {done:,}/{total:,}{eta}   ", end="", file=sys.stderr, flush=True)
        elif done == total or done % 200 == 0:
            print(f"fetched {done:,}/{total:,} tickets{eta}", file=sys.stderr)


async def read_history(paths: Paths, settings, args: argparse.Namespace,  # type: ignore[no-untyped-def]
                   secrets: SecretStore | None, *, cache: bool = True):
    from assist.learning import history as hist
    from assist.learning.workspace import history_file

    name = settings.workspace
    if args.tickets:
        tickets, used = hist.read_file_columns(Path(args.tickets), getattr(args, "label_field", "") or "")
        print("read " + ", ".join(f"{field} from {column!r}" for field, column in used.items()) + f" ({args.tickets})")
        if cache:
            hist.save(tickets, history_file(paths, name))
        return tickets
    from assist.cli.common import ask_for_missing
    from assist.secrets import SecretStore
    from assist.workspace import build_session

    store = secrets or SecretStore()
    if settings.current.helpdesk.kind != "demo":
        ask_for_missing(store, [(f"{name}:helpdesk-token", "ASSIST_HELPDESK_TOKEN",
                                 f"{settings.current.helpdesk.kind} API token for workspace {name!r}")])
    session = build_session(paths, settings, store)
    notes: list[str] = []
    try:
        tickets = await hist.pull(session.helpdesk, history_file(paths, name), last=args.last,
                                  label_field=args.label_field, progress=_Progress(), notes=notes)
    finally:
        await session.aclose()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for note in notes:  # fewer than --last: say why, never silently
        print(f"note: {note}.", file=sys.stderr)
    return tickets


async def _model_names(settings: Settings, buckets: list, secrets: SecretStore | None) -> list:  # type: ignore[type-arg]
    """Buckets named by the fast model (masked, through the model gateway) when the workspace has one;
    the term names otherwise, or when its answer names nothing usable."""
    fast = settings.models.fast
    if not (fast.model and settings.ai.enabled and buckets):
        return buckets
    from assist import model_keys
    from assist.learning.naming import model_names
    from assist.secrets import SecretStore

    key = model_keys.api_key(secrets or SecretStore(), fast, settings.models)
    named = await model_names(buckets, fast, key, redact=settings.ai.redact_pii)
    if [b.name for b in named] != [b.name for b in buckets]:
        print(f"bucket names from {fast.model}" + (" (personal data masked)" if settings.ai.redact_pii else ""))
    return named


def _write_report(path: str, buckets, title: str, impact_unit: str) -> None:  # type: ignore[no-untyped-def]
    from assist.learning import bucket_report

    text = bucket_report.to_csv(buckets, impact_unit) if path.lower().endswith(".csv") else \
        bucket_report.to_html(buckets, title, impact_unit)
    write_out(path, text.encode("utf-8"))
    print(f"report written to {path}")


def _print_buckets(buckets, out: TextIO, impact_unit: str) -> None:  # type: ignore[no-untyped-def]
    print(f"{'bucket':<30} {'tickets':>7} {'impact':>8} {'frustr.':>7}  high on", file=out)
    for b in buckets:
        mark = "*" if b.candidate else " "
        impact = f"{b.impact:>6.1f}{impact_unit[:2]:>2}" if impact_unit else f"{'n/a':>8}"
        print(f"{mark}{b.name[:29]:<29} {b.volume:>7} {impact} {b.emotion:>7.0%}  "
              f"{', '.join(b.high)}{'  [' + ', '.join(b.terms[:4]) + ']' if b.terms else ''}", file=out)
    print("* automation candidate: high on two of volume, impact, emotion"
          + ("" if impact_unit else " (impact n/a: no handle-time data)"), file=out)


async def learn(paths: Paths, args: argparse.Namespace, secrets: SecretStore | None = None) -> int:
    """Import the history, bucket it, write the taxonomy and train (``secrets``: the keyring's, by default)."""
    from assist.learning import discover
    from assist.learning.workspace import add_labelled_intents, collisions, label_names, save_taxonomy, train_and_save
    from assist.taxonomy import Taxonomy
    from assist.workspace import load_taxonomy, taxonomy_path

    if args.report:
        check_folder(args.report)
    settings = learning_settings(paths, args.workspace, bool(args.tickets))
    name = settings.workspace
    raw = await read_history(paths, settings, args, secrets)
    history, raw_labels = label_names(raw)
    n_labelled = sum(bool(t.label) for t in history)
    print(f"{name}: {plural(len(history), 'ticket')} of history, {n_labelled:,} labelled")
    impact_unit = discover.impact_unit(history)
    # the workspace's own taxonomy file, or nothing: never the demo's intents
    taxonomy = load_taxonomy(paths, name, settings.current) if taxonomy_path(paths, name).exists() \
        else Taxonomy()
    if n_labelled:
        taxonomy = add_labelled_intents(taxonomy, history, raw_labels)
        for line in collisions(raw_labels):
            print(f"label renamed to stay apart from another: {line}")
    from assist.workspace import sentence_encoder

    encoder = sentence_encoder(paths, settings, secrets)
    embed = None
    if encoder is not None:
        print(f"sentence vectors: {embeddings.describe(settings.ai.embeddings, settings.models.embedding.model)}",
              file=sys.stderr)
        try:
            encoder.encode([t.text for t in history], progress=_vector_progress)  # once; kept in vectors.sqlite
            embed = encoder.encode
        except Exception as exc:  # noqa: BLE001 - vectors are a plus: without them, learn on words
            print(f"sentence vectors unavailable ({exc}): learning on word statistics", file=sys.stderr)
    if n_labelled >= max(10, len(history) // 2):
        buckets = discover.by_label(history, discover.moods_of(history))
    else:
        rest = [t for t in history if not t.label]
        print(f"{plural(len(rest), 'unlabelled ticket')}: discovering buckets in them...")
        buckets = discover.cluster(rest, moods=discover.moods_of(rest), embed=embed)
        buckets = await _model_names(settings, buckets, secrets)
        if args.accept:
            taxonomy = discover.to_taxonomy(buckets, taxonomy, rest)
            history = [t for t in history if t.label] + discover.labelled_by(rest, buckets)
    _print_buckets(buckets, sys.stdout, impact_unit)
    if args.report:
        _write_report(args.report, buckets, f"{name}: intent buckets, {datetime.now(UTC):%Y-%m-%d}", impact_unit)
    if not any(t.label for t in history):
        print("Nothing labelled to train on: rename, merge and accept buckets in the Learn window "
              "(or run again with --accept), or pick a --label-field.")
        return 0
    # train first: a run that fails (too few labels) leaves the workspace's taxonomy and model as they were
    result = train_and_save(paths, name, history, progress=lambda m: print(f"  {m}...", file=sys.stderr),
                            precision=settings.current.routing.precision, taxonomy=taxonomy, embed=embed)
    path = save_taxonomy(paths, name, taxonomy)
    print(f"taxonomy: {plural(len(taxonomy.intents), 'intent')} -> {path}")
    from assist.learning.history import save
    from assist.learning.workspace import history_file

    save(history, history_file(paths, name))  # labels as intent names, for the router and later runs
    print("\n".join(result.lines()))
    await _answers_as_sources(paths, name, raw)
    return 0


async def _answers_as_sources(paths: Paths, name: str, history: Sequence[HistoryTicket]) -> None:
    """The agents' replies to solved tickets become knowledge-base sources, other customers' details removed."""
    from assist.knowledge.base import KnowledgeBase
    from assist.learning.answers import PREFIX, answer_documents

    answers = answer_documents(history)
    kb = KnowledgeBase(paths.workspace_dir(name) / "kb.db")
    try:
        stored, removed = await kb.replace_answers(answers, PREFIX)
    finally:
        kb.close()
    print(f"team answers: {len(answers):,} past replies are sources for drafts ({stored:,} new or changed, "
          f"{removed:,} removed; names, addresses, ids, amounts and dates of those cases taken out)")

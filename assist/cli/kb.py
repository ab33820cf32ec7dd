"""``assist kb ingest PATH|URL...`` and ``assist kb search QUERY``: the workspace's knowledge base."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from assist.errors import AssistError
from assist.paths import Paths

if TYPE_CHECKING:
    from assist.knowledge.ingest import IngestProgress


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", help="workspace name (default: the active one)")
    kb = parser.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    ingest = kb.add_parser("ingest", help="ingest files, folders, page URLs or sitemap URLs")
    ingest.add_argument("targets", nargs="+", metavar="PATH|URL")
    ingest.add_argument("--rate", type=float, default=0.5, help="seconds between web requests (0.5)")
    ingest.add_argument("--no-vectors", action="store_true",
                        help="skip sentence vectors for the passages (the window computes them in the background)")
    search = kb.add_parser("search", help="search the knowledge base")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5, help="number of passages (5)")
    for action in (ingest, search):  # `assist kb ingest --workspace W ...` reads as naturally as before the action
        action.add_argument("--workspace", default=argparse.SUPPRESS, help="workspace name (default: the active one)")


def run(paths: Paths, args: argparse.Namespace) -> int:
    return asyncio.run(_kb(paths, args))


def _progress(p: IngestProgress) -> None:
    if sys.stderr.isatty():
        print(f"\r[{p.done}/{p.total}] {p.current[:60]:<60}", end="", file=sys.stderr, flush=True)
    elif p.done == p.total or p.done % 25 == 0:
        print(f"[{p.done}/{p.total}] {p.current}", file=sys.stderr)


def _vector_progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\rsentence vectors {done:,}/{total:,}", end="" if done < total else "\n", file=sys.stderr, flush=True)
    elif done == total or done % 160 == 0:
        print(f"sentence vectors {done:,}/{total:,}", file=sys.stderr)


async def _kb(paths: Paths, args: argparse.Namespace) -> int:
    from assist.secrets import SecretStore
    from assist.workspace import build_session, settings_for

    settings = settings_for(paths, args.workspace)
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
            if session.encoder is not None and not args.no_vectors:
                from assist.workspace import embed_knowledge

                made = await embed_knowledge(session, _vector_progress)
                done, total = await session.kb.vector_counts(session.encoder.id)
                print(f"Sentence vectors: {done:,} of {total:,} passages have one ({made:,} computed now, "
                      f"{session.encoder.id})")
            return 1 if report.failed else 0
        hits = await session.drafter.search(args.query, args.k)  # as drafting and the Knowledge window search
        fused = session.encoder is not None and await session.kb.has_vectors(session.encoder.id)
        if not hits:
            print("No passage matches.")
            return 1
        for n, h in enumerate(hits, start=1):
            text = " ".join(h.text.split())
            print(f"{n}. {h.label}  (score {h.score:.1f}, {h.doc_id})\n   {text[:240]}")
        if fused:
            print("(ranked by words and sentence vectors together; the score is the words' BM25)")
        return 0
    except AssistError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        await session.aclose()

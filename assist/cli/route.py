"""``assist route --jsonl [--workspace W]``: tickets read as JSON lines on stdin, one JSON line out each, with
the team's own label beside the intent (and "review" with the top candidates below the precision asked for)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from assist.paths import Paths

if TYPE_CHECKING:
    from assist.taxonomy import Taxonomy


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", help="workspace name (default: the active one)")
    parser.add_argument("--jsonl", action="store_true", required=True, help='read {"id","subject","body"} lines')


def run(paths: Paths, args: argparse.Namespace) -> int:
    return route_jsonl(paths, args, sys.stdin, sys.stdout)


def _label(taxonomy: Taxonomy, name: str) -> str:
    info = taxonomy.get(name)
    return (info.team_label or info.label) if info else name


def route_jsonl(paths: Paths, args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from assist.domain import AuthorRole, Message, Ticket, TicketId, TicketStatus
    from assist.routing import route
    from assist.workspace import intent_router, load_taxonomy, settings_for

    settings = settings_for(paths, args.workspace)
    load_taxonomy(paths, settings.workspace, settings.current)  # unreadable: the error, not "other" for all
    from assist.secrets import SecretStore
    from assist.workspace import sentence_encoder

    router = intent_router(paths, settings.workspace, settings.current,
                           sentence_encoder(paths, settings, SecretStore()))
    threshold = router.threshold
    now = datetime.now(UTC)
    bad = 0
    for n, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            tid = str(raw.get("id", n))
            ticket = Ticket(TicketId(tid), str(raw.get("subject") or ""), TicketStatus.OPEN, "", "", now, now,
                            (Message("1", "customer", AuthorRole.CUSTOMER, str(raw.get("body") or ""), now),))
        except ValueError as exc:
            bad += 1
            print(f"assist route: line {n}: {exc}", file=sys.stderr)
            stdout.write(json.dumps({"id": None, "error": f"line {n}: not a JSON ticket"}) + "\n")
            continue
        r = route(ticket, None, settings, router, router.taxonomy, threshold=threshold)
        info = router.taxonomy.get(r.intent)
        stdout.write(json.dumps({
            "id": tid, "intent": "review" if r.review else r.intent,
            "label": (info.team_label or info.label) if info else None, "confidence": r.intent_confidence,
            "candidates": [{"intent": i, "label": _label(router.taxonomy, i), "confidence": p}
                           for i, p in r.candidates],
            "tier": r.tier.value, "human": r.human_only, "reasons": list(r.reasons)}) + "\n")
        stdout.flush()
    return 1 if bad else 0

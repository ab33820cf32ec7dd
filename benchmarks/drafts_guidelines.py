"""Offline drafts on another business's internal agent guidelines (issue 26): ABCD's guidelines for an online
clothing store (asappresearch/abcd, MIT; 55 procedures written for agents, "[Pull up Account]", "Get Full Name
or Account ID") as a workspace's knowledge base, and 40 customer messages written here in other people's
words (benchmarks/data/guideline_messages.jsonl, each with the procedure that handles it).

On the path the app takes (a non-demo workspace, ``KnowledgeBase.ingest``, ``Session.route_ticket`` and
``Session.draft``, no model), words only and with passage vectors (hybrid), it counts:

- right procedure: the draft's "how to handle this" (or its first citation) is the message's procedure;
- the best BM25 passage alone, the textbook baseline, beside it;
- agent-facing text in what the customer would read (must be 0);
- drafts that ask a specific question (what the procedure needs) rather than the stock one.

    python benchmarks/drafts_guidelines.py      (needs: fetch github:asappresearch/abcd)
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT  # noqa: F401  (puts the repo on sys.path)
from public_sets import MIRROR

MESSAGES = Path(__file__).parent / "data" / "guideline_messages.jsonl"
AGENT_FACING = re.compile(r"\[[A-Z][^\]]{2,40}\]|\bthe customer\b|\bsubflow\b|\bin the next step\b|"
                          r"\bthis (?:flow|article|case)\b|\binstruct\b", re.I)
STOCK = re.compile(r"tell me a (?:bit|little) more", re.I)


def guidelines() -> dict | None:  # type: ignore[type-arg]
    git = MIRROR / "asappresearch+abcd" / "repo"
    out = subprocess.run(["git", "-C", str(git), "show", "HEAD:data/guidelines.json"], capture_output=True,
                         text=True) if git.exists() else None
    return json.loads(out.stdout) if out is not None and out.returncode == 0 else None


def write_kb(g: dict, folder: Path) -> None:  # type: ignore[type-arg]
    """One Markdown article per flow, one section per procedure: actions as paragraphs, their notes as bullets."""
    for flow, body in g.items():
        lines = [f"# {flow}", "", str(body.get("description", "")).strip(), ""]
        for sub, spec in body.get("subflows", {}).items():
            lines += [f"## {sub}", ""]
            for line in spec.get("instructions", []) if isinstance(spec.get("instructions"), list) else []:
                lines += [str(line), ""]
            for action in spec.get("actions", []):
                lines += [str(action.get("text", "")).strip(), ""]
                lines += [f"- {t}" for t in action.get("subtext", [])] + [""]
        slug = re.sub(r"\W+", "-", flow.lower()).strip("-")
        (folder / f"{slug}.md").write_text("\n".join(lines), "utf-8")


async def run(vectors: bool) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    os.environ.update(ASSIST_CONFIG_DIR=str(tmp / "config"), ASSIST_DATA_DIR=str(tmp / "data"),
                      ASSIST_LOG_DIR=str(tmp / "log"))
    from assist.domain import AuthorRole, Draft, Message, Ticket, TicketContext, TicketId, TicketStatus
    from assist.paths import Paths
    from assist.secrets import SecretStore
    from assist.settings import HelpdeskSettings, Settings, WorkspaceSettings
    from assist.workspace import build_session

    g = guidelines()
    assert g is not None
    kb_dir = tmp / "kb"
    kb_dir.mkdir()
    write_kb(g, kb_dir)
    paths = Paths.default()
    settings = Settings()
    # the store's own helpdesk (never read here: each message is its ticket), no taxonomy yet: a new team's first day
    settings.workspaces["store"] = WorkspaceSettings(helpdesk=HelpdeskSettings(kind="request_tracker",
                                                                               url="http://127.0.0.1:9"))
    settings.active_workspace = "store"
    settings.agent.display_name = "Sam"
    settings.ai.embeddings = "offline" if vectors else "off"
    session = build_session(paths, settings, SecretStore())
    await session.kb.ingest([str(kb_dir)])
    await session.kb.maintained()
    if vectors:
        from assist.workspace import embed_knowledge

        assert session.encoder is not None, "the offline encoder is not installed"
        await embed_knowledge(session)
    cases = [json.loads(x) for x in MESSAGES.read_text("utf-8").splitlines() if x.strip()]
    now = datetime.now(UTC)
    right = baseline = leaks = specific = wrong = 0
    for n, case in enumerate(cases):
        t = Ticket(TicketId(str(n)), case["text"][:50], TicketStatus.OPEN, "jo@example.org", "Jo Doe", now, now,
                   (Message("1", "Jo Doe", AuthorRole.CUSTOMER, case["text"], now),))
        ctx = TicketContext(t, None, "")
        route = await session.route_ticket(ctx)
        draft = [e async for e in session.draft(ctx, route, record=False)][-1]
        assert isinstance(draft, Draft)
        bm25 = await session.kb.search(f"{t.subject}\n{case['text']}", 1)
        baseline += bool(bm25) and bm25[0].heading == case["subflow"]
        m = re.search(r"How to handle this \(“[^›”]*› ([^”]+)”\)", draft.note)
        used = m.group(1).strip() if m else (draft.citations[0].source.heading if draft.citations else "")
        right += used == case["subflow"]
        wrong += bool(used) and used != case["subflow"]
        body = draft.text
        leaks += len(AGENT_FACING.findall(body))
        specific += "?" in body and not STOCK.search(body)
        if "-v" in sys.argv:
            top = bm25[0].heading if bm25 else "-"
            print(f"-- {case['text']}\n   want {case['subflow']!r}, used {used!r}; bm25 {top}")
            print("   " + body.replace("\n", " | ")[:400])
            print("   note: " + draft.note.replace("\n", " | ")[:300])
    await session.aclose()
    k = len(cases)
    return {"right": right / k, "wrong": wrong / k, "baseline": baseline / k, "leaks": leaks, "specific": specific / k,
            "n": k}


def main() -> int:
    if guidelines() is None:
        print("ABCD's guidelines are not here (fetch github:asappresearch/abcd): skipped")
        return 0
    ok = True
    for vectors in (False, True):
        r = asyncio.run(run(vectors))
        label = "hybrid (words + passage vectors)" if vectors else "words only"
        good = r["right"] >= r["baseline"] and r["leaks"] == 0
        ok &= good
        print(f"{label:<34} right procedure {r['right']:.0%}, another one {r['wrong']:.0%} (best BM25 passage alone "
              f"right {r['baseline']:.0%}); "
              f"agent-facing text in customer drafts: {r['leaks']}; specific questions {r['specific']:.0%} "
              f"of {r['n']} -> {'met' if good else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

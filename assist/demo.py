"""The embedded demo workspace: one SQLite file seeded from ``resources/demo/`` on first run.

It holds a helpdesk (tickets, messages) and a CRM (customers, orders) so every feature works on a fresh
machine with no network. Times in the seed are relative ("hours ago") so the demo always looks current.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED_VERSION = 1


def _ago(now: datetime, *, hours: float = 0, days: float = 0) -> str:
    return (now - timedelta(hours=hours, days=days)).isoformat(timespec="seconds")


def seed(conn: sqlite3.Connection, seed_dir: Path, now: datetime | None = None) -> None:
    """Create and fill the demo tables from the seed files (idempotent per SEED_VERSION)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SEED_VERSION:
        return
    now = now or datetime.now(UTC)
    customers: list[dict[str, Any]] = json.loads((seed_dir / "customers.json").read_text("utf-8"))
    tickets: list[dict[str, Any]] = json.loads((seed_dir / "tickets.json").read_text("utf-8"))
    names = {c["email"]: c["name"] for c in customers}

    import sqlite_utils  # seeding runs once, on the worker thread: keep numpy & co. out of start-up

    db = sqlite_utils.Database(conn)
    db.table("customers").insert_all(
        (
            {
                "id": c["id"], "email": c["email"], "name": c["name"], "plan": c.get("plan", ""),
                "tier": c.get("tier", ""), "lifetime_value": c.get("lifetime_value", 0.0),
                "currency": c.get("currency", "USD"), "company": c.get("company", ""),
                "customer_since": _ago(now, days=c.get("since_days", 0)), "notes": c.get("notes", ""),
            }
            for c in customers
        ),
        pk="id",
    )
    db.table("customers").create_index(["email"], unique=True)
    orders = []
    for c in customers:
        for o in c.get("orders", []):
            orders.append({
                "id": o["id"], "customer_id": c["id"], "placed_at": _ago(now, days=o["placed_days"]),
                "status": o["status"], "total": o["total"], "currency": o.get("currency", "USD"),
                "items": json.dumps(o.get("items", [])), "carrier": o.get("carrier", ""),
                "tracking_number": o.get("tracking", ""),
                "shipped_at": _ago(now, days=o["shipped_days"]) if "shipped_days" in o else None,
                "eta": _ago(now, days=o["eta_days"]) if "eta_days" in o else None,
                "shipping_address": o.get("address", ""),
            })
    db.table("orders").insert_all(orders, pk="id", foreign_keys=[("customer_id", "customers", "id")])

    ticket_rows, message_rows = [], []
    for t in tickets:
        msgs = t["messages"]
        ticket_rows.append({
            "id": t["id"], "subject": t["subject"], "status": t["status"],
            "priority": t.get("priority", "normal"), "requester_email": t["requester"],
            "requester_name": names.get(t["requester"], t["requester"]),
            "tags": json.dumps(t.get("tags", [])), "intent": t.get("intent", ""),
            "created_at": _ago(now, hours=msgs[0]["hours_ago"]),
            "updated_at": _ago(now, hours=msgs[-1]["hours_ago"]),
        })
        for m in msgs:
            customer = m["role"] == "customer"
            message_rows.append({
                "ticket_id": t["id"],
                "author": names.get(t["requester"], t["requester"]) if customer else m["author"],
                "role": m["role"], "body": m["body"], "body_format": m.get("format", "text"),
                "public": 1 if m.get("public", True) else 0,
                "created_at": _ago(now, hours=m["hours_ago"]),
            })
    db.table("tickets").insert_all(ticket_rows, pk="id")
    db.table("messages").insert_all(
        message_rows, pk="id", foreign_keys=[("ticket_id", "tickets", "id")],
    )
    db.table("messages").create_index(["ticket_id"])
    db.table("tickets").create_index(["requester_email"])
    conn.execute(f"PRAGMA user_version = {SEED_VERSION}")


def labelled_tickets(seed_dir: Path) -> list[tuple[str, str]]:
    """The demo tickets' customer messages with their intents: the demo workspace's labelled history."""
    path = seed_dir / "tickets.json"
    if not path.exists():
        return []
    out = []
    for t in json.loads(path.read_text("utf-8")):
        if t.get("intent"):
            text = " ".join(m["body"] for m in t["messages"] if m["role"] == "customer")
            out.append((f"{t['subject']} {text}", t["intent"]))
    return out

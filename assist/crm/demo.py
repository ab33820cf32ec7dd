"""The embedded demo CRM: customers, orders and past tickets from the demo workspace's SQLite file."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from assist.db import SqliteWorker
from assist.domain import Customer, CustomerId, Order, PastTicket, TicketId, TicketStatus


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class DemoCRM:
    name = "Demo CRM"

    def __init__(self, db: SqliteWorker) -> None:
        self._db = db

    async def get_customer(self, email: str) -> Customer | None:
        def _get(conn: sqlite3.Connection) -> Customer | None:
            row = conn.execute(
                "SELECT * FROM customers WHERE email = ? COLLATE NOCASE", (email,)
            ).fetchone()
            if row is None:
                return None
            orders = tuple(
                Order(
                    id=o["id"], placed_at=datetime.fromisoformat(o["placed_at"]), status=o["status"],
                    total=o["total"], currency=o["currency"], items=tuple(json.loads(o["items"])),
                    carrier=o["carrier"], tracking_number=o["tracking_number"],
                    shipped_at=_dt(o["shipped_at"]), eta=_dt(o["eta"]),
                    shipping_address=o["shipping_address"],
                )
                for o in conn.execute(
                    "SELECT * FROM orders WHERE customer_id = ? ORDER BY placed_at DESC", (row["id"],)
                )
            )
            past = tuple(
                PastTicket(
                    TicketId(t["id"]), t["subject"], TicketStatus(t["status"]),
                    datetime.fromisoformat(t["created_at"]),
                )
                for t in conn.execute(
                    "SELECT id, subject, status, created_at FROM tickets "
                    "WHERE requester_email = ? COLLATE NOCASE ORDER BY created_at DESC LIMIT 10",
                    (email,),
                )
            )
            return Customer(
                id=CustomerId(row["id"]), name=row["name"], email=row["email"], plan=row["plan"],
                tier=row["tier"], lifetime_value=row["lifetime_value"], currency=row["currency"],
                customer_since=_dt(row["customer_since"]), company=row["company"], orders=orders,
                past_tickets=past, notes=row["notes"],
            )

        return await self._db.run(_get)

    async def aclose(self) -> None:
        return None

"""The embedded demo helpdesk: tickets and messages in the demo workspace's SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from assist.db import SqliteWorker
from assist.domain import (
    AuthorRole,
    BodyFormat,
    Message,
    QueueFilter,
    Ticket,
    TicketId,
    TicketStatus,
    TicketSummary,
)
from assist.errors import ConnectorError, TicketNotFoundError


def _summary(row: sqlite3.Row) -> TicketSummary:
    return TicketSummary(
        id=TicketId(row["id"]),
        subject=row["subject"],
        status=TicketStatus(row["status"]),
        requester_email=row["requester_email"],
        requester_name=row["requester_name"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
        priority=row["priority"],
        tags=tuple(json.loads(row["tags"] or "[]")),
    )


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=str(row["id"]),
        author=row["author"],
        role=AuthorRole(row["role"]),
        body=row["body"],
        created_at=datetime.fromisoformat(row["created_at"]),
        public=bool(row["public"]),
        body_format=BodyFormat(row["body_format"]),
    )


class DemoHelpdesk:
    name = "Demo helpdesk"

    def __init__(self, db: SqliteWorker) -> None:
        self._db = db

    async def list_queue(self, flt: QueueFilter, limit: int = 500) -> list[TicketSummary]:
        def _list(conn: sqlite3.Connection) -> list[TicketSummary]:
            where: list[str] = []
            args: list[object] = []
            if flt.statuses:
                where.append(f"status IN ({','.join('?' * len(flt.statuses))})")
                args.extend(str(s) for s in flt.statuses)
            text = flt.text.strip()
            if text:
                like = f"%{text.lstrip('#')}%"
                where.append(
                    "(id LIKE ? OR subject LIKE ? OR requester_email LIKE ? OR requester_name LIKE ? "
                    "OR id IN (SELECT ticket_id FROM messages WHERE body LIKE ?))"
                )
                args.extend([like] * 5)
            sql = "SELECT * FROM tickets"
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += " ORDER BY updated_at DESC LIMIT ?"
            return [_summary(r) for r in conn.execute(sql, [*args, limit])]

        return await self._db.run(_list, interruptible=True)  # a newer search supersedes this one

    async def get_ticket(self, ticket_id: TicketId, on_requester: Callable[[str], None] | None = None) -> Ticket:
        def _get(conn: sqlite3.Connection) -> Ticket:
            row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
            if row is None:
                raise TicketNotFoundError(f"Ticket #{ticket_id} doesn't exist in the demo helpdesk.")
            msgs = conn.execute(
                "SELECT * FROM messages WHERE ticket_id = ? ORDER BY created_at, id", (ticket_id,)
            ).fetchall()
            s = _summary(row)
            return Ticket(
                id=s.id, subject=s.subject, status=s.status, requester_email=s.requester_email,
                requester_name=s.requester_name,
                created_at=datetime.fromisoformat(row["created_at"]), updated_at=s.updated_at,
                messages=tuple(_message(m) for m in msgs), priority=s.priority, tags=s.tags,
            )

        return await self._db.run(_get)

    async def post_reply(
        self, ticket_id: TicketId, body: str, *, public: bool, author: str, status: TicketStatus | None = None
    ) -> Message:
        def _post(conn: sqlite3.Connection) -> Message:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)).fetchone() is None:
                conn.execute("ROLLBACK")
                raise TicketNotFoundError(f"Ticket #{ticket_id} doesn't exist in the demo helpdesk.")
            cur = conn.execute(
                "INSERT INTO messages (ticket_id, author, role, body, body_format, public, created_at) "
                "VALUES (?, ?, 'agent', ?, 'text', ?, ?)",
                (ticket_id, author, body, 1 if public else 0, now),
            )
            new_status = str(status) if status is not None else ("pending" if public else None)
            conn.execute(
                "UPDATE tickets SET updated_at = ?, status = coalesce(?, status) WHERE id = ?",
                (now, new_status, ticket_id),
            )
            conn.execute("COMMIT")
            row = conn.execute("SELECT * FROM messages WHERE id = ?", (cur.lastrowid,)).fetchone()
            return _message(row)

        return await self._db.run(_post)

    async def set_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None:
        def _tags(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE tickets SET tags = ? WHERE id = ?", (json.dumps(list(tags)), ticket_id)
            )
            if cur.rowcount == 0:
                raise TicketNotFoundError(f"Ticket #{ticket_id} doesn't exist in the demo helpdesk.")

        await self._db.run(_tags)

    async def add_tags(self, ticket_id: TicketId, tags: tuple[str, ...]) -> None:
        def _add(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT tags FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
            if row is None:
                conn.execute("ROLLBACK")
                raise TicketNotFoundError(f"Ticket #{ticket_id} doesn't exist in the demo helpdesk.")
            merged = list(dict.fromkeys([*json.loads(row["tags"] or "[]"), *tags]))
            conn.execute("UPDATE tickets SET tags = ? WHERE id = ?", (json.dumps(merged), ticket_id))
            conn.execute("COMMIT")

        await self._db.run(_add)

    async def fetch_attachment(self, ticket_id: TicketId, attachment_id: str) -> bytes:
        raise ConnectorError("The demo helpdesk has no files to open.")

    async def current_agent(self) -> str:
        return ""  # the demo has no accounts: the window asks once

    async def aclose(self) -> None:
        """Closes the workspace file (shared with the demo CRM, which closes nothing)."""
        self._db.close()

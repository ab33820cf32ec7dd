"""Proposals and their audit trail in the journal. Approval is a state change made atomically, so a
double click or a second window can never start the same action twice."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime

from assist.domain import ActionProposal, AuditEvent, ProposalStatus, TicketId
from assist.journal import Journal, now_iso

_RUNNABLE = (ProposalStatus.PROPOSED, ProposalStatus.FAILED, ProposalStatus.REJECTED, ProposalStatus.UNKNOWN)


def _proposal(row: sqlite3.Row) -> ActionProposal:
    return ActionProposal(
        id=row["id"], ticket_id=TicketId(row["ticket_id"]), action=row["action"], title=row["title"],
        risk=row["risk"], params=json.loads(row["params"]), why=row["why"], source=row["source"],
        status=ProposalStatus(row["status"]), result=row["result"], error=row["error"],
        idempotency_key=row["idempotency_key"], requester=row["requester"], customer_text=row["customer_text"],
    )


def _audit(conn: sqlite3.Connection, ws: str, p: ActionProposal | sqlite3.Row, event: str,
           detail: str, agent: str) -> None:
    ticket = p["ticket_id"] if isinstance(p, sqlite3.Row) else p.ticket_id
    pid = p["id"] if isinstance(p, sqlite3.Row) else p.id
    action = p["action"] if isinstance(p, sqlite3.Row) else p.action
    conn.execute(
        "INSERT INTO action_audit (workspace, ticket_id, proposal_id, action, event, detail, agent, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (ws, ticket, pid, action, event, detail, agent, now_iso()))


class ProposalStore:
    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._db = journal._db
        self.ws = journal.workspace

    async def add(self, proposals: list[ActionProposal], agent: str) -> None:
        def _add(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            for p in proposals:
                conn.execute(
                    "INSERT INTO action_proposals (id, workspace, ticket_id, action, title, risk, params, why,"
                    " source, status, error, requester, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (p.id, self.ws, p.ticket_id, p.action, p.title, p.risk, json.dumps(p.params), p.why,
                     p.source, str(p.status), p.error, p.requester, now_iso(), now_iso()))
                event = "blocked" if p.status is ProposalStatus.BLOCKED else "proposed"
                _audit(conn, self.ws, p, event, f"{p.source}: {json.dumps(p.params)} · {p.error or p.why}", agent)
            conn.execute("COMMIT")

        await self._db.run(_add)

    async def for_ticket(self, ticket_id: TicketId) -> list[ActionProposal]:
        def _get(conn: sqlite3.Connection) -> list[ActionProposal]:
            rows = conn.execute("SELECT * FROM action_proposals WHERE workspace = ? AND ticket_id = ? "
                                "ORDER BY created_at, rowid", (self.ws, ticket_id)).fetchall()
            return [_proposal(r) for r in rows]

        return await self._db.run(_get)

    async def get(self, proposal_id: str) -> ActionProposal:
        def _get(conn: sqlite3.Connection) -> ActionProposal:
            return _proposal(conn.execute("SELECT * FROM action_proposals WHERE id = ?", (proposal_id,)).fetchone())

        return await self._db.run(_get)

    async def edit(self, proposal_id: str, params: dict[str, object], agent: str) -> ActionProposal:
        def _edit(conn: sqlite3.Connection) -> ActionProposal:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT * FROM action_proposals WHERE id = ?", (proposal_id,)).fetchone()
            before = json.loads(row["params"])
            if before != params:
                # New parameters are a new request: it gets a new idempotency key when approved.
                conn.execute("UPDATE action_proposals SET params = ?, idempotency_key = '', updated_at = ? "
                             "WHERE id = ?", (json.dumps(params), now_iso(), proposal_id))
                changed = {k: [before.get(k), v] for k, v in params.items() if before.get(k) != v}
                _audit(conn, self.ws, row, "edited", json.dumps(changed), agent)
            conn.execute("COMMIT")
            return _proposal(conn.execute("SELECT * FROM action_proposals WHERE id = ?", (proposal_id,)).fetchone())

        return await self._db.run(_edit)

    async def begin_run(self, proposal_id: str, agent: str, event: str = "approved") -> ActionProposal | None:
        """Record the approval and mark the proposal running; None if it already ran or is running.

        The idempotency key is made once, on the first approval, and reused by every retry, so the
        service can tell a retry from a new request.
        """

        def _begin(conn: sqlite3.Connection) -> ActionProposal | None:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT * FROM action_proposals WHERE id = ?", (proposal_id,)).fetchone()
            if row is None or ProposalStatus(row["status"]) not in _RUNNABLE:
                conn.execute("ROLLBACK")
                return None
            key = row["idempotency_key"] or uuid.uuid4().hex
            conn.execute("UPDATE action_proposals SET status = 'running', idempotency_key = ?, error = '', "
                         "updated_at = ? WHERE id = ?", (key, now_iso(), proposal_id))
            _audit(conn, self.ws, row, event, f"params {row['params']} · key {key}", agent)
            conn.execute("COMMIT")
            return _proposal(conn.execute("SELECT * FROM action_proposals WHERE id = ?", (proposal_id,)).fetchone())

        return await self._db.run(_begin)

    async def finish(self, proposal_id: str, status: ProposalStatus, text: str, agent: str,
                     customer_text: str = "") -> ActionProposal:
        def _finish(conn: sqlite3.Connection) -> ActionProposal:
            conn.execute("BEGIN IMMEDIATE")
            field = "result" if status is ProposalStatus.SUCCEEDED else "error"
            conn.execute(f"UPDATE action_proposals SET status = ?, {field} = ?, customer_text = ?, updated_at = ? "
                         "WHERE id = ?", (str(status), text, customer_text, now_iso(), proposal_id))
            if status is ProposalStatus.REJECTED:
                # Refused requests changed nothing; edited parameters are a new request with a new key.
                conn.execute("UPDATE action_proposals SET idempotency_key = '' WHERE id = ?", (proposal_id,))
            row = conn.execute("SELECT * FROM action_proposals WHERE id = ?", (proposal_id,)).fetchone()
            _audit(conn, self.ws, row, str(status), text, agent)
            conn.execute("COMMIT")
            return _proposal(row)

        return await self._db.run(_finish)

    async def dismiss(self, proposal_id: str, agent: str) -> ActionProposal | None:
        def _dismiss(conn: sqlite3.Connection) -> ActionProposal | None:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT * FROM action_proposals WHERE id = ?", (proposal_id,)).fetchone()
            if row is None or ProposalStatus(row["status"]) not in (*_RUNNABLE, ProposalStatus.BLOCKED):
                conn.execute("ROLLBACK")
                return None
            conn.execute("UPDATE action_proposals SET status = 'dismissed', updated_at = ? WHERE id = ?",
                         (now_iso(), proposal_id))
            _audit(conn, self.ws, row, "dismissed", "", agent)
            conn.execute("COMMIT")
            return _proposal(conn.execute("SELECT * FROM action_proposals WHERE id = ?", (proposal_id,)).fetchone())

        return await self._db.run(_dismiss)

    async def running(self) -> list[ActionProposal]:
        """Proposals left 'running' by a crash (the app died between approval and answer)."""
        def _get(conn: sqlite3.Connection) -> list[ActionProposal]:
            rows = conn.execute("SELECT * FROM action_proposals WHERE workspace = ? AND status = 'running'",
                                (self.ws,)).fetchall()
            return [_proposal(r) for r in rows]

        return await self._db.run(_get)

    async def reset_running(self, proposal_id: str, agent: str) -> ActionProposal | None:
        """Make a crashed run retryable again (same idempotency key); None if it is no longer running."""
        def _reset(conn: sqlite3.Connection) -> ActionProposal | None:
            conn.execute("BEGIN IMMEDIATE")
            cur = conn.execute(
                "UPDATE action_proposals SET status = 'unknown', error = ?, updated_at = ? "
                "WHERE id = ? AND status = 'running'",
                ("Assist stopped before the service's answer was recorded: the outcome is unknown. Check it, "
                 "then Retry (the same request, never a second one) or Dismiss.", now_iso(), proposal_id))
            if cur.rowcount == 0:
                conn.execute("ROLLBACK")
                return None
            row = conn.execute("SELECT * FROM action_proposals WHERE id = ?", (proposal_id,)).fetchone()
            _audit(conn, self.ws, row, "interrupted", "Assist stopped before the answer was recorded", agent)
            conn.execute("COMMIT")
            return _proposal(row)

        return await self._db.run(_reset)

    async def audit(self, ticket_id: TicketId) -> list[AuditEvent]:
        def _events(conn: sqlite3.Connection) -> list[AuditEvent]:
            rows = conn.execute("SELECT * FROM action_audit WHERE workspace = ? AND ticket_id = ? ORDER BY id",
                                (self.ws, ticket_id)).fetchall()
            return [AuditEvent(TicketId(r["ticket_id"]), r["proposal_id"], r["action"], r["event"], r["detail"],
                               r["agent"], datetime.fromisoformat(r["created_at"])) for r in rows]

        return await self._db.run(_events)

"""Desk <-> team store. The outbox is the journal itself: per table, the rows after the last rowid the
server acknowledged, pushed in batches, idempotent by uid. The journal stays the desk's own record
(offline-first): when the server is down nothing is lost and the next sync drains what waited.
Reviews made anywhere are pulled back into the journal (an agent's role only sees reviews of their
own escalations), so each desk's report and ticket history show them."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assist.errors import AssistError
from assist.journal import Journal
from assist.team.store import TeamStore, TeamStoreError

log = logging.getLogger(__name__)

BATCH = 500  # rows per INSERT statement (under the 65,535 parameters PostgreSQL takes)

# local table -> (team table, the columns pushed, how a local row becomes a team row)
_COLUMNS: dict[str, tuple[str, str]] = {
    "escalations": ("escalations", "uid, workspace, ticket_id, intent, tier, model, route_reasons, draft_state, "
                    "draft_text, reason, note, suggested_reason, written_back, agent, transcript, created_at, week"),
    "draft_outcomes": ("draft_outcomes", "uid, workspace, ticket_id, intent, tier, model, outcome, edit_ratio, "
                       "opened_at, sent_at, seconds_to_send, agent, week, ticket_created_at, solved"),
    "draft_runs": ("draft_runs", "uid, workspace, ticket_id, tier, model, intent, cost_usd, latency_ms, grounded, "
                   "error, agent, created_at, week"),
    "action_audit": ("action_audit", "id, workspace, ticket_id, proposal_id, action, event, detail, agent, "
                     "created_at"),
}
_BOOL = {"written_back", "grounded", "solved"}
_PULLED = "reviews:pulled_at"  # team_sync row holding the newest pulled review's time (epoch ms)


@dataclass(frozen=True, slots=True)
class SyncStatus:
    pending: int
    last_ok: datetime | None
    error: str = ""
    set_aside: int = 0  # rows the server refused for their content, kept on this desk (journal: team_refused)
    aside_reason: str = ""  # the newest one's reason, as the server gave it

    def text(self) -> str:
        aside = (f" · {self.set_aside:,} set aside (refused by the team store: {self.aside_reason}; kept on this "
                 "desk)" if self.set_aside else "")
        if self.error:
            return f"Team store: {self.pending:,} waiting · {self.error}{aside}"
        when = f" at {self.last_ok.astimezone():%H:%M}" if self.last_ok else ""
        return f"Team store: synced{when}" + (f" · {self.pending:,} waiting" if self.pending else "") + aside


class TeamSync:
    def __init__(self, journal: Journal, store: TeamStore) -> None:
        self.journal, self.store = journal, store
        self.status = SyncStatus(0, None)
        self.role = ""  # agent | senior | lead, as the server says (asked once)

    async def _run(self, fn: Any) -> Any:
        return await self.journal._db.run(fn)

    def _batch(self, conn: sqlite3.Connection, local: str) -> tuple[int, list[dict[str, Any]]]:
        table, cols = _COLUMNS[local]
        cursor = conn.execute("SELECT last_rowid FROM team_sync WHERE tbl = ?", (local,)).fetchone()
        after = cursor[0] if cursor else 0
        uid = conn.execute("SELECT value FROM meta WHERE key = 'journal_uid'").fetchone()[0]
        cur = conn.execute(f"SELECT rowid AS _rowid, {cols} FROM {local} WHERE rowid > ? ORDER BY rowid "
                           f"LIMIT {BATCH}", (after,))
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        out = []
        for r in rows:
            d = {k: v for k, v in r.items() if k != "_rowid"}
            if local == "action_audit":
                d["uid"] = f"{uid}:{d.pop('id')}"
            for k in _BOOL & d.keys():
                d[k] = bool(d[k])
            if "ticket_created_at" in d:  # unknown ('' in the journal) is NULL in the store, never a bad time
                d["ticket_created_at"] = d["ticket_created_at"] or None
            out.append(d)
        return (rows[-1]["_rowid"] if rows else after), out

    def _ack(self, conn: sqlite3.Connection, local: str, rowid: int) -> None:
        conn.execute("INSERT INTO team_sync (tbl, last_rowid) VALUES (?, ?) ON CONFLICT (tbl) DO UPDATE SET "
                     "last_rowid = excluded.last_rowid", (local, rowid))

    def _pending(self, conn: sqlite3.Connection) -> int:
        total = 0
        for local in (*_COLUMNS, "escalation_reviews"):
            row = conn.execute("SELECT last_rowid FROM team_sync WHERE tbl = ?", (local,)).fetchone()
            total += conn.execute(f"SELECT count(*) FROM {local} WHERE rowid > ?", (row[0] if row else 0,)
                                  ).fetchone()[0]
        return int(total)

    async def pending(self) -> int:
        return int(await self._run(self._pending))

    async def push(self) -> int:
        sent = 0
        for local, (table, _cols) in _COLUMNS.items():
            while True:
                last, rows = await self._run(lambda c, local=local: self._batch(c, local))
                if not rows:
                    break
                try:
                    await self.store.push(table, rows)
                except TeamStoreError as exc:
                    if not exc.refused:
                        raise
                    await self._push_each(local, table, rows)  # find the row the server refuses, send the rest
                await self._run(lambda c, local=local, last=last: self._ack(c, local, last))
                sent += len(rows)
        if not self.role:
            self.role = (await self.store.whoami())[1]
        if self.role == "senior":  # only a senior's desk makes reviews; others' never leave (the role may not)
            sent += await self._push_reviews()
        return sent

    async def _push_each(self, local: str, table: str, rows: list[dict[str, Any]]) -> None:
        """Row by row: a row refused for its content is set aside (kept, with the reason); the rest go."""
        for row in rows:
            try:
                await self.store.push(table, [row])
            except TeamStoreError as exc:
                if not exc.refused:
                    raise
                await self._set_aside(local, str(row["uid"]), str(exc))

    async def _set_aside(self, local: str, uid: str, reason: str) -> None:
        log.warning("Team sync: a %s row was refused by the team store and set aside: %s", local, reason)
        await self._run(lambda c: c.execute(
            "INSERT OR REPLACE INTO team_refused (tbl, uid, reason, refused_at) VALUES (?, ?, ?, ?)",
            (local, uid, reason, datetime.now(UTC).isoformat(timespec="seconds"))))

    def _aside(self, conn: sqlite3.Connection) -> tuple[int, str]:
        count = conn.execute("SELECT count(*) FROM team_refused").fetchone()[0]
        newest = conn.execute("SELECT reason FROM team_refused ORDER BY refused_at DESC LIMIT 1").fetchone()
        return int(count), (newest[0] if newest else "")

    async def refused(self) -> list[tuple[str, str, str, str]]:
        """(table, uid, reason, when) of every row set aside, newest first."""
        return [tuple(r) for r in await self._run(lambda c: c.execute(
            "SELECT tbl, uid, reason, refused_at FROM team_refused ORDER BY refused_at DESC").fetchall())]

    async def _push_reviews(self) -> int:
        """Reviews made on this desk (a senior's), after the escalations they are about."""
        def batch(conn: sqlite3.Connection) -> tuple[int, list[tuple[Any, ...]]]:
            row = conn.execute("SELECT last_rowid FROM team_sync WHERE tbl = 'escalation_reviews'").fetchone()
            after = row[0] if row else 0
            rows = conn.execute("SELECT rowid, uid, escalation_uid, reason, root_cause, flow_needs_fixing, reviewer "
                                "FROM escalation_reviews WHERE rowid > ? ORDER BY rowid", (after,)).fetchall()
            return (rows[-1][0] if rows else after), [tuple(r) for r in rows]

        _last, rows = await self._run(batch)
        for rowid, uid, esc, reason, cause, flow, reviewer in rows:  # acked one by one: a cut-off push resumes
            try:
                await self.store.add_review(esc, uid, reason, cause, bool(flow), reviewer)
            except TeamStoreError as exc:
                if not exc.refused:
                    raise
                await self._set_aside("escalation_reviews", uid, str(exc))
            await self._run(lambda c, rowid=rowid: self._ack(c, "escalation_reviews", rowid))
        return len(rows)

    async def pull_reviews(self) -> int:
        def since(conn: sqlite3.Connection) -> datetime | None:
            row = conn.execute("SELECT last_rowid FROM team_sync WHERE tbl = ?", (_PULLED,)).fetchone()
            return datetime.fromtimestamp(row[0] / 1000, UTC) if row else None

        reviews = await self.store.reviews(await self._run(since))
        if not reviews:
            return 0

        def store(conn: sqlite3.Connection) -> int:
            before = conn.execute("SELECT coalesce(max(rowid), 0) FROM escalation_reviews").fetchone()[0]
            cursor = conn.execute("SELECT last_rowid FROM team_sync WHERE tbl = 'escalation_reviews'").fetchone()
            caught_up = (cursor[0] if cursor else 0) >= before
            added = 0
            for r in reviews:
                added += conn.execute(
                    "INSERT OR IGNORE INTO escalation_reviews (uid, escalation_uid, reason, root_cause, "
                    "flow_needs_fixing, reviewer, created_at) SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS "
                    "(SELECT 1 FROM escalations WHERE uid = ?)",
                    (r["uid"], r["escalation_uid"], r["reason"], r["root_cause"], int(r["flow_needs_fixing"]),
                     r["reviewer"], r["created_at"].astimezone(UTC).isoformat(timespec="seconds"),
                     r["escalation_uid"])).rowcount
            if caught_up:  # what was pulled is the server's already: never pushed back
                self._ack(conn, "escalation_reviews",
                          conn.execute("SELECT coalesce(max(rowid), 0) FROM escalation_reviews").fetchone()[0])
            newest = max(r["received_at"] for r in reviews)
            self._ack(conn, _PULLED, int(newest.timestamp() * 1000))
            return added

        return int(await self._run(store))

    async def sync_once(self) -> SyncStatus:
        """Push what waits, pull reviews; the status says what happened (never raises for the server)."""
        try:
            await self.push()
            await self.pull_reviews()
            self.status = SyncStatus(await self.pending(), datetime.now(UTC), "", *await self._run(self._aside))
        except AssistError as exc:
            log.warning("Team sync: %s", exc)
            self.status = SyncStatus(await self.pending(), self.status.last_ok, str(exc), *await self._run(self._aside))
        return self.status

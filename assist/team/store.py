"""The team store client (psycopg 3, async). Every call opens its own short connection, so a server
that went away costs one clear error, never a wedged session; errors become ``TeamStoreError`` with
what failed in the agent's words (server unreachable, password rejected, your role may not ...)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from assist.domain import TicketId
from assist.errors import AssistError
from assist.feedback import Escalation, EscalationFilter
from assist.team import schema

log = logging.getLogger(__name__)

ROLE_GROUPS = {"agent": "assist_agent", "senior": "assist_senior", "lead": "assist_lead"}


def clean(value: Any) -> Any:
    """Text as PostgreSQL takes it: without NUL characters (pasted text carries them; the server refuses the
    whole row, which used to block every later row of that desk's outbox)."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class TeamStoreError(AssistError):
    """``refused``: the server refused the row for what it holds (an invalid value, a broken constraint), so
    sending it again cannot help; otherwise the server was unreachable, busy or said no to the role."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


def _describe(exc: Exception, what: str) -> TeamStoreError:
    import psycopg

    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return TeamStoreError(f"The team store refused to {what}: your role may not do that "
                              f"({str(exc).splitlines()[0]}).")
    if isinstance(exc, psycopg.errors.UndefinedColumn | psycopg.errors.UndefinedTable
                  | psycopg.errors.UndefinedFunction):
        return TeamStoreError(f"The team store's schema is older than this Assist, so it could not {what}: ask "
                              "its admin to run `assist team init` again (safe on a live store: it changes "
                              "nothing else and loses nothing).")
    if isinstance(exc, psycopg.OperationalError):
        text = str(exc)
        if "password" in text or "authentication" in text:
            return TeamStoreError("The team store rejected the user or password: check them in Settings.")
        return TeamStoreError(f"The team store can't be reached to {what} ({text.splitlines()[0][:160]}). "
                              "Nothing is lost: it is sent when the server is back.")
    # SQLSTATE class 22 (data exception: too long, invalid text or number) and 23 (a constraint): the row itself
    refused = isinstance(exc, psycopg.DataError | psycopg.IntegrityError)
    return TeamStoreError(f"The team store could not {what}: {str(exc).splitlines()[0][:200]}", refused=refused)


class TeamStore:
    def __init__(self, url: str, password: str | None = None, timeout_s: float = 5.0) -> None:
        self.url, self._password, self.timeout_s = url, password, timeout_s

    @asynccontextmanager
    async def _conn(self, what: str) -> AsyncIterator[Any]:
        import psycopg

        try:
            conn = await psycopg.AsyncConnection.connect(
                self.url, password=self._password, connect_timeout=max(1, int(self.timeout_s)), autocommit=True)
        except psycopg.Error as exc:
            raise _describe(exc, what) from None
        try:
            yield conn
        except psycopg.errors.TransactionRollback as exc:  # deadlock / serialization: the caller retries
            raise TeamStoreError(f"The team store asked to retry ({exc.sqlstate}).") from exc
        except psycopg.Error as exc:
            raise _describe(exc, what) from None
        finally:
            await conn.close()

    async def whoami(self) -> tuple[str, str]:
        """(login role, Assist role) as the server sees them."""
        async with self._conn("check your role") as conn:
            cur = await conn.execute(
                "SELECT current_user, coalesce((SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON "
                "g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = current_user AND "
                "g.rolname LIKE 'assist\\_%' LIMIT 1), '')")
            user, group = await cur.fetchone()
            role = next((k for k, v in ROLE_GROUPS.items() if v == group), "")
            return str(user), role

    # -- admin ------------------------------------------------------------------------------------
    async def init(self) -> None:
        """Schema, roles and row-level security (idempotent). Needs an admin's connection."""
        async with self._conn("create the schema") as conn:
            async with conn.transaction():
                for stmt in schema.statements():
                    await conn.execute(stmt)

    async def add_user(self, name: str, role: str, password: str) -> None:
        from psycopg import sql

        if role not in ROLE_GROUPS:
            raise TeamStoreError(f"Unknown role {role!r}: agent, senior or lead.")
        async with self._conn("add a user") as conn:
            exists = await (await conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))).fetchone()
            verb = "ALTER" if exists else "CREATE"
            await conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)))
            for group in ROLE_GROUPS.values():
                await conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), sql.Identifier(name)))
            await conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(ROLE_GROUPS[role]),
                                                                 sql.Identifier(name)))

    # -- push / pull --------------------------------------------------------------------------------
    async def push(self, table: str, rows: Sequence[dict[str, Any]]) -> int:
        """Insert rows idempotently by uid (a row sent twice, by a retry or another export, counts once)."""
        if table not in schema.EVENT_TABLES or not rows:
            return 0
        import psycopg

        cols = list(rows[0])
        one = "(" + ", ".join("%s" for _ in cols) + ")"
        # one statement per batch: the server's rollup trigger runs once, locking its rows in key order,
        # so desks pushing at the same time queue instead of deadlocking
        query = (f"INSERT INTO assist.{table} ({', '.join(cols)}) VALUES {', '.join(one for _ in rows)} "
                 "ON CONFLICT (uid) DO NOTHING")
        args = [clean(r[c]) for r in rows for c in cols]
        for attempt in range(5):
            try:
                async with self._conn(f"store your {table.replace('_', ' ')}") as conn:
                    await conn.execute(query, args)
                return len(rows)
            except TeamStoreError as exc:
                if not isinstance(exc.__cause__ or exc.__context__, psycopg.errors.TransactionRollback) \
                        or attempt == 4:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        return 0

    async def reviews(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Reviews this role may read (an agent: of their own escalations), oldest first."""
        async with self._conn("read reviews") as conn:
            cur = await conn.execute(  # paged by the server's receipt time: a client's clock moves no cursor
                "SELECT uid, escalation_uid, reason, root_cause, flow_needs_fixing, reviewer, created_at, "
                "received_at FROM assist.reviews WHERE received_at > %s ORDER BY received_at",
                (since or datetime(1970, 1, 1).astimezone(),))
            names = [d.name for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in await cur.fetchall()]

    async def add_review(self, escalation_uid: str, uid: str, reason: str, root_cause: str, flow: bool,
                         reviewer: str) -> None:
        async with self._conn("save the review") as conn:  # idempotent: a retried push never wedges the outbox
            await conn.execute("INSERT INTO assist.reviews (uid, escalation_uid, reason, root_cause, "
                               "flow_needs_fixing, reviewer) VALUES (%s, %s, %s, %s, %s, %s) "
                               "ON CONFLICT (uid) DO NOTHING",
                               (uid, escalation_uid, clean(reason), clean(root_cause), flow, clean(reviewer)))

    async def escalations(self, flt: EscalationFilter, workspace: str, uid: str = "") -> list[Escalation]:
        """What the senior review window lists, from every desk this role may read (``uid``: just that one)."""
        where, args = ["e.workspace = %s"], [workspace]
        if uid:
            where.append("e.uid = %s")
            args.append(uid)
        for cond, value in (("e.week = %s", flt.week), ("e.intent = %s", flt.intent), ("e.agent = %s", flt.agent)):
            if value:
                where.append(cond)
                args.append(value)
        if flt.tier_or_model:
            where.append("(e.tier = %s OR e.model = %s)")
            args += [flt.tier_or_model, flt.tier_or_model]
        async with self._conn("list escalations") as conn:
            cur = await conn.execute(
                "SELECT e.*, r.reason AS r_reason, r.root_cause, r.flow_needs_fixing, r.reviewer, "
                "r.created_at AS r_at FROM assist.escalations e LEFT JOIN LATERAL (SELECT * FROM assist.reviews v "
                "WHERE v.escalation_uid = e.uid ORDER BY v.created_at DESC LIMIT 1) r ON true WHERE "
                + " AND ".join(where) + " ORDER BY e.created_at DESC LIMIT 2000", args)
            names = [d.name for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in await cur.fetchall()]
        out = [Escalation(
            uid=r["uid"], ticket_id=TicketId(r["ticket_id"]), intent=r["intent"], tier=r["tier"], model=r["model"],
            route_reasons=tuple(json.loads(r["route_reasons"] or "[]")), draft_state=r["draft_state"],
            draft_text=r["draft_text"], reason=r["reason"], note=r["note"], suggested_reason=r["suggested_reason"],
            written_back=bool(r["written_back"]), agent=r["agent"], created_at=r["created_at"], week=r["week"],
            reviewed_reason=r["r_reason"] or "", root_cause=r["root_cause"] or "",
            flow_needs_fixing=bool(r["flow_needs_fixing"]), reviewer=r["reviewer"] or "", reviewed_at=r["r_at"],
        ) for r in rows]
        return [e for e in out if not flt.reason or e.current_reason == flt.reason]

    async def report_figures(self, week: str, previous: str) -> dict[str, list[tuple[Any, ...]]]:
        """A weekly report's figures, aggregated by the server (a large team's rows never cross the wire);
        the queries run side by side on two connections."""
        light = "(o.outcome = 'unchanged' OR (o.outcome = 'edited' AND o.edit_ratio >= 0.8))"
        current = ("(SELECT v.{col} FROM assist.reviews v WHERE v.escalation_uid = e.uid "
                   "ORDER BY v.created_at DESC LIMIT 1)")
        tier_key = ("CASE WHEN {t}.model <> '' AND {t}.model <> {t}.tier THEN {t}.tier || ' · ' || {t}.model "
                    "ELSE {t}.tier END")
        queries = {
            "outcomes": (f"SELECT o.outcome, count(*), sum(CASE WHEN {light} THEN 1 ELSE 0 END), "
                         "(SELECT count(*) FROM (SELECT DISTINCT workspace, ticket_id FROM assist.draft_outcomes "
                         "WHERE week = %s) t) FROM assist.draft_outcomes o WHERE o.week = %s "
                         "GROUP BY ROLLUP (o.outcome)", (week, week)),
            "ttr": ("SELECT o.week, percentile_cont(0.5) WITHIN GROUP (ORDER BY o.seconds_to_send), "
                    "percentile_cont(0.9) WITHIN GROUP (ORDER BY o.seconds_to_send) FROM assist.draft_outcomes o "
                    "WHERE o.week IN (%s, %s) GROUP BY o.week", (week, previous)),
            "escalations": (f"SELECT e.reason, coalesce({current.format(col='reason')}, ''), e.intent, "
                            f"{tier_key.format(t='e')}, coalesce({current.format(col='flow_needs_fixing')}, false), "
                            "count(*) FROM assist.escalations e WHERE e.week = %s GROUP BY 1, 2, 3, 4, 5", (week,)),
            "notes": (f"SELECT * FROM (SELECT e.ticket_id, coalesce({current.format(col='reason')}, e.reason), "
                      f"{current.format(col='root_cause')} AS cause FROM assist.escalations e WHERE e.week = %s) x "
                      "WHERE cause <> '' LIMIT 30", (week,)),
            "tiers": (f"SELECT {tier_key.format(t='r')} AS k, count(*), count(DISTINCT r.workspace || '/' || "
                      "r.ticket_id), sum(r.cost_usd) FROM assist.draft_runs r WHERE r.week = %s GROUP BY 1", (week,)),
            "agents": (f"SELECT coalesce(o.agent, e.agent), coalesce(o.n, 0), o.lt, o.med, e.n FROM "
                       f"(SELECT agent, count(*) AS n, sum(CASE WHEN {light} THEN 1 ELSE 0 END) AS lt, "
                       "percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds_to_send) AS med FROM "
                       "assist.draft_outcomes o WHERE week = %s GROUP BY agent) o FULL JOIN (SELECT agent, "
                       "count(*) AS n FROM assist.escalations WHERE week = %s GROUP BY agent) e "
                       "ON e.agent = o.agent ORDER BY 2 DESC, 1", (week, week)),
            "solved": ("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - "
                       "ticket_created_at)), count(*) FROM assist.draft_outcomes WHERE week = %s AND solved AND "
                       "ticket_created_at IS NOT NULL AND sent_at >= ticket_created_at", (week,)),
            "adjusted": ("SELECT (SELECT count(*) FROM assist.escalations WHERE week = %s AND clock_adjusted) + "
                         "(SELECT count(*) FROM assist.draft_outcomes WHERE week = %s AND clock_adjusted) + "
                         "(SELECT count(*) FROM assist.draft_runs WHERE week = %s AND clock_adjusted)",
                         (week, week, week)),
        }
        return await self.fetch("read the report's figures", queries, [["outcomes", "notes", "adjusted", "agents",
                                                                       "solved"],
                                                                      ["ttr", "escalations", "tiers"]])

    async def fetch(self, what: str, queries: Mapping[str, tuple[str, Sequence[Any]]], groups: list[list[str]]
                    ) -> dict[str, list[tuple[Any, ...]]]:
        """Run named read queries, each group on its own connection at the same time (the server
        aggregates on several cores); ``search_path`` is the team schema."""
        out: dict[str, list[tuple[Any, ...]]] = {}

        async def run(names: list[str]) -> None:
            async with self._conn(what) as conn:
                await conn.execute("SET search_path TO assist")
                for name in names:
                    query, args = queries[name]
                    out[name] = await (await conn.execute(query, args)).fetchall()

        await asyncio.gather(*(run(g) for g in groups))
        return out

    async def report_rows(self, weeks: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The rows a weekly report needs, shaped like a journal's (timestamps as ISO text)."""
        out: dict[str, list[dict[str, Any]]] = {}
        async with self._conn("read the report's rows") as conn:
            for table, query in (
                ("outcomes", "SELECT uid, workspace, ticket_id, intent, tier, model, outcome, edit_ratio, opened_at, "
                             "sent_at, seconds_to_send, agent, week FROM assist.draft_outcomes WHERE week = ANY(%s)"),
                ("escalations", "SELECT e.uid, e.workspace, e.ticket_id, e.intent, e.tier, e.model, e.reason, "
                                "e.agent, e.created_at, e.week, r.reason AS reviewed_reason, r.root_cause, "
                                "r.flow_needs_fixing FROM assist.escalations e LEFT JOIN LATERAL (SELECT * FROM "
                                "assist.reviews v WHERE v.escalation_uid = e.uid ORDER BY v.created_at DESC LIMIT 1) "
                                "r ON true WHERE e.week = ANY(%s)"),
                ("runs", "SELECT uid, workspace, ticket_id, tier, model, intent, cost_usd, latency_ms, grounded, "
                         "error, created_at, week, agent FROM assist.draft_runs WHERE week = ANY(%s)"),
            ):
                cur = await conn.execute(query, (list(weeks),))
                names = [d.name for d in cur.description]
                out[table] = [{k: (v.isoformat() if isinstance(v, datetime) else v)
                               for k, v in zip(names, r, strict=True)} for r in await cur.fetchall()]
        return out

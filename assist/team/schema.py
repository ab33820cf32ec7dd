"""The team store's schema, roles and row-level security (``assist team init``, run once by an admin).

Roles (group roles; people log in as their own LOGIN role, a member of one group):
    assist_agent   inserts rows as themselves and reads only their own rows (and the reviews of them)
    assist_senior  reads every row, inserts reviews (re-tags, root causes, "flow needs fixing"); cannot
                   update or delete anything, so a review never rewrites what an agent recorded
    assist_lead    reads everything (weekly reports)
Every row's ``owner`` defaults to ``current_user`` and a policy checks it on insert, so no client can
write as someone else; the row's author (``agent``, ``reviewer``) is the login and ``received_at`` the
server's clock, both set by a trigger whatever the client sent. The database enforces all of it: a
client that skips a check gets an error.
"""

from __future__ import annotations

ROLES = ("assist_agent", "assist_senior", "assist_lead")

EVENT_TABLES: dict[str, str] = {
    "escalations": """
        uid text PRIMARY KEY, owner name NOT NULL DEFAULT current_user, workspace text NOT NULL,
        ticket_id text NOT NULL, intent text NOT NULL, tier text NOT NULL, model text NOT NULL,
        route_reasons text NOT NULL, draft_state text NOT NULL, draft_text text NOT NULL, reason text NOT NULL,
        note text NOT NULL, suggested_reason text NOT NULL, written_back boolean NOT NULL, agent text NOT NULL,
        transcript text NOT NULL DEFAULT '', created_at timestamptz NOT NULL, week text NOT NULL""",
    "draft_outcomes": """
        uid text PRIMARY KEY, owner name NOT NULL DEFAULT current_user, workspace text NOT NULL,
        ticket_id text NOT NULL, intent text NOT NULL, tier text NOT NULL, model text NOT NULL,
        outcome text NOT NULL, edit_ratio double precision NOT NULL, opened_at timestamptz NOT NULL,
        sent_at timestamptz NOT NULL, seconds_to_send double precision NOT NULL, agent text NOT NULL,
        week text NOT NULL""",
    "draft_runs": """
        uid text PRIMARY KEY, owner name NOT NULL DEFAULT current_user, workspace text NOT NULL,
        ticket_id text NOT NULL, tier text NOT NULL, model text NOT NULL, intent text NOT NULL,
        cost_usd double precision NOT NULL, latency_ms integer NOT NULL, grounded boolean NOT NULL,
        error text NOT NULL, agent text NOT NULL, created_at timestamptz NOT NULL, week text NOT NULL""",
    "action_audit": """
        uid text PRIMARY KEY, owner name NOT NULL DEFAULT current_user, workspace text NOT NULL,
        ticket_id text NOT NULL, proposal_id text NOT NULL, action text NOT NULL, event text NOT NULL,
        detail text NOT NULL, agent text NOT NULL, created_at timestamptz NOT NULL""",
}

REVIEWS = """
    uid text PRIMARY KEY, escalation_uid text NOT NULL REFERENCES assist.escalations (uid),
    owner name NOT NULL DEFAULT current_user, reason text NOT NULL, root_cause text NOT NULL,
    flow_needs_fixing boolean NOT NULL, reviewer text NOT NULL, created_at timestamptz NOT NULL DEFAULT now()"""


# Weekly rollups for the trends of a large team's report: kept by statement-level triggers (one
# aggregate per pushed batch, from the rows actually inserted: a row pushed twice counts once), so a
# ten-week trend reads a few hundred rollup rows instead of scanning a million events. Distinct tickets
# are counted by remembering each (week, ticket) once. Readable by seniors and leads only.
ROLLUPS = {
    "rollup_cells": "week text, intent text, tier text, model text, replies bigint NOT NULL DEFAULT 0, "
                    "light bigint NOT NULL DEFAULT 0, tickets bigint NOT NULL DEFAULT 0, "
                    "cost double precision NOT NULL DEFAULT 0, escalations bigint NOT NULL DEFAULT 0, "
                    "PRIMARY KEY (week, intent, tier, model)",
    "rollup_cell_tickets": "week text, intent text, tier text, model text, workspace text, ticket_id text, "
                           "PRIMARY KEY (week, intent, tier, model, workspace, ticket_id)",
    "rollup_weeks": "week text PRIMARY KEY, tickets bigint NOT NULL DEFAULT 0",
    "rollup_week_tickets": "week text, workspace text, ticket_id text, PRIMARY KEY (week, workspace, ticket_id)",
}
_UPSERT = ("INSERT INTO rollup_cells AS r (week, intent, tier, model, {cols}) {select} ORDER BY 1, 2, 3, 4 "
           "ON CONFLICT (week, intent, tier, model) DO UPDATE SET {sets}")
TRIGGERS = {
    "draft_outcomes": [
        _UPSERT.format(cols="replies, light", sets="replies = r.replies + excluded.replies, "
                       "light = r.light + excluded.light",
                       select="SELECT week, intent, tier, model, count(*), sum(CASE WHEN outcome = 'unchanged' OR "
                              "(outcome = 'edited' AND edit_ratio >= 0.8) THEN 1 ELSE 0 END) FROM new_rows "
                              "GROUP BY 1, 2, 3, 4"),
        "WITH fresh AS (INSERT INTO rollup_cell_tickets SELECT DISTINCT week, intent, tier, model, workspace, "
        "ticket_id FROM new_rows ORDER BY 1, 2, 3, 4, 5, 6 ON CONFLICT DO NOTHING RETURNING week, intent, tier, "
        "model) " + _UPSERT.format(cols="tickets", sets="tickets = r.tickets + excluded.tickets",
                                   select="SELECT week, intent, tier, model, count(*) FROM fresh GROUP BY 1, 2, 3, 4"),
        "WITH fresh AS (INSERT INTO rollup_week_tickets SELECT DISTINCT week, workspace, ticket_id FROM new_rows "
        "ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING RETURNING week) INSERT INTO rollup_weeks AS r (week, tickets) "
        "SELECT week, count(*) FROM fresh GROUP BY 1 ORDER BY 1 ON CONFLICT (week) DO UPDATE SET "
        "tickets = r.tickets + excluded.tickets",
    ],
    "draft_runs": [_UPSERT.format(cols="cost", sets="cost = r.cost + excluded.cost",
                                  select="SELECT week, intent, tier, model, sum(cost_usd) FROM new_rows "
                                         "GROUP BY 1, 2, 3, 4")],
    "escalations": [_UPSERT.format(cols="escalations", sets="escalations = r.escalations + excluded.escalations",
                                   select="SELECT week, intent, tier, model, count(*) FROM new_rows "
                                          "GROUP BY 1, 2, 3, 4")],
}


def statements() -> list[str]:
    """Idempotent DDL: running init again on a live store changes nothing and loses nothing."""
    out = ["CREATE SCHEMA IF NOT EXISTS assist"]
    for role in ROLES:
        out.append(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
                   f"CREATE ROLE {role} NOLOGIN; END IF; END $$")
    out.append("GRANT USAGE ON SCHEMA assist TO " + ", ".join(ROLES))
    tables = {**EVENT_TABLES, "reviews": REVIEWS}
    for name, cols in tables.items():
        out.append(f"CREATE TABLE IF NOT EXISTS assist.{name} ({cols})")
        out.append(f"ALTER TABLE assist.{name} ENABLE ROW LEVEL SECURITY")
        out.append(f"REVOKE ALL ON assist.{name} FROM PUBLIC")
    # columns added since a store was first made: a store created by an older Assist gets them on the next init
    out += ["ALTER TABLE assist.draft_outcomes ADD COLUMN IF NOT EXISTS ticket_created_at timestamptz",
            "ALTER TABLE assist.draft_outcomes ADD COLUMN IF NOT EXISTS solved boolean NOT NULL DEFAULT false"]
    out += [
        "CREATE INDEX IF NOT EXISTS escalations_week ON assist.escalations (week)",
        "CREATE INDEX IF NOT EXISTS outcomes_week ON assist.draft_outcomes (week)",
        "CREATE INDEX IF NOT EXISTS runs_week ON assist.draft_runs (week)",
        "CREATE INDEX IF NOT EXISTS reviews_escalation ON assist.reviews (escalation_uid, created_at)",
    ]
    for name in EVENT_TABLES:
        out += [
            f"GRANT SELECT, INSERT ON assist.{name} TO assist_agent, assist_senior",
            f"GRANT SELECT ON assist.{name} TO assist_lead",
            f"DROP POLICY IF EXISTS own_rows ON assist.{name}",
            f"CREATE POLICY own_rows ON assist.{name} FOR SELECT TO assist_agent USING (owner = current_user)",
            f"DROP POLICY IF EXISTS insert_own ON assist.{name}",
            f"CREATE POLICY insert_own ON assist.{name} FOR INSERT TO assist_agent, assist_senior "
            f"WITH CHECK (owner = current_user)",
            f"DROP POLICY IF EXISTS read_all ON assist.{name}",
            f"CREATE POLICY read_all ON assist.{name} FOR SELECT TO assist_senior, assist_lead USING (true)",
        ]
    for name, cols in ROLLUPS.items():
        out.append(f"CREATE TABLE IF NOT EXISTS assist.{name} ({cols})")
        out.append(f"REVOKE ALL ON assist.{name} FROM PUBLIC")
        out.append(f"GRANT SELECT ON assist.{name} TO assist_senior, assist_lead")
    for table, bodies in TRIGGERS.items():
        fn = f"assist.rollup_{table}_fn"
        out.append(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
                   "SET search_path = assist, pg_temp AS $fn$ BEGIN " + "; ".join(bodies) + "; RETURN NULL; END $fn$")
        out.append(f"REVOKE ALL ON FUNCTION {fn}() FROM PUBLIC")
        out.append(f"DROP TRIGGER IF EXISTS rollup ON assist.{table}")
        out.append(f"CREATE TRIGGER rollup AFTER INSERT ON assist.{table} REFERENCING NEW TABLE AS new_rows "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()")
    out += [
        "GRANT SELECT ON assist.reviews TO assist_agent, assist_lead",
        "GRANT SELECT, INSERT ON assist.reviews TO assist_senior",
        "DROP POLICY IF EXISTS reviews_of_mine ON assist.reviews",
        # an agent reads the reviews of escalations they can see (their own: escalations' policy applies)
        "CREATE POLICY reviews_of_mine ON assist.reviews FOR SELECT TO assist_agent USING "
        "(EXISTS (SELECT 1 FROM assist.escalations e WHERE e.uid = escalation_uid))",
        "DROP POLICY IF EXISTS reviews_read_all ON assist.reviews",
        "CREATE POLICY reviews_read_all ON assist.reviews FOR SELECT TO assist_senior, assist_lead USING (true)",
        "DROP POLICY IF EXISTS reviews_insert ON assist.reviews",
        "CREATE POLICY reviews_insert ON assist.reviews FOR INSERT TO assist_senior "
        "WITH CHECK (owner = current_user)",
    ]
    # Who wrote a row and when it arrived come from the server, never from the client: a BEFORE INSERT
    # trigger overwrites the author column with the login (session_user) and stamps the receipt time, so
    # an agent cannot sign an escalation "bob" nor a senior a review "lee (team lead)".
    # A client time outside a sane window (older than LATE_DAYS, or a day ahead) is the server's instead, and
    # the row counts in the week it arrived: 500 escalations backdated into a past week change no report.
    for name in [*EVENT_TABLES, "reviews"]:
        column = "reviewer" if name == "reviews" else "agent"
        when = _CLIENT_TIME.get(name)
        clamp = ""
        if name == "reviews":  # a review's time is the server's (its created_at has no client meaning to keep)
            clamp = " NEW.created_at := now();"
        elif when:
            week = (" NEW.week := to_char(now() AT TIME ZONE 'UTC', 'IYYY-\"W\"IW');"
                    if "week" in EVENT_TABLES[name] else "")
            clamp = (f" IF NEW.{when} < now() - interval '{LATE_DAYS} days' OR NEW.{when} > now() + interval "
                     f"'1 day' THEN NEW.{when} := now(); NEW.clock_adjusted := true;{week} END IF;")
            # flagged, so the lead's report says how many rows came with a desk clock it did not believe
            out.append(f"ALTER TABLE assist.{name} ADD COLUMN IF NOT EXISTS clock_adjusted boolean NOT NULL "
                       "DEFAULT false")
        fn = f"assist.stamp_{name}_fn"
        out.append(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN "
                   f"NEW.{column} := session_user; NEW.received_at := now();{clamp} RETURN NEW; END $fn$")
        out.append(f"ALTER TABLE assist.{name} ADD COLUMN IF NOT EXISTS received_at timestamptz NOT NULL "
                   "DEFAULT now()")
        out.append(f"DROP TRIGGER IF EXISTS stamp_author ON assist.{name}")
        out.append(f"CREATE TRIGGER stamp_author BEFORE INSERT ON assist.{name} FOR EACH ROW "
                   f"EXECUTE FUNCTION {fn}()")
    return out


LATE_DAYS = 30  # a desk offline for a month still lands its rows in their own weeks
_CLIENT_TIME = {"escalations": "created_at", "draft_outcomes": "sent_at", "draft_runs": "created_at",
                "action_audit": "created_at"}

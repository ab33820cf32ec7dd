"""The team store's schema, roles and row-level security (``assist team init``, run once by an admin).

Roles (group roles; people log in as their own LOGIN role, a member of one group):
    assist_agent   inserts rows as themselves and reads only their own rows (and the reviews of them)
    assist_senior  reads every row, inserts reviews (re-tags, root causes, "flow needs fixing"); cannot
                   update or delete anything, so a review never rewrites what an agent recorded
    assist_lead    reads everything (weekly reports)
Every row's ``owner`` defaults to ``current_user`` and a policy checks it on insert, so no client can
write as someone else. The database enforces all of it: a client that skips a check gets an error.
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
    return out

"""The journal's schema as numbered migrations, applied in order by ``journal.migrate`` and recorded in
``PRAGMA user_version``. Append only: a released migration is never edited (a desk's journal already ran it);
a change is a new entry that says why."""

MIGRATIONS: tuple[str, ...] = (
    # 1: drafts and what was sent
    """
    CREATE TABLE drafts (
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace, ticket_id)
    );
    CREATE TABLE sent (
        id INTEGER PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('reply', 'note')),
        body TEXT NOT NULL,
        agent TEXT NOT NULL,
        sent_at TEXT NOT NULL
    );
    CREATE INDEX sent_ticket ON sent (workspace, ticket_id);
    """,
    # 2: every draft the assistant produced: route, model, grounding, cost and latency
    """
    CREATE TABLE draft_runs (
        id INTEGER PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        agent TEXT NOT NULL,
        tier TEXT NOT NULL,
        model TEXT NOT NULL,
        intent TEXT NOT NULL,
        reasons TEXT NOT NULL,
        grounded INTEGER NOT NULL,
        citations TEXT NOT NULL,
        unknown_citations INTEGER NOT NULL,
        uncited_claims INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        latency_ms INTEGER NOT NULL,
        error TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX draft_runs_ticket ON draft_runs (workspace, ticket_id);
    CREATE INDEX draft_runs_created ON draft_runs (created_at);
    """,
    # 3: AI Actions: proposals and the audit trail of everything done with them
    """
    CREATE TABLE action_proposals (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        action TEXT NOT NULL,
        title TEXT NOT NULL,
        risk TEXT NOT NULL,
        params TEXT NOT NULL,
        why TEXT NOT NULL,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        idempotency_key TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX action_proposals_ticket ON action_proposals (workspace, ticket_id);
    CREATE TABLE action_audit (
        id INTEGER PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        proposal_id TEXT NOT NULL,
        action TEXT NOT NULL,
        event TEXT NOT NULL,
        detail TEXT NOT NULL,
        agent TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX action_audit_ticket ON action_audit (workspace, ticket_id);
    """,
    # 4: the feedback loop. Rows carry a random uid so journals from several agents merge without
    # double counting, and their ISO week so a weekly report reads one index range.
    """
    ALTER TABLE draft_runs ADD COLUMN uid TEXT;
    UPDATE draft_runs SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
    ALTER TABLE draft_runs ADD COLUMN week TEXT;
    UPDATE draft_runs SET week = iso_week(created_at) WHERE week IS NULL;
    CREATE UNIQUE INDEX draft_runs_uid ON draft_runs (uid);
    CREATE INDEX draft_runs_week ON draft_runs (week);
    CREATE TABLE escalations (
        uid TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        intent TEXT NOT NULL,
        tier TEXT NOT NULL,
        model TEXT NOT NULL,
        route_reasons TEXT NOT NULL,
        draft_state TEXT NOT NULL,
        draft_text TEXT NOT NULL,
        reason TEXT NOT NULL,
        note TEXT NOT NULL,
        suggested_reason TEXT NOT NULL,
        written_back INTEGER NOT NULL,
        agent TEXT NOT NULL,
        created_at TEXT NOT NULL,
        week TEXT NOT NULL
    );
    CREATE INDEX escalations_week ON escalations (week);
    CREATE TABLE escalation_reviews (
        uid TEXT PRIMARY KEY,
        escalation_uid TEXT NOT NULL,
        reason TEXT NOT NULL,
        root_cause TEXT NOT NULL,
        flow_needs_fixing INTEGER NOT NULL,
        reviewer TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX escalation_reviews_escalation ON escalation_reviews (escalation_uid);
    CREATE TABLE draft_outcomes (
        uid TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        intent TEXT NOT NULL,
        tier TEXT NOT NULL,
        model TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('unchanged', 'edited', 'discarded', 'no_draft')),
        edit_ratio REAL NOT NULL,
        opened_at TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        seconds_to_send REAL NOT NULL,
        agent TEXT NOT NULL,
        week TEXT NOT NULL
    );
    CREATE INDEX draft_outcomes_week ON draft_outcomes (week);
    """,
    # 5: actions are bound to the ticket's requester (ownership is checked against it at approval) and
    # keep the customer-facing wording of their result for the draft.
    """
    ALTER TABLE action_proposals ADD COLUMN requester TEXT NOT NULL DEFAULT '';
    ALTER TABLE action_proposals ADD COLUMN customer_text TEXT NOT NULL DEFAULT ''
    """,
    # 6: the team store (assist.team): escalations keep their transcript; the outbox is the journal itself,
    # rows after the last rowid the server acknowledged per table; the journal's own id makes integer-keyed
    # rows (the action audit) unique across desks.
    """
    ALTER TABLE escalations ADD COLUMN transcript TEXT NOT NULL DEFAULT '';
    CREATE TABLE team_sync (tbl TEXT PRIMARY KEY, last_rowid INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('journal_uid', lower(hex(randomblob(16))))
    """,
    # 7: weekly rollups for the report's trends (the team store keeps the same ones): kept by triggers as
    # rows arrive, so ten weeks of trends read a few hundred rows however large the journal grows.
    """
    CREATE TABLE rollup_cells (week TEXT, intent TEXT, tier TEXT, model TEXT, replies INTEGER NOT NULL DEFAULT 0,
        light INTEGER NOT NULL DEFAULT 0, tickets INTEGER NOT NULL DEFAULT 0, cost REAL NOT NULL DEFAULT 0,
        escalations INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (week, intent, tier, model)) WITHOUT ROWID;
    CREATE TABLE rollup_cell_tickets (week TEXT, intent TEXT, tier TEXT, model TEXT, workspace TEXT, ticket_id TEXT,
        PRIMARY KEY (week, intent, tier, model, workspace, ticket_id)) WITHOUT ROWID;
    CREATE TABLE rollup_weeks (week TEXT PRIMARY KEY, tickets INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE TABLE rollup_week_tickets (week TEXT, workspace TEXT, ticket_id TEXT,
        PRIMARY KEY (week, workspace, ticket_id)) WITHOUT ROWID;
    INSERT INTO rollup_cells (week, intent, tier, model, replies, light)
        SELECT week, intent, tier, model, count(*), sum(outcome = 'unchanged' OR (outcome = 'edited'
        AND edit_ratio >= 0.8)) FROM draft_outcomes GROUP BY 1, 2, 3, 4;
    INSERT INTO rollup_cell_tickets SELECT DISTINCT week, intent, tier, model, workspace, ticket_id
        FROM draft_outcomes;
    UPDATE rollup_cells SET tickets = (SELECT count(*) FROM rollup_cell_tickets t WHERE t.week = rollup_cells.week
        AND t.intent = rollup_cells.intent AND t.tier = rollup_cells.tier AND t.model = rollup_cells.model);
    INSERT INTO rollup_week_tickets SELECT DISTINCT week, workspace, ticket_id FROM draft_outcomes;
    INSERT INTO rollup_weeks SELECT week, count(*) FROM rollup_week_tickets GROUP BY week;
    INSERT INTO rollup_cells (week, intent, tier, model, cost) SELECT week, intent, tier, model, sum(cost_usd)
        FROM draft_runs WHERE true GROUP BY 1, 2, 3, 4
        ON CONFLICT (week, intent, tier, model) DO UPDATE SET cost = cost + excluded.cost;
    INSERT INTO rollup_cells (week, intent, tier, model, escalations) SELECT week, intent, tier, model, count(*)
        FROM escalations WHERE true GROUP BY 1, 2, 3, 4
        ON CONFLICT (week, intent, tier, model) DO UPDATE SET escalations = escalations + excluded.escalations;
    CREATE TRIGGER rollup_outcome AFTER INSERT ON draft_outcomes BEGIN
        INSERT INTO rollup_cells (week, intent, tier, model) VALUES (NEW.week, NEW.intent, NEW.tier, NEW.model)
            ON CONFLICT DO NOTHING;
        UPDATE rollup_cells SET replies = replies + 1,
            light = light + (NEW.outcome = 'unchanged' OR (NEW.outcome = 'edited' AND NEW.edit_ratio >= 0.8)),
            tickets = tickets + NOT EXISTS (SELECT 1 FROM rollup_cell_tickets t WHERE t.week = NEW.week
                AND t.intent = NEW.intent AND t.tier = NEW.tier AND t.model = NEW.model
                AND t.workspace = NEW.workspace AND t.ticket_id = NEW.ticket_id)
            WHERE week = NEW.week AND intent = NEW.intent AND tier = NEW.tier AND model = NEW.model;
        INSERT OR IGNORE INTO rollup_cell_tickets VALUES (NEW.week, NEW.intent, NEW.tier, NEW.model, NEW.workspace,
            NEW.ticket_id);
        INSERT INTO rollup_weeks (week) VALUES (NEW.week) ON CONFLICT DO NOTHING;
        UPDATE rollup_weeks SET tickets = tickets + 1 WHERE week = NEW.week AND NOT EXISTS (SELECT 1 FROM
            rollup_week_tickets t WHERE t.week = NEW.week AND t.workspace = NEW.workspace
            AND t.ticket_id = NEW.ticket_id);
        INSERT OR IGNORE INTO rollup_week_tickets VALUES (NEW.week, NEW.workspace, NEW.ticket_id);
    END;
    CREATE TRIGGER rollup_run AFTER INSERT ON draft_runs BEGIN
        INSERT INTO rollup_cells (week, intent, tier, model, cost) VALUES (NEW.week, NEW.intent, NEW.tier,
            NEW.model, NEW.cost_usd) ON CONFLICT (week, intent, tier, model) DO UPDATE SET cost = cost + excluded.cost;
    END;
    CREATE TRIGGER rollup_escalation AFTER INSERT ON escalations BEGIN
        INSERT INTO rollup_cells (week, intent, tier, model, escalations) VALUES (NEW.week, NEW.intent, NEW.tier,
            NEW.model, 1) ON CONFLICT (week, intent, tier, model) DO UPDATE SET escalations = escalations + 1;
    END
    """,
    # 8: covering indexes for the weekly report: a week's figures are read from index pages in order
    # instead of one table lookup per row (5M rows: 2.5 s -> see docs/performance.md)
    """
    CREATE INDEX draft_outcomes_week_report ON draft_outcomes (week, uid, workspace, ticket_id, outcome,
        edit_ratio, seconds_to_send);
    CREATE INDEX draft_runs_week_report ON draft_runs (week, uid, workspace, ticket_id, tier, model, cost_usd);
    CREATE INDEX escalations_week_report ON escalations (week, uid, reason);
    CREATE INDEX escalation_reviews_latest ON escalation_reviews (escalation_uid, created_at, reason, root_cause);
    """,
    # 9: rows the team store refused for their content (an invalid value, a broken constraint): set aside with
    # the server's reason, so the rest of the outbox keeps flowing and the desk can say which and why
    """
    CREATE TABLE team_refused (tbl TEXT NOT NULL, uid TEXT NOT NULL, reason TEXT NOT NULL,
        refused_at TEXT NOT NULL, PRIMARY KEY (tbl, uid));
    """,
    # 10: the weekly report's per-agent table reads the agent from the same covering index
    """
    DROP INDEX IF EXISTS draft_outcomes_week_report;
    CREATE INDEX draft_outcomes_week_report ON draft_outcomes (week, uid, workspace, ticket_id, outcome,
        edit_ratio, seconds_to_send, agent);
    """,
    # 11: a reply that solved the ticket keeps when the helpdesk says the ticket was created, so the report can
    # give the helpdesk's own created -> solved time beside the open-to-send time
    """
    ALTER TABLE draft_outcomes ADD COLUMN ticket_created_at TEXT NOT NULL DEFAULT '';
    ALTER TABLE draft_outcomes ADD COLUMN solved INTEGER NOT NULL DEFAULT 0;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

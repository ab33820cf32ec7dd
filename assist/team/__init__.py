"""The optional team store on PostgreSQL: every desk's escalations, draft outcomes, draft runs and action
audits in one database, senior reviews written there and pulled back, roles enforced by the database.

``schema`` (what ``assist team init`` creates), ``store`` (psycopg 3, async), ``sync`` (the outbox: the
journal's rows after the last one the server acknowledged, pushed idempotently by uid).
"""

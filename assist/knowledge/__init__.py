"""The knowledge base: ingest documents, chunk them by heading, index in SQLite FTS5, retrieve passages."""

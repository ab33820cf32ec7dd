"""AI Actions: a declarative catalog, proposals (model tool calls or rules), an approved-only executor."""

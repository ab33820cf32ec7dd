"""Error hierarchy of the core. Every error a user can meet is an ``AssistError``.

    AssistError                    expected; shown as a message, never a traceback
    ├── ConnectorError             a helpdesk or CRM call failed
    │   ├── ConnectorAuthError     the token was rejected
    │   ├── TicketNotFoundError    no such ticket
    │   └── ConnectorUnavailableError  timeout, DNS, 5xx, malformed answer
    ├── KnowledgeBaseError         nothing to ingest, unreadable source
    ├── LLMError                   the model call failed (partial text is kept)
    │   ├── LLMRateLimitError      429 from the provider
    │   ├── LLMTimeoutError        no answer in time
    │   └── LLMResponseError       malformed answer or stream
    ├── ActionRejectedError        parameters outside schema or policy (names the rule)
    ├── ActionFailedError          the action's HTTP call failed (retryable: same idempotency key)
    ├── WriteBackError             the action ran, but its note/tag for the helpdesk failed
    ├── SettingsError              config file unreadable or invalid
    ├── SecretStoreError           keyring missing or refused
    └── JournalError               local journal cannot be opened or written

The message is written for the agent: what failed, why, what to do.
"""

from __future__ import annotations


class AssistError(Exception):
    """Base of every expected error. ``str(err)`` is the user-facing message."""


class ConnectorError(AssistError):
    pass


class ConnectorAuthError(ConnectorError):
    pass


class TicketNotFoundError(ConnectorError):
    pass


class ConnectorUnavailableError(ConnectorError):
    pass


class KnowledgeBaseError(AssistError):
    pass


class LLMError(AssistError):
    """A model call failed. ``partial`` holds whatever text had already streamed."""

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


class LLMRateLimitError(LLMError):
    pass


class LLMTimeoutError(LLMError):
    pass


class LLMResponseError(LLMError):
    pass


class ActionRejectedError(AssistError):
    pass


class ActionFailedError(AssistError):
    pass


class WriteBackError(AssistError):
    pass


class SettingsError(AssistError):
    """Every problem found in a file the user wrote (actions catalog, OpenAPI spec), one per line.

    (config.toml itself never raises: ``load_settings`` reports its problems and uses defaults.)
    """

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Problems in {path}:\n{lines}")


class SecretStoreError(AssistError):
    pass


class JournalError(AssistError):
    pass

"""The History tab in sentences: what happened on a ticket, said the way an agent would say it.

"Refund order (AB-10290, amount 12.00, reason duplicate charge) approved by Sam at 14:02" rather than
raw JSON and idempotency keys; the journal keeps the raw record for audits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from assist.actions.catalog import names_an_entity
from assist.domain import AuditEvent


def _params_phrase(params: Any) -> str:
    if not isinstance(params, dict) or not params:
        return ""
    parts = []
    # what it acts on first ("AB-10290"), then how ("amount 7.50"): the same order however it was edited
    for key, value in sorted(params.items(), key=lambda kv: not names_an_entity(kv[0])):
        if isinstance(value, float):
            value = f"{value:,.2f}"
        shown = str(value)
        parts.append(shown if names_an_entity(key) else f"{key.replace('_', ' ')} {shown}")
    return " (" + ", ".join(parts) + ")"


def _json_after(detail: str, prefix: str = "") -> Any:
    text = detail[len(prefix):] if prefix and detail.startswith(prefix) else detail
    head = text.split(" · ", 1)[0]
    if ": " in head and not head.lstrip().startswith("{"):
        head = head.split(": ", 1)[1]
    try:
        return json.loads(head)
    except ValueError:
        return None


def sentence(e: AuditEvent, title_of: Callable[[str], str]) -> str:
    """One line for one audit event; ``title_of`` turns an action name into its catalog title."""
    when = f"{e.created_at.astimezone():%H:%M}"
    title = title_of(e.action)
    who = e.agent
    match e.event:
        case "proposed" | "blocked":
            source = e.detail.split(":", 1)[0]
            by = "the model" if source == "model" else "the rules"
            what = f"{title}{_params_phrase(_json_after(e.detail))}"
            if e.event == "blocked":
                reason = e.detail.split(" · ", 1)[1] if " · " in e.detail else ""
                return f"{when} · {what} was not proposed: {reason}"
            return f"{when} · {what} proposed by {by}."
        case "edited":
            changes = _json_after(e.detail)
            if isinstance(changes, dict) and changes:
                said = "; ".join(f"{k.replace('_', ' ')} from {v[0]} to {v[1]}" for k, v in changes.items()
                                 if isinstance(v, list) and len(v) == 2)
                return f"{when} · {who} changed {title}: {said}."
            return f"{when} · {who} changed {title}."
        case "approved" | "retried" | "auto-run":
            what = f"{title}{_params_phrase(_json_after(e.detail, 'params '))}"
            if e.event == "auto-run":
                return f"{when} · {what} ran on its own (read-only)."
            if e.event == "retried":
                return f"{when} · {what} retried by {who} (the same request, never a second one)."
            return f"{when} · {what} approved by {who}."
        case "succeeded":
            return f"{when} · Done: {e.detail}"
        case "failed":
            return f"{when} · {title} failed: {e.detail}"
        case "rejected":
            return f"{when} · {title} was refused: {e.detail}"
        case "dismissed":
            return f"{when} · {title} dismissed by {who}."
        case "interrupted":
            return f"{when} · {title} was interrupted by a restart: the outcome was unknown."
        case "escalated":
            return f"{when} · Escalated by {who}: {e.detail}"
        case _:
            return f"{when} · {title}: {e.event} {e.detail}".rstrip()

"""Settings: one TOML file in the platform config dir, declared once here and validated on load.

A bad key or value never stops the app: ``load_settings`` names every problem (with a "did you mean"
for misspelt keys) and falls back to the default for just those entries. Secrets never live here; they
go through ``assist.secrets`` (the OS keyring).
"""

from __future__ import annotations

import difflib
import getpass
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


def _default_agent() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): not worth failing over
        return "agent"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class AgentSettings(_Section):
    name: str = Field(default_factory=_default_agent, min_length=1, description="Shown in the journal.")
    display_name: str = Field("", description="How replies are signed (the agent's name as the helpdesk knows "
                                              "it; asked once when the helpdesk can't tell).")


def url_warnings(settings: Settings) -> list[str]:
    """Connection URLs that work but put something at risk (said once, in Settings and by doctor)."""
    out = []
    for name, ws in settings.workspaces.items():
        for part, url in (("helpdesk", ws.helpdesk.url), ("CRM", ws.crm.url), ("actions", ws.actions.base_url)):
            parts = urlsplit(url)
            if parts.scheme == "http" and (parts.hostname or "") not in ("localhost", "127.0.0.1", "::1"):
                out.append(f"workspaces.{name}: the {part} URL {url} uses plain http://: the token travels "
                           "unencrypted. Use https://.")
    return out


def _check_url(value: str) -> str:
    value = value.strip()
    scheme = urlsplit(value).scheme.lower()
    if ("://" in value or scheme in ("file", "javascript", "data")) and scheme not in ("http", "https"):
        raise ValueError(f"only http(s) URLs are allowed (got {scheme}:)")
    return value


class HelpdeskSettings(_Section):
    kind: Literal["demo", "zendesk", "freshdesk", "request_tracker"] = Field(
        "demo", description="Which helpdesk this workspace talks to.")
    url: str = Field("", description="Base URL, e.g. https://acme.zendesk.com, https://acme.freshdesk.com, "
                                     "https://rt.example.com (not used by the demo).")
    email: str = Field("", description="Zendesk: the agent email the API token belongs to.")
    queue: str = Field("", description="Zendesk view id, Freshdesk filter name, or RT TicketSQL for the queue.")
    timeout_s: float = Field(15.0, gt=0, le=120)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)


class CRMSettings(_Section):
    kind: Literal["demo", "helpdesk", "hubspot", "http_json"] = Field(
        "demo", description="Where customer context comes from; 'helpdesk' uses the requester record.")
    url: str = Field("", description="http_json: URL template with {email}; hubspot: API base (optional).")
    name_path: str = "name"
    plan_path: str = "plan"
    tier_path: str = "tier"
    value_path: str = "lifetime_value"
    company_path: str = "company"
    orders_path: str = "orders"
    order_fields: dict[str, str] = Field(default_factory=lambda: {
        "id": "id", "status": "status", "total": "total", "currency": "currency", "placed_at": "placed_at",
        "carrier": "carrier", "tracking_number": "tracking_number"})
    plan_property: str = Field("plan", description="HubSpot contact property holding the plan.")
    cache_ttl_s: int = Field(120, ge=0, le=86_400, description="How long a customer's context is reused.")
    timeout_s: float = Field(10.0, gt=0, le=120)


class ActionsSettings(_Section):
    catalog: str = Field("", description="The workspace's actions.toml (default: WORKSPACE/actions.toml "
                                         "in the config dir, when it exists).")
    base_url: str = Field("", description="Base URL the catalog's {base_url} stands for.")
    write_back: bool = Field(True, description="After an approved action runs, leave an internal note (what ran, "
                                               "amount, reference, who approved) and a tag on the ticket.")
    tag: str = Field("assist-action", description="The tag added to a ticket after an action ran on it.")


class ReplySettings(_Section):
    citations: Literal["remove", "footnotes"] = Field(
        "remove", description="Citation markers in a sent reply: removed, or footnotes with public article links.")
    send_as: Literal["open", "pending", "solved"] = Field(
        "pending", description="The ticket status a public reply sets by default (the Send button shows it).")


class TeamSettings(_Section):
    url: str = Field("", description="PostgreSQL team store, e.g. postgresql://sam@db.example.com/assist "
                                     "(the password is kept in the keyring). Empty: this desk only.")
    sync_interval_s: float = Field(30.0, ge=5, le=3600, description="Seconds between syncs.")

    @field_validator("url")
    @classmethod
    def _pg_url(cls, v: str) -> str:
        v = v.strip()
        if v and not v.startswith(("postgresql://", "postgres://")):
            raise ValueError("a team store URL starts with postgresql://")
        return v


class WorkspaceSettings(_Section):
    helpdesk: HelpdeskSettings = Field(default_factory=HelpdeskSettings)
    crm: CRMSettings = Field(default_factory=CRMSettings)
    actions: ActionsSettings = Field(default_factory=ActionsSettings)
    reply: ReplySettings = Field(default_factory=ReplySettings)
    team: TeamSettings = Field(default_factory=TeamSettings)


class UiSettings(_Section):
    follow_clipboard: bool = Field(True, description="Open a ticket when its helpdesk URL is copied.")
    autosave_ms: int = Field(600, ge=100, le=10_000, description="Draft autosave delay.")
    queue_limit: int = Field(500, ge=10, le=10_000, description="Most tickets listed in the queue.")


TierName = Literal["human", "offline", "fast", "frontier"]


class RoutingRule(_Section):
    """First matching rule wins; an empty condition list matches anything."""

    intent: list[str] = Field(default_factory=list)
    risk: list[Literal["low", "medium", "high"]] = Field(default_factory=list)
    complexity: list[Literal["low", "medium", "high"]] = Field(default_factory=list)
    sentiment_below: float | None = Field(None, ge=-1, le=1)
    tier: TierName
    why: str = ""


def _default_rules() -> list[RoutingRule]:
    return [
        RoutingRule(risk=["high"], tier="frontier", why="high risk: frontier model"),
        RoutingRule(complexity=["high"], tier="frontier", why="complex thread: frontier model"),
        RoutingRule(sentiment_below=-0.5, tier="frontier", why="upset customer: frontier model"),
        RoutingRule(intent=["other"], tier="frontier", why="unknown intent: frontier model"),
    ]


class RoutingSettings(_Section):
    default_tier: TierName = Field("fast", description="Tier when no rule matches.")
    min_intent_confidence: float = Field(0.35, ge=0, le=1)
    llm_classifier: bool = Field(True, description="Ask the fast model for the intent when one is set.")
    rules: list[RoutingRule] = Field(default_factory=_default_rules)


class ModelTier(_Section):
    model: str = Field("", description="litellm model name, e.g. 'gpt-4o-mini' or 'ollama_chat/llama3.1'.")
    api_base: str = Field("", description="For Ollama, vLLM or a team's LiteLLM proxy.")
    timeout_s: float = Field(60.0, gt=0, le=600)
    max_tokens: int = Field(700, ge=50, le=8000)
    temperature: float = Field(0.2, ge=0, le=2)


class ModelsSettings(_Section):
    fast: ModelTier = Field(default_factory=ModelTier)
    frontier: ModelTier = Field(default_factory=ModelTier)


def _default_phrasebook() -> dict[str, str]:
    return {
        "greeting": "Hi {first_name},",
        "closing": "Best,\n{agent}",
        "apology": "I'm sorry about this.",
        "confirmation": "To confirm:",
        "escalation": "I've passed this to a team lead, who will reply within 1 business day.",
        "clarify": "Could you tell me a bit more so I can help? For example, your order number.",
    }


class AISettings(_Section):
    enabled: bool = Field(True, description="Kill switch: false turns every AI feature off.")
    auto_draft: bool = Field(True, description="Draft offline-tier tickets as soon as they open.")
    redact_pii: bool = Field(True, description="Mask PII in anything sent to a cloud model.")
    top_k: int = Field(5, ge=1, le=20)
    min_source_score: float = Field(5.0, ge=0, description="Below this no passage counts as grounding.")
    brand_voice: str = "Warm, plain and brief. No jargon, no exclamation marks, no promises we can't keep."
    policy: list[str] = Field(default_factory=lambda: [
        "Never promise a refund, credit or exception that the cited policy does not allow.",
        "Never ask for full card numbers or passwords.",
    ])
    phrasebook: dict[str, str] = Field(default_factory=_default_phrasebook)


class Settings(_Section):
    agent: AgentSettings = Field(default_factory=AgentSettings)
    active_workspace: str = Field("demo", min_length=1)
    workspaces: dict[str, WorkspaceSettings] = Field(default_factory=lambda: {"demo": WorkspaceSettings()})
    ui: UiSettings = Field(default_factory=UiSettings)
    ai: AISettings = Field(default_factory=AISettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    models: ModelsSettings = Field(default_factory=ModelsSettings)

    @property
    def workspace(self) -> str:
        """The active workspace's name (falls back to the demo when the name is unknown)."""
        return self.active_workspace if self.active_workspace in self.workspaces else "demo"

    @property
    def current(self) -> WorkspaceSettings:
        return self.workspaces.get(self.workspace) or WorkspaceSettings()


def _known_keys(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        ann = field.annotation if field else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return list(model.model_fields)


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    dotted = ".".join(str(p) for p in loc)
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _known_keys(Settings, loc), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{dotted}: unknown setting{hint}"
    return f"{dotted}: {error['msg']} (got {error['input']!r})"


def _drop(data: dict[str, Any], loc: tuple[str | int, ...]) -> bool:
    node: Any = data
    for part in loc[:-1]:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    return False


def validate(data: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Validate raw config data; invalid entries are reported and replaced by defaults."""
    problems: list[str] = []
    for _ in range(50):
        try:
            return Settings.model_validate(data), problems
        except ValidationError as exc:
            dropped = False
            for error in exc.errors():
                problems.append(_describe(error))
                loc = tuple(error["loc"])
                dropped |= _drop(data, loc) or (len(loc) > 1 and _drop(data, loc[:1]))
            if not dropped:
                break
    return Settings(), problems


def load_settings(path: Path) -> tuple[Settings, list[str]]:
    """Read ``path``; a missing file is the defaults, a broken one is the defaults plus problems."""
    if not path.exists():
        return Settings(), []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return Settings(), [f"the file is not valid TOML ({exc}); every setting is at its default"]
    except RecursionError:
        return Settings(), ["the file nests tables or arrays too deeply to read; every setting is at its default"]
    except OSError as exc:
        return Settings(), [f"the file cannot be read ({exc.strerror}); using defaults"]
    try:
        return validate(data)
    except RecursionError:
        return Settings(), ["a value nests too deeply to check; every setting is at its default"]


def save_settings(settings: Settings, path: Path) -> None:
    """Write atomically, so a crash mid-write never leaves a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

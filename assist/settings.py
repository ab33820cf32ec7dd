"""Settings: one TOML file in the platform config dir, declared once here and validated on load.

A bad key or value never stops the app: ``load_settings`` names every problem (with a "did you mean"
for misspelt keys) and falls back to the default for just those entries. Secrets never live here; they
go through ``assist.secrets`` (the OS keyring).

The sections are msgspec ``Struct``s: msgspec checks each value against its declared type and bounds
(``Meta``), and ``_build`` walks the file section by section so every problem is named at its own key
and only that key falls back to its default. (pydantic did this before; building its validators cost
~150 ms of every start, issue 16.)
"""

from __future__ import annotations

import copy
import difflib
import getpass
import os
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta, field

from assist.errors import SettingsError


def _default_agent() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): not worth failing over
        return "agent"


class Check:
    """Extra check on a value after its type and bounds, as ``Annotated`` metadata (msgspec ignores it):
    ``fn`` returns the value to keep (e.g. stripped) or raises ``ValueError`` with the reason."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn


class _Section(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


def _check_url(value: str) -> str:
    value = value.strip()
    scheme = urlsplit(value).scheme.lower()
    if ("://" in value or scheme in ("file", "javascript", "data")) and scheme not in ("http", "https"):
        raise ValueError(f"only http(s) URLs are allowed (got {scheme}:)")
    return value


def _check_pg_url(value: str) -> str:
    value = value.strip()
    if value and not value.startswith(("postgresql://", "postgres://")):
        raise ValueError("a team store URL starts with postgresql://")
    return value


HttpUrl = Annotated[str, Check(_check_url)]
Seconds = Annotated[float, Meta(gt=0, le=120)]


class AgentSettings(_Section):
    name: Annotated[str, Meta(min_length=1)] = field(default_factory=_default_agent)  # shown in the journal
    # How replies are signed (the agent's name as the helpdesk knows it; asked once when the helpdesk can't tell).
    display_name: str = ""


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


class HelpdeskSettings(_Section):
    kind: Literal["demo", "zendesk", "freshdesk", "request_tracker"] = "demo"  # which helpdesk this workspace uses
    # Base URL, e.g. https://acme.zendesk.com, https://acme.freshdesk.com, https://rt.example.com (not the demo).
    url: HttpUrl = ""
    email: str = ""  # Zendesk: the agent email the API token belongs to
    queue: str = ""  # Zendesk view id, Freshdesk filter name, or RT TicketSQL for the queue
    timeout_s: Seconds = 15.0


class CRMSettings(_Section):
    # Where customer context comes from; "helpdesk" uses the requester record.
    kind: Literal["demo", "helpdesk", "hubspot", "http_json"] = "demo"
    url: HttpUrl = ""  # http_json: URL template with {email}; hubspot: API base (optional)
    name_path: str = "name"
    plan_path: str = "plan"
    tier_path: str = "tier"
    value_path: str = "lifetime_value"
    company_path: str = "company"
    orders_path: str = "orders"
    order_fields: dict[str, str] = field(default_factory=lambda: {
        "id": "id", "status": "status", "total": "total", "currency": "currency", "placed_at": "placed_at",
        "carrier": "carrier", "tracking_number": "tracking_number"})
    plan_property: str = "plan"  # HubSpot contact property holding the plan
    cache_ttl_s: Annotated[int, Meta(ge=0, le=86_400)] = 120  # how long a customer's context is reused
    timeout_s: Seconds = 10.0


class ActionsSettings(_Section):
    catalog: str = ""  # the workspace's actions.toml (default: WORKSPACE/actions.toml in the config dir, if any)
    base_url: HttpUrl = ""  # base URL the catalog's {base_url} stands for
    # After an approved action runs, leave an internal note (what ran, amount, reference, who approved) and a tag.
    write_back: bool = True
    tag: str = "assist-action"  # the tag added to a ticket after an action ran on it


class ReplySettings(_Section):
    # Citation markers in a sent reply: removed, or footnotes with public article links.
    citations: Literal["remove", "footnotes"] = "remove"
    # The ticket status a public reply sets by default (the Send button shows it).
    send_as: Literal["open", "pending", "solved"] = "pending"


class TeamSettings(_Section):
    # PostgreSQL team store, e.g. postgresql://sam@db.example.com/assist (the password is kept in the
    # keyring). Empty: this desk only.
    url: Annotated[str, Check(_check_pg_url)] = ""
    sync_interval_s: Annotated[float, Meta(ge=5, le=3600)] = 30.0  # seconds between syncs


class WorkspaceRouting(_Section):
    # How often an intent the router names on its own must be right (calibrated out of fold by
    # `assist learn`); tickets below the matching confidence go to review with their top candidates.
    precision: Annotated[float, Meta(ge=0.5, le=0.999)] = 0.95


class WorkspaceSettings(_Section):
    helpdesk: HelpdeskSettings = field(default_factory=HelpdeskSettings)
    routing: WorkspaceRouting = field(default_factory=WorkspaceRouting)
    crm: CRMSettings = field(default_factory=CRMSettings)
    actions: ActionsSettings = field(default_factory=ActionsSettings)
    reply: ReplySettings = field(default_factory=ReplySettings)
    team: TeamSettings = field(default_factory=TeamSettings)


class UiSettings(_Section):
    follow_clipboard: bool = True  # open a ticket when its helpdesk URL is copied
    autosave_ms: Annotated[int, Meta(ge=100, le=10_000)] = 600  # draft autosave delay
    queue_limit: Annotated[int, Meta(ge=10, le=10_000)] = 500  # most tickets listed in the queue


TierName = Literal["human", "offline", "fast", "frontier"]
Level = Literal["low", "medium", "high"]


class RoutingRule(_Section, kw_only=True):
    """First matching rule wins; an empty condition list matches anything."""

    intent: list[str] = []
    risk: list[Level] = []
    complexity: list[Level] = []
    sentiment_below: Annotated[float, Meta(ge=-1, le=1)] | None = None
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
    default_tier: TierName = "fast"  # tier when no rule matches
    min_intent_confidence: Annotated[float, Meta(ge=0, le=1)] = 0.35
    llm_classifier: bool = True  # ask the fast model for the intent when one is set
    rules: list[RoutingRule] = field(default_factory=_default_rules)


class ModelTier(_Section):
    model: str = ""  # litellm model name, e.g. 'gpt-4o-mini' or 'ollama_chat/llama3.1'
    api_base: str = ""  # for Ollama, vLLM or a team's LiteLLM proxy
    timeout_s: Annotated[float, Meta(gt=0, le=600)] = 60.0
    max_tokens: Annotated[int, Meta(ge=50, le=8000)] = 700
    temperature: Annotated[float, Meta(ge=0, le=2)] = 0.2


class ModelsSettings(_Section):
    fast: ModelTier = field(default_factory=ModelTier)
    frontier: ModelTier = field(default_factory=ModelTier)
    # sentence vectors when [ai] embeddings = "model": e.g. 'openai/text-embedding-3-small',
    # 'ollama/nomic-embed-text' with api_base, or a LiteLLM proxy's alias
    embedding: ModelTier = field(default_factory=ModelTier)


def default_phrasebook() -> dict[str, str]:
    return {
        "greeting": "Hi {first_name},",
        "closing": "Best,\n{agent}",
        "apology": "I'm sorry about this.",
        "confirmation": "To confirm:",
        "escalation": "I've passed this to a team lead, who will reply within 1 business day.",
        "clarify": "Could you tell me a bit more so I can help? For example, your order number.",
        # asked instead of "clarify" when the ticket's intent is not about an order (a login problem)
        "clarify_general": "Could you tell me a little more about what happened, so I can help?",
    }


class AISettings(_Section):
    enabled: bool = True  # kill switch: false turns every AI feature off
    auto_draft: bool = True  # draft offline-tier tickets as soon as they open
    redact_pii: bool = True  # mask PII in anything sent to a cloud model
    # sentence vectors for routing and discovery: "auto" uses the offline encoder when installed (nothing
    # leaves the machine); "off" keeps word statistics only
    # "model" uses [models.embedding] through the model gateway (masked like every model call)
    embeddings: Literal["auto", "off", "model"] = "auto"
    top_k: Annotated[int, Meta(ge=1, le=20)] = 5
    min_source_score: Annotated[float, Meta(ge=0, le=1000)] = 5.0  # below this no passage counts as grounding
    brand_voice: str = "Warm, plain and brief. No jargon, no exclamation marks, no promises we can't keep."
    policy: list[str] = field(default_factory=lambda: [
        "Never promise a refund, credit or exception that the cited policy does not allow.",
        "Never ask for full card numbers or passwords.",
    ])
    phrasebook: dict[str, str] = field(default_factory=default_phrasebook)


class Settings(_Section):
    agent: AgentSettings = field(default_factory=AgentSettings)
    active_workspace: Annotated[str, Meta(min_length=1)] = "demo"
    workspaces: dict[str, WorkspaceSettings] = field(default_factory=lambda: {"demo": WorkspaceSettings()})
    ui: UiSettings = field(default_factory=UiSettings)
    ai: AISettings = field(default_factory=AISettings)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    models: ModelsSettings = field(default_factory=ModelsSettings)

    @property
    def workspace(self) -> str:
        """The active workspace's name (falls back to the demo when the name is unknown)."""
        return self.active_workspace if self.active_workspace in self.workspaces else "demo"

    @property
    def current(self) -> WorkspaceSettings:
        return self.workspaces.get(self.workspace) or WorkspaceSettings()


S = TypeVar("S", bound=msgspec.Struct)


def _is_section(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _reason(exc: msgspec.ValidationError, tp: object) -> str:
    """msgspec's message in the words of a settings file: no JSON names, no ``$`` paths."""
    text = str(exc).partition(" - at `$")[0].partition(", got `")[0]
    base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
    each = get_origin(base) in (list, tuple)
    choices = get_args(get_args(base)[0] if each else base)
    if text.startswith("Invalid enum value") and choices:
        return ("each must be one of " if each else "must be one of ") + ", ".join(repr(v) for v in choices)
    return (text.replace("`object`", "a table").replace("`array`", "a list").replace("`", "")
            .replace("Expected", "expected", 1))


def _value(tp: Any, raw: object, where: str, problems: list[str], lenient: bool) -> tuple[bool, Any]:
    """``raw`` as a value of ``tp`` (True, value), or its problem recorded (False, None)."""
    if _is_section(tp):
        built = _build(tp, raw, where, problems, lenient)
        return built is not None, built
    origin, args = get_origin(tp), get_args(tp)
    if origin is dict and _is_section(args[1]) and isinstance(raw, dict):
        tables = ((key, _build(args[1], item, f"{where}.{key}", problems, lenient)) for key, item in raw.items())
        return True, {key: built for key, built in tables if built is not None}
    if origin in (list, tuple) and _is_section(args[0]) and isinstance(raw, list):
        kept = []  # an entry with any problem is left out whole: a rule missing a condition matches more
        for i, item in enumerate(raw):
            found: list[str] = []
            built = _build(args[0], item, f"{where}[{i}]", found, lenient)
            left_out = [f"{where}[{i}]: this entry is left out"] if lenient and built is not None and found else []
            problems += found + left_out
            if built is not None and not found:
                kept.append(built)
        return True, tuple(kept) if origin is tuple else kept
    try:
        value = msgspec.convert(raw, tp)
    except msgspec.ValidationError as exc:
        problems.append(f"{where}: {_reason(exc, tp)} (got {_shown(raw)})")
        return False, None
    for check in (m for m in getattr(tp, "__metadata__", ()) if isinstance(m, Check)):
        try:
            value = check.fn(value)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            return False, None
    return True, value


def _build(cls: type[S], data: object, where: str, problems: list[str], lenient: bool = True) -> S | None:
    """A ``cls`` from ``data`` with every bad entry reported and (``lenient``) left at its default; None
    when ``data`` cannot be one at all (not a table, or a required key missing)."""
    if not isinstance(data, dict):
        problems.append(f"{where or 'the file'}: expected a table of settings (got {_shown(data)})")
        return None
    fields = {f.name: f for f in msgspec.structs.fields(cls)}
    values: dict[str, Any] = {}
    for key, raw in data.items():
        path = f"{where}.{key}" if where else str(key)
        info = fields.get(key)
        if info is None:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            problems.append(f"{path}: unknown setting" + (f" (did you mean '{close[0]}'?)" if close else ""))
            continue
        ok, value = _value(info.type, raw, path, problems, lenient)
        if ok:
            values[key] = value
    if any(f.required and name not in values for name, f in fields.items()):
        missing = [name for name, f in fields.items() if f.required and name not in data]
        said = [f"{', '.join(missing)} must be set"] if missing else []
        if said or lenient:
            problems.append(f"{where}: " + "; ".join(said + (["this entry is left out"] if lenient else [])))
        return None
    try:
        return cls(**values)
    except ValueError as exc:  # the section's own check across its values (__post_init__)
        problems.append(f"{where or 'the file'}: {exc}")
        return None


def checked(cls: type[S], data: object, source: str) -> S:
    """``data`` as a ``cls``, or a ``SettingsError`` naming every problem (forms and files that must be
    right as a whole, like a taxonomy: nothing is defaulted)."""
    problems: list[str] = []
    built = _build(cls, data, "", problems, lenient=False)
    if problems or built is None:
        raise SettingsError(source, problems)
    return built


def validate(data: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Validate raw config data; invalid entries are reported and replaced by defaults."""
    problems: list[str] = []
    return _build(Settings, data, "", problems) or Settings(), problems


def as_data(value: msgspec.Struct) -> dict[str, Any]:
    """Plain TOML-ready data (lists, tables, strings, numbers; unset optional values left out)."""

    def _plain(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: _plain(v) for k, v in node.items() if v is not None}
        if isinstance(node, list | tuple):
            return [_plain(v) for v in node]
        return node

    data: dict[str, Any] = _plain(msgspec.to_builtins(value))
    return data


def copied(value: S) -> S:
    """A deep copy an editor can change without touching the settings in use."""
    return copy.deepcopy(value)


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
        settings, problems = validate(data)
    except RecursionError:
        return Settings(), ["a value nests too deeply to check; every setting is at its default"]
    _BASELINE[path] = as_data(settings)
    return settings, problems


# What this process last read from or wrote to each config file: a save writes only what changed since, so a
# hand edit made while the app runs (a value, a section Assist doesn't know, a comment) is kept.
_BASELINE: dict[Path, dict[str, Any]] = {}
_MISSING = object()


def _merge(doc: Any, base: dict[str, Any], ours: dict[str, Any]) -> None:
    """Into ``doc`` (the file as it is now, tomlkit), the keys whose value changed from ``base`` to ``ours``."""
    import tomlkit

    for key, value in ours.items():
        before = base.get(key, _MISSING)
        if isinstance(value, dict) and isinstance(before, dict) and key in doc and isinstance(doc[key], dict):
            _merge(doc[key], before, value)
        elif before != value:
            doc[key] = tomlkit.item(value)
    for key in base.keys() - ours.keys():  # removed in the app (a workspace deleted): gone from the file too
        if key in doc:
            del doc[key]


def save_settings(settings: Settings, path: Path) -> None:
    """Write atomically, so a crash mid-write never leaves a half file; merged into the file as it is now
    (only what the app changed since it read it), so hand edits and comments survive."""
    import tomlkit

    path.parent.mkdir(parents=True, exist_ok=True)
    ours = as_data(settings)
    base = _BASELINE.get(path)
    text = ""
    if base is not None and path.exists():
        try:
            doc = tomlkit.parse(path.read_text(encoding="utf-8"))
            _merge(doc, base, ours)
            text = tomlkit.dumps(doc)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            text = ""  # a file broken meanwhile: written whole from what the app holds
    if not text:
        text = tomlkit.dumps(ours)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _BASELINE[path] = ours

"""The action catalog: actions declared in TOML, validated when loaded.

Each action has a JSON Schema for its parameters, an HTTP request template, a result template (for the
agent) and optionally a ``customer_result`` template (for the reply), a risk level and policy limits.
Templates use ``{param}``, ``{base_url}``, ``{secret:NAME}``, ``{basic:USER_SECRET:PASSWORD_SECRET}`` (HTTP
Basic: base64 of the two secrets) and, in policy messages, ``{order.FIELD}`` from the facts lookup. A broken
catalog names the action and the problem.

``[ownership]`` says how to prove that the entity a parameter names belongs to the ticket's requester:
``email = { requester = true }`` (the value must be the requester's email) or
``order_id = { lookup = "lookup_order", field = "customer_email" }`` (run that read-only lookup with the
value; its ``field`` must be the requester's email). Approval refuses an action whose parameter has no
proof; ``irreversible_requires_confirmation`` is not optional.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assist.errors import SettingsError

Risk = Literal["read-only", "reversible", "irreversible"]
RISKS: tuple[str, ...] = ("read-only", "reversible", "irreversible")
POLICY_RULES = ("at_most", "amount_at_most", "field_in")


@dataclass(frozen=True, slots=True)
class Policy:
    rule: str
    message: str
    param: str = ""
    field: str = ""
    value: float | None = None
    values: tuple[str, ...] = ()


_ENTITY = re.compile(r"(?:^|_)(?:id|email|customer|account|user|order|subscription|invoice|charge|payment_intent|"
                     r"payment_method|card|address_id|contact)(?:_id|_number|_email)?$")


def names_an_entity(param: str) -> bool:
    """Does this parameter name something a customer owns (an id, an email, an order...)?

    Such a parameter needs an ``[ownership]`` rule, or approval refuses the action: Assist won't act
    on an account or order it can't prove is the requester's. ``orderId`` counts as ``order_id``.
    """
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", param).lower()
    return _ENTITY.search(snake) is not None


@dataclass(frozen=True, slots=True)
class Ownership:
    """How to prove that the value of ``param`` belongs to the ticket's requester."""

    param: str
    requester: bool = False  # the value is the requester's own email
    lookup: str = ""  # or: this read-only action, called with the value, names the owner ...
    field: str = ""  # ... in this field of its answer


@dataclass(frozen=True, slots=True)
class RequestTemplate:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)  # name -> "{param}"; unset ones are left out
    encoding: str = "json"  # the body as "json", "form" (x-www-form-urlencoded) or "multipart"


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    title: str
    description: str
    parameters: dict[str, Any]
    request: RequestTemplate
    result: str
    risk: str
    auto_run: bool = False
    propose_for: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    why: str = ""
    policy: tuple[Policy, ...] = ()
    customer_result: str = ""
    retry_safe: bool = False  # the service honours Idempotency-Key: a run cut off by a crash may be re-sent

    @property
    def read_only(self) -> bool:
        return self.risk == "read-only"

    def tool(self) -> dict[str, Any]:
        """The action as an OpenAI-style tool for a model to *propose* (never to run)."""
        return {"type": "function", "function": {
            "name": self.name, "description": f"{self.title}: {self.description}",
            "parameters": self.parameters}}


@dataclass(frozen=True, slots=True)
class Catalog:
    actions: dict[str, Action]
    facts: dict[str, str] = field(default_factory=dict)  # "order" -> action that looks orders up
    ownership: dict[str, Ownership] = field(default_factory=dict)  # parameter name -> its proof

    def get(self, name: str) -> Action | None:
        return self.actions.get(name)

    def patterns(self) -> dict[str, re.Pattern[str]]:
        """Per parameter, a regex that finds its values in free text, from the schemas' ``pattern``.

        Order numbers differ by shop ("AB-12345", "#100234", "A1B2C3"): the catalog's own schema says
        what one looks like, so nothing here knows any shop's format.
        """
        found: dict[str, re.Pattern[str]] = {}
        for action in self.actions.values():
            for name, prop in action.parameters.get("properties", {}).items():
                pattern = prop.get("pattern") if isinstance(prop, dict) else None
                if name in found or not isinstance(pattern, str):
                    continue
                body = pattern.removeprefix("^").removesuffix("$")
                try:
                    found[name] = re.compile(rf"(?<![\w-])(?:{body})(?![\w-])")
                except re.error:
                    continue
        return found

    def tools(self) -> list[dict[str, Any]]:
        return [a.tool() for a in self.actions.values()]


def _action(raw: dict[str, Any], where: str) -> Action:
    problems = []
    for key in ("name", "title", "description", "parameters", "request", "result", "risk"):
        if key not in raw:
            problems.append(f"{where}: missing '{key}'")
    if problems:
        raise SettingsError(where, problems)
    name = raw["name"]
    if raw["risk"] not in RISKS:
        problems.append(f"{name}: risk must be one of {', '.join(RISKS)} (got {raw['risk']!r})")
    if raw.get("auto_run") and raw["risk"] != "read-only":
        problems.append(f"{name}: only read-only actions may run without a click (auto_run)")
    try:
        import jsonschema  # loading a catalog happens off the UI thread; keep it out of start-up

        jsonschema.Draft202012Validator.check_schema(raw["parameters"])
    except jsonschema.SchemaError as exc:
        problems.append(f"{name}: parameters are not a valid JSON Schema: {exc.message}")
    req = raw["request"]
    if not isinstance(req, dict) or "method" not in req or "url" not in req:
        problems.append(f"{name}: request needs a method and a url")
    elif req.get("encoding", "json") not in ("json", "form", "multipart"):
        problems.append(f"{name}: request.encoding must be json, form or multipart (got {req.get('encoding')!r})")
    policies = []
    for p in raw.get("policy", []):
        if p.get("rule") not in POLICY_RULES:
            problems.append(f"{name}: unknown policy rule {p.get('rule')!r} (known: {', '.join(POLICY_RULES)})")
            continue
        policies.append(Policy(
            rule=p["rule"], message=p.get("message", p["rule"]), param=p.get("param", ""),
            field=p.get("field", ""), value=p.get("value"), values=tuple(p.get("values", ())),
        ))
    if problems:
        raise SettingsError(where, problems)
    return Action(
        name=name, title=raw["title"], description=raw["description"], parameters=raw["parameters"],
        request=RequestTemplate(req["method"].upper(), req["url"], dict(req.get("headers", {})),
                                req.get("body"), dict(req.get("query", {})), str(req.get("encoding", "json"))),
        result=raw["result"], risk=raw["risk"], auto_run=bool(raw.get("auto_run", False)),
        propose_for=tuple(raw.get("propose_for", ())), keywords=tuple(raw.get("keywords", ())),
        why=raw.get("why", ""), policy=tuple(policies), customer_result=raw.get("customer_result", ""),
        retry_safe=bool(raw.get("retry_safe", raw["risk"] == "read-only")),
    )


def _ownership(raw: dict[str, Any], actions: dict[str, Action], where: str) -> dict[str, Ownership]:
    rules: dict[str, Ownership] = {}
    problems = []
    for param, rule in raw.items():
        if not isinstance(rule, dict):
            problems.append(f"ownership.{param} must be a table")
            continue
        own = Ownership(param, bool(rule.get("requester", False)), str(rule.get("lookup", "")),
                        str(rule.get("field", "")))
        if not own.requester:
            target = actions.get(own.lookup)
            if target is None or not target.read_only or not own.field:
                problems.append(f"ownership.{param} needs requester = true, or a read-only lookup and its field "
                                f"(got lookup {own.lookup!r}, field {own.field!r})")
                continue
            if param not in target.parameters.get("properties", {}):
                problems.append(f"ownership.{param}: the lookup {own.lookup!r} takes no parameter {param!r}")
                continue
        rules[param] = own
    if problems:
        raise SettingsError(where, problems)
    return rules


def parse_catalog(data: dict[str, Any], where: str = "actions.toml") -> Catalog:
    actions = {}
    for i, raw in enumerate(data.get("actions", []), start=1):
        action = _action(raw, f"{where} action #{i}")
        if action.name in actions:
            raise SettingsError(where, [f"action name {action.name!r} is used twice"])
        actions[action.name] = action
    facts = dict(data.get("facts", {}))
    for kind, name in facts.items():
        if name not in actions or not actions[name].read_only:
            raise SettingsError(where, [f"facts.{kind} must name a read-only action (got {name!r})"])
    return Catalog(actions, facts, _ownership(dict(data.get("ownership", {})), actions, where))


def load_catalog(path: Path) -> Catalog:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return Catalog({})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(str(path), [f"not valid TOML: {exc}"]) from exc
    return parse_catalog(data, str(path))

"""Turn OpenAPI 3 operations into catalog entries for the user to review.

Path and query parameters and a JSON request body become one JSON Schema object; ``$ref`` to
``components`` is resolved; security schemes become headers reading ``{secret:NAME}`` from the
keyring. Risk is a first guess from the method and the operation's words (GET read-only; DELETE,
refunds, payouts, transfers, cancellations irreversible; others reversible) and nothing is ``auto_run``:
the user reviews every entry before using it, including how ownership of each id is proved.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from assist.actions.catalog import names_an_entity
from assist.errors import SettingsError

METHODS = ("get", "post", "put", "patch", "delete")
# Operations whose effect can't be taken back, whatever their HTTP method (Stripe's refunds are POSTs).
_IRREVERSIBLE = re.compile(r"refund|payout|transfer|charge|capture|void|cancel|delete|destroy|close|terminate|"
                           r"revoke|purge|erase|wipe|pay\b|payment", re.IGNORECASE)


def risk_of(method: str, path: str, op: dict[str, Any]) -> str:
    """read-only for GET; irreversible for DELETE and for what the operation's words say can't be undone."""
    if method == "get":
        return "read-only"
    words = " ".join(str(op.get(k, "")) for k in ("operationId", "summary")) + " " + path
    return "irreversible" if method == "delete" or _IRREVERSIBLE.search(words) else "reversible"


def ownership_to_review(data: dict[str, Any]) -> list[str]:
    """Parameters that name a customer's entity (ids, emails): each needs an [ownership] rule."""
    names: dict[str, None] = {}
    for action in data.get("actions", []):
        for prop in action["parameters"].get("properties", {}):
            if names_an_entity(prop):
                names.setdefault(prop, None)
    return list(names)


def _resolve(node: Any, spec: dict[str, Any], depth: int = 0) -> Any:
    if depth > 20:
        return {}
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return {}
            target: Any = spec
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            return _resolve(target, spec, depth + 1)
        return {k: _resolve(v, spec, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, spec, depth + 1) for v in node]
    return node


def _slug(text: str) -> str:
    """createRefund -> create_refund; "post /orders/{id}" -> post_orders_id."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "action"


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Keep the JSON Schema keywords that matter for a form and validation."""
    keep = ("type", "enum", "format", "pattern", "minimum", "maximum", "exclusiveMinimum", "minLength",
            "maxLength", "items", "properties", "required", "title", "description", "default")
    out = {k: v for k, v in schema.items() if k in keep}
    if schema.get("nullable"):
        out["type"] = [out.get("type", "string"), "null"]
    return out


def _security_headers(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, str]:
    schemes = spec.get("components", {}).get("securitySchemes", {})
    requirements = op.get("security", spec.get("security", []))
    headers: dict[str, str] = {}
    for req in requirements or []:
        for name in req:
            scheme = schemes.get(name, {})
            secret = "{secret:" + _slug(name) + "}"
            if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
                headers["Authorization"] = f"Bearer {secret}"
            elif scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "basic":
                headers["Authorization"] = f"Basic {secret}"
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                headers[scheme.get("name", "X-API-Key")] = secret
            elif scheme.get("type") == "oauth2":
                headers["Authorization"] = f"Bearer {secret}"
        if headers:
            break
    return headers


def import_openapi(text: str) -> dict[str, Any]:
    """Catalog data (``{"actions": [...]}``) from an OpenAPI 3 document in YAML or JSON."""
    try:
        # the C loader when PyYAML has it: a several-MB spec (Stripe's) loads in a second, not ten
        spec = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise SettingsError("OpenAPI document", [f"not valid YAML or JSON: {exc}"]) from exc
    if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3"):
        raise SettingsError("OpenAPI document", ["not an OpenAPI 3 document (no 'openapi: 3.x' field)"])
    actions: list[dict[str, Any]] = []
    names: set[str] = set()
    for path, item in (spec.get("paths") or {}).items():
        item = _resolve(item, spec)
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            name = _slug(op.get("operationId") or f"{method}_{path}")
            while name in names:
                name += "_2"
            names.add(name)
            properties: dict[str, Any] = {}
            required: list[str] = []
            query: list[str] = []
            for p in [*shared, *op.get("parameters", [])]:
                if p.get("in") not in ("path", "query"):
                    continue
                properties[p["name"]] = _schema({**p.get("schema", {"type": "string"}),
                                                 **({"description": p["description"]} if p.get("description") else {})})
                if p.get("required") or p.get("in") == "path":
                    required.append(p["name"])
                if p.get("in") == "query":
                    query.append(p["name"])
            body_template = None
            content = (op.get("requestBody") or {}).get("content", {})
            encoding = "json"
            body_schema = (content.get("application/json") or {}).get("schema")
            for media, kind in (("application/x-www-form-urlencoded", "form"), ("multipart/form-data", "multipart")):
                if body_schema is None and (content.get(media) or {}).get("schema"):
                    body_schema, encoding = content[media]["schema"], kind
            if body_schema:
                body_props = body_schema.get("properties", {})
                for prop, prop_schema in body_props.items():
                    properties.setdefault(prop, _schema(prop_schema))
                required += [r for r in body_schema.get("required", []) if r not in required]
                body_template = {prop: "{" + prop + "}" for prop in body_props}
            url = "{base_url}" + path
            request: dict[str, Any] = {"method": method.upper(), "url": url}
            if query:  # unset ones are left out when the request is sent, never "?limit="
                request["query"] = {q: "{" + q + "}" for q in query}
            if encoding != "json":
                request["encoding"] = encoding
            headers = _security_headers(spec, op)
            if headers:
                request["headers"] = headers
            if body_template is not None:
                request["body"] = body_template
            schema: dict[str, Any] = {"type": "object", "properties": properties}
            if required:
                schema["required"] = required
            risk = risk_of(method, path, op)
            title = op.get("summary") or name.replace("_", " ").capitalize()
            actions.append({
                "name": name, "title": title,
                "description": (op.get("description") or op.get("summary") or f"{method.upper()} {path}").strip(),
                "risk": risk, "auto_run": False, "propose_for": [], "why": "",
                "parameters": schema, "request": request,
                "result": f"{title}: done",
            })
    if not actions:
        raise SettingsError("OpenAPI document", ["no operations found under 'paths'"])
    return {"actions": actions}

"""Turn OpenAPI 3 operations into catalog entries for the user to review.

Path and query parameters and a request body (JSON, form or multipart) become one JSON Schema object;
``$ref`` is resolved with ``referencing`` (recursive schemas cut where they refer back to themselves);
security schemes become headers reading secrets from the keyring (a bearer token or API-key header when the
spec offers one, else HTTP Basic as base64 of two secrets). Risk is a first guess from the method and the
operation's words (GET read-only; DELETE, money that moves, messages/calls/emails sent, cancellations
irreversible; others reversible) and nothing is ``auto_run``: the user reviews every entry before using it,
including how ownership of each id is proved. Measured on the real Stripe (3 MB, 355 operations, 0.1 s),
Twilio and Adyen specs.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from assist.actions.catalog import names_an_entity
from assist.errors import SettingsError

METHODS = ("get", "post", "put", "patch", "delete")
# What can't be taken back once it ran, whatever the HTTP method: money that moves (refunds, payouts,
# transfers, charges, credit notes, balance adjustments, donations), anything sent to a third party (a
# message, a call, an email, an invoice sent), and what deletes, cancels, voids or closes. Matched on the
# words of the operation id, summary and path ("createMessage", "/Calls.json", "/v1/credit_notes").
_IRREVERSIBLE = frozenset(
    "refund refunds payout payouts transfer transfers charge charges capture void cancel cancels cancellation "
    "delete destroy close terminate revoke purge erase wipe pay payment payments send sends message messages sms "
    "mms call calls email emails mail notify notification notifications donation donations donate credit "
    "credits balance fax faxes dispute disputes reverse reversal reversals withdraw withdrawal".split())
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def risk_of(method: str, path: str, op: dict[str, Any]) -> str:
    """read-only for GET; irreversible for DELETE and for what the operation's words say can't be undone;
    the rest reversible. A first guess for the lead to review (each entry's ``risk`` is theirs to change)."""
    if method == "get":
        return "read-only"
    text = " ".join(str(op.get(k, "")) for k in ("operationId", "summary")) + " " + path
    words = {w.lower() for w in _WORDS.findall(text)}
    return "irreversible" if method == "delete" or words & _IRREVERSIBLE else "reversible"


def ownership_to_review(data: dict[str, Any]) -> list[str]:
    """Parameters that name a customer's entity (ids, emails): each needs an [ownership] rule."""
    names: dict[str, None] = {}
    for action in data.get("actions", []):
        for prop in action["parameters"].get("properties", {}):
            if names_an_entity(prop):
                names.setdefault(prop, None)
    return list(names)


MAX_NESTING = 200  # dicts and lists deep (a hostile spec nests 5,000 deep); real specs stay under 40
MAX_REFS = 12  # $ref hops on one path: deep enough for every real schema, and a cycle stops at its first return


class _Refs:
    """``$ref`` resolution by ``referencing`` (JSON Pointer with its escapes, the JSON Schema way). Only
    reference hops count toward a limit and a schema that refers back to itself is cut where it returns, so
    deep schemas keep every level and recursive ones (Stripe's charge -> customer -> charge) end."""

    def __init__(self, spec: dict[str, Any]) -> None:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.resolver = Registry().with_resource("urn:assist:spec", resource).resolver(base_uri="urn:assist:spec")

    def follow(self, node: Any) -> Any:
        """A node that is itself a reference (a path item in another part of the spec), followed."""
        for _ in range(MAX_REFS):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#"):
                return node
            try:
                node = self.resolver.lookup(ref).contents
            except Exception:  # noqa: BLE001 - a dangling pointer: nothing there
                return {}
        return {}

    def resolve(self, node: Any, seen: tuple[str, ...] = (), depth: int = 0) -> Any:
        if depth > MAX_NESTING:
            return {}
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if not ref.startswith("#") or ref in seen or len(seen) >= MAX_REFS:
                    return {}  # elsewhere (not fetched), or recursion: any value
                try:
                    target = self.resolver.lookup(ref).contents
                except Exception:  # noqa: BLE001 - a dangling pointer: any value, the import goes on
                    return {}
                return self.resolve(target, (*seen, ref), depth + 1)
            return {k: self.resolve(v, seen, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, seen, depth + 1) for v in node]
        return node


def _slug(text: str) -> str:
    """createRefund -> create_refund; "post /orders/{id}" -> post_orders_id."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "action"


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Keep the JSON Schema keywords that matter for a form and validation."""
    keep = ("type", "enum", "const", "format", "pattern", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "items", "properties",
            "additionalProperties", "required", "anyOf", "oneOf", "allOf", "title", "description", "default")
    out = {k: v for k, v in schema.items() if k in keep}
    if schema.get("nullable"):
        out["type"] = [out.get("type", "string"), "null"]
    return out


# When an operation accepts several schemes, the one that sends a single secret as it is wins: a bearer
# token, then an API-key header, then OAuth2 (a bearer token too), and HTTP Basic last (two secrets).
_PREFERENCE = ("bearer", "apikey", "oauth2", "basic")


def _scheme_kind(scheme: dict[str, Any]) -> str:
    kind = str(scheme.get("type", "")).lower()
    if kind == "http":
        return str(scheme.get("scheme", "")).lower()
    if kind == "apikey" and scheme.get("in") == "header":
        return "apikey"
    return kind


def _security_headers(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, str]:
    """Headers for the operation's security, as the spec declares it: Basic is base64 of the two secrets
    ``NAME_username:NAME_password`` (``{basic:...}``, filled when the action runs), never a raw secret."""
    schemes = spec.get("components", {}).get("securitySchemes", {}) or {}
    requirements = op.get("security", spec.get("security", [])) or []
    offered = [(name, schemes.get(name) or {}) for req in requirements if isinstance(req, dict) for name in req]
    usable = [(name, sc) for name, sc in offered if _scheme_kind(sc) in _PREFERENCE]
    if not usable:
        return {}
    name, scheme = min(usable, key=lambda item: _PREFERENCE.index(_scheme_kind(item[1])))
    kind, slug = _scheme_kind(scheme), _slug(name)
    if kind in ("bearer", "oauth2"):
        return {"Authorization": "Bearer {secret:" + slug + "}"}
    if kind == "apikey":
        return {str(scheme.get("name") or "X-API-Key"): "{secret:" + slug + "}"}
    return {"Authorization": "Basic {basic:" + slug + "_username:" + slug + "_password}"}


def _load(text: str) -> Any:
    """JSON with the JSON parser (YAML's refuses escapes JSON allows: Twilio's spec), else YAML."""
    import json

    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML's error says where
    # the C loader when PyYAML has it: a several-MB YAML spec loads in a second, not ten
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def import_openapi(text: str) -> dict[str, Any]:
    """Catalog data (``{"actions": [...]}``) from an OpenAPI 3 document in YAML or JSON."""
    try:
        spec = _load(text)
    except (yaml.YAMLError, RecursionError) as exc:
        raise SettingsError("OpenAPI document", [f"not valid YAML or JSON: {str(exc)[:300]}"]) from exc
    if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3"):
        raise SettingsError("OpenAPI document", ["not an OpenAPI 3 document (no 'openapi: 3.x' field)"])
    refs = _Refs(spec)
    actions: list[dict[str, Any]] = []
    names: set[str] = set()
    for path, raw_item in (spec.get("paths") or {}).items():
        raw_item = refs.follow(raw_item)
        if not isinstance(raw_item, dict):
            continue
        # only what an action needs is resolved (parameters and the request body), never the responses
        item = {k: refs.resolve(v) if k == "parameters" else v for k, v in raw_item.items()}
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            op = {k: refs.resolve(v) if k in ("parameters", "requestBody") else v for k, v in op.items()}
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

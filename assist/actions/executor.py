"""Run an approved action: validate against schema and policy, fill the request template, send it.

Nothing here decides *whether* to run: ``assist.actions.service`` only calls ``execute`` for an
approval recorded in the journal, with that approval's idempotency key. Retries happen only where
safe: reads, and writes that carry the idempotency key, on connection errors, timeouts and
502/503/504; never on other errors.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from assist.actions.catalog import Action, Catalog, names_an_entity
from assist.errors import ActionFailedError, ActionRejectedError
from assist.net import describe, make_client
from assist.text import money

_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][\w.:-]*)\}")
_RETRY_STATUSES = {502, 503, 504}


@dataclass(frozen=True, slots=True)
class ActionResult:
    summary: str
    data: dict[str, Any]
    status: int
    customer_text: str = ""


class _Retryable(Exception):
    def __init__(self, error: ActionFailedError) -> None:
        self.error = error


def validate(action: Action, params: dict[str, Any]) -> None:
    """Raise ActionRejectedError naming the first schema rule the parameters break."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        action.parameters, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.path) or "parameters"
        raise ActionRejectedError(f"{action.title}: {where} is invalid ({err.validator} rule): {err.message}")


def _query(template: dict[str, str], values: dict[str, Any]) -> list[tuple[str, str]]:
    """Query parameters from the template; unset ones left out, lists repeated (form, explode)."""
    out: list[tuple[str, str]] = []
    for key, value in template.items():
        whole = _PLACEHOLDER.fullmatch(value)
        got = _lookup(whole.group(1), values) if whole else value
        if got is None or got == "":
            continue
        for item in got if isinstance(got, list) else [got]:
            out.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
    return out


def _drop_empty_query(url: str) -> str:
    """'…/refunds?dryRun=&limit=10' -> '…/refunds?limit=10' (catalogs that put the query in the url)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if v != ""]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _form(body: dict[str, Any]) -> list[tuple[str, str]]:
    """A body for application/x-www-form-urlencoded: nested objects as a[b]=…, lists as a[]=… ."""
    out: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}[{k}]" if prefix else str(k), v)
        elif isinstance(value, list):
            for v in value:
                walk(f"{prefix}[]", v)
        elif value is not None:
            out.append((prefix, str(value).lower() if isinstance(value, bool) else str(value)))

    walk("", body)
    return out


def _lookup(path: str, data: dict[str, Any]) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def fill(template: str, values: dict[str, Any], secret: Callable[[str], str | None], *, url: bool = False) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key.startswith("secret:"):
            value = secret(key[7:])
            if not value:
                raise ActionRejectedError(f"The secret '{key[7:]}' is not set. Add it in Settings.")
            return value
        if key.startswith("basic:"):  # HTTP Basic as the spec defines it: base64 of "username:password"
            import base64

            user_name, _, password_name = key[6:].partition(":")
            user, password = secret(user_name), secret(password_name) if password_name else ""
            if not user:
                raise ActionRejectedError(f"The secret '{user_name}' is not set. Add it in Settings.")
            return base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
        value = _lookup(key, values)
        if value is None:
            return m.group(0) if not url else ""
        text = str(value)
        return quote(text, safe="@") if url and key != "base_url" else text

    return _PLACEHOLDER.sub(sub, template)


_UNSET = object()


def fill_body(body: Any, values: dict[str, Any], secret: Callable[[str], str | None]) -> Any:
    """The body template filled in; a key whose whole value is an unset parameter is left out
    (an optional field the agent left empty is not sent as null)."""
    if isinstance(body, dict):
        out = {}
        for k, v in body.items():
            whole = _PLACEHOLDER.fullmatch(v) if isinstance(v, str) else None
            if whole and not whole.group(1).startswith("secret:") and _lookup(whole.group(1), values) is None:
                continue
            out[k] = fill_body(v, values, secret)
        return out
    if isinstance(body, list):
        return [fill_body(v, values, secret) for v in body]
    if isinstance(body, str):
        whole = _PLACEHOLDER.fullmatch(body)
        if whole and not whole.group(1).startswith("secret:"):
            return _lookup(whole.group(1), values)  # keeps numbers numbers
        return fill(body, values, secret)
    return body


def render(template: str, values: dict[str, Any], missing: str = "?") -> str:
    """Fill a result template; ``{amount:money}`` formats with the ``currency`` in ``values``."""

    def sub(m: re.Match[str]) -> str:
        key, _, fmt = m.group(1).partition(":")
        value = _lookup(key, values)
        if value is None or value == "":
            return missing
        if fmt == "money":
            return money(value, values.get("currency", ""))
        return str(value)

    return _PLACEHOLDER.sub(sub, template)


def summarise(action: Action, params: dict[str, Any], data: dict[str, Any]) -> str:
    """The result for the agent. The template's " · " parts whose values are all missing ("{carrier}
    {tracking_number}" of an unshipped order, "ships to {shipping_address}" without one) are left out."""
    values = {**params, **data}
    kept = []
    for part in action.result.split(" · "):
        keys = [m.group(1).partition(":")[0] for m in _PLACEHOLDER.finditer(part)]
        if keys and all(_lookup(k, values) in (None, "") for k in keys):
            continue
        kept.append(" ".join(render(part, values, missing="").split()))
    return " · ".join(p for p in kept if p)


def customer_wording(action: Action, params: dict[str, Any], data: dict[str, Any]) -> str:
    """The result in words for the customer's reply; '' when the catalog gives none or a value is missing."""
    if not action.customer_result:
        return ""
    text = render(action.customer_result, {**params, **data}, missing="\0")
    return "" if "\0" in text else text


class Executor:
    def __init__(
        self,
        catalog: Catalog,
        base_url: str,
        secret: Callable[[str], str | None],
        client: httpx.AsyncClient | None = None,
        *,
        timeout: httpx.Timeout | None = None,
        attempts: int = 3,
        backoff: float = 0.2,
    ) -> None:
        self.catalog = catalog
        self.base_url = base_url.rstrip("/")
        self._secret = secret
        self._client = client  # None: one long-lived client, made on first use (off the event loop)
        self._owns_client = client is None
        self._client_lock = asyncio.Lock()
        self._timeout = timeout or httpx.Timeout(10.0, connect=3.0)
        self._attempts = attempts
        self._backoff = backoff

    async def client(self) -> httpx.AsyncClient:
        """The executor's one client, reused across requests. Building it loads the CA bundle (tens of
        milliseconds), so that happens once, on a worker thread, never per request on the UI thread."""
        async with self._client_lock:
            if self._client is None:
                timeout = self._timeout
                # No keep-alive: approvals are minutes apart, and a session closed without a loop (sync
                # close) must leave no socket behind. The SSL context, the costly part, is kept.
                seconds = timeout.read or 10.0
                self._client = await asyncio.to_thread(make_client, seconds, keepalive=False)
            return self._client

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _read(self, lookup: Action, args: dict[str, Any], seen: dict[str, ActionResult] | None) -> ActionResult:
        """A read-only lookup, done once per approval: ownership, policy facts and an auto-run lookup of the
        same order share one request instead of three."""
        key = f"{lookup.name}:{sorted(args.items())!r}"
        if seen is not None and key in seen:
            return seen[key]
        result = await self.send(lookup, args, idempotency_key=None)
        if seen is not None:
            seen[key] = result
        return result

    async def facts(self, action: Action, params: dict[str, Any],
                    seen: dict[str, ActionResult] | None = None) -> dict[str, Any]:
        """Data the policy needs ("order.*"), fetched with the catalog's read-only lookup."""
        needed = {p.field.split(".")[0] for p in action.policy if "." in p.field}
        facts: dict[str, Any] = {}
        for kind in needed:
            lookup = self.catalog.get(self.catalog.facts.get(kind, ""))
            if lookup is None:
                raise ActionRejectedError(f"{action.title}: no lookup is configured for '{kind}' facts.")
            args = {k: params[k] for k in lookup.parameters.get("properties", {}) if k in params}
            facts[kind] = (await self._read(lookup, args, seen)).data
        return facts

    async def check_policy(self, action: Action, params: dict[str, Any],
                           seen: dict[str, ActionResult] | None = None) -> None:
        validate(action, params)
        if not action.policy:
            return
        facts = await self.facts(action, params, seen)
        values = {**facts, **params}
        for p in action.policy:
            message = fill(p.message, values, lambda _n: "")
            if p.rule == "at_most" and p.value is not None and float(params.get(p.param, 0)) > p.value:
                raise ActionRejectedError(f"{action.title} refused by policy ({p.rule}): {message}")
            if p.rule == "amount_at_most":
                limit = _lookup(p.field, values)
                if limit is None or float(params.get(p.param, 0)) > float(limit) + 1e-9:
                    raise ActionRejectedError(f"{action.title} refused by policy ({p.rule}): {message}")
            if p.rule == "field_in" and str(_lookup(p.field, values)) not in p.values:
                raise ActionRejectedError(f"{action.title} refused by policy ({p.rule}): {message}")

    async def send(
        self, action: Action, params: dict[str, Any], *, idempotency_key: str | None
    ) -> ActionResult:
        values = {**params, "base_url": self.base_url}
        req = action.request
        url = _drop_empty_query(fill(req.url, values, self._secret, url=True))
        query = _query(req.query, values)
        headers = {k: fill(v, values, self._secret) for k, v in req.headers.items()}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        body = fill_body(req.body, values, self._secret) if req.body is not None else None
        send: dict[str, Any] = {"params": query or None}
        if body is not None and req.encoding == "form":
            form: dict[str, list[str]] = {}
            for key, value in _form(body):
                form.setdefault(key, []).append(value)
            send["data"] = form
        elif body is not None and req.encoding == "multipart":
            send["files"] = {k: (None, str(v)) for k, v in _form(body)}
        elif body is not None:
            send["json"] = body
        safe = req.method == "GET" or bool(idempotency_key)

        async def attempt() -> ActionResult:
            try:
                client = await self.client()
                resp = await client.request(req.method, url, headers=headers, **send)
            except httpx.TimeoutException as exc:
                err = ActionFailedError(f"{action.title} timed out: the service did not answer in time.")
                raise (_Retryable(err) if safe else err) from exc
            except httpx.HTTPError as exc:
                err = ActionFailedError(f"{action.title} failed: {describe(exc, 'the actions service', url)}")
                raise (_Retryable(err) if safe else err) from exc
            try:
                data = resp.json() if resp.content else {}
            except ValueError:
                data = {}
            if not isinstance(data, dict):
                data = {"value": data}
            if resp.is_success:
                return ActionResult(summarise(action, params, data), data, resp.status_code,
                                    customer_wording(action, params, data))
            detail = _lookup("error.message", data) or resp.reason_phrase
            if resp.status_code in (401, 403):
                raise ActionFailedError(f"{action.title} failed: the service rejected the token "
                                        f"({resp.status_code}). Update it in Settings.")
            if resp.status_code in (400, 404, 409, 422):
                raise ActionRejectedError(f"{action.title} refused by the service ({resp.status_code}): {detail}")
            err = ActionFailedError(f"{action.title} failed: the service answered {resp.status_code} ({detail}).")
            if resp.status_code in _RETRY_STATUSES and safe:
                raise _Retryable(err)
            raise err

        try:
            async for retry in AsyncRetrying(
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential(multiplier=self._backoff, max=2),
                retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
                reraise=True,
            ):
                with retry:
                    return await attempt()
        except _Retryable as exc:
            raise exc.error from exc
        raise AssertionError("unreachable")

    async def check_ownership(self, action: Action, params: dict[str, Any], requester: str,
                              seen: dict[str, ActionResult] | None = None) -> None:
        """Refuse unless every parameter with an ownership rule names something the requester owns.

        The proof comes from the catalog's own lookups (the actions backend is the authority), so a
        customer who writes someone else's order number into a ticket gets nothing done to it.
        """
        who = requester.strip().lower()
        for name, value in params.items():
            rule = self.catalog.ownership.get(name)
            if value in (None, ""):
                continue
            if rule is None:
                if names_an_entity(name):
                    raise ActionRejectedError(
                        f"{action.title} refused: the catalog has no [ownership] rule for {name}, so Assist can't "
                        "prove it belongs to this ticket's requester. Add one to the workspace's actions.toml.")
                continue
            if not who:
                raise ActionRejectedError(f"{action.title}: the ticket has no requester to check {name} against.")
            if rule.requester:
                owner = str(value)
            else:
                lookup = self.catalog.get(rule.lookup)
                assert lookup is not None  # checked when the catalog was loaded
                try:
                    found = await self._read(lookup, {name: value}, seen)
                except ActionRejectedError as exc:
                    raise ActionRejectedError(f"{action.title}: {value} could not be checked ({exc}).") from exc
                owner = str(_lookup(rule.field, found.data) or "")
            if owner.strip().lower() != who:
                raise ActionRejectedError(
                    f"{action.title} refused: {value} does not belong to this ticket's requester ({requester}). "
                    "Nothing was done.")

    async def execute(self, action: Action, params: dict[str, Any], idempotency_key: str, *,
                      requester: str, check_policy: bool = True) -> ActionResult:
        """Validate, prove ownership, check policy, then send. ``requester`` is the ticket's requester."""
        validate(action, params)
        seen: dict[str, ActionResult] = {}
        await self.check_ownership(action, params, requester, seen)
        if check_policy:
            await self.check_policy(action, params, seen)
        if action.read_only:  # the lookup that proved ownership may be this very action
            return await self._read(action, params, seen)
        return await self.send(action, params, idempotency_key=idempotency_key)

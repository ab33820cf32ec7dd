"""Any in-house customer API that answers JSON, mapped by config: a URL template with ``{email}`` and
dotted paths for name, plan, tier, lifetime value, company and the list of orders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from assist.domain import Customer, CustomerId, Order
from assist.net.connector import HttpConnector
from assist.settings import CRMSettings


def path_get(data: Any, path: str, default: Any = None) -> Any:
    """'a.b.0.c' into nested dicts and lists."""
    if not path:
        return default
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return default
    return node


def _dt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class HttpJsonCRM(HttpConnector):
    service = "the CRM"
    name = "CRM (HTTP JSON)"

    def __init__(self, cfg: CRMSettings, token: str | None, *, client: httpx.AsyncClient | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        super().__init__("", client=client, timeout=cfg.timeout_s, headers=headers)
        self.cfg = cfg

    async def get_customer(self, email: str) -> Customer | None:
        url = self.cfg.url.replace("{email}", quote(email, safe="@"))
        resp = await self.request("GET", url, absolute=True, allow=(404,))
        if resp.status_code == 404:
            return None  # the CRM doesn't know this requester
        data = self.parse(resp)
        if not data:
            return None
        c = self.cfg
        f = c.order_fields
        orders = []
        for o in path_get(data, c.orders_path, []) or []:
            orders.append(Order(
                id=str(path_get(o, f.get("id", "id"), "")),
                placed_at=_dt(path_get(o, f.get("placed_at", ""))) or datetime.fromtimestamp(0, UTC),
                status=str(path_get(o, f.get("status", "status"), "")),
                total=_num(path_get(o, f.get("total", "total"))),
                currency=str(path_get(o, f.get("currency", ""), "USD")),
                carrier=str(path_get(o, f.get("carrier", ""), "") or ""),
                tracking_number=str(path_get(o, f.get("tracking_number", ""), "") or "")))
        return Customer(
            id=CustomerId(email), name=str(path_get(data, c.name_path, email)), email=email,
            plan=str(path_get(data, c.plan_path, "") or ""), tier=str(path_get(data, c.tier_path, "") or ""),
            lifetime_value=_num(path_get(data, c.value_path)), company=str(path_get(data, c.company_path, "") or ""),
            orders=tuple(orders))

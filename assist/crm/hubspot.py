"""HubSpot CRM v3 (private-app token): the contact by email, its company, its deals as orders and the
plan from a contact property. Shaped from HubSpot's published CRM v3 API reference (objects search,
associations, batch read)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from assist.crm.http_json import _dt, _num
from assist.domain import Customer, CustomerId, Order
from assist.net.connector import HttpConnector, field
from assist.settings import CRMSettings


class HubSpotCRM(HttpConnector):
    service = "HubSpot"
    name = "HubSpot"

    def __init__(self, cfg: CRMSettings, token: str, *, client: httpx.AsyncClient | None = None) -> None:
        super().__init__(cfg.url or "https://api.hubapi.com", client=client, timeout=cfg.timeout_s,
                         headers={"Authorization": f"Bearer {token}"})
        self.cfg = cfg

    async def _associated(self, contact_id: str, kind: str) -> list[str]:
        data = await self.get_json(f"/crm/v3/objects/contacts/{contact_id}/associations/{kind}")
        return [str(r.get("id") or r.get("toObjectId")) for r in field(data, "results", default=[]) or []
                if isinstance(r, dict)]

    async def get_customer(self, email: str) -> Customer | None:
        props = ["email", "firstname", "lastname", "company", self.cfg.plan_property, "hs_lead_status",
                 "total_revenue", "createdate"]
        resp = await self.request("POST", "/crm/v3/objects/contacts/search", json={
            "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}],
            "properties": props, "limit": 1})
        results = field(self.parse(resp), "results", default=[]) or []
        if not results:
            return None
        contact = results[0]
        p: dict[str, Any] = contact.get("properties") or {}
        company = p.get("company") or ""
        companies = await self._associated(str(contact["id"]), "companies")
        if companies:
            comp = await self.get_json(f"/crm/v3/objects/companies/{companies[0]}", )
            company = field(comp, "properties", "name", default=company) or company
        orders = []
        deals = await self._associated(str(contact["id"]), "deals")
        if deals:
            batch = await self.request("POST", "/crm/v3/objects/deals/batch/read", json={
                "properties": ["dealname", "amount", "dealstage", "closedate", "deal_currency_code"],
                "inputs": [{"id": d} for d in deals[:20]]})
            for d in field(self.parse(batch), "results", default=[]) or []:
                dp = d.get("properties") or {}
                orders.append(Order(
                    id=str(dp.get("dealname") or d.get("id")), placed_at=_dt(dp.get("closedate")) or
                    datetime.fromtimestamp(0, UTC), status=str(dp.get("dealstage") or ""), total=_num(dp.get("amount")),
                    currency=str(dp.get("deal_currency_code") or "USD")))
        name = " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x) or email
        return Customer(
            id=CustomerId(str(contact["id"])), name=name, email=email, plan=str(p.get(self.cfg.plan_property) or ""),
            tier=str(p.get("hs_lead_status") or ""), lifetime_value=_num(p.get("total_revenue")), company=company,
            customer_since=_dt(p.get("createdate")), orders=tuple(orders))

    async def test_connection(self) -> str:
        await self.get_json("/crm/v3/objects/contacts", params={"limit": 1})
        return "Connected to HubSpot."

"""Customer context cached per requester for a short time, refreshable (F5 clears it)."""

from __future__ import annotations

import time

from assist.crm.base import CRM
from assist.domain import Customer


class CachedCRM:
    def __init__(self, inner: CRM, ttl_s: float) -> None:
        self.inner = inner
        self.ttl_s = ttl_s
        self.name = inner.name
        self._cache: dict[str, tuple[float, Customer | None]] = {}

    async def get_customer(self, email: str) -> Customer | None:
        key = email.lower()
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        customer = await self.inner.get_customer(email)
        self._cache[key] = (time.monotonic(), customer)
        return customer

    def invalidate(self, email: str | None = None) -> None:
        if email is None:
            self._cache.clear()
        else:
            self._cache.pop(email.lower(), None)

    async def aclose(self) -> None:
        await self.inner.aclose()

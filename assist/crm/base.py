"""The ``CRM`` protocol: who the requester is, their plan, orders and past tickets."""

from __future__ import annotations

from typing import Protocol

from assist.domain import Customer


class CRM(Protocol):
    name: str

    async def get_customer(self, email: str) -> Customer | None:
        """The customer with this email, or None when the CRM doesn't know them."""
        ...

    async def aclose(self) -> None: ...

"""ActionService: propose, edit, approve, dismiss, reconcile; the one place actions are run.

An action runs only after an approval recorded in the journal, with that approval's idempotency key,
and only on what belongs to the ticket's requester (proved by the catalog's ownership rules in the
executor). Irreversible actions need ``confirmed=True``: the second click is enforced here, not in a
view. A run cut off by a crash is found on the next start and either re-sent with the same key (where
the catalog says the service honours it) or shown as "outcome unknown" for the agent to check.
"""

from __future__ import annotations

import logging
from typing import Any

from assist.actions.catalog import Catalog
from assist.actions.executor import Executor, validate
from assist.actions.proposals import bind_to_requester, model_proposals, rule_proposals
from assist.actions.store import ProposalStore
from assist.domain import ActionProposal, AuditEvent, ProposalStatus, Route, TicketContext, TicketId
from assist.errors import ActionFailedError, ActionRejectedError, AssistError
from assist.settings import ModelTier

log = logging.getLogger(__name__)

AUTO = "auto (read-only)"
RECONCILE = "restart check"


class ActionService:
    def __init__(self, catalog: Catalog, executor: Executor, store: ProposalStore) -> None:
        self.catalog = catalog
        self.executor = executor
        self.store = store

    async def propose(
        self, ctx: TicketContext, route: Route, agent: str, model: ModelTier | None = None,
        api_key: str | None = None, redact: bool = True, intent_actions: tuple[str, ...] = (),
    ) -> list[ActionProposal]:
        """Proposals for a ticket, made once; read-only ones marked auto_run run straight away.
        ``intent_actions``: what the workspace's taxonomy lets the ticket's intent propose."""
        existing = await self.store.for_ticket(ctx.ticket.id)
        if existing:
            return existing
        proposals: list[ActionProposal] = []
        if model is not None and model.model:
            try:
                proposals = await model_proposals(self.catalog, ctx.ticket, ctx.customer, route, model, api_key,
                                                  redact=redact)
            except AssistError as exc:  # the model is an optimisation here: the rules always answer
                log.warning("Model proposals failed, using the rules: %s", exc)
                proposals = []
            proposals = bind_to_requester(self.catalog, proposals, ctx.ticket, ctx.customer)
        if not proposals:
            proposals = rule_proposals(self.catalog, ctx.ticket, ctx.customer, route, intent_actions)
        await self.store.add(proposals, agent)
        for p in proposals:
            action = self.catalog.get(p.action)
            if (action is not None and action.auto_run and action.read_only and p.status is ProposalStatus.PROPOSED
                    and self._valid(p)):
                await self.approve(p.id, AUTO)
        return await self.store.for_ticket(ctx.ticket.id)

    def _valid(self, p: ActionProposal) -> bool:
        action = self.catalog.get(p.action)
        try:
            if action is None:
                return False
            validate(action, dict(p.params))
            return True
        except ActionRejectedError:
            return False

    def check(self, proposal: ActionProposal, params: dict[str, Any]) -> str:
        """'' when the parameters fit the schema, else the message naming the broken rule."""
        action = self.catalog.get(proposal.action)
        if action is None:
            return f"The action {proposal.action!r} is no longer in the catalog."
        try:
            validate(action, params)
        except ActionRejectedError as exc:
            return str(exc)
        return ""

    async def edit(self, proposal_id: str, params: dict[str, Any], agent: str) -> ActionProposal:
        return await self.store.edit(proposal_id, params, agent)

    async def approve(self, proposal_id: str, agent: str, *, confirmed: bool = False) -> ActionProposal:
        """Run once per approval. A second approval of a running or finished proposal does nothing.

        Raises ActionRejectedError for a blocked proposal (someone else's order, account...) and for an
        irreversible action approved without ``confirmed``.
        """
        before = await self.store.get(proposal_id)
        action = self.catalog.get(before.action)
        if before.status is ProposalStatus.BLOCKED:
            raise ActionRejectedError(before.error or f"{before.title} can't run for this ticket.")
        if action is not None and action.risk == "irreversible" and not confirmed:
            raise ActionRejectedError(f"{action.title} can't be undone: confirm it to run it.")
        # Retrying a failed or interrupted run re-sends the *same* request with the same key: the
        # service replays it if it got through. Policy was checked when it was first approved, and
        # checking again would see the effect of the lost answer (nothing left to refund) and refuse.
        retry = before.status in (ProposalStatus.FAILED, ProposalStatus.UNKNOWN) and bool(before.idempotency_key)
        event = "auto-run" if agent == AUTO else ("retried" if retry else "approved")
        started = await self.store.begin_run(proposal_id, agent, event)
        if started is None:
            return await self.store.get(proposal_id)
        try:
            if action is None:
                raise ActionRejectedError(f"The action {started.action!r} is no longer in the catalog.")
            result = await self.executor.execute(action, dict(started.params), started.idempotency_key,
                                                 requester=started.requester, check_policy=not retry)
        except ActionRejectedError as exc:
            return await self.store.finish(proposal_id, ProposalStatus.REJECTED, str(exc), agent)
        except (ActionFailedError, AssistError) as exc:
            return await self.store.finish(proposal_id, ProposalStatus.FAILED, str(exc), agent)
        except BaseException:
            # cancelled mid-flight: the request may have reached the service; never "running" forever
            await self.store.finish(proposal_id, ProposalStatus.UNKNOWN,
                                    "Interrupted before an answer came back: check the outcome, then retry or "
                                    "dismiss.", agent)
            raise
        return await self.store.finish(proposal_id, ProposalStatus.SUCCEEDED, result.summary, agent,
                                       result.customer_text)

    async def reconcile(self) -> list[ActionProposal]:
        """After a crash: re-send runs the catalog says are safe to repeat, mark the rest 'outcome unknown'."""
        out = []
        for p in await self.store.running():
            reset = await self.store.reset_running(p.id, RECONCILE)
            if reset is None:
                continue
            action = self.catalog.get(p.action)
            if action is not None and action.retry_safe and reset.idempotency_key:
                out.append(await self.approve(p.id, RECONCILE, confirmed=True))
            else:
                out.append(reset)
        return out

    async def dismiss(self, proposal_id: str, agent: str) -> ActionProposal:
        return await self.store.dismiss(proposal_id, agent) or await self.store.get(proposal_id)

    async def history(self, ticket_id: TicketId) -> list[AuditEvent]:
        return await self.store.audit(ticket_id)

"""ActionService: propose, edit, approve, dismiss; the one place actions are run, always after an
approval recorded in the journal, and always with that approval's idempotency key."""

from __future__ import annotations

from typing import Any

from assist.actions.catalog import Catalog
from assist.actions.executor import Executor, validate
from assist.actions.proposals import model_proposals, rule_proposals
from assist.actions.store import ProposalStore
from assist.domain import ActionProposal, AuditEvent, ProposalStatus, Route, TicketContext, TicketId
from assist.errors import ActionFailedError, ActionRejectedError, AssistError
from assist.settings import ModelTier

AUTO = "auto (read-only)"


class ActionService:
    def __init__(self, catalog: Catalog, executor: Executor, store: ProposalStore) -> None:
        self.catalog = catalog
        self.executor = executor
        self.store = store

    async def propose(
        self, ctx: TicketContext, route: Route, agent: str, model: ModelTier | None = None,
        api_key: str | None = None,
    ) -> list[ActionProposal]:
        """Proposals for a ticket, made once; read-only ones marked auto_run run straight away."""
        existing = await self.store.for_ticket(ctx.ticket.id)
        if existing:
            return existing
        proposals: list[ActionProposal] = []
        if model is not None and model.model:
            try:
                proposals = await model_proposals(self.catalog, ctx.ticket, ctx.customer, route, model, api_key)
            except Exception:  # the model is an optimisation here: the rules always answer
                proposals = []
        if not proposals:
            proposals = rule_proposals(self.catalog, ctx.ticket, ctx.customer, route)
        await self.store.add(proposals, agent)
        for p in proposals:
            action = self.catalog.get(p.action)
            if action is not None and action.auto_run and action.read_only and self._valid(p):
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

    async def approve(self, proposal_id: str, agent: str) -> ActionProposal:
        """Run once per approval. A second approval of a running or finished proposal does nothing."""
        before = await self.store.get(proposal_id)
        # Retrying a failed run re-sends the *same* request with the same key: the service replays
        # it if it got through. Policy was checked when it was first approved, and checking again
        # would see the effect of the lost answer (e.g. nothing left to refund) and refuse wrongly.
        retry = before.status is ProposalStatus.FAILED and bool(before.idempotency_key)
        started = await self.store.begin_run(
            proposal_id, agent, "auto-run" if agent == AUTO else ("retried" if retry else "approved"))
        if started is None:
            return await self.store.get(proposal_id)
        action = self.catalog.get(started.action)
        try:
            if action is None:
                raise ActionRejectedError(f"The action {started.action!r} is no longer in the catalog.")
            result = await self.executor.execute(action, dict(started.params), started.idempotency_key,
                                                 check_policy=not retry)
        except ActionRejectedError as exc:
            return await self.store.finish(proposal_id, ProposalStatus.REJECTED, str(exc), agent)
        except (ActionFailedError, AssistError) as exc:
            return await self.store.finish(proposal_id, ProposalStatus.FAILED, str(exc), agent)
        except BaseException:
            # cancelled or crashed mid-flight: leave it retryable (same key), never "running" forever
            await self.store.finish(proposal_id, ProposalStatus.FAILED, "Interrupted before an answer came back.",
                                    agent)
            raise
        return await self.store.finish(proposal_id, ProposalStatus.SUCCEEDED, result.summary, agent)

    async def dismiss(self, proposal_id: str, agent: str) -> ActionProposal:
        return await self.store.dismiss(proposal_id, agent) or await self.store.get(proposal_id)

    async def history(self, ticket_id: TicketId) -> list[AuditEvent]:
        return await self.store.audit(ticket_id)

"""The session: the facade the UI (and CLI) call, over a workspace's helpdesk, CRM, journal and knowledge base.
Views never talk to connectors directly; they call these coroutines and render the dataclasses. The work lives
in narrow services: ``tickets`` (opening one), ``drafting.pipeline`` (Drafter), ``actions.desk`` (approval
checks, write-back), ``escalations`` (escalations, review, the weekly report)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec.structs import replace

from assist import llm
from assist.actions.desk import history_lines, same_requester, start_actions, write_back
from assist.crm.base import CRM
from assist.db import SqliteWorker
from assist.domain import (
    ActionProposal,
    AuditEvent,
    Delta,
    Draft,
    DraftRecord,
    ProposalStatus,
    QueueFilter,
    Route,
    Source,
    Ticket,
    TicketContext,
    TicketId,
    TicketStatus,
    TicketSummary,
    Tier,
)
from assist.drafting.pipeline import Drafter
from assist.errors import ActionRejectedError, AssistError
from assist.escalations import Escalations
from assist.feedback import Escalation, EscalationFilter, FeedbackStore, Suggestion
from assist.helpdesk.base import Helpdesk
from assist.journal import Journal
from assist.knowledge.base import KnowledgeBase
from assist.learning.model import IntentRouter
from assist.learning.naming import bucket_namer
from assist.paths import Paths
from assist.reply import customer_reply
from assist.routing import check_rules, customer_text, route
from assist.secrets import SecretStore
from assist.settings import ModelTier, Settings
from assist.tickets import open_context

if TYPE_CHECKING:
    from assist.actions.demo_backend import DemoBackend
    from assist.actions.service import ActionService
    from assist.embeddings import CachedEncoder
    from assist.learning.discover import Bucket
    from assist.reports import WeeklyReport
    from assist.taxonomy import Taxonomy
    from assist.team.sync import TeamSync

log = logging.getLogger(__name__)


@dataclass
class Session:
    settings: Settings
    paths: Paths
    helpdesk: Helpdesk
    crm: CRM
    journal: Journal
    secrets: SecretStore
    workspace: str
    kb: KnowledgeBase
    intents: IntentRouter
    demo_kb: Path | None = None
    catalog_path: Path | None = None
    demo_db: SqliteWorker | None = None
    feedback: FeedbackStore | None = None
    actions: ActionService | None = None
    actions_error: str = ""
    team: TeamSync | None = None  # the team store, when the workspace has one
    encoder: CachedEncoder | None = None  # sentence vectors, when on (``assist.embeddings``)
    _backend: DemoBackend | None = field(default=None, init=False)
    _prepared: bool = field(default=False, init=False)
    _kb_ready: bool = field(default=False, init=False)
    _actions_ready: bool = field(default=False, init=False)
    _asked_helpdesk_for_name: bool = field(default=False, init=False)
    _drafter: Drafter | None = field(default=None, init=False)
    _prepare_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _kb_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _actions_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def prepare(self) -> None:
        """First-run work off the UI thread: the knowledge base first (the first draft waits for it),
        then the actions catalog (proposals wait for it), then the model client."""
        async with self._prepare_lock:
            if self._prepared:
                return
            await self.knowledge_ready()
            await self.actions_ready()
            await self.start_models()
            self._prepared = True

    @property
    def actions_loaded(self) -> bool:
        """Has the actions stack (catalog, keyring, demo backend) been set up yet?"""
        return self._actions_ready

    async def start_models(self) -> None:
        """Start the model host now when a model is configured (its own process: litellm warms there
        while the window opens, so the first model draft waits for nothing)."""
        models = self.settings.models
        if models.fast.model or models.frontier.model:
            await llm.start_host()
        if any(t.model and llm.masks(t, self.settings.ai.redact_pii) for t in (models.fast, models.frontier)):
            await asyncio.to_thread(llm.load_masking)  # its patterns compile here, not in the first draft

    async def routing_ready(self) -> None:
        """Load the intent classifier and the sentiment lexicon now (a worker thread), while the window
        opens its first ticket, instead of when that ticket is routed."""
        taxonomy = self.taxonomy

        def warm() -> None:
            self.intents.loaded  # noqa: B018  (loads once)
            taxonomy.vader  # noqa: B018
            taxonomy.frustration  # noqa: B018

        await asyncio.to_thread(warm)

    async def knowledge_ready(self) -> None:
        """Index the demo knowledge base if it is empty."""
        async with self._kb_lock:
            if self._kb_ready:
                return
            if self.demo_kb is not None and (await self.kb.stats())[0] == 0:
                await self.kb.ingest_folder(self.demo_kb, id_prefix="kb:")
            await self.kb.warm()
            self._kb_ready = True

    async def actions_ready(self) -> None:
        async with self._actions_lock:
            if self._actions_ready:
                return
            await asyncio.to_thread(self.secrets.ready)  # probing the OS keyring takes ~90 ms
            if self.catalog_path is not None:
                try:
                    self.actions, self._backend = await start_actions(
                        self.catalog_path, self.settings.current.actions.base_url, self.taxonomy, self.journal,
                        self.secrets, self.demo_db, self.paths.workspace_dir("demo") / "demo.db")
                except AssistError as exc:
                    # A broken catalog disables actions, not drafting: say so where actions show up.
                    self.actions_error = str(exc)
            self._actions_ready = True

    # -- actions --------------------------------------------------------------------------------
    async def propose_actions(self, ctx: TicketContext, r: Route) -> list[ActionProposal]:
        await self.actions_ready()
        if self.actions_error:
            raise AssistError(f"AI Actions are off for this workspace: {self.actions_error}")
        if self.actions is None:
            return []
        model = self.settings.models.fast if self.settings.models.fast.model else None
        info = self.taxonomy.get(r.intent)
        return await self.actions.propose(ctx, r, self.settings.agent.name, model,
                                          self.model_key(model) if model else None,
                                          redact=self.settings.ai.redact_pii,
                                          intent_actions=info.actions if info else ())

    def _actions(self) -> ActionService:
        if self.actions is None:
            raise AssistError("AI Actions are not set up for this workspace.")
        return self.actions

    async def approve_action(self, ticket_id: TicketId, proposal_id: str, params: dict[str, object] | None = None,
                             *, confirmed: bool = False) -> ActionProposal:
        """Approve (and run) a proposal of *this* ticket; irreversible ones need ``confirmed``.

        After a successful run an internal note and a tag go to the helpdesk (workspace setting), so
        teammates in the helpdesk see what was done. A failed write-back is reported, the action stands.
        """
        actions = self._actions()
        proposal = await actions.store.get(proposal_id)
        if proposal.ticket_id != ticket_id:
            raise ActionRejectedError(f"That action belongs to ticket #{proposal.ticket_id}, not #{ticket_id}.")
        agent = self.settings.agent.name
        retry = proposal.status in (ProposalStatus.FAILED, ProposalStatus.UNKNOWN)  # re-sends the same request
        if proposal.requester and not retry:
            await same_requester(self.helpdesk, actions, proposal, agent)
        if params is not None:
            await actions.edit(proposal_id, params, agent)
        done = await actions.approve(proposal_id, agent, confirmed=confirmed)
        if done.status is ProposalStatus.SUCCEEDED and self.settings.current.actions.write_back:
            await write_back(self.helpdesk, self.settings.current.actions, done, self.author)
        return done

    async def dismiss_action(self, ticket_id: TicketId, proposal_id: str) -> ActionProposal:
        actions = self._actions()
        proposal = await actions.store.get(proposal_id)
        if proposal.ticket_id != ticket_id:
            raise ActionRejectedError(f"That action belongs to ticket #{proposal.ticket_id}, not #{ticket_id}.")
        return await actions.dismiss(proposal_id, self.settings.agent.name)


    async def history(self, ticket_id: TicketId) -> list[AuditEvent]:
        """Everything done on a ticket: action events and escalations (with the agent's note), in order."""
        await self.actions_ready()
        return await self.escalation_desk.ticket_history(ticket_id, self.actions)

    def history_lines(self, events: list[AuditEvent]) -> list[str]:
        return history_lines(events, self.actions, self.settings.agent.name, self.author)

    @property
    def taxonomy(self) -> Taxonomy:
        """The workspace's intents, triggers and wording (relearning replaces it: read it each time)."""
        return self.intents.taxonomy

    @property
    def ai_enabled(self) -> bool:
        return self.settings.ai.enabled

    @property
    def author(self) -> str:
        """Who the agent is to the helpdesk and to teammates reading notes and history: the name they sign
        with ("Sign replies as") when set, else the journal's agent name (by default the OS login)."""
        agent = self.settings.agent
        return agent.display_name.strip() or agent.name

    async def queue(self, flt: QueueFilter) -> list[TicketSummary]:
        return await self.helpdesk.list_queue(flt, limit=self.settings.ui.queue_limit)

    async def open_ticket(self, ticket_id: TicketId, requester_email: str | None = None) -> TicketContext:
        """The thread and the customer's context, fetched concurrently (``assist.tickets``)."""
        return await open_context(self.helpdesk, self.crm, ticket_id, requester_email)

    async def attachment(self, ticket_id: TicketId, attachment_id: str) -> bytes:
        """A file the agent asked to open: fetched now, never rendered (the window shows text or saves)."""
        return await self.helpdesk.fetch_attachment(ticket_id, attachment_id)

    async def load_draft(self, ticket_id: TicketId) -> DraftRecord | None:
        return await self.journal.load_draft(ticket_id)

    async def save_draft(self, ticket_id: TicketId, body: str) -> None:
        await self.journal.save_draft(ticket_id, body)

    def outgoing(self, body: str, draft: Draft | None, *, public: bool) -> str:
        """What the helpdesk receives for this editor text: a public reply loses its citation markers
        (or gets footnotes with public article links); an internal note keeps them for colleagues."""
        if not public:
            return body.strip()
        footnotes = self.settings.current.reply.citations == "footnotes"
        return customer_reply(body, draft.citations if draft else (), footnotes=footnotes)

    def model_key(self, tier: ModelTier) -> str | None:
        """The API key of this tier's provider only (``assist.model_keys``)."""
        from assist import model_keys

        return model_keys.api_key(self.secrets, tier, self.settings.models)

    async def signature_name(self) -> str:
        """How replies are signed: the configured name, else the helpdesk's name for the agent; '' = ask."""
        if not self.settings.agent.display_name and not self._asked_helpdesk_for_name:
            self._asked_helpdesk_for_name = True  # once per session: not an extra request per draft
            try:
                name = (await self.helpdesk.current_agent()).strip()
            except AssistError as exc:
                log.info("The helpdesk did not say who the agent is: %s", exc)
                name = ""
            if name:
                self.settings.agent.display_name = name
        return self.settings.agent.display_name

    async def send(
        self, ticket_id: TicketId, body: str, *, public: bool, draft: Draft | None = None,
        route: Route | None = None, opened_at: datetime | None = None, status: TicketStatus | None = None,
    ) -> Ticket:
        """Post a reply or note to *this* ticket; on success the draft is cleared and the fresh thread returned.

        The text posted is ``outgoing(body)``: never a ``[n]`` marker in what a customer reads. A public
        reply sets ``status`` (default: the workspace's "send as") and records the draft's outcome,
        compared on customer-facing text, and the time from opening the ticket to sending.
        """
        text = self.outgoing(body, draft, public=public)
        if not text:
            raise AssistError("The draft is empty: there is nothing to send.")
        if public and status is None:
            status = TicketStatus(self.settings.current.reply.send_as)
        await self.helpdesk.post_reply(
            ticket_id, text, public=public, author=self.author, status=status if public else None,
        )
        await self.journal.record_sent(
            ticket_id, "reply" if public else "note", text, self.settings.agent.name
        )
        fresh: Ticket | None = None
        try:
            fresh = await self.helpdesk.get_ticket(ticket_id)
        finally:  # the reply went out: its outcome is recorded even if re-reading the ticket fails
            if public and self.feedback is not None and opened_at is not None:
                drafted = replace(draft, text=self.outgoing(draft.text, draft, public=True)) if draft else None
                await self.feedback.record_outcome(
                    ticket_id, drafted, route, text, opened_at, self.settings.agent.name,
                    ticket_created_at=fresh.created_at if fresh is not None else None,
                    solved=status in (TicketStatus.SOLVED, TicketStatus.CLOSED))
        assert fresh is not None
        return fresh

    # -- escalations and review: a view over the session's current parts (a reconnected helpdesk included)
    @property
    def escalation_desk(self) -> Escalations:
        return Escalations(self.settings, self.paths, self.helpdesk, self.feedback, self.team, self.workspace,
                           self.journal.path, lambda: self.taxonomy, lambda: self.author, lambda: self.actions)

    def escalation_hint(self, ctx: TicketContext, route: Route | None, rejected_drafts: int) -> Suggestion | None:
        return self.escalation_desk.hint(ctx, route, rejected_drafts)

    def escalation_reason(self, route: Route | None) -> str:
        return self.escalation_desk.reason(route)

    async def escalate(self, ctx: TicketContext, route: Route | None, draft_text: str, draft_state: str,
                       reason: str, note: str, *, write_back: bool) -> Escalation:
        return await self.escalation_desk.escalate(ctx, route, draft_text, draft_state, reason, note,
                                                   write_back=write_back)

    async def escalations(self, flt: EscalationFilter) -> list[Escalation]:
        return await self.escalation_desk.listed(flt)

    async def review_escalation(self, uid: str, reason: str, root_cause: str, flow_needs_fixing: bool) -> Escalation:
        return await self.escalation_desk.review(uid, reason, root_cause, flow_needs_fixing)

    async def weekly_report(self, week: str, fmt: str = "html") -> WeeklyReport:
        return await self.escalation_desk.weekly_report(week, fmt)

    async def sync_team(self) -> str:
        """One sync with the team store; the status line the window shows."""
        if self.team is None:
            return ""
        return (await self.team.sync_once()).text()

    # -- assistant ------------------------------------------------------------------------------
    async def route_ticket(self, ctx: TicketContext) -> Route:
        """Classify and route; asks the fast model for the intent when one is configured."""
        # classification is CPU work over text of any length: off the event loop (the UI thread)
        intents = self.intents
        check_rules(self.settings, intents.taxonomy)  # a rule naming an unknown intent is named, not skipped
        threshold = await asyncio.to_thread(lambda: intents.threshold)  # loads the model once
        r = await asyncio.to_thread(route, ctx.ticket, ctx.customer, self.settings, intents, intents.taxonomy,
                                    threshold=threshold)
        if r.tier in (Tier.FAST, Tier.FRONTIER) and getattr(self.settings.models, r.tier.value).model:
            llm.prewarm_host()  # a model draft is likely next: the host (stopped when idle) starts meanwhile
        fast = self.settings.models.fast
        labels = intents.taxonomy.names
        if r.human_only or not fast.model or not self.settings.routing.llm_classifier or not labels:
            return r
        intent = await llm.classify(
            f"{ctx.ticket.subject}\n{customer_text(ctx.ticket)}", fast, self.model_key(fast),
            redact=self.settings.ai.redact_pii, labels=labels,
        )
        if intent and intent != r.intent:
            return route(ctx.ticket, ctx.customer, self.settings, intents, intents.taxonomy, intent,
                         threshold=threshold)
        return r

    def bucket_namer(self) -> Callable[[list[Bucket]], Awaitable[list[Bucket]]] | None:
        """Discovery's bucket names from the fast model, masked like every request; None without one."""
        return bucket_namer(self.settings, self.model_key)

    @property
    def drafter(self) -> Drafter:
        """The drafting pipeline (``assist.drafting.pipeline``): sources, grounding, fallbacks, journal."""
        if self._drafter is None:
            self._drafter = Drafter(self.settings, self.kb, self.journal, lambda: self.taxonomy,
                                    self.model_key, self.knowledge_ready, self.encoder)
        return self._drafter

    async def sources(self, ctx: TicketContext, r: Route) -> list[Source]:
        return await self.drafter.sources(ctx, r)

    async def draft(self, ctx: TicketContext, r: Route, *, record: bool = True, fallback: bool = True
                    ) -> AsyncIterator[Delta | Draft]:
        """Yield streamed text, then the final verified Draft (also written to the journal); see ``Drafter``."""
        agent = await self.signature_name()
        async for part in self.drafter.draft(ctx, r, agent, record=record, fallback=fallback):
            yield part

    async def aclose(self) -> None:
        await self.helpdesk.aclose()
        await self.crm.aclose()
        if self.actions is not None:
            await self.actions.executor.aclose()
        self.close()

    def close(self) -> None:
        """Release files, threads and the demo backend (also usable with no event loop)."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        self.journal.close()
        self.kb.close()


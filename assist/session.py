"""The session: what the UI (and CLI) call. Wires a workspace's helpdesk, CRM and journal together.

Views never talk to connectors directly; they call these coroutines and render the dataclasses.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec.structs import replace

from assist import llm
from assist.crm.base import CRM
from assist.db import SqliteWorker
from assist.domain import (
    ActionProposal,
    AuditEvent,
    Customer,
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
from assist.drafting import (
    build_messages,
    crm_sources,
    finish_model_draft,
    heading_words,
    human_only_draft,
    number_sources,
    offline_draft,
    own_words,
    retrieval_query,
)
from assist.errors import ActionRejectedError, AssistError, ConnectorUnavailableError, LLMError, WriteBackError
from assist.feedback import (
    REASONS,
    Escalation,
    EscalationFilter,
    FeedbackStore,
    Suggestion,
    escalation_suggestion,
    suggested_reason,
    transcript,
)
from assist.helpdesk.base import Helpdesk
from assist.journal import Journal
from assist.knowledge.base import KnowledgeBase
from assist.learning.model import IntentRouter
from assist.paths import Paths
from assist.reply import customer_reply
from assist.routing import check_rules, customer_text, route
from assist.secrets import SecretStore
from assist.settings import ModelTier, Settings

if TYPE_CHECKING:
    from assist.actions.demo_backend import DemoBackend
    from assist.actions.service import ActionService
    from assist.learning.discover import Bucket
    from assist.reports import WeeklyReport
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
    _backend: DemoBackend | None = field(default=None, init=False)
    _prepared: bool = field(default=False, init=False)
    _kb_ready: bool = field(default=False, init=False)
    _actions_ready: bool = field(default=False, init=False)
    _asked_helpdesk_for_name: bool = field(default=False, init=False)
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
        taxonomy = self.intents.taxonomy

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
                    await self._start_actions(self.catalog_path)
                except AssistError as exc:
                    # A broken catalog disables actions, not drafting: say so where actions show up.
                    self.actions_error = str(exc)
            self._actions_ready = True

    async def _start_actions(self, catalog_path: Path) -> None:
        """The workspace's catalog against its own API; the demo starts its commerce API here."""
        from assist.actions.catalog import load_catalog  # actions load after the first draft's modules
        from assist.actions.demo_backend import DemoBackend
        from assist.actions.executor import Executor
        from assist.actions.service import ActionService
        from assist.actions.store import ProposalStore

        catalog = await asyncio.to_thread(load_catalog, catalog_path)  # jsonschema + parsing: ~110 ms off the loop
        taxonomy = self.intents.taxonomy
        if taxonomy.intents:  # a catalog written for intents this workspace does not have is named, not ignored
            taxonomy.check_names({i for a in catalog.actions.values() for i in a.propose_for},
                                 f"{catalog_path} (propose_for)")
        base_url = self.settings.current.actions.base_url
        if self.demo_db is not None:
            await self.demo_db.run(lambda _conn: None)  # opening the demo file seeds it on first run
            db_path = self.paths.workspace_dir("demo") / "demo.db"
            self._backend = await asyncio.to_thread(DemoBackend, db_path)
            self.secrets.provide("demo-actions-token", self._backend.token)
            base_url = self._backend.base_url
        if not base_url:
            raise AssistError(f"The actions catalog {catalog_path} needs actions.base_url in this workspace's "
                              "settings.")
        executor = Executor(catalog, base_url, self.secrets.get)
        self.actions = ActionService(catalog, executor, ProposalStore(self.journal))
        for p in await self.actions.reconcile():  # runs a crash cut off: re-sent where safe, else "check"
            log.warning("Action %s on #%s was interrupted by a restart: now %s", p.action, p.ticket_id, p.status)

    # -- actions --------------------------------------------------------------------------------
    async def propose_actions(self, ctx: TicketContext, r: Route) -> list[ActionProposal]:
        await self.actions_ready()
        if self.actions_error:
            raise AssistError(f"AI Actions are off for this workspace: {self.actions_error}")
        if self.actions is None:
            return []
        model = self.settings.models.fast if self.settings.models.fast.model else None
        info = self.intents.taxonomy.get(r.intent)
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
            await self._same_requester(actions, proposal, agent)
        if params is not None:
            await actions.edit(proposal_id, params, agent)
        done = await actions.approve(proposal_id, agent, confirmed=confirmed)
        if done.status is ProposalStatus.SUCCEEDED and self.settings.current.actions.write_back:
            await self._write_back(done)
        return done

    async def _same_requester(self, actions: ActionService, proposal: ActionProposal, agent: str) -> None:
        """The ticket's requester now, re-read from the helpdesk, must be the one the card was made for: a
        requester corrected after the proposal (Maria -> Derek) must not get Maria's order refunded."""
        try:
            current = await self.helpdesk.get_ticket(proposal.ticket_id)
        except AssistError as exc:
            raise ActionRejectedError(f"Couldn't check who ticket #{proposal.ticket_id}'s requester is now, so "
                                      f"nothing ran: {exc}") from exc
        if current.requester_email.strip().lower() != proposal.requester.strip().lower():
            why = (f"Ticket #{proposal.ticket_id}'s requester changed after this card was proposed: nothing ran. "
                   "Open the ticket again for actions for its current requester.")
            await actions.store.finish(proposal.id, ProposalStatus.BLOCKED, why, agent)
            raise ActionRejectedError(why)

    async def _write_back(self, p: ActionProposal) -> None:
        cfg = self.settings.current.actions
        note = (f"Assist: {p.title} ran after approval by {self.author} "
                f"at {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}.\nResult: {p.result}\n"
                f"Reference: proposal {p.id[:8]}, idempotency key {p.idempotency_key[:12]}")
        try:
            await self.helpdesk.post_reply(p.ticket_id, note, public=False, author=self.author)
            if cfg.tag:
                await self.helpdesk.add_tags(p.ticket_id, (cfg.tag, f"{cfg.tag}-{p.action}"))
        except AssistError as exc:
            raise WriteBackError(f"{p.title} ran ({p.result}), but the note for the helpdesk failed: {exc}") from exc

    async def dismiss_action(self, ticket_id: TicketId, proposal_id: str) -> ActionProposal:
        actions = self._actions()
        proposal = await actions.store.get(proposal_id)
        if proposal.ticket_id != ticket_id:
            raise ActionRejectedError(f"That action belongs to ticket #{proposal.ticket_id}, not #{ticket_id}.")
        return await actions.dismiss(proposal_id, self.settings.agent.name)


    async def history(self, ticket_id: TicketId) -> list[AuditEvent]:
        """Everything done on a ticket: action events and escalations (with the agent's note), in order."""
        await self.actions_ready()
        events = await self.actions.history(ticket_id) if self.actions else []
        if self.feedback is not None:
            for e in await self.feedback.for_ticket(ticket_id):
                reason = REASONS.get(e.reason, e.reason)
                detail = reason + (f" — “{e.note}”" if e.note else "")
                if e.reviewed_reason or e.root_cause:
                    detail += (f". Reviewed by {e.reviewer}: {REASONS.get(e.current_reason, e.current_reason)}"
                               + (f", root cause “{e.root_cause}”" if e.root_cause else ""))
                events.append(AuditEvent(ticket_id, e.uid, "escalation", "escalated", detail, e.agent, e.created_at))
        return sorted(events, key=lambda ev: ev.created_at)

    def history_lines(self, events: list[AuditEvent]) -> list[str]:
        catalog = self.actions.catalog if self.actions else None

        def title(name: str) -> str:
            action = catalog.get(name) if catalog else None
            return action.title if action else name.replace("_", " ").capitalize()

        from msgspec.structs import replace

        from assist.actions.audit import sentence

        me, shown = self.settings.agent.name, self.author  # this desk's own events under the name it signs with
        return [sentence(replace(e, agent=shown) if e.agent == me else e, title) for e in events]

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

    async def _customer(self, email: str) -> tuple[Customer | None, str]:
        try:
            return await self.crm.get_customer(email), ""
        except AssistError as exc:  # the thread is still worth showing without context
            return None, str(exc)

    async def open_ticket(
        self, ticket_id: TicketId, requester_email: str | None = None
    ) -> TicketContext:
        """Fetch thread and customer concurrently when the requester is known from the queue.

        A connector that meets an answer it can't read (a field of the wrong type, a missing key) says
        so as one ConnectorError, never a traceback: the agent can retry or open the ticket in the helpdesk.
        """
        try:
            return await self._open_ticket(ticket_id, requester_email)
        except AssistError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
            log.exception("Unreadable ticket #%s from %s", ticket_id, self.helpdesk.name)
            raise ConnectorUnavailableError(
                f"{self.helpdesk.name} sent ticket #{ticket_id} in a shape Assist couldn't read "
                f"({type(exc).__name__}). Open it in the helpdesk; the details are in the log.") from exc

    async def _open_ticket(self, ticket_id: TicketId, requester_email: str | None) -> TicketContext:
        if requester_email:
            ticket, (customer, error) = await asyncio.gather(
                self.helpdesk.get_ticket(ticket_id), self._customer(requester_email)
            )
            if ticket.requester_email.lower() != requester_email.lower():
                customer, error = await self._customer(ticket.requester_email)
        else:
            # Opened by id (Ctrl+K, a pasted URL): the connector names the requester as soon as its first
            # request answers, and the customer is fetched while the rest of the thread loads.
            early: dict[str, asyncio.Future[tuple[Customer | None, str]]] = {}  # the first email named

            def known(email: str) -> None:
                if email and not early:
                    early[email.lower()] = asyncio.ensure_future(self._customer(email))

            try:
                ticket = await self.helpdesk.get_ticket(ticket_id, on_requester=known)
                mine = early.pop(ticket.requester_email.lower(), None)
            finally:
                for other in early.values():  # the ticket failed, or it names someone else after all
                    other.cancel()
            customer, error = await mine if mine is not None else await self._customer(ticket.requester_email)
        return TicketContext(ticket, customer, error)

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

    def _about_an_order(self, r: Route) -> bool:
        """Does this intent concern an order (its taxonomy entry cites the order)? Then a clarifying question
        may ask for the order number."""
        info = self.intents.taxonomy.get(r.intent)
        return bool(info and "order" in info.facts)

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

    # -- escalations and review -----------------------------------------------------------------
    def escalation_hint(self, ctx: TicketContext, route: Route | None, rejected_drafts: int) -> Suggestion | None:
        """Whether to suggest escalating this ticket, read with this workspace's taxonomy."""
        return escalation_suggestion(ctx.ticket, route, rejected_drafts, taxonomy=self.intents.taxonomy)

    def escalation_reason(self, route: Route | None) -> str:
        """The reason the escalate form starts on: the same one the journal records as suggested."""
        return suggested_reason(route, self.intents.taxonomy)

    async def escalate(
        self, ctx: TicketContext, route: Route | None, draft_text: str, draft_state: str, reason: str,
        note: str, *, write_back: bool,
    ) -> Escalation:
        """Log the escalation; optionally tag the ticket and leave the assistant's transcript as a note."""
        assert self.feedback is not None
        written = False
        proposals = await self.actions.store.for_ticket(ctx.ticket.id) if self.actions else []
        done = [f"{p.title}: {p.status.value}" + (f" ({p.result})" if p.result else "") for p in proposals]
        story = transcript(ctx.ticket, route, draft_text, reason, note, done)
        if write_back:
            # added to what the ticket has *now* (a colleague's tag set meanwhile is kept), never a stale copy
            await self.helpdesk.add_tags(ctx.ticket.id, ("assist-escalated", f"escalation-{reason}"))
            await self.helpdesk.post_reply(ctx.ticket.id, story, public=False, author=self.author)
            written = True
        return await self.feedback.escalate(
            ctx.ticket.id, route, draft_text, draft_state, reason, note,
            self.escalation_reason(route), written, self.settings.agent.name, transcript=story,
        )

    async def escalations(self, flt: EscalationFilter) -> list[Escalation]:
        """This desk's escalations, or with a team store every desk's this role may read (what waits in
        the outbox is pushed first, so a senior's own newest escalation is there too)."""
        assert self.feedback is not None
        if self.team is None:
            return await self.feedback.escalations(flt)
        await self.team.sync_once()
        return await self.team.store.escalations(flt, self.workspace)

    async def review_escalation(self, uid: str, reason: str, root_cause: str, flow_needs_fixing: bool) -> Escalation:
        """Kept in the journal first (nothing lost offline), then sent to the team store when there is one."""
        assert self.feedback is not None
        if self.team is None:
            return await self.feedback.review(uid, reason, root_cause, flow_needs_fixing, self.settings.agent.name)
        import uuid

        review_uid = uuid.uuid4().hex
        await self.feedback.record_review(review_uid, uid, reason, root_cause, flow_needs_fixing,
                                          self.settings.agent.name)
        status = await self.team.sync_once()
        if status.error:
            raise AssistError(f"Review saved on this desk; {status.error}")
        found = await self.team.store.escalations(EscalationFilter(), self.workspace, uid)
        if not found:
            raise AssistError("Review saved, but the escalation is not in the team store.")
        return found[0]

    async def weekly_report(self, week: str, fmt: str = "html") -> WeeklyReport:
        """The week's report: the whole team's from the team store when there is one, else this desk's
        journal. A malformed week is an AssistError."""
        from assist.reports import build_report, intent_names, report_journals, team_report

        try:
            if self.team is not None:
                report = await team_report(self.team.store, week, with_rows=fmt == "csv")
            else:
                report = await asyncio.to_thread(lambda: build_report(report_journals(self.paths, self.settings,
                                                                                      self.journal.path), week))
            report.intent_titles, report.intent_parents = intent_names(self.intents.taxonomy)
            return report
        except ValueError as exc:
            raise AssistError(str(exc)) from exc

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
        fast = self.settings.models.fast
        if not fast.model or not self.settings.ai.enabled:
            return None
        from assist.learning.discover import model_names

        async def name(buckets: list[Bucket]) -> list[Bucket]:
            return await model_names(buckets, fast, self.model_key(fast), redact=self.settings.ai.redact_pii)

        return name

    def _crm_facts(self, ctx: TicketContext, r: Route) -> list[Source]:
        return crm_sources(ctx.ticket, ctx.customer, self.intents.taxonomy.facts_for(r.intent))

    async def sources(self, ctx: TicketContext, r: Route) -> list[Source]:
        await self.knowledge_ready()
        info = self.intents.taxonomy.get(r.intent)
        found = await self.kb.search(retrieval_query(ctx.ticket, info.retrieval if info else ""),
                                     k=self.settings.ai.top_k)
        if not found:
            return found
        # The best article's other sections are candidates too: its "Replacement or refund" section may be the
        # answer while its "Report within 7 days" section shared more words with the customer. They rank just
        # below the section that found the article.
        top = found[0]
        have = {s.id for s in found}
        asked = own_words(ctx.ticket)  # a sibling joins only when its heading is about what was asked
        siblings = [replace(s, score=top.score * SIBLING_WEIGHT) for s in await self.kb.sections(top.doc_id)
                    if s.id not in have and heading_words(s.heading) & asked]
        return [*found, *siblings]

    async def draft(self, ctx: TicketContext, r: Route, *, record: bool = True, fallback: bool = True
                    ) -> AsyncIterator[llm.Delta | Draft]:
        """Yield streamed text, then the final verified Draft (also written to the journal).

        ``fallback``: a model that can't be reached gives the offline draft (for agents); the regression
        suite turns it off, so an unreachable model shows as failing, not as a passing offline tier.
        """
        started = time.perf_counter()
        ai, agent = self.settings.ai, await self.signature_name()
        if r.human_only:
            yield human_only_draft(r)
            return
        kb = await self.sources(ctx, r)
        grounded = [s for s in kb if s.score >= ai.min_source_score]
        if r.tier is Tier.OFFLINE or not grounded:
            # No grounding means no model call: a clarifying question, never a guess.
            # CPU work over the thread's text: off the event loop (the UI thread)
            result = await asyncio.to_thread(partial(offline_draft, about_an_order=self._about_an_order(r)),
                                             ctx.ticket, ctx.customer, r, kb, ai, agent, self._crm_facts(ctx, r))
            if r.tier is not Tier.OFFLINE:
                result = replace(result, tier=r.tier, model=r.model)
        else:
            tier_cfg = getattr(self.settings.models, r.tier.value)
            citations = number_sources(self._crm_facts(ctx, r) + grounded)
            messages = build_messages(ctx.ticket, ctx.customer, citations, r, ai, agent,
                                      self.intents.taxonomy.title(r.intent))
            usage: dict[str, float] = {}
            text, error = "", ""
            try:
                async for delta in llm.stream(
                    messages, tier_cfg, self.model_key(tier_cfg), redact=ai.redact_pii, usage=usage
                ):
                    text += delta.text
                    yield delta
            except LLMError as exc:
                text, error = exc.partial or text, str(exc)
            if fallback and error and not text.strip():
                # The model couldn't be reached (or refused the key) before writing anything: the agent
                # gets the offline draft now, and is told why, instead of an empty editor.
                log.warning("%s tier failed, offline draft instead: %s", r.tier.value, error)
                offline = offline_draft(ctx.ticket, ctx.customer, r, kb, ai, agent, self._crm_facts(ctx, r),
                                        about_an_order=self._about_an_order(r))
                why = f"The {r.tier.value} model ({r.model}) was not used: {error} This is the offline draft."
                result = replace(offline, note=f"{why} {offline.note}".strip(), fallback=why)
                if record and usage.get("cost_usd"):  # the provider billed a call that gave nothing: counted
                    await self.journal.record_draft_run(ctx.ticket.id, r, finish_model_draft(
                        "", r, citations, ai, usage["cost_usd"], started, error), self.settings.agent.name)
            else:
                result = finish_model_draft(
                    text, r, citations, ai, usage.get("cost_usd", 0.0), started, error
                )
        if record:  # the regression suite drafts without writing to the journal
            await self.journal.record_draft_run(ctx.ticket.id, r, result, self.settings.agent.name)
        yield result

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


SIBLING_WEIGHT = 0.8  # an article's other sections, beside the one that ranked first: just below it

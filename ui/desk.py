"""What the ticket controller needs of the window it drives (``Desk``: its panes and window services), and what
the controller's parts need of the open ticket (``OpenTicket``).

``TicketController`` is typed against this protocol, not against ``MainWindow``: the window builds the
controller and satisfies the protocol, the controller never imports the window (no import circle), and the
list below is the whole surface a redesign of the desk must keep or replace.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QStatusBar, QTabWidget, QWidget

from assist.domain import Draft, Route, TicketContext, TicketId
from assist.session import Session

from ui.errors import Banner
from ui.operations import OpRunner
from ui.tasks import TaskRunner
from ui.views.actions import ActionsPane
from ui.views.browser import SafeBrowser
from ui.views.draft import DraftPane


class Desk(Protocol):
    session: Session
    runner: TaskRunner
    banner: Banner
    thread_view: SafeBrowser
    context: SafeBrowser
    history: SafeBrowser
    draft: DraftPane
    actions_pane: ActionsPane
    side: QTabWidget

    @property
    def as_widget(self) -> QWidget:
        """The window itself, as the Qt parent of the timers and dialogs the controller makes."""
        ...

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 (Qt's name)

    def refresh_queue(self) -> None: ...

    def show_thread(self, html: str, *, scroll: bool = False) -> None: ...

    def show_open_actions(self, count: int) -> None: ...

    def on_journal_notice(self, notice: str) -> None: ...


class OpenTicket(Protocol):
    """What the ticket controller's parts (``ticket_actions``, ``ticket_escalation``, ``ticket_drafting``) read
    and call of the open ticket: the controller satisfies it, the parts never import the controller."""

    w: Desk
    ops: OpRunner
    loaded: TicketId | None
    current_email: str | None
    ctx: TicketContext | None
    route: Route | None
    last_draft: Draft | None
    rejected: dict[str, int]
    revision: int
    dirty: bool
    autosave: QTimer

    @property
    def session(self) -> Session: ...

    @property
    def runner(self) -> Any: ...

    def open_ticket(self, ticket_id: TicketId, requester_email: str | None = None) -> None: ...

    def propose_actions(self) -> None: ...

    def suggest_escalation(self) -> None: ...

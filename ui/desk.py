"""What the ticket controller needs of the window it drives: its panes and two window services.

``TicketController`` is typed against this protocol, not against ``MainWindow``: the window builds the
controller and satisfies the protocol, the controller never imports the window (no import circle), and the
list below is the whole surface a redesign of the desk must keep or replace.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QStatusBar, QTabWidget, QWidget

from assist.session import Session

from ui.errors import Banner
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

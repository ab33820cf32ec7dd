"""Switching workspace, and reconnecting after Settings change a connection: a fresh session with the
connectors, keys and models as saved now. Drafts not yet saved keep the window on their workspace (they belong
to its journal); the old session closes once its saves and running actions are done; the queue reloads and the
open ticket is opened again on the new connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from assist.domain import TicketId
from assist.session import Session
from assist.settings import save_settings
from assist.workspace import build_session

if TYPE_CHECKING:
    from PySide6.QtWidgets import QComboBox

    from ui.desk import Desk
    from ui.ticket_controller import TicketController


class SwitchingDesk(Protocol):
    """What switching needs of the window, beside the ``Desk``."""

    ticket: TicketController
    workspace_box: QComboBox

    def save_draft_now(self) -> None: ...

    def start(self) -> None: ...

    def open_ticket(self, ticket_id: TicketId, requester_email: str | None = None) -> None: ...

    def setWindowTitle(self, title: str) -> None: ...  # noqa: N802 (Qt's name)


def switch_workspace(w: Desk, s: SwitchingDesk, name: str) -> None:
    settings = w.session.settings
    if name not in settings.workspaces:
        return
    s.save_draft_now()
    if s.ticket.unsaved:  # they belong to this workspace's journal: never carried into another
        which = ", ".join("#" + t for t in s.ticket.unsaved)
        w.banner.show_message(f"Drafts for {which} aren't saved yet, so the workspace stays "
                              f"{w.session.workspace} until they are.", level="warning")
        s.workspace_box.blockSignals(True)
        s.workspace_box.setCurrentText(w.session.workspace)
        s.workspace_box.blockSignals(False)
        return
    settings.active_workspace = name
    try:
        save_settings(settings, w.session.paths.config_file)
    except OSError as exc:
        w.banner.show_message(f"Couldn't save the workspace choice: {exc.strerror}")
    reconnect(w, s, name, f"Workspace {name}")


def reconnect(w: Desk, s: SwitchingDesk, name: str, note: str) -> None:
    """A fresh session for workspace ``name``; the queue reloads; the ticket is reopened."""
    settings = w.session.settings
    reopen = (s.ticket.current, s.ticket.current_email) if name == w.session.workspace else None
    s.save_draft_now()
    for task in ("queue", "open", "route", "draft", "actions", "history"):
        w.runner.cancel(task)
    old = w.session

    async def _swap() -> Session:
        await w.runner.wait_for("save:")
        await w.runner.wait_for("action-")
        new = build_session(old.paths, settings, old.secrets)
        await old.aclose()
        return new

    def _swapped(new: Session) -> None:
        w.session = new
        s.ticket.reset()
        w.thread_view.setHtml("<p><i>Select a ticket.</i></p>")
        w.context.setHtml("")
        w.draft.load("")
        w.draft.clear_assist()
        w.draft.set_enabled(False)
        w.actions_pane.clear()
        s.setWindowTitle(f"Assist — {new.workspace} workspace")
        w.statusBar().showMessage(f"{note} · {new.helpdesk.name}", 6000)
        w.banner.hide()  # what it said was about the old connection
        s.start()
        if reopen is not None and reopen[0] is not None:
            s.open_ticket(reopen[0], reopen[1])

    w.runner.run("switch", _swap(), on_ok=_swapped)

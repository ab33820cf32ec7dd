"""Workspaces, URL/clipboard following, settings and About.

A mixin of ui.main_window.MainWindow: its methods use the window's widgets, session and runner.
"""

from __future__ import annotations

from assist.domain import (
    TicketId,
)
from assist.links import ticket_from_url
from assist.session import Session, build_session
from assist.settings import save_settings


class WorkspaceMixin:
    """Workspaces, URL/clipboard following, settings and About."""

    def follow_clipboard(self, text: str) -> None:
        """Open the ticket whose helpdesk URL the agent just copied (if following is on)."""
        if not self.session.settings.ui.follow_clipboard:
            return
        found = ticket_from_url(text, self.session.settings.current.helpdesk)
        if found is not None and found != self.current:
            self.queue.select_id(found)
            self.open_ticket(TicketId(found))
            self.statusBar().showMessage(f"Following #{found} from the clipboard", 4000)

    def _on_workspace_box_changed(self, name: str) -> None:
        if name and name != self.session.workspace:
            self.switch_workspace(name)

    def switch_workspace(self, name: str) -> None:
        settings = self.session.settings
        if name not in settings.workspaces:
            return
        settings.active_workspace = name
        try:
            save_settings(settings, self.session.paths.config_file)
        except OSError as exc:
            self.banner.show_message(f"Couldn't save the workspace choice: {exc.strerror}")
        self.save_draft_now()
        for task in ("queue", "open", "route", "draft", "actions", "history"):
            self.runner.cancel(task)
        old = self.session

        async def _swap() -> Session:
            await self.runner.wait_for("save:")
            await self.runner.wait_for("action:")
            new = build_session(old.paths, settings, old.secrets)
            await old.aclose()
            return new

        def _swapped(new: Session) -> None:
            self.session = new
            self.current = self._loaded = self._ctx = self._route = None
            self.thread.setHtml("<p><i>Select a ticket.</i></p>")
            self.context.setHtml("")
            self.draft.load("")
            self.draft.clear_assist()
            self.draft.set_enabled(False)
            self.actions_pane.clear()
            self.setWindowTitle(f"Assist — {new.workspace} workspace")
            self.statusBar().showMessage(f"Workspace {new.workspace} · {new.helpdesk.name}", 6000)
            self.start()

        self.runner.run("switch", _swap(), on_ok=_swapped)

    def open_about(self) -> None:
        from ui.about_dialog import AboutDialog

        self._about = AboutDialog(self.session.paths, self.session.secrets, self)
        self._about.show()

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.session, self, self.runner)
        dialog.saved.connect(self._on_settings_saved)
        dialog.open()

    def _on_settings_saved(self) -> None:
        self._autosave.setInterval(self.session.settings.ui.autosave_ms)
        names = list(self.session.settings.workspaces)
        self.workspace_box.blockSignals(True)
        self.workspace_box.clear()
        self.workspace_box.addItems(names)
        self.workspace_box.setCurrentText(self.session.workspace)
        self.workspace_box.blockSignals(False)
        if self.session.settings.active_workspace != self.session.workspace:
            self.workspace_box.setCurrentText(self.session.settings.active_workspace)
            return
        ai = self.actions_by_name["ai"]
        if ai.isChecked() != self.session.ai_enabled:
            ai.setChecked(self.session.ai_enabled)  # runs the kill-switch path
        elif self._ctx is not None and self.session.ai_enabled:
            ctx = self._ctx  # the roster may have changed: route the open ticket again
            self.runner.run("route", self.session.route_ticket(ctx),
                            on_ok=lambda r: self._on_routed(ctx.ticket.id, r, auto=False))
        self.statusBar().showMessage("Settings saved", 4000)

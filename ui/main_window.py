"""The main window: queue | thread over draft | customer context, with a banner for errors.

Holds no business logic: every operation is a ``Session`` coroutine started through ``TaskRunner``.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from assist.domain import TicketId, TicketStatus, TicketSummary
from assist.links import ticket_from_url
from assist.session import Session
from assist.settings import save_settings, url_warnings

from ui.errors import Banner
from ui.signature_prompt import SignaturePrompt
from ui.tasks import TaskRunner
from ui.ticket_controller import TicketController
from ui.views.actions import ActionsPane
from ui.views.browser import SafeBrowser
from ui.views.draft import DraftPane
from ui.views.queue import QueuePane
from ui.window_chrome import (
    TOOLBAR,
    build_actions,
    build_menus,
    fit_to_screen,
    restore_layout,
    save_layout,
    split_panes,
)
from ui.workspace_switch import reconnect, switch_workspace


class MainWindow(QMainWindow):
    """Widgets, toolbar, queue, workspaces and dialogs. The open ticket and every operation on it
    belong to ``self.ticket`` (``ui.ticket_controller.TicketController``)."""

    def __init__(self, session: Session, startup_problems: list[str] | None = None) -> None:
        super().__init__()
        self.session = session
        self.setWindowTitle(f"Assist — {session.workspace} workspace")
        fit_to_screen(self, 1400, 860)
        self.banner = Banner()
        self.runner = TaskRunner(on_error=lambda exc: self.banner.show_message(str(exc)))
        # the team store's sync state, always visible when the workspace has one (never a dialog)
        self.team_status = QLabel("")
        self.team_status.setObjectName("teamStatus")
        self.statusBar().addPermanentWidget(self.team_status)
        self.team_timer = QTimer(self)
        self.team_timer.timeout.connect(self.sync_team)

        self.queue = QueuePane()
        self.thread_view = SafeBrowser()
        self.thread_view.setObjectName("thread")
        self.thread_view.internal_link.connect(lambda path: self.ticket.on_thread_internal_link(path))
        self.thread_view.setHtml("<p><i>Select a ticket.</i></p>")
        self.context = SafeBrowser()
        self.context.setObjectName("context")
        self.context.setHtml("<p><i>Customer context appears here.</i></p>")
        self.draft = DraftPane()
        self.actions_pane = ActionsPane()
        self.history = SafeBrowser()
        self.history.setObjectName("history")
        self.side = QTabWidget()
        self.side.addTab(self.context, "Customer")
        self.side.addTab(self.actions_pane, "Actions")
        self.side.addTab(self.history, "History")
        self.side.currentChanged.connect(self._on_side_current_changed)

        self.middle, self.panes = split_panes(self.queue, self.thread_view, self.draft, self.side)
        self.context.internal_link.connect(self._on_context_link)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner)
        layout.addWidget(self.panes, 1)
        self.setCentralWidget(central)

        self.ticket: TicketController = TicketController(self)
        self.signature = SignaturePrompt(self, lambda: self.session, self.banner, self.statusBar)
        self._close_anyway = False
        self._windows: dict[str, QWidget] = {}

        self._build_actions()
        restore_layout(self, self._layout_store(), (self.panes, self.middle), self.side)
        self.statusBar().showMessage(
            f"{session.helpdesk.name} · agent {session.settings.agent.name}"
        )
        self.queue.filter_changed.connect(self.refresh_queue)
        self.queue.ticket_selected.connect(self._on_queue_ticket_selected)
        self.draft.edited.connect(self.ticket.on_draft_edited)
        self.draft.set_send_as(session.settings.current.reply.send_as)
        self.draft.send_button.clicked.connect(lambda: self.send(public=True))
        self.draft.note_button.clicked.connect(lambda: self.send(public=False))
        self.draft.draft_button.clicked.connect(lambda: self.generate_draft())
        self.draft.stop_button.clicked.connect(self.stop_draft)
        self.draft.citation_clicked.connect(self.ticket.show_source)
        warnings = url_warnings(session.settings)
        if startup_problems or warnings:
            self.banner.show_message(
                " ".join(([("Settings: " + "; ".join(startup_problems) + ". Defaults are used for these.")]
                          if startup_problems else []) + warnings),
                level="warning",
            )

    def _build_actions(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.jump = QLineEdit()
        self.jump.setPlaceholderText("Go to ticket #… (Ctrl+K)")
        self.jump.setToolTip("Type a ticket id and press Enter (Ctrl+K)")
        self.jump.setMaximumWidth(220)
        self.jump.returnPressed.connect(self._on_jump_return_pressed)
        self.actions_by_name = build_actions(self, {
            "jump": self.focus_jump, "search": self.queue.search.setFocus, "next": lambda: self.queue.step(1),
            "previous": lambda: self.queue.step(-1), "refresh": self.refresh_all,
            "draft": self.draft.editor.setFocus, "send": lambda: self.send(public=True),
            "note": lambda: self.send(public=False), "settings": self.open_settings,
            "generate": lambda: self.generate_draft(), "stop": self.stop_draft, "ai": None,
            "tab_customer": lambda: self.side.setCurrentIndex(0), "tab_actions": self.focus_actions,
            "send_solved": lambda: self.send(public=True, status=TicketStatus.SOLVED),
            "tab_history": lambda: self.side.setCurrentIndex(2), "escalate": self.open_escalate,
            "review": self.open_review, "report": self.open_report, "learn": self.open_learn,
            "workspace": lambda: self.workspace_box.showPopup(), "about": self.open_about,
            "knowledge": self.open_knowledge, "quit": self.close,
        })
        build_menus(self, self.actions_by_name)
        ai = self.actions_by_name["ai"]
        ai.setCheckable(True)
        ai.setChecked(self.session.ai_enabled)
        ai.toggled.connect(self._on_ai_toggled)  # a checkable action toggles itself on trigger
        self.workspace_box: QComboBox = QComboBox()
        self.workspace_box.setToolTip("Switch workspace (Ctrl+Shift+O)")
        self.workspace_box.addItems(list(self.session.settings.workspaces))
        self.workspace_box.setCurrentText(self.session.workspace)
        self.workspace_box.currentTextChanged.connect(self._on_workspace_box_changed)
        bar.addWidget(self.workspace_box)
        bar.addWidget(self.jump)
        for name in TOOLBAR:
            bar.addAction(self.actions_by_name[name])
        for button, name in ((self.draft.send_button, "send"), (self.draft.note_button, "note"),
                             (self.draft.draft_button, "generate"), (self.draft.stop_button, "stop")):
            button.setToolTip(self.actions_by_name[name].toolTip())

    def focus_actions(self) -> None:
        """Alt+2: the Actions tab, with the first card that can run focused (Space approves it)."""
        self.side.setCurrentIndex(1)
        self.actions_pane.focus_first()

    def _layout_store(self) -> QSettings:
        return QSettings(str(self.session.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)

    def _on_context_link(self, path: str) -> None:
        """"Other tickets" in the customer pane open in the window."""
        if path.startswith("ticket/"):
            ticket_id = TicketId(path[len("ticket/"):])
            self.queue.select_id(ticket_id)
            self.open_ticket(ticket_id, self.ticket.current_email)  # same customer: fetched alongside

    def start(self) -> None:
        self.runner.run("journal", self.session.journal.opened(), on_ok=self.on_journal_notice)
        # What the first ticket's draft needs now; the model host in its own process; the actions stack
        # (catalog, keyring, demo backend: ~250 ms of CPU competing for the GIL) once that draft is shown.
        self.runner.run("prepare", self.session.knowledge_ready())
        self.runner.run("routing", self.session.routing_ready())
        self.runner.run("models", self.session.start_models())
        self.refresh_queue()
        self.runner.run("signature", self.session.signature_name(), on_ok=self.signature.known)
        self.team_timer.stop()
        self.team_status.setVisible(self.session.team is not None)
        if self.session.team is not None:
            self.team_status.setText("Team store: connecting…")
            self.team_timer.start(int(self.session.settings.current.team.sync_interval_s * 1000))
            self.sync_team()

    def sync_team(self) -> None:
        """Push what waits and pull reviews, off the UI thread; the status bar says how it went."""
        if self.session.team is not None and not self.runner.running("team-sync"):
            self.runner.run("team-sync", self.session.sync_team(), on_ok=self.team_status.setText)

    def on_journal_notice(self, notice: str) -> None:
        if notice:
            self.banner.show_message(notice, level="warning")

    @property
    def as_widget(self) -> QWidget:
        return self

    def show_thread(self, html: str, *, scroll: bool = False) -> None:
        """The thread pane's text; ``scroll``: to its newest message."""
        self.thread_view.setHtml(html)
        if scroll:
            bar = self.thread_view.verticalScrollBar()
            bar.setValue(bar.maximum())

    def show_open_actions(self, count: int) -> None:
        self.side.setTabText(1, f"Actions ({count})" if count else "Actions")

    def refresh_queue(self) -> None:
        self.runner.run(
            "queue",
            self.session.queue(self.queue.current_filter()),
            on_ok=self._show_queue,
            on_error=lambda exc: self.banner.show_message(
                f"Couldn't load the queue: {exc}", retry=self.refresh_queue
            ),
        )

    def refresh_all(self) -> None:
        invalidate = getattr(self.session.crm, "invalidate", None)
        if invalidate is not None:
            invalidate()  # F5 means fresh customer context too
        self.refresh_queue()
        if self.ticket.current is not None:
            self.open_ticket(self.ticket.current, self.ticket.current_email)

    def _show_queue(self, tickets: list[TicketSummary]) -> None:
        if self.banner.text.startswith("Couldn't load the queue"):
            self.banner.hide()  # it loads now: the old failure is no longer true
        self.queue.set_tickets(tickets, keep=self.ticket.current)
        self.statusBar().showMessage(f"{len(tickets)} tickets · {self.session.helpdesk.name}", 4000)
        if self.ticket.current is None and tickets:
            self.queue.list.setCurrentRow(0)

    def _on_queue_ticket_selected(self, summary: TicketSummary) -> None:
        if summary.id != self.ticket.current:
            self.open_ticket(summary.id, summary.requester_email)

    def focus_jump(self) -> None:
        self.jump.setFocus()
        self.jump.selectAll()

    def _on_jump_return_pressed(self) -> None:
        text = self.jump.text().strip()
        if text.startswith(("http://", "https://")):
            found = ticket_from_url(text, self.session.settings.current.helpdesk)
            if found is None:
                self.banner.show_message("That link isn't a ticket in this workspace's helpdesk.", level="warning")
                return
            text = found
        ticket_id = text.lstrip("#")
        if not ticket_id:
            return
        self.jump.clear()
        self.queue.select_id(ticket_id)
        self.open_ticket(TicketId(ticket_id), self.queue.requester_of(ticket_id))
        self.thread_view.setFocus()  # out of the jump box: Ctrl+E, Ctrl+G and friends work at once

    # -- the open ticket: the controller's (thin entry points for toolbar, queue and tests) ------------
    def open_ticket(self, ticket_id: TicketId, requester_email: str | None = None) -> None:
        self.ticket.open_ticket(ticket_id, requester_email)

    def send(self, *, public: bool, status: TicketStatus | None = None) -> None:
        self.ticket.send(public=public, status=status)

    def generate_draft(self, *, auto: bool = False) -> None:
        self.ticket.generate_draft(auto=auto)

    def stop_draft(self) -> None:
        self.ticket.stop_draft()

    def save_draft_now(self) -> None:
        self.ticket.save_draft_now()

    def open_escalate(self) -> None:
        self.ticket.open_escalate()

    def _on_side_current_changed(self, index: int) -> None:
        if index == 2:
            self.ticket.refresh_history()

    def _on_ai_toggled(self, enabled: bool) -> None:
        self.session.settings.ai.enabled = enabled
        try:
            save_settings(self.session.settings, self.session.paths.config_file)
        except OSError as exc:
            self.banner.show_message(f"The AI switch couldn't be saved to the config file: {exc.strerror}")
        self.ticket.ai_toggled(enabled)
        self.statusBar().showMessage("AI features on" if enabled else "AI features off", 4000)

    # -- windows beside the main one -------------------------------------------------------------------
    def open_knowledge(self) -> None:
        from ui.knowledge_dialog import KnowledgeDialog

        KnowledgeDialog(lambda: self.session, self.runner, self).show()

    def open_review(self) -> None:
        from ui.review_window import ReviewWindow

        self._beside(ReviewWindow(lambda: self.session, self.runner, self))

    def open_learn(self) -> None:
        from ui.learn_window import LearnWindow

        self._beside(LearnWindow(lambda: self.session, self.runner, self))

    def open_report(self) -> None:
        from ui.report_dialog import ReportDialog

        self._beside(ReportDialog(lambda: self.session, self.runner, self))

    def _beside(self, window: QWidget) -> None:
        self._windows[type(window).__name__] = window  # one of each, kept while it is open
        window.show()

    def open_about(self) -> None:
        from ui.about_dialog import AboutDialog

        self._beside(AboutDialog(self.session.paths, self.session.secrets, self))

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.session, self, self.runner)
        dialog.saved.connect(self._on_settings_saved)
        dialog.open()

    def _on_settings_saved(self, reconnect: bool = False) -> None:
        self.ticket.autosave.setInterval(self.session.settings.ui.autosave_ms)
        self.draft.set_send_as(self.session.settings.current.reply.send_as)
        names = list(self.session.settings.workspaces)
        self.workspace_box.blockSignals(True)
        self.workspace_box.clear()
        self.workspace_box.addItems(names)
        self.workspace_box.setCurrentText(self.session.workspace)
        self.workspace_box.blockSignals(False)
        if self.session.settings.active_workspace != self.session.workspace:
            self.workspace_box.setCurrentText(self.session.settings.active_workspace)
            return
        if reconnect:  # a new token, helpdesk, CRM, team store or model: connect with them now, not at restart
            self.reconnect(self.session.workspace, "Settings saved: reconnected")
            return
        ai = self.actions_by_name["ai"]
        if ai.isChecked() != self.session.ai_enabled:
            ai.setChecked(self.session.ai_enabled)  # runs the kill-switch path
        elif self.ticket.ctx is not None and self.session.ai_enabled:
            self.ticket.route_again()  # the roster may have changed: route the open ticket again
        self.statusBar().showMessage("Settings saved", 4000)

    # -- workspaces and URL following -----------------------------------------------------------------
    def follow_clipboard(self, text: str) -> None:
        """Open the ticket whose helpdesk URL the agent just copied (if following is on)."""
        if not self.session.settings.ui.follow_clipboard:
            return
        found = ticket_from_url(text, self.session.settings.current.helpdesk)
        if found is not None and found != self.ticket.current:
            self.queue.select_id(found)
            self.open_ticket(TicketId(found), self.queue.requester_of(found))
            self.statusBar().showMessage(f"Following #{found} from the clipboard", 4000)

    def _on_workspace_box_changed(self, name: str) -> None:
        if name and name != self.session.workspace:
            self.switch_workspace(name)

    def switch_workspace(self, name: str) -> None:
        switch_workspace(self, self, name)

    def reconnect(self, name: str, note: str) -> None:
        reconnect(self, self, name, note)

    async def shutdown(self) -> None:
        """Save the draft, let saves finish, cancel the rest. Called once the window is closed."""
        self.save_draft_now()
        self.team_timer.stop()
        await self.runner.wait_for("save:")
        await self.runner.cancel_all()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.save_draft_now()
        unsaved = self.ticket.unsaved
        if unsaved and not self._close_anyway:
            event.ignore()  # one warning; closing again quits without them
            self._close_anyway = True
            n, which = len(unsaved), ", ".join("#" + t for t in unsaved)
            self.banner.show_message(
                f"{n} draft{'s' if n != 1 else ''} could not be saved yet ({which}). "
                "Fix the problem above and they save themselves, or close again to quit without them.",
                level="error")
            return
        save_layout(self, self._layout_store(), (self.panes, self.middle), self.side)
        # Widgets emit signals while Qt tears them down (tabs removed, list cleared); a Python slot
        # running on a half-destroyed window crashes the process, so nothing is listened to past here.
        for widget in (self.side, self.queue, self.queue.list, self.queue.search, self.queue.status,
                       self.draft, self.draft.editor):
            widget.blockSignals(True)
        super().closeEvent(event)

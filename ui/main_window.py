"""The main window: queue | thread over draft | customer context, with a banner for errors.

Holds no business logic: every operation is a ``Session`` coroutine started through ``TaskRunner``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from assist.domain import TicketId, TicketStatus, TicketSummary
from assist.links import ticket_from_url
from assist.session import Session
from assist.settings import save_settings, url_warnings
from assist.workspace import build_session

from ui.errors import Banner
from ui.tasks import TaskRunner
from ui.ticket_controller import TicketController
from ui.views.actions import ActionsPane
from ui.views.browser import SafeBrowser
from ui.views.draft import DraftPane
from ui.views.queue import QueuePane


class MainWindow(QMainWindow):
    """Widgets, toolbar, queue, workspaces and dialogs. The open ticket and every operation on it
    belong to ``self.ticket`` (``ui.ticket_controller.TicketController``)."""

    def __init__(self, session: Session, startup_problems: list[str] | None = None) -> None:
        super().__init__()
        self.session = session
        self.setWindowTitle(f"Assist — {session.workspace} workspace")
        self._fit_to_screen(1400, 860)
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

        self.middle = middle = QSplitter(Qt.Orientation.Vertical)
        middle.setObjectName("middleSplitter")
        middle.addWidget(self.thread_view)
        middle.addWidget(self.draft)
        # the draft gets two thirds of the column (its editor at least 40% at 1366x768): it is where the agent
        # works; the thread scrolls to its newest message
        middle.setSizes([280, 720])
        middle.setStretchFactor(0, 1)
        middle.setStretchFactor(1, 1)
        self.panes = panes = QSplitter(Qt.Orientation.Horizontal)
        panes.setObjectName("panesSplitter")
        panes.addWidget(self.queue)
        panes.addWidget(middle)
        panes.addWidget(self.side)
        panes.setSizes([300, 700, 400])
        panes.setStretchFactor(1, 1)
        self.context.internal_link.connect(self._on_context_link)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner)
        layout.addWidget(panes, 1)
        self.setCentralWidget(central)

        self.ticket: TicketController = TicketController(self)
        self._close_anyway = False

        self._build_actions()
        self._build_menus()
        self._restore_layout()
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

    def _action(
        self, text: str, keys: list[str], slot: Callable[[], object] | None, tip: str
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shown = QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shown})")
        action.setStatusTip(f"{tip} ({shown})")
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

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
        self.actions_by_name: dict[str, QAction] = {
            "jump": self._action("Go to ticket", ["Ctrl+K"], self.focus_jump, "Jump to a ticket by id"),
            "search": self._action(
                "Search", ["Ctrl+F"], self.queue.search.setFocus, "Search the queue"
            ),
            "next": self._action(
                "Next ticket", ["Alt+Down", "Ctrl+J"], lambda: self.queue.step(1), "Next ticket in the queue"
            ),
            "previous": self._action(
                "Previous ticket", ["Alt+Up", "Ctrl+Shift+J"], lambda: self.queue.step(-1),
                "Previous ticket in the queue",
            ),
            "refresh": self._action(
                "Refresh", ["F5"], self.refresh_all, "Reload the queue and the open ticket"
            ),
            "draft": self._action(
                "Edit draft", ["Ctrl+D"], self.draft.editor.setFocus, "Move to the draft editor"
            ),
            "send": self._action(
                "Send reply", ["Ctrl+Return", "Ctrl+Enter"], lambda: self.send(public=True),
                "Send the draft as a public reply",
            ),
            "note": self._action(
                "Add note", ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"],
                lambda: self.send(public=False), "Post the draft as an internal note",
            ),
            "settings": self._action("Settings", ["Ctrl+,"], self.open_settings, "Open settings"),
            "generate": self._action(
                "Draft reply", ["Ctrl+G"], lambda: self.generate_draft(), "Draft a reply with the routed tier"
            ),
            "stop": self._action("Stop drafting", ["Esc"], self.stop_draft, "Stop the draft being written"),
            "ai": self._action(
                "AI", ["Ctrl+Shift+A"], None, "Turn every AI feature on or off (kill switch)"
            ),
            "tab_customer": self._action(
                "Customer", ["Alt+1"], lambda: self.side.setCurrentIndex(0), "Show the customer's context"
            ),
            "tab_actions": self._action(
                "Actions", ["Alt+2"], self.focus_actions, "Show proposed AI Actions (Space approves the first)"
            ),
            "send_solved": self._action(
                "Send as Solved", ["Ctrl+Alt+Return", "Ctrl+Alt+Enter"],
                lambda: self.send(public=True, status=TicketStatus.SOLVED), "Send the reply and mark the ticket solved",
            ),
            "tab_history": self._action(
                "History", ["Alt+3"], lambda: self.side.setCurrentIndex(2), "Show the ticket's action history"
            ),
            "escalate": self._action(
                "Escalate", ["Ctrl+E"], self.open_escalate, "Escalate this ticket with a reason"
            ),
            "review": self._action(
                "Review", ["Ctrl+Shift+R"], self.open_review, "Review escalations (senior agents)"
            ),
            "report": self._action(
                "Report", ["Ctrl+Shift+W"], self.open_report, "Export the weekly team report"
            ),
            "learn": self._action(
                "Learn", ["Ctrl+Shift+L"], self.open_learn,
                "Learn the team's intents from its ticket history (team leads)"
            ),
            "workspace": self._action(
                "Workspace", ["Ctrl+Shift+O"], lambda: self.workspace_box.showPopup(), "Switch workspace"
            ),
            "about": self._action("About", ["F1"], self.open_about, "Version, paths and Copy diagnostics"),
            "knowledge": self._action(
                "Knowledge", ["Ctrl+Shift+K"], self.open_knowledge, "Search and add to the knowledge base"
            ),
        }
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
        for name in ("refresh", "previous", "next", "generate", "send", "note", "escalate", "ai", "knowledge",
                     "review", "report", "settings", "about"):
            bar.addAction(self.actions_by_name[name])
        self.draft.send_button.setToolTip(self.actions_by_name["send"].toolTip())
        self.draft.note_button.setToolTip(self.actions_by_name["note"].toolTip())
        self.draft.draft_button.setToolTip(self.actions_by_name["generate"].toolTip())
        self.draft.stop_button.setToolTip(self.actions_by_name["stop"].toolTip())

    def _build_menus(self) -> None:
        """The standard menu bar: every entry is the toolbar's action, with its shortcut shown."""
        quit_action = self._action("Quit", ["Ctrl+Q"], self.close, "Save drafts and quit Assist")
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.actions_by_name["quit"] = quit_action
        bar = self.menuBar()
        menus: dict[str, list[str | None]] = {
            "&File": ["workspace", "settings", None, "quit"],
            "&Ticket": ["jump", "search", "next", "previous", "refresh", None, "generate", "stop", "draft", None,
                        "send", "send_solved", "note", "escalate"],
            "&View": ["tab_customer", "tab_actions", "tab_history", None, "knowledge", "ai"],
            "T&eam": ["review", "report", "learn"],
            "&Help": ["about"],
        }
        for title, names in menus.items():
            menu = bar.addMenu(title)
            for name in names:
                if name is None:
                    menu.addSeparator()
                else:
                    menu.addAction(self.actions_by_name[name])

    def focus_actions(self) -> None:
        """Alt+2: the Actions tab, with the first card that can run focused (Space approves it)."""
        self.side.setCurrentIndex(1)
        self.actions_pane.focus_first()

    def _layout_store(self) -> QSettings:
        return QSettings(str(self.session.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)

    def _fit_to_screen(self, width: int, height: int) -> None:
        """This size, or the screen's available area when that is smaller (1366x768: Send stays on screen)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(width, height)
            return
        area = screen.availableGeometry()
        self.resize(min(width, area.width()), min(height, area.height()))
        frame = self.frameGeometry()
        frame.moveCenter(area.center())
        self.move(max(area.left(), frame.left()), max(area.top(), frame.top()))

    def _restore_layout(self) -> None:
        """Window size, splitters and the side tab as the agent left them (QSettings, in the config dir), kept
        within the screen it opens on (a layout saved on a larger monitor never puts buttons off-screen)."""
        store = self._layout_store()
        geometry = store.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
            self._fit_to_screen(self.width(), self.height())
        for splitter in (self.panes, self.middle):
            state = store.value(splitter.objectName())
            if state is not None:
                splitter.restoreState(state)
        tab = store.value("sideTab")
        if tab is not None and str(tab).isdigit():
            self.side.setCurrentIndex(int(str(tab)))

    def _save_layout(self) -> None:
        store = self._layout_store()
        store.setValue("geometry", self.saveGeometry())
        for splitter in (self.panes, self.middle):
            store.setValue(splitter.objectName(), splitter.saveState())
        store.setValue("sideTab", self.side.currentIndex())
        store.sync()

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
        self.runner.run("signature", self.session.signature_name(), on_ok=self._on_signature_known)
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

    def _on_signature_known(self, name: str) -> None:
        """The helpdesk couldn't say who the agent is (the demo, RT): ask once, never sign as the OS login."""
        if not name:
            self.banner.show_message("Replies are signed with your name: how should it read?",
                                     retry=self.ask_signature_name, level="info", action_text="&Set name…")

    def ask_signature_name(self) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Your name on replies")
        dialog.setLabelText("Sign replies as (the name customers see):")
        dialog.textValueSelected.connect(self._on_signature_name_chosen)
        dialog.open()
        self._signature_dialog = dialog

    def _on_signature_name_chosen(self, name: str) -> None:
        name = name.strip()
        if not name:
            return
        self.session.settings.agent.display_name = name
        try:
            save_settings(self.session.settings, self.session.paths.config_file)
        except OSError as exc:
            self.banner.show_message(f"Your name couldn't be saved to the config file: {exc.strerror}")
        self.statusBar().showMessage(f"Replies are signed “{name}”", 4000)

    @property
    def as_widget(self) -> QWidget:
        return self

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

        self._review = ReviewWindow(lambda: self.session, self.runner, self)
        self._review.show()

    def open_learn(self) -> None:
        from ui.learn_window import LearnWindow

        self._learn = LearnWindow(lambda: self.session, self.runner, self)
        self._learn.show()

    def open_report(self) -> None:
        from ui.report_dialog import ReportDialog

        self._report = ReportDialog(lambda: self.session, self.runner, self)
        self._report.show()

    def open_about(self) -> None:
        from ui.about_dialog import AboutDialog

        self._about = AboutDialog(self.session.paths, self.session.secrets, self)
        self._about.show()

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
        settings = self.session.settings
        if name not in settings.workspaces:
            return
        self.save_draft_now()
        if self.ticket.unsaved:  # they belong to this workspace's journal: never carried into another
            which = ", ".join("#" + t for t in self.ticket.unsaved)
            self.banner.show_message(f"Drafts for {which} aren't saved yet, so the workspace stays "
                                     f"{self.session.workspace} until they are.", level="warning")
            self.workspace_box.blockSignals(True)
            self.workspace_box.setCurrentText(self.session.workspace)
            self.workspace_box.blockSignals(False)
            return
        settings.active_workspace = name
        try:
            save_settings(settings, self.session.paths.config_file)
        except OSError as exc:
            self.banner.show_message(f"Couldn't save the workspace choice: {exc.strerror}")
        self.reconnect(name, f"Workspace {name}")

    def reconnect(self, name: str, note: str) -> None:
        """A fresh session for workspace ``name`` (its connectors, keys and models as saved now); the old
        one closes once its saves and running actions are done. The queue reloads; the ticket is reopened."""
        settings = self.session.settings
        reopen = (self.ticket.current, self.ticket.current_email) if name == self.session.workspace else None
        self.save_draft_now()
        for task in ("queue", "open", "route", "draft", "actions", "history"):
            self.runner.cancel(task)
        old = self.session

        async def _swap() -> Session:
            await self.runner.wait_for("save:")
            await self.runner.wait_for("action-")
            new = build_session(old.paths, settings, old.secrets)
            await old.aclose()
            return new

        def _swapped(new: Session) -> None:
            self.session = new
            self.ticket.reset()
            self.thread_view.setHtml("<p><i>Select a ticket.</i></p>")
            self.context.setHtml("")
            self.draft.load("")
            self.draft.clear_assist()
            self.draft.set_enabled(False)
            self.actions_pane.clear()
            self.setWindowTitle(f"Assist — {new.workspace} workspace")
            self.statusBar().showMessage(f"{note} · {new.helpdesk.name}", 6000)
            self.banner.hide()  # what it said was about the old connection
            self.start()
            if reopen is not None and reopen[0] is not None:
                self.open_ticket(reopen[0], reopen[1])

        self.runner.run("switch", _swap(), on_ok=_swapped)

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
        self._save_layout()
        # Widgets emit signals while Qt tears them down (tabs removed, list cleared); a Python slot
        # running on a half-destroyed window crashes the process, so nothing is listened to past here.
        for widget in (self.side, self.queue, self.queue.list, self.queue.search, self.queue.status,
                       self.draft, self.draft.editor):
            widget.blockSignals(True)
        super().closeEvent(event)

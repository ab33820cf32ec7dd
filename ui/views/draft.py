"""The draft editor: route and grounding above it, citation chips below it, Send / Note buttons."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from assist.domain import Citation, Draft, Route, Tier

from ui.views.flow import FlowLayout

TIER_COLOURS = {Tier.HUMAN: "#b00020", Tier.OFFLINE: "#2e7d32", Tier.FAST: "#1565c0",
                Tier.FRONTIER: "#6a1b9a"}


def route_html(route: Route) -> str:
    colour = TIER_COLOURS[route.tier]
    if route.human_only:
        head = f'<b style="color:{colour}">{html.escape(route.reasons[0].capitalize())}</b>'
        rest = route.reasons[1:]
    else:
        model = f" ({html.escape(route.model)})" if route.model else ""
        head = f'Route: <b style="color:{colour}">{route.tier.value}{model}</b>'
        rest = route.reasons
    title = route.intent_title or route.intent.replace("_", " ")
    facts = (f"intent {html.escape(title)} ({route.intent_confidence:.0%}) · "
             f"risk {route.risk} · complexity {route.complexity} · sentiment {route.sentiment:+.2f}")
    why = f"<br><i>{html.escape('; '.join(rest))}</i>" if rest else ""
    return f"{head} · {facts}{why}"


# What the draft pane says about its draft: the pane owns the words, the controller names the state.
DRAFT_STATES: dict[str, str] = {
    "clear": "",
    "restored": "Draft restored from {when}",
    "unsaved_kept": "Draft not saved yet: kept in this window, retrying",
    "editing": "Editing…",
    "saved": "Draft saved {when}",
    "empty": "Nothing to send: the draft is empty.",
    "sending": "Sending…",
    "adding_note": "Adding note…",
    "sent": "Reply sent {when}",
    "note_added": "Note added {when}",
    "not_sent": "Not sent: your draft is kept.",
    "drafting": "Drafting…",
    "incomplete": "Draft incomplete: what was written is kept.",
    "offline_fallback": "Offline draft (the model was not reachable): Ctrl+Z brings back your text.",
    "kept_typing": "A draft is ready, but you were typing: your text was kept (Ctrl+G again to replace it).",
    "drafted_offline": "Drafted offline",
    "drafted_by": "Drafted by {model}",
    "failed": "Drafting failed: your text is kept.",
    "stopped": "Drafting stopped: the text so far is kept.",
}


class DraftPane(QWidget):
    """Signals:
        edited(): the agent changed the text (not when the window loads or streams a draft).
        citation_clicked(object): the Citation whose chip was clicked.
    """

    edited = Signal()
    citation_clicked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Draft")
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # a requester's name is their text, never markup
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.route_label = QLabel("")
        self.route_label.setObjectName("route")
        self.route_label.setWordWrap(True)
        self.draft_button = QPushButton("Draft reply")
        self.stop_button = QPushButton("Stop")
        self.stop_button.hide()
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Write a reply… (Ctrl+Enter sends, Ctrl+Shift+Enter adds a note)")
        self.editor.setToolTip("Your draft is saved automatically as you type")
        self.note_label = QLabel("")
        self.note_label.setObjectName("draftNote")
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: #8a5a00")
        self.chip_area = QWidget()  # citation chips wrap onto more lines instead of being clipped
        self.chips = FlowLayout(self.chip_area)
        self.chip_buttons: list[QToolButton] = []
        self.check_label = QLabel("")
        self.check_label.setObjectName("citationCheck")
        self.check_label.setWordWrap(True)
        self.meta_label = QLabel("")
        self.meta_label.setObjectName("draftMeta")
        self.send_button = QPushButton("Send as Pending")
        self.send_as = QComboBox()
        self.send_as.setObjectName("sendAs")
        for label, value in (("Pending", "pending"), ("Open", "open"), ("Solved", "solved")):
            self.send_as.addItem(label, value)
        self.send_as.setToolTip("The ticket's status after the reply is sent")
        self.send_as.currentTextChanged.connect(lambda text: self.send_button.setText(f"Send as {text}"))
        self.note_button = QPushButton("Add internal note")
        self.state = QLabel("")
        self.state.setObjectName("draftState")

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.stop_button)
        head.addWidget(self.draft_button)
        self.meta_label.setStyleSheet("color: #666")
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.meta_label)
        buttons.addWidget(self.note_button)
        buttons.addWidget(self.send_as)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.route_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.chip_area)
        layout.addWidget(self.check_label)
        layout.addLayout(buttons)
        self.editor.textChanged.connect(self.edited.emit)
        self.note_label.hide()
        self.set_enabled(False)

    # -- text -----------------------------------------------------------------------------------
    def text(self) -> str:
        return self.editor.toPlainText()

    def load(self, text: str) -> None:
        """Replace the text without emitting ``edited`` (nothing new to save)."""
        self.editor.blockSignals(True)
        self.editor.setPlainText(text)
        self.editor.blockSignals(False)
        self.editor.setExtraSelections([])

    def replace_undoably(self, text: str) -> None:
        """Put a generated draft in, keeping the agent's text one Ctrl+Z away."""
        self.editor.blockSignals(True)
        cursor = self.editor.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        self.editor.blockSignals(False)

    def append_streamed(self, piece: str) -> None:
        self.editor.blockSignals(True)
        cursor = self.editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)
        self.editor.setTextCursor(cursor)
        self.editor.blockSignals(False)

    def insert_at_cursor(self, text: str) -> None:
        """Put a card's text where the agent is writing: never above the greeting (a cursor at the top of a
        written draft goes to its end), on a paragraph of its own; the editor keeps the focus."""
        cursor = self.editor.textCursor()
        if cursor.position() == 0 and self.text().strip():
            cursor.movePosition(QTextCursor.MoveOperation.End)
            self.editor.setTextCursor(cursor)
        if cursor.position() > 0 and not self.text()[:cursor.position()].endswith("\n"):
            text = "\n\n" + text
        self.editor.insertPlainText(text)
        self.editor.setFocus()

    def set_title(self, text: str) -> None:
        self.title.setText(text)

    def allow_drafting(self, allowed: bool) -> None:
        """The "Draft reply" button: off while a draft is written or when AI is off."""
        self.draft_button.setEnabled(allowed)

    def set_enabled(self, enabled: bool) -> None:
        for w in (self.editor, self.send_button, self.note_button):
            w.setEnabled(enabled)

    def show_state(self, kind: str, **values: str) -> None:
        """Say where the draft stands (``DRAFT_STATES``: the pane's own words)."""
        self.state.setText(DRAFT_STATES[kind].format(**values))

    def set_streaming(self, streaming: bool) -> None:
        self.editor.setReadOnly(streaming)
        self.stop_button.setVisible(streaming)
        self.draft_button.setEnabled(not streaming)
        self.send_button.setEnabled(not streaming)
        self.note_button.setEnabled(not streaming)

    # -- assistant output -----------------------------------------------------------------------
    def clear_assist(self) -> None:
        self.route_label.setText("")
        self.show_note("")
        self.show_citations(())
        self.check_label.setText("")
        self.meta_label.setText("")
        self.editor.setExtraSelections([])

    def show_route(self, route: Route | None, ai_enabled: bool) -> None:
        if not ai_enabled:
            self.route_label.setText("<i>AI is off: Assist works as a plain helpdesk client.</i>")
        elif route is None:
            self.route_label.setText("<i>Routing…</i>")
        else:
            self.route_label.setText(route_html(route))

    def show_note(self, text: str) -> None:
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def show_citations(self, citations: tuple[Citation, ...]) -> None:
        while self.chips.count() > 0:
            item = self.chips.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                # Qt frees it on the GUI thread. (Unparenting would hand it to Python's garbage
                # collector, which may run on any thread: a crash waiting to happen.)
                widget.hide()
                widget.deleteLater()
        self.chip_buttons = []
        for c in citations:
            chip = QToolButton()
            self.chip_buttons.append(chip)
            chip.setText(f"[{c.number}] {c.source.label}")
            chip.setToolTip(f"Open the source passage: {c.source.label}")
            chip.setObjectName(f"citation{c.number}")
            chip.setAutoRaise(False)
            chip.clicked.connect(lambda _checked=False, c=c: self.citation_clicked.emit(c))
            self.chips.addWidget(chip)
        self.chip_area.setVisible(bool(citations))
        self.chip_area.updateGeometry()

    def show_draft(self, draft: Draft) -> None:
        self.show_citations(draft.citations)
        self.show_note(draft.note)
        check = draft.check
        problems = []
        if check.unknown:
            problems.append("cites sources that were not given: " + ", ".join(f"[{n}]" for n in check.unknown))
        if check.uncited_claims:
            n = len(check.uncited_claims)
            problems.append(f"{n} sentence{'s' if n > 1 else ''} state facts without a citation (highlighted)")
        if problems:
            self.check_label.setText('<span style="color:#b00020">⚠ Draft ' + "; ".join(problems) + "</span>")
        elif draft.citations:
            self.check_label.setText(f'<span style="color:#2e7d32">✓ {len(draft.citations)} sources cited, '
                                     "every marker verified</span>")
        else:
            self.check_label.setText("")
        cost = f"${draft.cost_usd:.4f}" if draft.cost_usd else "$0"
        self.meta_label.setText(f"{draft.model or draft.tier.value} · {draft.latency_ms} ms · {cost}")
        self.highlight(draft)

    def highlight(self, draft: Draft) -> None:
        selections = []
        doc = self.editor.document()

        def mark(needle: str, colour: str) -> None:
            cursor = doc.find(needle, 0, QTextDocument.FindFlag.FindCaseSensitively)
            while not cursor.isNull():
                sel = QTextEdit.ExtraSelection()
                fmt = QTextCharFormat()
                fmt.setBackground(QColor(colour))
                sel.format = fmt
                sel.cursor = cursor
                selections.append(sel)
                cursor = doc.find(needle, cursor, QTextDocument.FindFlag.FindCaseSensitively)

        for sentence in draft.check.uncited_claims:
            mark(sentence, "#fff3b0")
        for n in draft.check.unknown:
            mark(f"[{n}]", "#ffcdd2")
        self.editor.setExtraSelections(selections)

    def set_send_as(self, value: str) -> None:
        index = self.send_as.findData(value)
        if index >= 0:
            self.send_as.setCurrentIndex(index)

    def send_status(self) -> str:
        return str(self.send_as.currentData())

"""Action cards: what the assistant proposes, with an editable form generated from the schema.

Cards never run anything themselves: they emit ``approve_requested`` with the edited parameters and
the window asks the session. Irreversible actions take a second, explicit confirmation click.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from assist.domain import ActionProposal, ProposalStatus

RISK_COLOURS = {"read-only": "#2e7d32", "reversible": "#1565c0", "irreversible": "#b00020"}
Checker = Callable[[ActionProposal, dict[str, Any]], str]


class ActionCard(QFrame):
    """Signals:
        approve_requested(str, dict, bool): proposal id, the parameters as edited, and whether the
            agent confirmed (the second click irreversible actions need; the core enforces it too).
        dismiss_requested(str)
        insert_requested(str): the result in the customer's words, for the draft.
    """

    approve_requested = Signal(str, dict, bool)
    dismiss_requested = Signal(str)
    insert_requested = Signal(str)

    def __init__(self, proposal: ActionProposal, schema: dict[str, Any], check: Checker,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName(f"card-{proposal.action}")
        self.proposal = proposal
        self._check = check
        self._confirming = False
        colour = RISK_COLOURS.get(proposal.risk, "#555")
        self.header = QLabel(f"<b>{html.escape(proposal.title)}</b> "
                             f'<span style="color:{colour}">[{html.escape(proposal.risk)}]</span>')
        self.why = QLabel(f"<i>{html.escape(proposal.why)}</i>")
        self.why.setWordWrap(True)
        self.fields: dict[str, QWidget] = {}
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow side pane: labels above fields
        props = schema.get("properties", {})
        for name, spec in props.items():
            widget = self._field(spec, proposal.params.get(name))
            self.fields[name] = widget
            form.addRow(spec.get("title", name), widget)
        self.problem = QLabel("")
        self.problem.setObjectName("cardProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020")
        self.status = QLabel("")
        self.status.setObjectName("cardStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.approve = QPushButton("Approve")
        self.approve.setToolTip("Run this action now (nothing runs without this click)")
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setToolTip("Drop this proposal; it is kept in the ticket's history")
        self._walking = False  # focus was on this card when its action started (see update_from)
        self.insert = QPushButton("Insert into draft")
        self.insert.setToolTip("Put the result, in the customer's words, into the draft")
        self.insert.hide()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.insert)
        buttons.addWidget(self.dismiss)
        buttons.addWidget(self.approve)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.why)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.approve.clicked.connect(self._on_approve_clicked)
        self.dismiss.clicked.connect(self._on_dismiss_clicked)
        self.insert.clicked.connect(
            lambda: self.insert_requested.emit(self.proposal.customer_text or self.proposal.result))
        self.update_from(proposal)
        self._on_field_changed()

    def _field(self, spec: dict[str, Any], value: Any) -> QWidget:
        if "enum" in spec:
            box = QComboBox()
            box.addItems([str(v) for v in spec["enum"]])
            if value is not None and str(value) in spec["enum"]:
                box.setCurrentText(str(value))
            else:
                box.setCurrentIndex(-1)
            box.currentIndexChanged.connect(lambda _i: self._on_field_changed())
            return box
        if spec.get("type") in ("number", "integer"):
            spin = QDoubleSpinBox()
            spin.setDecimals(0 if spec.get("type") == "integer" else 2)
            spin.setRange(-1e9, 1e9)
            spin.setValue(float(value) if isinstance(value, int | float) else 0.0)
            spin.valueChanged.connect(lambda _v: self._on_field_changed())
            return spin
        edit = QLineEdit("" if value is None else str(value))
        edit.textChanged.connect(lambda _t: self._on_field_changed())
        return edit

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, w in self.fields.items():
            if isinstance(w, QComboBox):
                if w.currentIndex() >= 0:
                    out[name] = w.currentText()
            elif isinstance(w, QDoubleSpinBox):
                out[name] = int(w.value()) if w.decimals() == 0 else round(w.value(), 2)
            elif isinstance(w, QLineEdit) and w.text().strip():
                out[name] = w.text().strip()
        return out

    def _on_field_changed(self) -> None:
        problem = self._check(self.proposal, self.params())
        self.problem.setText(problem)
        self._reset_confirm()
        self._sync_buttons(valid=not problem)

    def _sync_buttons(self, valid: bool = True) -> None:
        status = self.proposal.status
        runnable = status in (ProposalStatus.PROPOSED, ProposalStatus.FAILED, ProposalStatus.REJECTED,
                              ProposalStatus.UNKNOWN)
        self.approve.setEnabled(runnable and valid)
        # a finished card shows its outcome, not buttons that can no longer do anything
        self.approve.setVisible(runnable or status is ProposalStatus.RUNNING)
        self.dismiss.setEnabled(runnable or status is ProposalStatus.BLOCKED)
        self.dismiss.setVisible(runnable or status in (ProposalStatus.BLOCKED, ProposalStatus.RUNNING))
        for w in self.fields.values():
            w.setEnabled(runnable)

    def _reset_confirm(self) -> None:
        if self._confirming:
            self._confirming = False
            self.approve.setText(self._approve_text())

    def _on_approve_clicked(self) -> None:
        if self.proposal.risk == "irreversible" and not self._confirming:
            self._confirming = True
            self.approve.setText(f"Confirm: {self.proposal.title.lower()} (can't be undone)")
            return
        confirmed = self._confirming or self.proposal.risk != "irreversible"
        self._confirming = False
        holder = QApplication.focusWidget()
        self._walking = holder is not None and self.isAncestorOf(holder)  # disabling Approve drops the focus
        self.approve.setEnabled(False)
        self.dismiss.setEnabled(False)
        self.status.setText("Running…")
        self.approve_requested.emit(self.proposal.id, self.params(), confirmed)

    def _approve_text(self) -> str:
        retry = self.proposal.status in (ProposalStatus.FAILED, ProposalStatus.UNKNOWN)
        return "Retry" if retry else "Approve"

    def _on_dismiss_clicked(self) -> None:
        self.dismiss_requested.emit(self.proposal.id)

    def update_from(self, proposal: ActionProposal) -> None:
        self.proposal = proposal
        s = proposal.status
        texts = {
            ProposalStatus.PROPOSED: "",
            ProposalStatus.RUNNING: "Running…",
            ProposalStatus.SUCCEEDED: f'<span style="color:#2e7d32">✓ {html.escape(proposal.result)}</span>',
            ProposalStatus.FAILED: f'<span style="color:#b00020">✗ {html.escape(proposal.error)}</span>',
            ProposalStatus.REJECTED: f'<span style="color:#b00020">✗ {html.escape(proposal.error)}</span>',
            ProposalStatus.DISMISSED: "<i>Dismissed</i>",
            ProposalStatus.BLOCKED: f'<span style="color:#b00020">⚠ {html.escape(proposal.error)}</span>',
            ProposalStatus.UNKNOWN: f'<span style="color:#e65100">? {html.escape(proposal.error)}</span>',
        }
        holder = QApplication.focusWidget()
        # the agent was on this card when it ran (its Approve button loses focus while it runs): remembered
        self._walking = self._walking or (holder is not None and self.isAncestorOf(holder))
        self.status.setText(texts[s])
        self.approve.setText(self._approve_text())
        self.insert.setVisible(s is ProposalStatus.SUCCEEDED)
        self._sync_buttons(valid=not self.problem.text())
        if s is ProposalStatus.SUCCEEDED and self._walking:
            self.insert.setFocus()  # the keyboard walk goes on: Enter puts the result into the draft
        if s is not ProposalStatus.RUNNING:
            self._walking = False


class ActionsPane(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        holder = QWidget()
        self.column = QVBoxLayout(holder)
        self.column.addStretch(1)
        self.setWidget(holder)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.column.insertWidget(0, self.note)
        self.cards: dict[str, ActionCard] = {}

    def clear(self, note: str = "") -> None:
        for card in self.cards.values():
            card.hide()
            card.deleteLater()  # freed by Qt on the GUI thread, never by Python's GC elsewhere
        self.cards = {}
        self.note.setText(note)

    def show_no_catalog(self) -> None:
        """The workspace has no actions catalog: say so, instead of looking for actions forever."""
        self.clear("<i>This workspace has no actions catalog, so no actions are proposed. A lead adds one with "
                   "<code>assist actions import SPEC</code> and <code>[workspaces.NAME.actions] catalog</code>.</i>")

    def show_proposals(self, proposals: list[ActionProposal], schema_of: Callable[[str], dict[str, Any]],
                       check: Checker, wire: Callable[[ActionCard], None]) -> None:
        self.clear("" if proposals else "<i>No action fits this ticket.</i>")
        for p in proposals:
            card = ActionCard(p, schema_of(p.action), check)
            wire(card)
            self.cards[p.id] = card
            self.column.insertWidget(self.column.count() - 1, card)

    def focus_first(self) -> None:
        """Keyboard flow: focus the Approve button of the first card that can still run."""
        for card in self.cards.values():
            if card.approve.isVisible() and card.approve.isEnabled():
                self.ensureWidgetVisible(card)
                card.approve.setFocus()
                return

    def update_proposal(self, proposal: ActionProposal) -> None:
        card = self.cards.get(proposal.id)
        if card is not None:
            card.update_from(proposal)


def history_html(lines: list[str]) -> str:
    """The ticket's history, one sentence a line (``Session.history_lines``)."""
    if not lines:
        return "<p><i>Nothing has happened on this ticket yet.</i></p>"
    return "".join(f"<p>{html.escape(line[:600])}</p>" for line in lines)

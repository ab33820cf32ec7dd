"""The queue pane: search, status filter, the list of tickets."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assist.domain import QueueFilter, TicketStatus, TicketSummary

STATUS_FILTERS: dict[str, tuple[TicketStatus, ...]] = {
    "Open (new, open, pending)": (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING),
    "New": (TicketStatus.NEW,),
    "Open": (TicketStatus.OPEN,),
    "Pending": (TicketStatus.PENDING,),
    "Solved": (TicketStatus.SOLVED, TicketStatus.CLOSED),
    "All": (),
}


# urgent and high tickets stand out in the list; normal and low look as before
SEARCH_DEBOUNCE_MS = 250
PRIORITY_FLAGS = {"urgent": "‼ URGENT  ", "high": "▲ high  "}
PRIORITY_COLOURS = {"urgent": "#b00020", "high": "#b35c00"}


def _age(dt: datetime) -> str:
    hours = (datetime.now(UTC) - dt).total_seconds() / 3600
    if hours < 1:
        return "now"
    if hours < 48:
        return f"{int(hours)}h"
    return f"{int(hours // 24)}d"


class QueuePane(QWidget):
    """Signals:
        filter_changed(): the search text or status filter changed.
        ticket_selected(object): the TicketSummary the agent moved to.
    """

    filter_changed = Signal()
    ticket_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search tickets (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Search by id, subject, requester or message text (Ctrl+F)")
        self.status = QComboBox()
        self.status.addItems(list(STATUS_FILTERS))
        self.status.setToolTip("Which tickets the queue lists")
        self.list = QListWidget()
        self.list.setToolTip("Up/Down or Alt+Down/Alt+Up to move between tickets")
        self.list.setAlternatingRowColors(True)
        self.list.setWordWrap(True)  # a long subject wraps instead of running off the pane
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        self._summaries: list[TicketSummary] = []
        # typing a search asks the helpdesk once the agent pauses, not once per keystroke
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.filter_changed.emit)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._search_now)
        self.status.currentIndexChanged.connect(lambda _i: self.filter_changed.emit())
        self.list.currentRowChanged.connect(self._on_list_current_row_changed)

    def _search_now(self) -> None:
        self._debounce.stop()
        self.filter_changed.emit()

    def current_filter(self) -> QueueFilter:
        return QueueFilter(self.search.text(), STATUS_FILTERS[self.status.currentText()])

    def set_tickets(self, tickets: list[TicketSummary], keep: str | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        self._summaries = list(tickets)
        row_to_keep = -1
        for row, t in enumerate(tickets):
            who = t.requester_name or t.requester_email
            flag = PRIORITY_FLAGS.get(t.priority.lower(), "")
            item = QListWidgetItem(f"{flag}#{t.id}  {t.subject}\n{who} · {t.status} · {_age(t.updated_at)}")
            colour = PRIORITY_COLOURS.get(t.priority.lower())
            if colour is not None:
                item.setForeground(QBrush(QColor(colour)))
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            item.setToolTip(f"{t.subject}\n{t.requester_email}\npriority {t.priority}")
            self.list.addItem(item)
            if t.id == keep:
                row_to_keep = row
        if row_to_keep >= 0:
            self.list.setCurrentRow(row_to_keep)
        self.list.blockSignals(False)

    def requester_of(self, ticket_id: str) -> str | None:
        """The requester's email when the ticket is listed: lets a jump fetch ticket and customer at once."""
        return next((t.requester_email for t in self._summaries if t.id == ticket_id), None)

    def select_id(self, ticket_id: str) -> bool:
        """Highlight a ticket without re-opening it; False when it isn't listed."""
        for row, t in enumerate(self._summaries):
            if t.id == ticket_id:
                self.list.blockSignals(True)
                self.list.setCurrentRow(row)
                self.list.blockSignals(False)
                return True
        return False

    def move(self, step: int) -> None:
        if not self._summaries:
            return
        row = self.list.currentRow()
        target = 0 if row < 0 else max(0, min(len(self._summaries) - 1, row + step))
        if target != row:
            self.list.setCurrentRow(target)

    def _on_list_current_row_changed(self, row: int) -> None:
        if 0 <= row < len(self._summaries):
            self.ticket_selected.emit(self._summaries[row])

"""The queue pane: search, status filter, the list of tickets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QListView,
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


class QueueModel(QAbstractListModel):
    """The queue's rows, painted on demand: a 10k-ticket queue costs one model reset, not 10k items."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[TicketSummary] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        t = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            who = t.requester_name or t.requester_email
            flag = PRIORITY_FLAGS.get(t.priority.lower(), "")
            return f"{flag}#{t.id}  {t.subject}\n{who} · {t.status} · {_age(t.updated_at)}"
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = PRIORITY_COLOURS.get(t.priority.lower())
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{t.subject}\n{t.requester_email}\npriority {t.priority}"
        if role == Qt.ItemDataRole.UserRole:
            return t.id
        return None

    def replace(self, rows: list[TicketSummary]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()


class _Row:
    """QListWidgetItem's reading half, for code and tests that look at one row."""

    def __init__(self, model: QueueModel, row: int) -> None:
        self._index = model.index(row)

    def data(self, role: int) -> Any:
        return self._index.data(role)

    def text(self) -> str:
        return str(self._index.data(Qt.ItemDataRole.DisplayRole))


class QueueList(QListView):
    """A virtualised list (uniform rows, painted when visible) with QListWidget's row helpers.

    Signals:
        currentRowChanged(int)
    """

    currentRowChanged = Signal(int)

    def __init__(self, model: QueueModel) -> None:
        super().__init__()
        self._model = model
        self.setModel(model)
        self.setUniformItemSizes(True)  # what makes 10k rows cheap: no per-row size measuring
        self.setTextElideMode(Qt.TextElideMode.ElideRight)  # the whole subject is in the tooltip
        self.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.currentRowChanged.emit(cur.row()))

    def count(self) -> int:
        return self._model.rowCount()

    def currentRow(self) -> int:  # noqa: N802
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    def setCurrentRow(self, row: int) -> None:  # noqa: N802
        self.setCurrentIndex(self._model.index(row))

    def item(self, row: int) -> _Row:
        return _Row(self._model, row)


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
        self.model = QueueModel()
        self.list = QueueList(self.model)
        self.list.setToolTip("Up/Down or Alt+Down/Alt+Up to move between tickets")
        self.list.setAlternatingRowColors(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
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
        self._summaries = list(tickets)
        self.model.replace(self._summaries)
        row_to_keep = next((row for row, t in enumerate(tickets) if t.id == keep), -1)
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

    def step(self, step: int) -> None:
        if not self._summaries:
            return
        row = self.list.currentRow()
        target = 0 if row < 0 else max(0, min(len(self._summaries) - 1, row + step))
        if target != row:
            self.list.setCurrentRow(target)

    def _on_list_current_row_changed(self, row: int) -> None:
        if 0 <= row < len(self._summaries):
            self.ticket_selected.emit(self._summaries[row])

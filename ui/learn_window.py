"""Learn (team leads): the team's history in intent buckets scored on volume, impact and emotion; rename,
merge, split and drop them, accept them as the workspace's intents and train the router. A second tab
edits the intents themselves. Everything it does is ``assist.learning.workspace.Learning``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assist.errors import AssistError
from assist.learning import discover
from assist.learning.history import DEFAULT_LAST, MAX_LAST
from assist.learning.workspace import Learning
from assist.session import Session
from assist.taxonomy import edited
from assist.text import plural

from ui.tasks import TaskRunner

COLUMNS = ["Bucket", "Tickets", "Impact", "Frustrated", "High on", "Distinctive terms"]



def _count(value: object) -> int:
    """A count handed back through the task runner (typed ``object`` there)."""
    return value if isinstance(value, int) else 0

class LearnWindow(QDialog):
    def __init__(self, current_session: Callable[[], Session], runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        session = current_session()
        self.session = session
        self.setWindowTitle(f"Learn — {session.workspace}")
        self.resize(1100, 720)
        self.runner = runner
        self.learning = Learning(session.paths, session.workspace, session.intents, session.bucket_namer(), session.kb)
        tabs = QTabWidget()
        tabs.addTab(self._buckets_tab(), "Discover")
        tabs.addTab(self._intents_tab(), "Intents")
        self.status = QLabel("Import the team's solved tickets to start: a file, or the helpdesk's history.")
        self.status.setObjectName("learnStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.status)
        self._show_intents()

    # -- discover ---------------------------------------------------------------------------------
    def _buckets_tab(self) -> QWidget:
        self.import_file = QPushButton("Import file…")
        self.import_file.setToolTip("JSONL or CSV: subject, body, and optionally label, reply, handle_minutes")
        self.import_file.clicked.connect(self._pick_file)
        self.last = QSpinBox()
        self.last.setRange(1, MAX_LAST)
        self.last.setValue(DEFAULT_LAST)
        self.last.setPrefix("last ")
        self.last.setSuffix(" tickets")
        self.label_field = QLineEdit()
        self.label_field.setPlaceholderText("label field: tags:intent-, queue, type, cf.Intent… (empty: discover)")
        self.pull_button = QPushButton("Pull from helpdesk")
        self.pull_button.setToolTip("Fetch the helpdesk's solved and closed tickets (resumes where it stopped)")
        self.pull_button.clicked.connect(self.pull)
        top = QHBoxLayout()
        for w in (self.import_file, self.last, self.label_field, self.pull_button):
            top.addWidget(w)
        top.setStretch(2, 1)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("buckets")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.DoubleClicked | QTableWidget.EditTrigger.EditKeyPressed)
        self.table.itemChanged.connect(self._renamed)
        self.table.currentCellChanged.connect(lambda row, *_: self._show_examples(row))
        self.examples = QPlainTextEdit()
        self.examples.setReadOnly(True)
        self.examples.setObjectName("bucketExamples")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.examples)
        split.setSizes([720, 360])

        self.merge_button = QPushButton("Merge")
        self.merge_button.setToolTip("One bucket from the selected rows")
        self.merge_button.clicked.connect(self.merge)
        self.split_button = QPushButton("Split")
        self.split_button.setToolTip("Cut the current bucket in two")
        self.split_button.clicked.connect(self.split)
        self.drop_button = QPushButton("Drop")
        self.drop_button.setToolTip("Leave the selected buckets out of the taxonomy (Delete)")
        self.drop_button.clicked.connect(self.drop)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.drop)
        self.export_button = QPushButton("Export report…")
        self.export_button.clicked.connect(self._pick_report)
        self.precision = QDoubleSpinBox()
        self.precision.setObjectName("routingPrecision")
        self.precision.setRange(50.0, 99.9)
        self.precision.setDecimals(1)
        self.precision.setSuffix(" %")
        self.precision.setValue(self.learning.router.precision * 100)
        self.precision.setToolTip("Route a ticket automatically only when the router is right at least this often "
                                  "(measured out of fold); the rest go to review with their likeliest intents")
        self.precision.editingFinished.connect(self._precision_changed)
        self.accept_button = QPushButton("Accept as intents and train")
        self.accept_button.setToolTip("Write the buckets as the workspace's intents and train its router")
        self.accept_button.clicked.connect(self.accept_buckets)
        bottom = QHBoxLayout()
        for w in (self.merge_button, self.split_button, self.drop_button, self.export_button):
            bottom.addWidget(w)
        bottom.addStretch(1)
        bottom.addWidget(QLabel("Route automatically when right ≥"))
        bottom.addWidget(self.precision)
        bottom.addWidget(self.accept_button)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)
        self._enable()
        return tab

    def _enable(self) -> None:
        has = bool(self.learning.buckets)
        for b in (self.merge_button, self.split_button, self.drop_button, self.export_button, self.accept_button):
            b.setEnabled(has)

    def _run(self, name: str, coro: object, on_ok: Callable[[object], None]) -> None:
        self.runner.run(f"learn-{name}", coro, on_ok=on_ok,  # type: ignore[arg-type]
                        on_error=lambda exc: self.status.setText(f"✗ {exc}"))

    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Ticket history", "", "Tickets (*.jsonl *.csv);;All files (*)")
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        self.status.setText(f"Reading {path.name}…")
        self._run("import", self.learning.load_file(path),
                  lambda n: self._discover(f"{plural(_count(n), 'ticket')} from {path.name}"))

    def pull(self) -> None:
        self.status.setText("Fetching solved tickets from the helpdesk…")

        from assist.learning.history import Eta

        eta = Eta()

        def progress(done: int, total: int) -> None:
            self.status.setText(f"Fetching solved tickets: {done:,} of {total:,}{eta(done, total)}")

        self._run("pull", self.learning.pull(self.session.helpdesk, self.last.value(), self.label_field.text().strip(),
                                             progress),
                  lambda n: self._discover(f"{plural(_count(n), 'ticket')} from {self.session.helpdesk.name}"
                                           + "".join(f" ({note})" for note in getattr(self.learning, "pull_notes",
                                                                                       []))))

    def _discover(self, what: str) -> None:
        labelled = "labelled: one bucket per label" if self.learning.labelled else "clustering into buckets"
        self.status.setText(f"{what}, {labelled}…")
        def vectors(done: int, total: int) -> None:
            if done < total:
                self.status.setText(f"{what}: reading the tickets' meaning on this machine, {done:,} of {total:,} "
                                    "(once: kept for the next time)…")
            else:
                self.status.setText(f"{what}, {labelled}…")

        self._run("discover", self.learning.discover(progress=vectors), lambda _b: self._show_buckets(what))

    def _show_buckets(self, note: str = "") -> None:
        buckets = self.learning.buckets
        self.table.blockSignals(True)
        self.table.setRowCount(len(buckets))
        unit = self.learning.impact_unit
        for row, b in enumerate(buckets):
            cells = [b.name, str(b.volume), discover.impact_text(b, unit), f"{b.emotion:.0%}",
                     ", ".join(b.high) + (" ★" if b.candidate else ""), ", ".join(b.terms[:5])]
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if col:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                else:
                    item.setToolTip("Double-click or F2 to rename")
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        candidates = sum(b.candidate for b in buckets)
        self.status.setText(f"{note + ' · ' if note else ''}{plural(len(buckets), 'bucket')}, "
                            f"{plural(candidates, 'automation candidate')} (★: high on two of volume, impact, "
                            "emotion). Rename, merge, split or drop, then accept.")
        if buckets:
            self.table.setCurrentCell(0, 0)
        self._enable()

    def _show_examples(self, row: int) -> None:
        if 0 <= row < len(self.learning.buckets):
            b = self.learning.buckets[row]
            self.examples.setPlainText(f"{b.name}: {plural(b.volume, 'ticket')}\n\n" +
                                       "\n\n".join(f"• {e}" for e in b.examples))

    def _selected(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.learning.buckets[r].name for r in rows if r < len(self.learning.buckets)]

    def _renamed(self, item: QTableWidgetItem) -> None:
        row = item.row()
        if item.column() or not 0 <= row < len(self.learning.buckets):
            return
        old, new = self.learning.buckets[row].name, item.text().strip()
        if new and new != old:
            try:
                self.learning.rename(old, new)
            except AssistError as exc:
                self.status.setText(f"✗ {exc}")
        self._show_buckets()

    def merge(self, into: str | None = None) -> None:
        names = self._selected()
        if into is None:
            into, ok = QInputDialog.getText(self, "Merge buckets", "Name of the merged bucket:",
                                            text=names[0] if names else "")
            if not ok:
                return
        try:
            self.learning.merge(names, into)
        except AssistError as exc:
            self.status.setText(f"✗ {exc}")
            return
        self._show_buckets(f"Merged {len(names)} buckets")

    def split(self) -> None:
        names = self._selected()[:1]
        if names:
            self._run("split", self.learning.split(names[0]), lambda _r: self._show_buckets(f"Split {names[0]}"))

    def drop(self) -> None:
        names = self._selected()
        if names:
            self.learning.drop(names)
            self._show_buckets(f"Dropped {', '.join(names)}")

    def _pick_report(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export buckets", f"{self.session.workspace}-buckets.html",
                                              "HTML (*.html);;CSV (*.csv)")
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> None:
        try:
            self.learning.report(path)
            self.status.setText(f"Report written to {path}")
        except AssistError as exc:
            self.status.setText(f"✗ {exc}")

    def _precision_changed(self) -> None:
        try:
            self.learning.set_precision(self.precision.value() / 100)
        except (AssistError, OSError) as exc:
            self.status.setText(f"✗ {exc}")
            return
        self._say_coverage()

    def _say_coverage(self) -> None:
        import asyncio

        self._run("coverage", asyncio.to_thread(self.learning.coverage), self._show_coverage)  # loads the model

    def _show_coverage(self, result: object) -> None:
        at = result if isinstance(result, tuple) else None
        if at is None:
            self.status.setText(f"Routing precision {self.precision.value():.1f}%: it applies once a router "
                                "is trained.")
        else:
            self.status.setText(f"At {self.precision.value():.1f}% precision the router names the intent of "
                                f"{at[0]:.0%} of tickets on its own (right {at[1]:.1%} of the time, out of fold); "
                                "the rest go to review.")

    def accept_buckets(self) -> None:
        self.status.setText("Writing the intents and training the router…")

        def done(result: object) -> None:
            lines = result.lines()  # type: ignore[attr-defined]
            self.status.setText("✓ Router trained. " + " · ".join(lines[:1] + lines[-2:]))
            self._show_intents()

        self._run("accept", self.learning.accept(), done)

    # -- intents ----------------------------------------------------------------------------------
    def _intents_tab(self) -> QWidget:
        self.intent_list = QListWidget()
        self.intent_list.setObjectName("intentList")
        self.intent_list.currentRowChanged.connect(self._edit_intent)
        self.i_title = QLineEdit()
        self.i_description = QLineEdit()
        self.i_risk = QComboBox()
        self.i_risk.addItems(["low", "medium", "high"])
        self.i_tier = QComboBox()
        self.i_tier.addItems(["", "human", "offline", "fast", "frontier"])
        self.i_tier.setToolTip("Tier after the routing rules (empty: the default tier)")
        self.i_retrieval = QLineEdit()
        self.i_retrieval.setPlaceholderText("words added to knowledge-base searches")
        self.i_actions = QLineEdit()
        self.i_actions.setPlaceholderText("actions it may propose, comma-separated")
        self.i_examples = QPlainTextEdit()
        self.i_examples.setPlaceholderText("one example per line")
        self.save_intent = QPushButton("Save intent")
        self.save_intent.setToolTip("Write the taxonomy; routing uses it from the next ticket (Ctrl+S)")
        self.save_intent.setShortcut("Ctrl+S")
        self.save_intent.clicked.connect(self.save_current_intent)
        form = QFormLayout()
        form.addRow("Title", self.i_title)
        form.addRow("Description", self.i_description)
        form.addRow("Base risk", self.i_risk)
        form.addRow("Tier", self.i_tier)
        form.addRow("Retrieval hints", self.i_retrieval)
        form.addRow("Actions", self.i_actions)
        form.addRow("Examples", self.i_examples)
        form.addRow("", self.save_intent)
        right = QWidget()
        right.setLayout(form)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.intent_list)
        split.addWidget(right)
        split.setSizes([300, 780])
        tab = QWidget()
        QVBoxLayout(tab).addWidget(split)
        return tab

    def _show_intents(self) -> None:
        taxonomy = self.learning.router.taxonomy
        self.intent_list.clear()
        for i in taxonomy.intents:
            self.intent_list.addItem(f"{i.label}  ({i.name})")
        self.save_intent.setEnabled(bool(taxonomy.intents))
        if taxonomy.intents:
            self.intent_list.setCurrentRow(0)

    def _edit_intent(self, row: int) -> None:
        intents = self.learning.router.taxonomy.intents
        if not 0 <= row < len(intents):
            return
        i = intents[row]
        self.i_title.setText(i.title)
        self.i_description.setText(i.description)
        self.i_risk.setCurrentText(i.base_risk)
        self.i_tier.setCurrentText(i.tier)
        self.i_retrieval.setText(i.retrieval)
        self.i_actions.setText(", ".join(i.actions))
        self.i_examples.setPlainText("\n".join(i.examples))

    def save_current_intent(self) -> None:
        taxonomy = self.learning.router.taxonomy
        row = self.intent_list.currentRow()
        if not 0 <= row < len(taxonomy.intents):
            return
        old = taxonomy.intents[row]
        try:
            new = edited(old, {
                "title": self.i_title.text().strip(),
                "description": self.i_description.text().strip(), "base_risk": self.i_risk.currentText(),
                "tier": self.i_tier.currentText(), "retrieval": self.i_retrieval.text().strip(),
                "actions": tuple(a.strip() for a in self.i_actions.text().split(",") if a.strip()),
                "examples": tuple(x.strip() for x in self.i_examples.toPlainText().splitlines() if x.strip())})
            intents = list(taxonomy.intents)
            intents[row] = new
            path = self.learning.save_intents(taxonomy.with_intents(intents))
        except (AssistError, ValueError) as exc:
            self.status.setText(f"✗ {exc}")
            return
        self.status.setText(f"✓ Saved {new.label} to {path}")
        self._show_intents()
        self.intent_list.setCurrentRow(row)

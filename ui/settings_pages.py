"""The Settings dialog's pages (Picard's ``OptionsPage``): each builds its widgets from the settings, and
writes its own part into the settings data on Save (``save``); a page with secrets stores them after the
data validated (``save_secrets``), saying whether a connection of the active workspace changed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from assist import model_keys
from assist.errors import AssistError, SettingsError
from assist.evaluation import describe_last, evaluate, last_results, load_suite, table
from assist.paths import resources_dir
from assist.secrets import SecretStore
from assist.session import Session
from assist.settings import ModelTier, Settings, WorkspaceSettings, as_data, checked, copied
from assist.workspace import isolated_session, test_connection

from ui.tasks import TaskRunner

TIERS = ("fast", "frontier", "embedding")


class Page(QWidget):
    title = ""

    def save(self, data: dict[str, Any], workspace: str) -> None:
        """Write this page's part into ``data`` (the settings as plain data; ``workspace``: the one chosen to
        be active). A value that can't be saved raises AssistError with the sentence to show."""

    def save_secrets(self, settings: Settings, secrets: SecretStore) -> bool:
        """Store this page's secrets for the validated ``settings``; True when the active workspace's
        connection changed (the window reconnects)."""
        return False


class GeneralPage(Page):
    title = "General"

    def __init__(self, s: Settings) -> None:
        super().__init__()
        self.agent_name = QLineEdit(s.agent.name)
        self.display_name = QLineEdit(s.agent.display_name)
        self.display_name.setPlaceholderText("the name customers see under replies, e.g. Sam Ortiz")
        self.send_as = QComboBox()
        for label, value in (("Pending", "pending"), ("Open", "open"), ("Solved", "solved")):
            self.send_as.addItem(label, value)
        self.send_as.setCurrentIndex(self.send_as.findData(s.current.reply.send_as))
        self.citations = QComboBox()
        self.citations.addItem("Removed", "remove")
        self.citations.addItem("Footnotes with public article links", "footnotes")
        self.citations.setCurrentIndex(self.citations.findData(s.current.reply.citations))
        self.autosave = QSpinBox()
        self.autosave.setRange(100, 10_000)
        self.autosave.setSuffix(" ms")
        self.autosave.setValue(s.ui.autosave_ms)
        self.ai_enabled = QCheckBox("AI features on (kill switch: Ctrl+Shift+A)")
        self.ai_enabled.setChecked(s.ai.enabled)
        form = QFormLayout(self)
        form.addRow("Agent name (journal)", self.agent_name)
        form.addRow("Sign replies as", self.display_name)
        form.addRow("Send replies as", self.send_as)
        form.addRow("Citations in sent replies", self.citations)
        form.addRow("Autosave drafts after", self.autosave)
        form.addRow("", self.ai_enabled)

    def save(self, data: dict[str, Any], workspace: str) -> None:
        data["agent"]["name"] = self.agent_name.text().strip()
        data["agent"]["display_name"] = self.display_name.text().strip()
        data["ui"]["autosave_ms"] = self.autosave.value()
        data["ai"]["enabled"] = self.ai_enabled.isChecked()
        reply = data["workspaces"][workspace].setdefault("reply", {})
        reply["send_as"] = self.send_as.currentData()
        reply["citations"] = self.citations.currentData()


class ResultView(QPlainTextEdit):
    """The regression run's table: monospace, scrollable, selectable (not squeezed into a label)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setMinimumHeight(140)

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel-like)
        self.setPlainText(text)


class ModelsPage(Page):
    """The fast and frontier models, sentence vectors, masking, and the regression suite a new roster runs
    before it drafts replies."""

    title = "Models"
    changed = Signal()  # a model or api_base was edited: whose key each tier needs may have changed

    def __init__(self, session: Session, runner: TaskRunner) -> None:
        super().__init__()
        self.session, self.runner = session, runner
        s = session.settings
        self.models: dict[str, tuple[QLineEdit, QLineEdit]] = {}
        for tier in ("fast", "frontier"):
            cfg = getattr(s.models, tier)
            name = QLineEdit(cfg.model)
            name.setPlaceholderText("litellm model, e.g. gpt-4o-mini or ollama_chat/llama3.1 (empty: offline)")
            base = QLineEdit(cfg.api_base)
            base.setPlaceholderText("optional api_base: Ollama, vLLM or your LiteLLM proxy")
            self.models[tier] = (name, base)
        self.vectors = QComboBox()
        self.vectors.setObjectName("sentenceVectors")
        for label, value in (("On this machine (offline encoder, nothing sent)", "auto"),
                             ("A configured embedding model (below)", "model"), ("Off (word statistics only)", "off")):
            self.vectors.addItem(label, value)
        self.vectors.setCurrentIndex(max(0, self.vectors.findData(s.ai.embeddings)))
        self.vectors.setToolTip("Sentence vectors for routing and discovery. A configured model receives ticket "
                                "text (masked when it is a cloud model); retrain (Learn) after changing this.")
        self.embedding_model = QLineEdit(s.models.embedding.model)
        self.embedding_model.setPlaceholderText("e.g. openai/text-embedding-3-small or ollama/nomic-embed-text")
        self.embedding_base = QLineEdit(s.models.embedding.api_base)
        self.embedding_base.setPlaceholderText("optional api_base: Ollama, vLLM or your LiteLLM proxy")
        self.redact = QCheckBox("Mask emails, phones, cards and addresses before text goes to a cloud model")
        self.redact.setChecked(s.ai.redact_pii)
        form = QFormLayout(self)
        for tier, (name, base) in self.models.items():
            form.addRow(f"{tier.capitalize()} model", name)
            form.addRow(f"{tier.capitalize()} api_base", base)
        form.addRow("Sentence vectors", self.vectors)
        form.addRow("Embedding model", self.embedding_model)
        form.addRow("Embedding api_base", self.embedding_base)
        form.addRow("", self.redact)
        for name, base in [*self.models.values(), (self.embedding_model, self.embedding_base)]:
            name.textChanged.connect(lambda _text: self.changed.emit())
            base.textChanged.connect(lambda _text: self.changed.emit())
        self.eval_label = ResultView(self._last_eval_text())
        self.eval_label.setObjectName("evalResult")
        self.eval_button = QPushButton("Run regression suite")
        self.eval_button.setToolTip("Run the demo suite with the models above before switching to them")
        self.eval_button.clicked.connect(self.run_suite)
        form.addRow(self.eval_button)
        form.addRow(self.eval_label)
        self._suite_ran_for: tuple[str, str] | None = None

    def tier(self, tier: str) -> ModelTier:
        """A tier as typed (not yet saved)."""
        name, base = self.models[tier] if tier in self.models else (self.embedding_model, self.embedding_base)
        return ModelTier(model=name.text().strip(), api_base=base.text().strip())

    def _last_eval_text(self) -> str:
        last = last_results(self.session.paths.data_dir)
        if not last:
            return "No regression run yet."
        return "Last runs:\n" + "\n".join(describe_last(v) for v in last.values())

    def _roster(self) -> tuple[str, str]:
        return self.models["fast"][0].text().strip(), self.models["frontier"][0].text().strip()

    def needs_suite(self) -> bool:
        """The models changed and the suite has not run on them yet: a new model is a new product."""
        s = self.session.settings.models
        return self._roster() != (s.fast.model, s.frontier.model) and self._suite_ran_for != self._roster()

    def run_suite(self) -> None:
        """Evaluate the suite with the roster as typed (not yet saved) on a throwaway session."""
        settings = copied(self.session.settings)
        for tier, (name, base) in self.models.items():
            getattr(settings.models, tier).model = name.text().strip()
            getattr(settings.models, tier).api_base = base.text().strip()
        self.eval_button.setEnabled(False)
        self.eval_label.setText("Running the regression suite…")
        ran_for, session = self._roster(), self.session

        async def _run() -> tuple[list[Any], list[str]]:
            probe = isolated_session(session, settings)
            try:  # drafts with record=False: the probe never writes to the journal
                suite = resources_dir() / "demo" / "eval.jsonl"
                return await evaluate(probe, load_suite(suite), suite, session.paths.data_dir)
            finally:
                probe.close()

        def _done(result: tuple[list[Any], list[str]]) -> None:
            rows, found = result
            self._suite_ran_for = ran_for
            self.eval_button.setEnabled(True)
            verdict = ("REGRESSION: " + "; ".join(found)) if found else "No regression against the baseline."
            self.eval_label.setText(table(rows).replace(" | ", "  ") + "\n" + verdict)

        def _failed(exc: AssistError) -> None:
            self.eval_button.setEnabled(True)
            self.eval_label.setText(f"The suite could not run: {exc}")

        self.runner.run("eval", _run(), on_ok=_done, on_error=_failed)

    def save(self, data: dict[str, Any], workspace: str) -> None:
        data["ai"]["redact_pii"] = self.redact.isChecked()
        data["ai"]["embeddings"] = self.vectors.currentData()
        data["models"]["embedding"].update(model=self.embedding_model.text().strip(),
                                           api_base=self.embedding_base.text().strip())
        if data["ai"]["embeddings"] == "model" and not data["models"]["embedding"]["model"]:
            raise AssistError("Sentence vectors from a model need the embedding model's name.")
        for tier, (name, base) in self.models.items():
            data["models"][tier]["model"] = name.text().strip()
            data["models"][tier]["api_base"] = base.text().strip()


class SecretsPage(Page):
    """The keyring's state, the session-only fallback, and one key per model provider: each tier's field says
    whose key it is and whether one is set (``assist.model_keys``)."""

    title = "Secrets"

    def __init__(self, session: Session, models: ModelsPage) -> None:
        super().__init__()
        self.session, self._models = session, models
        status = session.secrets.status()
        self.keyring_label = QLabel(status.message)
        self.keyring_label.setObjectName("keyringStatus")
        self.keyring_label.setWordWrap(True)
        self.session_only = QCheckBox("Keep secrets in memory for this session only (not saved anywhere)")
        self.session_only.setVisible(not status.secure)
        self.session_only.setChecked(session.secrets.session_only)
        self.keys: dict[str, QLineEdit] = {}
        self.key_labels: dict[str, QLabel] = {}
        for tier in TIERS:
            key = QLineEdit()
            key.setEchoMode(QLineEdit.EchoMode.Password)
            key.setObjectName(f"{tier}Key")
            key.setEnabled(status.secure or session.secrets.session_only)
            self.session_only.toggled.connect(key.setEnabled)
            self.keys[tier], self.key_labels[tier] = key, QLabel()
        self.api_key = self.keys["fast"]
        form = QFormLayout(self)
        form.addRow(self.keyring_label)  # full width: the whole message, never clipped
        form.addRow(self.session_only)
        for tier, key in self.keys.items():
            form.addRow(self.key_labels[tier], key)
        models.changed.connect(self.show_key_states)
        self.show_key_states()

    def show_key_states(self) -> None:
        """Each tier's key field names the provider the key goes to, and whether one is set."""
        for tier, key in self.keys.items():
            cfg = self._models.tier(tier)
            if not cfg.model:
                self.key_labels[tier].setText(f"{tier.capitalize()} model key")
                key.setPlaceholderText("no model set for this tier")
                continue
            who = model_keys.provider(cfg.model, cfg.api_base)
            self.key_labels[tier].setText(f"{tier.capitalize()} model key ({who})")
            try:
                has = self.session.secrets.has(model_keys.key_name(cfg))
            except AssistError:
                has = False
            key.setPlaceholderText("set — leave empty to keep" if has else
                                   "not set" + (" (a local server may need none)" if cfg.api_base else ""))

    def save_secrets(self, settings: Settings, secrets: SecretStore) -> bool:
        secrets.session_only = self.session_only.isChecked() and not secrets.secure
        changed = False
        for tier, key in self.keys.items():
            cfg = getattr(settings.models, tier)
            if key.text() and cfg.model:  # the key belongs to this tier's provider, and goes only there
                secrets.set(model_keys.key_name(cfg), key.text())
                changed = True
        return changed


class WorkspacePage(Page):
    """Each workspace's helpdesk, CRM, team store and routing precision, with "Test connection" (nothing is
    saved by a test); tokens and the team password go to the keyring on Save."""

    title = "Workspace"

    def __init__(self, session: Session, runner: TaskRunner, session_only: QCheckBox) -> None:
        super().__init__()
        self.session, self.runner = session, runner
        s = session.settings
        self.workspaces = {name: copied(ws) for name, ws in s.workspaces.items()}
        self.ws_combo = QComboBox()
        self.ws_combo.addItems(list(self.workspaces))
        self.ws_combo.setCurrentText(s.workspace)
        self.new_ws = QLineEdit()
        self.new_ws.setPlaceholderText("new workspace name, e.g. acme-zendesk")
        add = QPushButton("Add")
        add.clicked.connect(self._on_add_clicked)
        self.hd_kind = QComboBox()
        self.hd_kind.addItems(["demo", "zendesk", "freshdesk", "request_tracker"])
        self.hd_url = QLineEdit()
        self.hd_url.setPlaceholderText("https://acme.zendesk.com · https://acme.freshdesk.com · https://rt.example.com")
        self.hd_email = QLineEdit()
        self.hd_email.setPlaceholderText("Zendesk: agent email for the API token")
        self.hd_queue = QLineEdit()
        self.hd_queue.setPlaceholderText("Zendesk view id, or RT TicketSQL, e.g. Queue = 'Support'")
        self.hd_token = QLineEdit()
        self.hd_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.crm_kind = QComboBox()
        self.crm_kind.addItems(["demo", "helpdesk", "hubspot", "http_json"])
        self.crm_url = QLineEdit()
        self.crm_url.setPlaceholderText("http_json: https://crm.internal/customers/{email}")
        self.crm_token = QLineEdit()
        self.crm_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.team_url = QLineEdit()
        self.team_url.setPlaceholderText("optional: postgresql://you@db.example.com/assist (shared escalations "
                                         "and reports)")
        self.team_password = QLineEdit()
        self.team_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.precision = QDoubleSpinBox()
        self.precision.setObjectName("routingPrecision")
        self.precision.setRange(50.0, 99.9)
        self.precision.setDecimals(1)
        self.precision.setSuffix(" %")
        self.precision.setMaximumWidth(140)
        self.precision.setToolTip("Route a ticket to an intent automatically only when the learned router is right "
                                  "at least this often (out of fold); below it, the ticket goes to review with "
                                  "its likeliest intents. Takes effect without retraining.")
        test_hd = QPushButton("Test connection")
        test_hd.setToolTip("Try the helpdesk with these values (nothing is saved)")
        test_hd.clicked.connect(lambda: self.test("helpdesk"))
        test_crm = QPushButton("Test connection")
        test_crm.clicked.connect(lambda: self.test("crm"))
        self.test_result = QLabel("")
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        for w in (self.hd_token, self.crm_token, self.team_password):
            w.setEnabled(session.secrets.secure or session.secrets.session_only)
            session_only.toggled.connect(w.setEnabled)
        top, hd_row, crm_row = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        top.addWidget(self.ws_combo, 1)
        top.addWidget(self.new_ws, 1)
        top.addWidget(add)
        hd_row.addWidget(self.hd_token, 1)
        hd_row.addWidget(test_hd)
        crm_row.addWidget(self.crm_token, 1)
        crm_row.addWidget(test_crm)
        form = QFormLayout(self)
        for label, field in (("Active workspace", top), ("Helpdesk", self.hd_kind), ("URL", self.hd_url),
                             ("Email", self.hd_email), ("Queue", self.hd_queue), ("Helpdesk token", hd_row),
                             ("CRM", self.crm_kind), ("CRM URL", self.crm_url), ("CRM token", crm_row),
                             ("Team store", self.team_url), ("Team store password", self.team_password),
                             ("Route automatically when right ≥", self.precision), ("", self.test_result)):
            form.addRow(label, field)
        self._shown_ws = self.ws_combo.currentText()
        self._load_ws(self._shown_ws)
        self.ws_combo.currentTextChanged.connect(self._on_ws_combo_changed)
        self.error: QLabel | None = None  # the dialog's error line, for a workspace that can't be stored

    @property
    def chosen(self) -> str:
        return self.ws_combo.currentText()

    def _load_ws(self, name: str) -> None:
        ws = self.workspaces[name]
        self.hd_kind.setCurrentText(ws.helpdesk.kind)
        self.hd_url.setText(ws.helpdesk.url)
        self.hd_email.setText(ws.helpdesk.email)
        self.hd_queue.setText(ws.helpdesk.queue)
        self.crm_kind.setCurrentText(ws.crm.kind)
        self.crm_url.setText(ws.crm.url)
        self.team_url.setText(ws.team.url)
        self.precision.setValue(ws.routing.precision * 100)
        for field, secret in self._secret_fields(name):
            field.clear()
            try:
                has = self.session.secrets.has(secret)
            except AssistError:
                has = False
            field.setPlaceholderText("set — leave empty to keep" if has else "not set")

    def _secret_fields(self, name: str) -> list[tuple[QLineEdit, str]]:
        return [(self.hd_token, f"{name}:helpdesk-token"), (self.crm_token, f"{name}:crm-token"),
                (self.team_password, f"{name}:team-password")]

    def store(self, name: str) -> WorkspaceSettings:
        data = as_data(self.workspaces[name])
        data["helpdesk"].update(kind=self.hd_kind.currentText(), url=self.hd_url.text().strip(),
                                email=self.hd_email.text().strip(), queue=self.hd_queue.text().strip())
        data["crm"].update(kind=self.crm_kind.currentText(), url=self.crm_url.text().strip())
        data["team"].update(url=self.team_url.text().strip())
        data.setdefault("routing", {})["precision"] = round(self.precision.value() / 100, 4)
        ws = checked(WorkspaceSettings, data, f"workspace {name!r}")
        self.workspaces[name] = ws
        return ws

    def _on_ws_combo_changed(self, name: str) -> None:
        if not name:
            return
        try:
            self.store(self._shown_ws)
        except SettingsError as exc:
            if self.error is not None:
                self.error.setText(str(exc))
        self._shown_ws = name
        self._load_ws(name)
        self.test_result.setText("")

    def _on_add_clicked(self) -> None:
        name = self.new_ws.text().strip()
        if not name or name in self.workspaces:
            if self.error is not None:
                self.error.setText("Give the new workspace a name that isn't used yet.")
            return
        self.workspaces[name] = WorkspaceSettings()
        self.ws_combo.addItem(name)
        self.ws_combo.setCurrentText(name)
        self.new_ws.clear()

    def test(self, part: str) -> None:
        name = self.chosen
        try:
            ws = self.store(name)
        except SettingsError as exc:
            self.test_result.setText(f"✗ {exc}")
            return
        probe = self.session.secrets.with_overrides({f"{name}:helpdesk-token": self.hd_token.text(),
                                                     f"{name}:crm-token": self.crm_token.text()})
        self.test_result.setText("Testing…")
        self.runner.run(f"test-{part}", test_connection(name, ws, probe, part),
                        on_ok=lambda text: self.test_result.setText(f"✓ {text}"),
                        on_error=lambda exc: self.test_result.setText(f"✗ {exc}"))

    def save(self, data: dict[str, Any], workspace: str) -> None:
        self.store(self.chosen)
        data["workspaces"] = {n: as_data(ws) for n, ws in self.workspaces.items()}
        data["active_workspace"] = self.chosen

    def save_secrets(self, settings: Settings, secrets: SecretStore) -> bool:
        changed = False
        for field, secret in self._secret_fields(self.chosen):
            if field.text():
                secrets.set(secret, field.text())
                changed = changed or self.chosen == self.session.settings.active_workspace  # as it was
        return changed

"""Settings dialog: agent name, autosave, and secrets (keyring only, with an explicit fallback)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assist import model_keys
from assist.errors import AssistError, SettingsError
from assist.evaluation import describe_last, evaluate, last_results, load_suite, table
from assist.paths import resources_dir
from assist.session import Session
from assist.settings import ModelTier, WorkspaceSettings, as_data, checked, copied, save_settings, validate
from assist.workspace import isolated_session, test_connection

from ui.tasks import TaskRunner


class _ResultView(QPlainTextEdit):
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


class SettingsDialog(QDialog):
    """Signals:
        saved(): settings were validated, written and applied to the session.
    """

    saved = Signal(bool)  # True when the active workspace's connections changed: the window reconnects

    def __init__(self, session: Session, parent: QWidget | None = None, runner: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Assist settings")
        self.session = session
        self.runner = runner or TaskRunner(on_error=lambda exc: self.error.setText(str(exc)))
        s = session.settings
        self.workspaces = {name: copied(ws) for name, ws in s.workspaces.items()}
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

        status = session.secrets.status()
        self.keyring_label = QLabel(status.message)
        self.keyring_label.setObjectName("keyringStatus")
        self.keyring_label.setWordWrap(True)
        self.session_only = QCheckBox("Keep secrets in memory for this session only (not saved anywhere)")
        self.session_only.setVisible(not status.secure)
        self.session_only.setChecked(session.secrets.session_only)
        # one key per provider (assist.model_keys): each tier's field says whose key it is and whether it is set
        self.keys: dict[str, QLineEdit] = {}
        self.key_labels: dict[str, QLabel] = {}
        for tier in ("fast", "frontier", "embedding"):
            key = QLineEdit()
            key.setEchoMode(QLineEdit.EchoMode.Password)
            key.setObjectName(f"{tier}Key")
            key.setEnabled(status.secure or session.secrets.session_only)
            self.session_only.toggled.connect(key.setEnabled)
            self.keys[tier], self.key_labels[tier] = key, QLabel()
        self.api_key = self.keys["fast"]
        self.error = QLabel("")
        self.error.setObjectName("settingsError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)

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
        self.ai_enabled = QCheckBox("AI features on (kill switch: Ctrl+Shift+A)")
        self.ai_enabled.setChecked(s.ai.enabled)

        general = QFormLayout()
        general.addRow("Agent name (journal)", self.agent_name)
        general.addRow("Sign replies as", self.display_name)
        general.addRow("Send replies as", self.send_as)
        general.addRow("Citations in sent replies", self.citations)
        general.addRow("Autosave drafts after", self.autosave)
        general.addRow("", self.ai_enabled)
        models = QFormLayout()
        for tier, (name, base) in self.models.items():
            models.addRow(f"{tier.capitalize()} model", name)
            models.addRow(f"{tier.capitalize()} api_base", base)
        models.addRow("Sentence vectors", self.vectors)
        models.addRow("Embedding model", self.embedding_model)
        models.addRow("Embedding api_base", self.embedding_base)
        models.addRow("", self.redact)
        for name, base in [*self.models.values(), (self.embedding_model, self.embedding_base)]:
            name.textChanged.connect(self._show_key_states)
            base.textChanged.connect(self._show_key_states)
        self._show_key_states()
        self.eval_label = _ResultView(self._last_eval_text())
        self.eval_label.setObjectName("evalResult")
        self.eval_button = QPushButton("Run regression suite")
        self.eval_button.setToolTip("Run the demo suite with the models above before switching to them")
        self.eval_button.clicked.connect(self.run_suite)
        models.addRow(self.eval_button)
        models.addRow(self.eval_label)
        self._suite_ran_for: tuple[str, str] | None = None
        secrets = QFormLayout()
        secrets.addRow(self.keyring_label)  # full width: the whole message, never clipped
        secrets.addRow(self.session_only)
        for tier, key in self.keys.items():
            secrets.addRow(self.key_labels[tier], key)
        tabs = QTabWidget()
        for title, form in (("General", general), ("Models", models), ("Secrets", secrets)):
            page = QWidget()
            page.setLayout(form)
            tabs.addTab(page, title)
        tabs.addTab(self._workspace_box(s.workspace), "Workspace")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        path = QLabel(f"Config file: {session.paths.config_file}")
        path.setWordWrap(True)
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(path)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(760, 560)

    # -- workspaces -----------------------------------------------------------------------------
    def _workspace_box(self, active: str) -> QGroupBox:
        box = QGroupBox("Workspace")
        self.ws_combo = QComboBox()
        self.ws_combo.addItems(list(self.workspaces))
        self.ws_combo.setCurrentText(active)
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
            w.setEnabled(self.session.secrets.secure or self.session.secrets.session_only)
            self.session_only.toggled.connect(w.setEnabled)
        top = QHBoxLayout()
        top.addWidget(self.ws_combo, 1)
        top.addWidget(self.new_ws, 1)
        top.addWidget(add)
        hd_row = QHBoxLayout()
        hd_row.addWidget(self.hd_token, 1)
        hd_row.addWidget(test_hd)
        crm_row = QHBoxLayout()
        crm_row.addWidget(self.crm_token, 1)
        crm_row.addWidget(test_crm)
        form = QFormLayout(box)
        form.addRow("Active workspace", top)
        form.addRow("Helpdesk", self.hd_kind)
        form.addRow("URL", self.hd_url)
        form.addRow("Email", self.hd_email)
        form.addRow("Queue", self.hd_queue)
        form.addRow("Helpdesk token", hd_row)
        form.addRow("CRM", self.crm_kind)
        form.addRow("CRM URL", self.crm_url)
        form.addRow("CRM token", crm_row)
        form.addRow("Team store", self.team_url)
        form.addRow("Team store password", self.team_password)
        form.addRow("Route automatically when right ≥", self.precision)
        form.addRow("", self.test_result)
        self._shown_ws = self.ws_combo.currentText()
        self._load_ws(self._shown_ws)
        self.ws_combo.currentTextChanged.connect(self._on_ws_combo_changed)
        return box

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

    def _store_ws(self, name: str) -> WorkspaceSettings:
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
            self._store_ws(self._shown_ws)
        except SettingsError as exc:
            self.error.setText(str(exc))
        self._shown_ws = name
        self._load_ws(name)
        self.test_result.setText("")

    def _on_add_clicked(self) -> None:
        name = self.new_ws.text().strip()
        if not name or name in self.workspaces:
            self.error.setText("Give the new workspace a name that isn't used yet.")
            return
        self.workspaces[name] = WorkspaceSettings()
        self.ws_combo.addItem(name)
        self.ws_combo.setCurrentText(name)
        self.new_ws.clear()

    def test(self, part: str) -> None:
        name = self.ws_combo.currentText()
        try:
            ws = self._store_ws(name)
        except SettingsError as exc:
            self.test_result.setText(f"✗ {exc}")
            return
        probe = self.session.secrets.with_overrides({f"{name}:helpdesk-token": self.hd_token.text(),
                                                     f"{name}:crm-token": self.crm_token.text()})
        self.test_result.setText("Testing…")
        self.runner.run(f"test-{part}", test_connection(name, ws, probe, part),
                        on_ok=lambda text: self.test_result.setText(f"✓ {text}"),
                        on_error=lambda exc: self.test_result.setText(f"✗ {exc}"))

    # -- regression suite -----------------------------------------------------------------------
    def _last_eval_text(self) -> str:
        last = last_results(self.session.paths.data_dir)
        if not last:
            return "No regression run yet."
        return "Last runs:\n" + "\n".join(describe_last(v) for v in last.values())

    def _models(self) -> tuple[str, str]:
        return self.models["fast"][0].text().strip(), self.models["frontier"][0].text().strip()

    def _models_changed(self) -> bool:
        s = self.session.settings.models
        return self._models() != (s.fast.model, s.frontier.model)

    def run_suite(self) -> None:
        """Evaluate the suite with the roster as typed (not yet saved) on a throwaway session."""
        settings = copied(self.session.settings)
        for tier, (name, base) in self.models.items():
            getattr(settings.models, tier).model = name.text().strip()
            getattr(settings.models, tier).api_base = base.text().strip()
        self.eval_button.setEnabled(False)
        self.eval_label.setText("Running the regression suite…")
        ran_for = self._models()

        async def _run() -> tuple[list[Any], list[str]]:
            probe = isolated_session(self.session, settings)
            try:  # drafts with record=False: the probe never writes to the journal
                suite = resources_dir() / "demo" / "eval.jsonl"
                return await evaluate(probe, load_suite(suite), suite, self.session.paths.data_dir)
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

    def _tier_form(self, tier: str) -> ModelTier:
        name, base = self.models[tier] if tier in self.models else (self.embedding_model, self.embedding_base)
        return ModelTier(model=name.text().strip(), api_base=base.text().strip())

    def _show_key_states(self) -> None:
        """Each tier's key field names the provider the key goes to, and whether one is set."""
        for tier, key in self.keys.items():
            cfg = self._tier_form(tier)
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

    def _on_buttons_accepted(self) -> None:
        if self._models_changed() and self._suite_ran_for != self._models():
            # A new model is a new product: see how it does on known cases before it drafts replies.
            self.error.setText("The models changed: running the regression suite first. Press Save again to keep "
                               "the change once you have read the result.")
            self.run_suite()
            return
        data = as_data(self.session.settings)
        data["agent"]["name"] = self.agent_name.text().strip()
        data["agent"]["display_name"] = self.display_name.text().strip()
        data["ui"]["autosave_ms"] = self.autosave.value()
        data["ai"]["enabled"] = self.ai_enabled.isChecked()
        try:
            self._store_ws(self.ws_combo.currentText())
        except SettingsError as exc:
            self.error.setText(str(exc))
            return
        data["workspaces"] = {n: as_data(ws) for n, ws in self.workspaces.items()}
        data["active_workspace"] = self.ws_combo.currentText()
        reply = data["workspaces"][self.ws_combo.currentText()].setdefault("reply", {})
        reply["send_as"] = self.send_as.currentData()
        reply["citations"] = self.citations.currentData()
        data["ai"]["redact_pii"] = self.redact.isChecked()
        data["ai"]["embeddings"] = self.vectors.currentData()
        data["models"]["embedding"].update(model=self.embedding_model.text().strip(),
                                           api_base=self.embedding_base.text().strip())
        if data["ai"]["embeddings"] == "model" and not data["models"]["embedding"]["model"]:
            self.error.setText("Sentence vectors from a model need the embedding model's name.")
            return
        for tier, (name, base) in self.models.items():
            data["models"][tier]["model"] = name.text().strip()
            data["models"][tier]["api_base"] = base.text().strip()
        settings, problems = validate(data)
        if problems:
            self.error.setText("\n".join(problems))
            return
        secrets = self.session.secrets
        secrets.session_only = self.session_only.isChecked() and not secrets.secure
        before = self.session.settings
        active = before.active_workspace
        reconnect = (as_data(before.models) != as_data(settings.models)
                     or as_data(before.ai) != as_data(settings.ai)
                     or active not in settings.workspaces
                     or as_data(before.workspaces[active]) != as_data(settings.workspaces[active]))
        try:
            for tier, key in self.keys.items():
                cfg = getattr(settings.models, tier)
                if key.text() and cfg.model:  # the key belongs to this tier's provider, and goes only there
                    secrets.set(model_keys.key_name(cfg), key.text())
                    reconnect = True
            ws_name = self.ws_combo.currentText()
            for field, secret in self._secret_fields(ws_name):
                if field.text():
                    secrets.set(secret, field.text())
                    reconnect = reconnect or ws_name == active
            save_settings(settings, self.session.paths.config_file)
        except (AssistError, OSError) as exc:
            self.error.setText(str(exc))
            return
        self.session.settings = settings
        if self.ws_combo.currentText() == self.session.workspace:  # routes at the new precision from now on
            self.session.intents.precision = settings.current.routing.precision
        self.saved.emit(reconnect)
        self.accept()

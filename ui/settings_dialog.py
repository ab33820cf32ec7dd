"""Settings dialog: agent name, autosave, and secrets (keyring only, with an explicit fallback)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assist.errors import AssistError
from assist.session import Session
from assist.settings import save_settings, validate

MODEL_KEY = "model-api-key"


class SettingsDialog(QDialog):
    """Signals:
        saved(): settings were validated, written and applied to the session.
    """

    saved = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Assist settings")
        self.session = session
        s = session.settings
        self.agent_name = QLineEdit(s.agent.name)
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
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(
            "set — leave empty to keep" if self._has_key() else "not set"
        )
        self.api_key.setEnabled(status.secure or session.secrets.session_only)
        self.session_only.toggled.connect(self.api_key.setEnabled)
        self.error = QLabel("")
        self.error.setObjectName("settingsError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)

        self.models: dict[str, tuple[QLineEdit, QLineEdit]] = {}
        for tier in ("fast", "frontier"):
            cfg = getattr(s.models, tier)
            name = QLineEdit(cfg.model)
            name.setPlaceholderText("litellm model, e.g. gpt-4o-mini or ollama/llama3.1 (empty: offline)")
            base = QLineEdit(cfg.api_base)
            base.setPlaceholderText("optional api_base: Ollama, vLLM or your LiteLLM proxy")
            self.models[tier] = (name, base)
        self.redact = QCheckBox("Mask emails, phones, cards and addresses before text goes to a cloud model")
        self.redact.setChecked(s.ai.redact_pii)
        self.ai_enabled = QCheckBox("AI features on (kill switch: Ctrl+Shift+A)")
        self.ai_enabled.setChecked(s.ai.enabled)

        form = QFormLayout()
        form.addRow("Agent name", self.agent_name)
        form.addRow("Autosave drafts after", self.autosave)
        form.addRow("", self.ai_enabled)
        for tier, (name, base) in self.models.items():
            form.addRow(f"{tier.capitalize()} model", name)
            form.addRow(f"{tier.capitalize()} api_base", base)
        form.addRow("", self.redact)
        form.addRow("Keyring", self.keyring_label)
        form.addRow("", self.session_only)
        form.addRow("Model API key", self.api_key)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Config file: {session.paths.config_file}"))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _has_key(self) -> bool:
        try:
            return self.session.secrets.has(MODEL_KEY)
        except AssistError:
            return False

    def _on_buttons_accepted(self) -> None:
        data = self.session.settings.model_dump(mode="json")
        data["agent"]["name"] = self.agent_name.text().strip()
        data["ui"]["autosave_ms"] = self.autosave.value()
        data["ai"]["enabled"] = self.ai_enabled.isChecked()
        data["ai"]["redact_pii"] = self.redact.isChecked()
        for tier, (name, base) in self.models.items():
            data["models"][tier]["model"] = name.text().strip()
            data["models"][tier]["api_base"] = base.text().strip()
        settings, problems = validate(data)
        if problems:
            self.error.setText("\n".join(problems))
            return
        secrets = self.session.secrets
        secrets.session_only = self.session_only.isChecked() and not secrets.secure
        try:
            if self.api_key.text():
                secrets.set(MODEL_KEY, self.api_key.text())
            save_settings(settings, self.session.paths.config_file)
        except (AssistError, OSError) as exc:
            self.error.setText(str(exc))
            return
        self.session.settings = settings
        self.saved.emit()
        self.accept()

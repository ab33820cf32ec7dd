"""Settings dialog: roster and switches are validated and saved; secrets only go to a keyring."""

from __future__ import annotations

import keyring.backends.fail

from assist.secrets import SecretStore
from assist.settings import Settings, load_settings
from assist.workspace import build_session

from ui.settings_dialog import SettingsDialog


def test_roster_saved_and_ticket_rerouted(open_window, run_until, paths, secrets) -> None:
    window = open_window()
    window.open_ticket("1002")
    run_until(lambda: window.ticket.route is not None and window.ticket.loaded == "1002")
    dialog = SettingsDialog(window.session, window)
    dialog.saved.connect(window._on_settings_saved)
    name, base = dialog.models["fast"]
    name.setText("openai/gpt-4o-mini")
    base.setText("http://127.0.0.1:9/v1")
    window.session.settings.routing.llm_classifier = False
    dialog.api_key.setText("sk-secret")
    dialog._on_buttons_accepted()  # a new model: the regression suite runs first, nothing is saved yet
    assert "running the regression suite first" in dialog.error.text()
    assert not paths.config_file.exists()
    run_until(lambda: "baseline" in dialog.eval_label.text() or "could not run" in dialog.eval_label.text(),
              timeout=60)
    assert "openai/gpt-4o-mini" in dialog.eval_label.text()  # the table has a row for the new model
    dialog._on_buttons_accepted()  # read it, save again
    run_until(lambda: "fast (openai/gpt-4o-mini)" in window.draft.route_label.text())
    saved, problems = load_settings(paths.config_file)
    assert problems == []
    assert saved.models.fast.model == "openai/gpt-4o-mini"
    assert "sk-secret" not in paths.config_file.read_text()  # secrets never in the file
    assert secrets.get("model-api-key") == "sk-secret"


def test_invalid_value_is_named_and_nothing_saved(open_window, paths) -> None:
    window = open_window()
    dialog = SettingsDialog(window.session, window)
    dialog.agent_name.setText("   ")
    dialog._on_buttons_accepted()
    assert "agent.name" in dialog.error.text()
    assert not paths.config_file.exists()


def test_no_secure_keyring_says_so_and_asks_before_fallback(qtbot, paths) -> None:
    session = build_session(paths, Settings(), SecretStore(keyring.backends.fail.Keyring()))
    try:
        dialog = SettingsDialog(session)
        qtbot.addWidget(dialog)
        assert "No secure keyring was found" in dialog.keyring_label.text()
        assert not dialog.api_key.isEnabled()
        assert not dialog.session_only.isHidden()
        dialog.session_only.setChecked(True)
        assert dialog.api_key.isEnabled()
        dialog.api_key.setText("sk-memory-only")
        dialog._on_buttons_accepted()
        assert session.secrets.get("model-api-key") == "sk-memory-only"
        assert "sk-memory-only" not in paths.config_file.read_text()
    finally:
        session.journal.close()
        session.kb.close()


def test_signature_send_as_and_citations_are_set_in_settings(open_window, run_until, paths) -> None:
    window = open_window()
    dialog = SettingsDialog(window.session, window)
    dialog.saved.connect(window._on_settings_saved)
    dialog.display_name.setText("Priya N.")
    dialog.send_as.setCurrentIndex(dialog.send_as.findData("solved"))
    dialog.citations.setCurrentIndex(dialog.citations.findData("footnotes"))
    dialog._on_buttons_accepted()
    saved, problems = load_settings(paths.config_file)
    assert problems == [] and saved.agent.display_name == "Priya N."
    assert saved.current.reply.send_as == "solved" and saved.current.reply.citations == "footnotes"
    assert window.draft.send_button.text() == "Send as Solved"
    run_until(lambda: True)  # the open ticket is routed again with the saved settings


def test_routing_precision_is_per_workspace_and_used_at_once(open_window, paths) -> None:
    window = open_window()
    dialog = SettingsDialog(window.session, window)
    assert dialog.precision.value() == 95.0  # the default, shown as a percentage
    dialog.precision.setValue(98.5)
    dialog._on_buttons_accepted()
    saved, problems = load_settings(paths.config_file)
    assert problems == [] and saved.current.routing.precision == 0.985
    assert window.session.intents.precision == 0.985  # the live router, without retraining or a restart


def test_sentence_vectors_are_chosen_in_settings(open_window, paths) -> None:
    """Issue 30: on this machine, a configured embedding model, or off; a model needs its name."""
    window = open_window()
    dialog = SettingsDialog(window.session, window)
    assert dialog.vectors.currentData() == "auto"
    dialog.vectors.setCurrentIndex(dialog.vectors.findData("model"))
    dialog._on_buttons_accepted()
    assert "embedding model's name" in dialog.error.text() and not paths.config_file.exists()
    dialog.embedding_model.setText("ollama/nomic-embed-text")
    dialog.embedding_base.setText("http://127.0.0.1:11434")
    dialog._on_buttons_accepted()
    saved, problems = load_settings(paths.config_file)
    assert problems == [] and saved.ai.embeddings == "model"
    assert (saved.models.embedding.model, saved.models.embedding.api_base) == ("ollama/nomic-embed-text",
                                                                               "http://127.0.0.1:11434")

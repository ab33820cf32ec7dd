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
    name, base = dialog.ai.models["fast"]
    name.setText("openai/gpt-4o-mini")
    base.setText("http://127.0.0.1:9/v1")
    window.session.settings.routing.llm_classifier = False
    dialog.keys.api_key.setText("sk-secret")
    dialog._on_buttons_accepted()  # a new model: the regression suite runs first, nothing is saved yet
    assert "running the regression suite first" in dialog.error.text()
    assert not paths.config_file.exists()
    run_until(lambda: "baseline" in dialog.ai.eval_label.text() or "could not run" in dialog.ai.eval_label.text(),
              timeout=60)
    assert "openai/gpt-4o-mini" in dialog.ai.eval_label.text()  # the table has a row for the new model
    dialog._on_buttons_accepted()  # read it, save again
    run_until(lambda: "fast (openai/gpt-4o-mini)" in window.draft.route_label.text())
    saved, problems = load_settings(paths.config_file)
    assert problems == []
    assert saved.models.fast.model == "openai/gpt-4o-mini"
    assert "sk-secret" not in paths.config_file.read_text()  # secrets never in the file
    from assist.model_keys import key_name

    assert secrets.get(key_name(saved.models.fast)) == "sk-secret"  # the fast tier's provider, only


def test_invalid_value_is_named_and_nothing_saved(open_window, paths) -> None:
    window = open_window()
    dialog = SettingsDialog(window.session, window)
    dialog.general.agent_name.setText("   ")
    dialog._on_buttons_accepted()
    assert "agent.name" in dialog.error.text()
    assert not paths.config_file.exists()


def test_no_secure_keyring_says_so_and_asks_before_fallback(qtbot, paths) -> None:
    from assist.model_keys import key_name
    from assist.settings import ModelTier

    settings = Settings()
    settings.models.fast = ModelTier(model="gpt-4o-mini")
    session = build_session(paths, settings, SecretStore(keyring.backends.fail.Keyring()))
    try:
        dialog = SettingsDialog(session)
        qtbot.addWidget(dialog)
        assert "No secure keyring was found" in dialog.keys.keyring_label.text()
        assert not dialog.keys.api_key.isEnabled()
        assert not dialog.keys.session_only.isHidden()
        dialog.keys.session_only.setChecked(True)
        assert dialog.keys.api_key.isEnabled()
        dialog.keys.api_key.setText("sk-memory-only")
        dialog._on_buttons_accepted()
        assert session.secrets.get(key_name(settings.models.fast)) == "sk-memory-only"
        assert "(openai)" in dialog.keys.key_labels["fast"].text()  # the field says whose key it is
        assert "sk-memory-only" not in paths.config_file.read_text()
    finally:
        session.journal.close()
        session.kb.close()


def test_signature_send_as_and_citations_are_set_in_settings(open_window, run_until, paths) -> None:
    window = open_window()
    dialog = SettingsDialog(window.session, window)
    dialog.saved.connect(window._on_settings_saved)
    dialog.general.display_name.setText("Priya N.")
    dialog.general.send_as.setCurrentIndex(dialog.general.send_as.findData("solved"))
    dialog.general.citations.setCurrentIndex(dialog.general.citations.findData("footnotes"))
    dialog._on_buttons_accepted()
    saved, problems = load_settings(paths.config_file)
    assert problems == [] and saved.agent.display_name == "Priya N."
    assert saved.current.reply.send_as == "solved" and saved.current.reply.citations == "footnotes"
    assert window.draft.send_button.text() == "Send as Solved"
    run_until(lambda: True)  # the open ticket is routed again with the saved settings


def test_routing_precision_is_per_workspace_and_used_at_once(open_window, paths) -> None:
    window = open_window()
    dialog = SettingsDialog(window.session, window)
    assert dialog.workspace.precision.value() == 95.0  # the default, shown as a percentage
    dialog.workspace.precision.setValue(98.5)
    dialog._on_buttons_accepted()
    saved, problems = load_settings(paths.config_file)
    assert problems == [] and saved.current.routing.precision == 0.985
    assert window.session.intents.precision == 0.985  # the live router, without retraining or a restart


def test_sentence_vectors_are_chosen_in_settings(open_window, paths) -> None:
    """Issue 30: on this machine, a configured embedding model, or off; a model needs its name."""
    window = open_window()
    dialog = SettingsDialog(window.session, window)
    assert dialog.ai.vectors.currentData() == "auto"
    dialog.ai.vectors.setCurrentIndex(dialog.ai.vectors.findData("model"))
    dialog._on_buttons_accepted()
    assert "embedding model's name" in dialog.error.text() and not paths.config_file.exists()
    dialog.ai.embedding_model.setText("ollama/nomic-embed-text")
    dialog.ai.embedding_base.setText("http://127.0.0.1:11434")
    dialog._on_buttons_accepted()
    saved, problems = load_settings(paths.config_file)
    assert problems == [] and saved.ai.embeddings == "model"
    assert (saved.models.embedding.model, saved.models.embedding.api_base) == ("ollama/nomic-embed-text",
                                                                               "http://127.0.0.1:11434")


def test_saving_a_token_reconnects_loads_the_queue_and_clears_the_banner(qtbot, loop, run_until, make_session,
                                                                         live_windows, paths, secrets) -> None:
    """Issue 24: after the first token was saved, Retry and F5 kept using the old session (no token) and the red
    banner stayed; only switching workspaces away and back loaded the queue."""
    import base64
    import json

    from assist.settings import HelpdeskSettings, WorkspaceSettings
    from tests.helpers import reply, serve

    from ui.main_window import MainWindow

    good = "Basic " + base64.b64encode(b"agent@acme.example/token:ZD-TOKEN-1").decode()

    kim = {"id": 9, "email": "kim@corp.example", "name": "Kim Lee"}
    ticket = {"id": 7, "subject": "Dock stopped charging", "status": "open", "requester_id": 9,
              "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z", "tags": []}

    def zendesk(h) -> None:  # Zendesk's answers (views, show_many, ticket, comments), 401 without the token
        if h.headers.get("Authorization") != good:
            status, body = 401, {"error": "Couldn't authenticate you"}
        elif h.path.startswith("/api/v2/views/42/tickets.json"):
            status, body = 200, {"tickets": [ticket], "meta": {"has_more": False}, "links": {"next": None}}
        elif h.path.startswith("/api/v2/users/show_many.json"):
            status, body = 200, {"users": [kim]}
        elif h.path.startswith("/api/v2/tickets/7.json"):
            status, body = 200, {"ticket": ticket, "users": [kim]}
        elif h.path.startswith("/api/v2/tickets/7/comments.json"):
            status, body = 200, {"comments": [{"id": 70, "author_id": 9, "body": "My dock stopped charging.",
                                               "public": True, "created_at": "2026-12-01T10:00:00Z"}],
                                 "meta": {"has_more": False}, "links": {"next": None}}
        else:
            status, body = 404, {"error": "RecordNotFound"}
        reply(status, json.dumps(body), "application/json")(h)

    with serve(zendesk) as (base, _log):
        settings = Settings()
        settings.workspaces["acme"] = WorkspaceSettings(helpdesk=HelpdeskSettings(
            kind="zendesk", url=base, email="agent@acme.example", queue="42"))
        settings.active_workspace = "acme"
        window = MainWindow(make_session(settings))
        live_windows.append(window)
        window.show()
        window.start()
        run_until(lambda: "Couldn't load the queue" in window.banner.text, timeout=30)
        assert "token" in window.banner.text.lower()  # one plain sentence about the missing token
        dialog = SettingsDialog(window.session, window)
        dialog.saved.connect(window._on_settings_saved)
        dialog.workspace.hd_token.setText("ZD-TOKEN-1")
        dialog._on_buttons_accepted()
        run_until(lambda: window.queue.list.count() == 1 and window.ticket.loaded == "7", timeout=30)
        assert window.banner.text == ""  # the old failure is gone with the old connection
        assert "My dock stopped charging." in window.thread_view.toPlainText()
        assert secrets.get("acme:helpdesk-token") == "ZD-TOKEN-1"

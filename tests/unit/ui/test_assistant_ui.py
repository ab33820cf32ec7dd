"""What the agent sees of the assistant: routes, drafts with citation chips, the kill switch."""

from __future__ import annotations

from assist.domain import TicketId
from assist.settings import load_settings

from ui.source_dialog import SourceDialog


def _open(window, run_until, ticket_id: str) -> None:
    window.open_ticket(TicketId(ticket_id))
    run_until(lambda: window.ticket.loaded == ticket_id and window.ticket.route is not None)


def test_where_is_my_order_gets_cited_offline_draft_at_once(open_window, run_until) -> None:
    window = open_window()
    _open(window, run_until, "1001")
    text = window.draft.text()
    assert "KC-48213" in text and "shipped with UPS" in text
    assert "Route: <b" in window.draft.route_label.text() and "offline" in window.draft.route_label.text()
    chips = window.draft.chip_buttons
    labels = [c.text() for c in chips]
    assert labels[0] == "[1] Order KC-48213 › CRM record"
    assert any("Shipping times and carriers" in label for label in labels)
    assert "every marker verified" in window.draft.check_label.text()
    assert window.draft.meta_label.text().startswith("offline ·")
    chips[-1].click()
    dialogs = [w for w in window.ticket.source_windows if isinstance(w, SourceDialog)]
    assert dialogs and dialogs[-1].isVisible()
    assert "Shipping times" in dialogs[-1].windowTitle() or "tracking" in dialogs[-1].browser.toPlainText()
    dialogs[-1].close()


def test_gdpr_erasure_shows_human_only_and_no_draft(open_window, run_until) -> None:
    window = open_window()
    _open(window, run_until, "1033")
    assert "Human only: legal request" in window.draft.route_label.text()
    assert window.draft.note_label.isVisible()
    assert "No draft is written" in window.draft.note_label.text()
    assert window.draft.text() == ""
    window.actions_by_name["generate"].trigger()  # asking anyway writes nothing
    run_until(lambda: True)
    assert window.draft.text() == ""


def test_agent_text_is_never_overwritten_by_an_automatic_draft(open_window, run_until) -> None:
    window = open_window()
    _open(window, run_until, "1002")
    window.draft.editor.setPlainText("my own words")
    run_until(lambda: "saved" in window.draft.state.text())
    _open(window, run_until, "1003")
    _open(window, run_until, "1002")
    assert window.draft.text() == "my own words"


def test_manual_redraft_is_undoable(open_window, run_until) -> None:
    window = open_window()
    _open(window, run_until, "1014")
    window.draft.editor.setPlainText("scratch")
    window.actions_by_name["generate"].trigger()
    run_until(lambda: "Drafted offline" in window.draft.state.text())
    assert "Plus plan" in window.draft.text()
    window.draft.editor.undo()
    assert window.draft.text() == "scratch"


def test_kill_switch_turns_ai_off_and_is_saved(open_window, run_until, paths) -> None:
    window = open_window()
    _open(window, run_until, "1001")
    window.actions_by_name["ai"].trigger()
    assert not window.session.ai_enabled
    assert "AI is off" in window.draft.route_label.text()
    assert not window.draft.draft_button.isEnabled()
    assert window.draft.chip_buttons == []
    settings, problems = load_settings(paths.config_file)
    assert problems == [] and settings.ai.enabled is False
    # still a plain helpdesk client: open another ticket, nothing is routed or drafted
    window.open_ticket(TicketId("1002"))
    run_until(lambda: window.ticket.loaded == "1002")
    assert window.ticket.route is None and window.draft.text() == ""
    assert "AI is off" in window.draft.route_label.text()
    window.actions_by_name["ai"].trigger()
    run_until(lambda: window.ticket.route is not None)
    assert "Route:" in window.draft.route_label.text()


def test_streamed_draft_can_be_stopped_and_errors_keep_text(open_window, make_session, run_until) -> None:
    from assist.settings import ModelTier, Settings
    from tests.openai_server import OpenAIServer

    llm = OpenAIServer()
    try:
        settings = Settings()
        settings.models.fast = ModelTier(model="openai/gpt-4o-mini", api_base=llm.api_base)
        settings.models.frontier = settings.models.fast
        settings.routing.llm_classifier = False
        window = open_window(make_session(settings))
        _open(window, run_until, "1002")
        assert "fast (openai/gpt-4o-mini)" in window.draft.route_label.text()
        assert window.draft.text() == ""  # model tiers draft on request, never on their own

        llm.mode, llm.stall_s = "stall", 5.0
        llm.reply = "Hi Derek, your order KC-48377 is being packed [1] and ships soon."
        window.actions_by_name["generate"].trigger()
        run_until(lambda: window.draft.text().startswith("Hi Derek, your"), idle=False)
        assert window.draft.editor.isReadOnly() and window.draft.stop_button.isVisible()
        window.actions_by_name["stop"].trigger()
        run_until(lambda: True)
        assert window.draft.text().startswith("Hi Derek, your")
        assert not window.draft.editor.isReadOnly()
        assert "stopped" in window.draft.state.text()

        llm.mode = "429"
        window.actions_by_name["generate"].trigger()
        run_until(lambda: window.banner.isVisible())
        assert "rate-limiting" in window.banner.text and window.banner.retry_button.isVisible()
        assert "KC-48377" in window.draft.text() and "offline draft" in window.banner.text  # drafted offline now
        window.draft.editor.undo()
        assert window.draft.text().startswith("Hi Derek, your")  # nothing lost

        llm.mode, llm.reply = "ok", "Hi Derek, it ships tomorrow [1]."
        window.banner.retry_button.click()
        run_until(lambda: window.draft.text() == "Hi Derek, it ships tomorrow [1].")
        assert window.draft.meta_label.text().startswith("openai/gpt-4o-mini ·")
    finally:
        llm.close()

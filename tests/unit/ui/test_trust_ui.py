"""Operations stay bound to their ticket and dialogs to the live session (issue 11), through the window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from assist.domain import ProposalStatus, TicketId
from assist.errors import ConnectorUnavailableError
from assist.settings import WorkspaceSettings

from ui.settings_dialog import SettingsDialog


def _select(window, ticket_id: str) -> None:
    window.queue.select_id(ticket_id)
    if window.ticket.loaded != ticket_id:
        window.open_ticket(TicketId(ticket_id))


def test_retry_after_switching_tickets_resends_the_first_tickets_text(open_window, run_until, loop) -> None:
    window = open_window()
    _select(window, "1001")
    run_until(lambda: window.ticket.loaded == "1001")
    window.draft.editor.setPlainText("Your parcel is with UPS [1].")
    real_post = window.session.helpdesk.post_reply
    posted: list[tuple[str, str]] = []
    calls = {"n": 0}

    async def flaky(ticket_id, body, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectorUnavailableError("The helpdesk did not answer in time.")
        posted.append((ticket_id, body))
        return await real_post(ticket_id, body, **kw)

    window.session.helpdesk.post_reply = flaky
    window.send(public=True)
    run_until(lambda: "Couldn't send the reply to #1001" in window.banner.text)

    _select(window, "1002")
    run_until(lambda: window.ticket.loaded == "1002")
    window.draft.editor.setPlainText("half-written notes for 1002")
    window.banner.retry_button.click()
    run_until(lambda: posted)
    assert posted == [("1001", "Your parcel is with UPS.")]
    assert window.draft.text() == "half-written notes for 1002"  # untouched
    thread_1002 = loop.run_until_complete(window.session.helpdesk.get_ticket(TicketId("1002")))
    assert all("half-written" not in m.body for m in thread_1002.messages)


def test_regression_run_in_settings_leaves_actions_working(open_window, run_until) -> None:
    window = open_window()
    _select(window, "1019")
    run_until(lambda: any(c.proposal.action == "change_plan" for c in window.actions_pane.cards.values()))
    dialog = SettingsDialog(window.session, window)
    dialog.ai.run_suite()
    run_until(lambda: "baseline" in dialog.ai.eval_label.text() or "could not run" in dialog.ai.eval_label.text(),
              timeout=90)
    card = next(c for c in window.actions_pane.cards.values() if c.proposal.action == "change_plan")
    card.approve.click()
    run_until(lambda: card.proposal.status is not ProposalStatus.PROPOSED)
    assert card.proposal.status is ProposalStatus.SUCCEEDED, card.proposal.error


def test_knowledge_window_follows_a_workspace_switch(open_window, run_until) -> None:
    window = open_window()
    window.session.settings.workspaces["second"] = WorkspaceSettings()
    window.open_knowledge()
    from ui.knowledge_dialog import KnowledgeDialog

    dialog = next(w for w in window.findChildren(KnowledgeDialog))
    old = window.session
    window.switch_workspace("second")
    run_until(lambda: window.session is not old)
    dialog.query.setText("refund")
    dialog.search()
    run_until(lambda: dialog.results.toPlainText().strip() != "")
    assert dialog.session is window.session
    assert "Traceback" not in dialog.results.toPlainText()
    assert window.banner.text == "" or "closed" not in window.banner.text.lower()
    dialog.close()


def test_blocked_card_has_no_approve(open_window, run_until) -> None:
    window = open_window()

    def mention(conn) -> None:
        conn.execute("UPDATE messages SET body = body || ' also refund KC-48377 please' WHERE ticket_id = '1010'")

    window.runner.run("seed", window.session.demo_db.run(mention))
    run_until(lambda: True)
    _select(window, "1010")
    run_until(lambda: any(c.proposal.status is ProposalStatus.BLOCKED for c in window.actions_pane.cards.values()))
    card = next(c for c in window.actions_pane.cards.values() if c.proposal.status is ProposalStatus.BLOCKED)
    assert card.approve.isHidden()
    assert "KC-48377 is not one of" in card.status.text()
    assert card.dismiss.isEnabled()
    assert Qt.TextInteractionFlag.TextSelectableByMouse & card.status.textInteractionFlags()


def test_demo_asks_once_how_to_sign_replies(open_window, make_session, run_until, paths) -> None:
    from assist.settings import load_settings

    window = open_window(make_session(signed=False))
    run_until(lambda: "signed with your name" in window.banner.text)
    window.banner.retry_button.click()
    window.signature._dialog.setTextValue("Priya N.")
    window.signature._dialog.accept()
    assert window.session.settings.agent.display_name == "Priya N."
    saved, _ = load_settings(paths.config_file)
    assert saved.agent.display_name == "Priya N."
    _select(window, "1018")
    run_until(lambda: window.ticket.loaded == "1018" and "Priya N." in window.draft.text())
    window2 = open_window(make_session(saved, signed=False))
    run_until(lambda: True)
    assert "signed with your name" not in window2.banner.text


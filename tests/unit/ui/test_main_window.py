"""What an agent sees and does in the main window, on a temporary demo workspace."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from assist.domain import TicketId
from assist.errors import ConnectorUnavailableError
from tests.qt_fixtures import close_window

from ui.main_window import MainWindow


def _select(window, ticket_id: str) -> None:
    for row in range(window.queue.list.count()):
        if window.queue.list.item(row).data(Qt.ItemDataRole.UserRole) == ticket_id:
            window.queue.list.setCurrentRow(row)
            return
    raise AssertionError(f"#{ticket_id} not in queue")


def test_ticket_draft_survives_restart_and_sends(open_window, make_session, run_until, loop) -> None:
    window = open_window()
    assert window.queue.list.count() >= 30
    _select(window, "1001")
    run_until(lambda: window.ticket.loaded == "1001")
    thread = window.thread_view.toPlainText()
    assert "where is my order??" in thread and "basically out of coffee" in thread
    context = window.context.toPlainText()
    assert "Maria Gonzalez" in context and "Plus" in context and "KC-48213" in context

    run_until(lambda: not window.runner.pending())  # the automatic offline draft is in
    assert "KC-48213" in window.draft.text()
    window.draft.editor.setFocus()
    window.draft.editor.selectAll()
    QTest.keyClicks(window.draft.editor, "Hi Maria, your parcel is with UPS")
    run_until(lambda: "saved" in window.draft.state.text())
    close_window(loop, window)

    window = open_window(make_session())
    _select(window, "1001")
    run_until(lambda: window.ticket.loaded == "1001")
    assert window.draft.text() == "Hi Maria, your parcel is with UPS"
    assert "restored" in window.draft.state.text()

    window.activateWindow()
    window.draft.editor.setFocus()
    QTest.keyClick(window.draft.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    run_until(lambda: "Reply sent" in window.draft.state.text())
    assert window.draft.text() == ""
    assert "Hi Maria, your parcel is with UPS" in window.thread_view.toPlainText()
    assert loop.run_until_complete(window.session.load_draft(TicketId("1001"))) is None


def test_note_is_posted_as_internal(open_window, run_until) -> None:
    window = open_window()
    _select(window, "1002")
    run_until(lambda: window.ticket.loaded == "1002")
    run_until(lambda: not window.runner.pending())
    window.draft.editor.setPlainText("Warehouse says it ships Thursday")
    window.draft.note_button.click()
    run_until(lambda: "Note added" in window.draft.state.text())
    assert "internal note" in window.thread_view.toPlainText()


def test_keyboard_jump_and_queue_navigation(open_window, run_until) -> None:
    window = open_window()
    QTest.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.jump.hasFocus() or window.focusWidget() is window.jump
    QTest.keyClicks(window.jump, "#1033")
    QTest.keyClick(window.jump, Qt.Key.Key_Return)
    run_until(lambda: window.ticket.loaded == "1033")
    assert "Article 17" in window.thread_view.toPlainText()
    row = window.queue.list.currentRow()
    window.actions_by_name["next"].trigger()
    assert window.queue.list.currentRow() == row + 1
    run_until(lambda: window.ticket.loaded not in (None, "1033"))


def test_every_action_has_a_shortcut_shown_in_its_tooltip(open_window) -> None:
    window = open_window()
    for name, action in window.actions_by_name.items():
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert keys, name
        assert keys in action.toolTip(), (name, action.toolTip())


def test_switching_tickets_cancels_the_stale_fetch(open_window, run_until) -> None:
    window = open_window()
    window.open_ticket(TicketId("1010"))
    first = window.runner._tasks["open"]
    window.open_ticket(TicketId("1014"))
    run_until(lambda: window.ticket.loaded == "1014")
    assert first.cancelled()
    assert "Cancel my subscription" in window.thread_view.toPlainText()


def test_missing_ticket_shows_banner_without_retry(open_window, run_until) -> None:
    window = open_window()
    window.open_ticket(TicketId("4242"))
    run_until(lambda: window.banner.isVisible())
    assert "#4242" in window.banner.text
    assert not window.banner.retry_button.isVisible()


def test_helpdesk_outage_shows_banner_and_retry_recovers(
    qtbot, loop, make_session, run_until, live_windows
) -> None:
    session = make_session()
    real_get = session.helpdesk.get_ticket
    calls = {"n": 0}

    async def flaky(ticket_id, on_requester=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectorUnavailableError("The helpdesk did not answer in 10 s. Check your connection.")
        return await real_get(ticket_id, on_requester)

    session.helpdesk.get_ticket = flaky
    window = MainWindow(session)
    live_windows.append(window)
    window.show()
    window.start()
    run_until(lambda: window.banner.isVisible())
    assert "did not answer" in window.banner.text
    assert window.banner.retry_button.isVisible()
    assert not window.draft.editor.isEnabled()
    window.banner.retry_button.click()
    run_until(lambda: window.ticket.loaded is not None)
    assert not window.banner.isVisible()
    close_window(loop, window)


def test_team_store_down_shows_waiting_rows_not_a_dialog(open_window, make_session, secrets, run_until) -> None:
    from assist.settings import Settings

    settings = Settings()
    settings.workspaces["demo"].team.url = "postgresql://ann@127.0.0.1:9/assist"
    secrets.set("demo:team-password", "pw-123456")
    window = open_window(make_session(settings))
    run_until(lambda: "can't be reached" in window.team_status.text(), timeout=30)
    assert window.team_status.text().startswith("Team store: ")
    assert not window.banner.isVisible() or "team" not in window.banner.text().lower()


def test_the_window_fits_the_screen_and_the_draft_has_room(open_window, run_until) -> None:
    """Issue 27: 1400x860 on a 1366x768 screen (Send off-screen), and a 4-line draft editor."""
    window = open_window()
    area, least = window.screen().availableGeometry(), window.minimumSizeHint()  # the test screen is 800x800
    assert window.width() <= max(area.width(), least.width()) and window.height() <= max(area.height(),
                                                                                         least.height())
    assert window.width() < 1400 and window.height() < 860  # not the fixed size it used to open at
    window.resize(1366, 768)
    window.open_ticket("1002")
    run_until(lambda: window.ticket.loaded == "1002" and window.draft.text() != "")
    assert window.draft.editor.height() >= 0.4 * window.middle.height()
    assert window.draft.send_button.isVisible()

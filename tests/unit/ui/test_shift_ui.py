"""A shift in the window (issue 15): layout that fits, keyboard flow, readable cues, a menu bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from assist.domain import TicketId
from tests.qt_fixtures import close_window


def _row_text(window, ticket_id: str) -> str:
    for row in range(window.queue.list.count()):
        item = window.queue.list.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == ticket_id:
            return item.text()
    raise AssertionError(f"#{ticket_id} not listed")


def test_queue_shows_priority(open_window) -> None:
    window = open_window()
    assert "▲ high" in _row_text(window, "1010")
    assert "▲" not in _row_text(window, "1001") and "URGENT" not in _row_text(window, "1001")


def test_draft_gets_half_the_middle_column_and_layout_is_remembered(open_window, make_session, run_until,
                                                                    loop) -> None:
    window = open_window()
    window.resize(1366, 768)
    run_until(lambda: True)
    thread_h, draft_h = window.middle.sizes()
    assert draft_h >= thread_h * 0.9
    window.middle.setSizes([200, 500])
    window.side.setCurrentIndex(2)
    close_window(loop, window)
    again = open_window(make_session())
    assert again.side.currentIndex() == 2
    top, bottom = again.middle.sizes()
    assert bottom > top * 2


def test_jump_leaves_the_box_so_shortcuts_work(open_window, run_until) -> None:
    window = open_window()
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(window.jump, "1033")
    QTest.keyClick(window.jump, Qt.Key.Key_Return)
    run_until(lambda: window.ticket.loaded == "1033")
    assert not window.jump.hasFocus()
    QTest.keyClick(window.focusWidget() or window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    run_until(lambda: window.ticket.escalate_dialog is not None)
    window.ticket.escalate_dialog.reject()


def test_other_tickets_open_from_the_customer_pane(open_window, run_until) -> None:
    window = open_window()
    window.open_ticket(TicketId("1002"))  # Derek also wrote #1015
    run_until(lambda: window.ticket.loaded == "1002")
    html = window.context.toHtml()
    assert 'href="assist:ticket/1015"' in html
    window.context.internal_link.emit("ticket/1015")
    run_until(lambda: window.ticket.loaded == "1015")


def test_menu_bar_has_the_standard_entries_and_quit(open_window) -> None:
    window = open_window()
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Ticket", "View", "Team", "Help"]
    file_menu = window.menuBar().actions()[0].menu()
    assert "Quit" in [a.text() for a in file_menu.actions()]
    assert window.actions_by_name["quit"].shortcut().toString() == "Ctrl+Q"


def test_citation_chips_wrap_instead_of_clipping(open_window, run_until) -> None:
    window = open_window()
    window.resize(1366, 768)
    window.open_ticket(TicketId("1010"))
    run_until(lambda: len(window.draft.chip_buttons) >= 3)
    run_until(lambda: True)
    area = window.draft.chip_area
    for chip in window.draft.chip_buttons:
        assert chip.isVisible()
        assert chip.geometry().right() <= area.width() + 1, "a chip runs past the pane"


def test_keyboard_only_walk_open_draft_approve_send_as_next(open_window, run_until, loop) -> None:
    from assist.domain import ProposalStatus, TicketStatus

    window = open_window()
    window.activateWindow()

    def key(k, mods=Qt.KeyboardModifier.NoModifier) -> None:
        QTest.keyClick(window.focusWidget() or window, k, mods)

    ctrl, alt = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
    key(Qt.Key.Key_K, ctrl)
    QTest.keyClicks(window.jump, "1010")
    key(Qt.Key.Key_Return)
    run_until(lambda: window.ticket.loaded == "1010" and window.ticket.route is not None)
    key(Qt.Key.Key_G, ctrl)  # draft again
    run_until(lambda: "Drafted offline" in window.draft.state.text())
    assert "sources cited" in window.draft.check_label.text()
    key(Qt.Key.Key_2, alt)  # the Actions tab, first runnable card focused
    refund = next(c for c in window.actions_pane.cards.values() if c.proposal.action == "refund_order")
    assert window.focusWidget() is refund.approve
    key(Qt.Key.Key_Space)  # asks to confirm (irreversible)
    assert refund.approve.text().startswith("Confirm")
    key(Qt.Key.Key_Space)
    run_until(lambda: refund.proposal.status is ProposalStatus.SUCCEEDED)
    key(Qt.Key.Key_Return, ctrl | alt)  # send as Solved
    run_until(lambda: "Reply sent" in window.draft.state.text())
    # the sent draft's citations leave with it (issue 27: chips and "✓ 3 sources cited" stayed under the
    # emptied editor); the route stays
    assert window.draft.check_label.text() == "" and not window.draft.chip_area.isVisible()
    assert window.draft.route_label.text() != ""
    ticket = loop.run_until_complete(window.session.helpdesk.get_ticket(TicketId("1010")))
    assert ticket.status is TicketStatus.SOLVED and "[1]" not in ticket.messages[-1].body
    row = window.queue.list.currentRow()
    key(Qt.Key.Key_Down, alt)  # next ticket
    run_until(lambda: window.ticket.loaded not in (None, "1010"))
    assert window.queue.list.currentRow() in (row, row + 1)


def test_typing_a_search_asks_the_helpdesk_once(open_window, run_until) -> None:
    window = open_window()
    asked: list[str] = []
    real = window.session.queue

    async def counting(flt):
        asked.append(flt.text)
        return await real(flt)

    window.session.queue = counting
    QTest.keyClicks(window.queue.search, "refund")
    run_until(lambda: asked, timeout=3)
    assert asked == ["refund"]  # one query after the pause, not six

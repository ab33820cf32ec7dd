"""Action cards in the window: propose, edit, confirm an irreversible action, see the result."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLineEdit

from assist.domain import TicketId


def _cards(window) -> dict:
    return {c.proposal.action: c for c in window.actions_pane.cards.values()}


def test_refund_card_needs_confirmation_and_shows_result(open_window, run_until) -> None:
    window = open_window()
    window.open_ticket(TicketId("1010"))
    run_until(lambda: "refund_order" in _cards(window))
    cards = _cards(window)
    assert "✓ Order KC-48290: delivered" in cards["lookup_order"].status.text()  # read-only ran itself
    refund = cards["refund_order"]
    assert "[irreversible]" in refund.header.text()
    assert window.side.tabText(1) == "Actions (1)"
    amount = refund.fields["amount"]
    assert isinstance(amount, QDoubleSpinBox) and amount.value() == 12.0
    assert isinstance(refund.fields["reason"], QComboBox)
    assert refund.fields["reason"].currentText() == "duplicate charge"

    amount.setValue(0)  # typed validation: the form names the rule and Approve is off
    assert "exclusiveMinimum" in refund.problem.text()
    assert not refund.approve.isEnabled()
    amount.setValue(7.5)
    assert refund.problem.text() == "" and refund.approve.isEnabled()

    window.side.setCurrentIndex(1)  # the Actions tab, where the agent works from the keyboard
    refund.approve.setFocus()
    assert refund.approve.hasFocus() or not window.isActiveWindow()
    refund.approve.click()  # first click only asks
    assert refund.approve.text().startswith("Confirm: refund order")
    assert refund.status.text() == ""
    refund.approve.click()
    run_until(lambda: "Refunded" in refund.status.text())
    assert "$7.50" in refund.status.text()
    assert not refund.approve.isEnabled() and not refund.insert.isHidden()
    assert refund.insert.hasFocus() or not window.isActiveWindow()  # Issue 27: Tab never reached it
    assert window.side.tabText(1) == "Actions"  # the count follows approvals

    window.draft.editor.setPlainText("Hi Kevin, ")
    cursor = window.draft.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.draft.editor.setTextCursor(cursor)
    refund.insert.click()
    assert window.draft.text().startswith(
        "Hi Kevin, \n\nI've refunded $7.50 on your order KC-48290 to your original payment method")

    window.side.setCurrentIndex(2)
    run_until(lambda: "Done: Refunded" in window.history.toPlainText())
    history = window.history.toPlainText()
    assert "Refund order (KC-48290, amount 7.50, reason duplicate charge) approved by" in history
    assert "changed Refund order: amount from 12.0 to 7.5" in history
    assert "Look up order (KC-48290) ran on its own (read-only)" in history
    assert "idempotency" not in history.lower() and "{" not in history  # no raw JSON or keys


def test_refused_action_shows_the_rule_and_can_be_edited(open_window, run_until) -> None:
    window = open_window()
    window.open_ticket(TicketId("1032"))
    run_until(lambda: "change_shipping_address" in _cards(window))
    card = _cards(window)["change_shipping_address"]
    address = card.fields["address"]
    assert isinstance(address, QLineEdit)
    address.setText("1100 Congress Ave, Austin TX 78701")
    card.approve.click()
    run_until(lambda: "✗" in card.status.text())
    assert "before the order ships (it is shipped)" in card.status.text()
    assert card.approve.isEnabled()  # the agent may edit and try again


def test_dismiss_and_ai_off(open_window, run_until) -> None:
    window = open_window()
    window.open_ticket(TicketId("1019"))
    run_until(lambda: "change_plan" in _cards(window))
    card = _cards(window)["change_plan"]
    card.dismiss.click()
    run_until(lambda: "Dismissed" in card.status.text())
    assert not card.approve.isEnabled()
    window.actions_by_name["ai"].trigger()
    assert window.actions_pane.cards == {}
    assert "AI is off" in window.actions_pane.note.text()


def test_a_workspace_without_a_catalog_says_so(open_window, run_until) -> None:
    """Issue 27: without an actions catalog the Actions tab said "Looking for actions…" forever."""
    from assist.domain import TicketId

    window = open_window()
    window.session.catalog_path = None
    window.session.actions = None
    window.session._actions_ready = False  # type: ignore[attr-defined]
    window.open_ticket(TicketId("1002"))
    run_until(lambda: "no actions catalog" in window.actions_pane.note.text(), timeout=30)
    assert "Looking for actions" not in window.actions_pane.note.text()

"""Escalate from the window, review as a senior agent, export the weekly report."""

from __future__ import annotations

from pathlib import Path

from assist.domain import TicketId

from ui.escalate_dialog import EscalateDialog
from ui.report_dialog import ReportDialog
from ui.review_window import ReviewWindow


def _open(window, run_until, ticket_id: str) -> None:
    window.open_ticket(TicketId(ticket_id))
    run_until(lambda: window.ticket.loaded == ticket_id and window.ticket.route is not None)


def test_escalate_prefilled_writes_back_and_is_reviewable(open_window, run_until) -> None:
    window = open_window()
    _open(window, run_until, "1033")
    window.actions_by_name["escalate"].trigger()
    dialog = window.ticket.escalate_dialog
    assert isinstance(dialog, EscalateDialog)
    assert dialog.reason.currentData() == "legal_compliance"  # from the hard trigger
    assert dialog.write_back.isChecked()
    dialog.note.setText("erasure request, forwarded to privacy")
    dialog._on_buttons_accepted()
    run_until(lambda: "internal note" in window.thread_view.toPlainText() and window.ticket.loaded == "1033")
    thread = window.thread_view.toPlainText()
    assert "Escalated by Assist: Legal / compliance" in thread
    assert "assist-escalated" in thread  # the tag shows in the header

    review = ReviewWindow(lambda: window.session, window.runner, window)
    review.show()
    run_until(lambda: review.table.rowCount() == 1 and "Article 17" in review.thread_view.toPlainText())
    assert review.table.item(0, 2).text() == "Legal / compliance"
    intent = review.table.item(0, 3).text()  # the intent by its title, not its slug (issue 27)
    assert "_" not in intent and intent == window.session.intents.taxonomy.title(review.rows[0].intent)
    assert review.draft.toPlainText() == "(no assistant draft)"
    assert review.escalated_by.text().endswith("as Legal / compliance — “erasure request, forwarded to privacy”")
    review.retag.setCurrentIndex(review.retag.findData("policy_exception"))
    review.root_cause.setText("wanted marketing opt-out, not erasure")
    review.flow_fix.setChecked(True)
    review.save_review()
    run_until(lambda: "Saved" in review.status.text() and "was Legal" in (review.table.item(0, 2).text()
                                                                           if review.table.rowCount() else ""))
    assert review.table.item(0, 2).text() == "Policy exception (was Legal / compliance)"
    review.close()

    window.side.setCurrentIndex(2)  # the ticket's History tells the escalation, its note and the review
    run_until(lambda: "Escalated by" in window.history.toPlainText())
    history = window.history.toPlainText()
    assert "Legal / compliance — “erasure request, forwarded to privacy”" in history
    assert "root cause “wanted marketing opt-out, not erasure”" in history


def test_the_escalate_form_starts_on_the_intents_own_reason(open_window, run_until) -> None:
    """The workspace's taxonomy says a broken feature escalates as a bug: the form starts there, as the
    journal's "suggested reason" does (the form ignored the taxonomy before)."""
    window = open_window()
    _open(window, run_until, "1026")
    assert window.ticket.route.intent == "broken_feature" and not window.ticket.route.triggers
    window.open_escalate()
    assert window.ticket.escalate_dialog.reason.currentData() == "bug_outage"
    window.ticket.escalate_dialog.close()


def test_other_reason_needs_a_note(open_window, run_until) -> None:
    window = open_window()
    _open(window, run_until, "1002")
    window.open_escalate()
    dialog = window.ticket.escalate_dialog
    dialog.reason.setCurrentIndex(dialog.reason.findData("other"))
    dialog._on_buttons_accepted()
    assert "required" in dialog.error.text() and dialog.isVisible()
    dialog.close()


def test_rejected_drafts_suggest_escalation(open_window, run_until) -> None:
    window = open_window()
    _open(window, run_until, "1002")
    for _ in range(3):  # the same draft again is not a rejection
        window.actions_by_name["generate"].trigger()
        run_until(lambda: "Drafted offline" in window.draft.state.text() or "saved" in window.draft.state.text())
    assert not window.banner.isVisible()

    from msgspec.structs import replace

    real_draft = window.session.draft
    n = {"i": 0}

    async def different(ctx, route, **kw):
        async for event in real_draft(ctx, route, **kw):
            if not hasattr(event, "tier"):
                yield event
                continue
            n["i"] += 1
            yield replace(event, text=f"{event.text}\nVariant {n['i']}")

    window.session.draft = different
    for _ in range(3):
        window.draft.state.setText("")
        window.actions_by_name["generate"].trigger()
        run_until(lambda: "Drafted offline" in window.draft.state.text() or "saved" in window.draft.state.text())
    assert window.banner.isVisible()
    assert "3 drafts rejected in a row" in window.banner.text
    assert window.banner.retry_button.text() == "Escalate this &one…"


def test_sent_reply_lands_in_the_weekly_report(open_window, run_until, tmp_path: Path) -> None:
    window = open_window()
    _open(window, run_until, "1001")
    window.actions_by_name["send"].trigger()  # the automatic draft, sent unchanged
    run_until(lambda: "Reply sent" in window.draft.state.text())
    dialog = ReportDialog(lambda: window.session, window.runner, window)
    from datetime import UTC, datetime

    from assist.reports import last_week
    from assist.text import iso_week

    assert dialog.week.text() == last_week()  # the last full week by default, as `assist report` does
    dialog.week.setText(iso_week(datetime.now(UTC)))  # this week: the reply just sent
    out = tmp_path / "week.html"
    dialog.export_to(out)
    run_until(lambda: "→" in dialog.status.text() or "Couldn't" in dialog.status.text())
    assert "1 reply, 0 escalations" in dialog.status.text()
    html = out.read_text()
    assert "<svg" in html and "| 100% |" not in html and "100%" in html  # sent unchanged: full containment
    dialog.week.setText("not a week")
    dialog.export_to(tmp_path / "bad.html")
    run_until(lambda: "Couldn't export" in dialog.status.text())
    assert "ISO week" in dialog.status.text()


def test_an_escalation_suggestion_stays_with_its_ticket(open_window, run_until) -> None:
    """Issue 27: 'Consider escalating #1004' followed the agent to #1002 and its button escalated #1002 with
    #1004's reason; after #1004 was escalated the banner still suggested it."""
    window = open_window()
    _open(window, run_until, "1002")
    ctx = window.ticket.ctx
    window.ticket.rejected[ctx.ticket.id] = 5  # as if five drafts were turned down
    window.ticket.suggest_escalation()
    assert "Consider escalating #1002" in window.banner.text
    assert "&E" not in window.banner.retry_button.text()  # Alt+E is the Team menu's
    _open(window, run_until, "1001")  # the agent walks away: the suggestion stays with #1002
    assert "#1002" not in window.banner.text
    window.banner._retry = None
    window.ticket.open_escalate("1002")  # a stale button press for #1002 opens nothing on #1001
    assert window.ticket.escalate_dialog is None or not window.ticket.escalate_dialog.isVisible()
    _open(window, run_until, "1002")  # and back: suggested again, bound to #1002
    window.ticket.suggest_escalation()
    assert "Consider escalating #1002" in window.banner.text
    window.banner.retry_button.click()
    run_until(lambda: window.ticket.escalate_dialog is not None and window.ticket.escalate_dialog.isVisible())
    assert "#1002" in window.ticket.escalate_dialog.windowTitle() + window.ticket.escalate_dialog.findChild(
        type(window.banner.label)).text()
    window.ticket.escalate_dialog.reject()
    window.ticket.escalate("customer_frustration", "five drafts turned down", False)
    run_until(lambda: "1002" in window.ticket.escalated)
    assert "Consider escalating #1002" not in window.banner.text
    window.ticket.suggest_escalation()  # escalated already: never suggested again
    assert "Consider escalating" not in window.banner.text

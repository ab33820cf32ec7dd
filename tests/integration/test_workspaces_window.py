"""Several workspaces in the window: switch from the demo to a real Request Tracker, work a ticket
there, follow a copied ticket URL, and test the connection from Settings."""

from __future__ import annotations

import httpx

from assist.settings import HelpdeskSettings, Settings, WorkspaceSettings

from ui.settings_dialog import SettingsDialog


def _settings(rt_env: dict[str, str]) -> Settings:
    s = Settings()
    s.workspaces["rt"] = WorkspaceSettings(helpdesk=HelpdeskSettings(
        kind="request_tracker", url=rt_env["RT_URL"], queue="Queue = 'General'"))
    s.workspaces["rt"].crm.kind = "helpdesk"
    return s


def _new_ticket(rt_env: dict[str, str], subject: str) -> str:
    with httpx.Client(base_url=rt_env["RT_URL"] + "/REST/2.0",
                      headers={"Authorization": f"token {rt_env['RT_TOKEN']}"}) as rt:
        resp = rt.post("/ticket", json={"Queue": "General", "Subject": subject, "Requestor": "ann@example.com",
                                        "Content": "my parcel is late", "ContentType": "text/plain"})
        resp.raise_for_status()
        return str(resp.json()["id"])


def test_switch_to_request_tracker_and_work_a_ticket(rt_env, open_window, make_session, secrets, run_until, loop):
    tid = _new_ticket(rt_env, "switch test parcel late")
    secrets.set("rt:helpdesk-token", rt_env["RT_TOKEN"])
    window = open_window(make_session(_settings(rt_env)))
    assert window.session.workspace == "demo"
    window.workspace_box.setCurrentText("rt")
    run_until(lambda: window.session.workspace == "rt" and window.queue.list.count() > 0, timeout=30)
    assert window.session.helpdesk.name == "Request Tracker"
    window.queue.search.setText("switch test")
    window.queue.search.returnPressed.emit()  # search now (no debounce timer left to fire after the loop)
    run_until(lambda: window.queue.requester_of(tid) is not None
              and all("switch test" in t.subject for t in window.queue._summaries), timeout=30)
    window.queue.select_id(tid)
    window.open_ticket(tid)
    run_until(lambda: window.ticket.loaded == tid, timeout=30)
    assert "my parcel is late" in window.thread_view.toPlainText()
    assert "ann@example.com" in window.context.toPlainText()  # the helpdesk's own requester record
    window.draft.editor.setPlainText("Hi Ann, it is on its way.")
    window.actions_by_name["send"].trigger()
    run_until(lambda: "Reply sent" in window.draft.state.text(), timeout=30)
    assert "Hi Ann, it is on its way." in window.thread_view.toPlainText()

    other = _new_ticket(rt_env, "clipboard follow")
    window.follow_clipboard(f"{rt_env['RT_URL']}/Ticket/Display.html?id={other}")
    run_until(lambda: window.ticket.loaded == other, timeout=30)
    assert "clipboard follow" in window.thread_view.toPlainText()
    window.follow_clipboard("https://elsewhere.example.com/Ticket/Display.html?id=1")  # not this helpdesk
    assert window.ticket.current == other
    loop.run_until_complete(window.session.aclose())  # the switched-to session is the window's own


def test_settings_test_connection_reports_success_and_rejected_token(rt_env, open_window, make_session, secrets,
                                                                      run_until):
    window = open_window(make_session(_settings(rt_env)))
    dialog = SettingsDialog(window.session, window, window.runner)
    dialog.workspace.ws_combo.setCurrentText("rt")
    dialog.workspace.hd_token.setText(rt_env["RT_TOKEN"])
    dialog.workspace.test("helpdesk")
    run_until(lambda: dialog.workspace.test_result.text().startswith(("✓", "✗")), timeout=30)
    assert dialog.workspace.test_result.text().startswith("✓ Connected to Request Tracker 5")
    dialog.workspace.hd_token.setText("1-1-wrong")
    dialog.workspace.test("helpdesk")
    result = dialog.workspace.test_result
    run_until(lambda: result.text().startswith(("✓", "✗")) and "wrong" not in result.text()
              and result.text() != "Testing…", timeout=30)
    assert dialog.workspace.test_result.text() == "✗ Request Tracker: token rejected — update it in Settings."
    dialog.workspace.hd_url.setText("http://127.0.0.1:9")
    dialog.workspace.test("helpdesk")
    run_until(lambda: result.text().startswith("✗") and "refused" in result.text(), timeout=30)
    assert secrets.get("rt:helpdesk-token") is None  # testing saved nothing
    dialog.close()

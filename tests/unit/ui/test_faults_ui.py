"""Faults in the window (issue 12): a full disk or a locked journal never loses a draft, a damaged
journal is recovered at start, and each failure is one message, not a stack of bug dialogs."""

from __future__ import annotations

import sqlite3

from PySide6.QtWidgets import QMessageBox

from assist.domain import TicketId
from tests.qt_fixtures import close_window


class _DiskFull:
    """Makes the journal's draft writes fail like a full disk until ``free()`` is called."""

    def __init__(self, journal) -> None:
        self.journal_db = journal._db
        self.full = True
        self.attempts = 0
        self._save = journal.save_draft
        journal.save_draft = self.save

    async def save(self, ticket_id, body):
        self.attempts += 1
        if self.full:
            def _fail(conn):
                raise sqlite3.OperationalError("database or disk is full")

            await self.journal_db.run(_fail)
        return await self._save(ticket_id, body)


def _open(window, run_until, ticket_id: str) -> None:
    window.queue.select_id(ticket_id)
    if window.ticket.loaded != ticket_id:
        window.open_ticket(TicketId(ticket_id))
    run_until(lambda: window.ticket.loaded == ticket_id)


def _unsaved_on_full_disk(window, run_until, ticket_id: str, text: str) -> _DiskFull:
    """Open the ticket, make the disk full, type ``text``: the save fails and the banner says so."""
    _open(window, run_until, ticket_id)
    disk = _DiskFull(window.session.journal)
    window.draft.editor.setPlainText(text)
    window.save_draft_now()
    run_until(lambda: "isn't saved yet" in window.banner.text)
    return disk


def test_full_disk_keeps_the_draft_and_saves_it_when_space_is_back(open_window, make_session, run_until, loop,
                                                                   qtbot) -> None:
    window = open_window()
    text = "x" * 941
    disk = _unsaved_on_full_disk(window, run_until, "1002", text)
    assert "disk is full" in window.banner.text
    assert "saved" not in window.draft.state.text().replace("not saved", "")
    assert not any(isinstance(w, QMessageBox) and w.isVisible() for w in window.findChildren(QMessageBox))

    _open(window, run_until, "1003")  # moving on: the text stays in memory
    _open(window, run_until, "1002")
    assert window.draft.text() == text and "not saved yet" in window.draft.state.text()

    disk.full = False
    window.ticket.retry_unsaved()
    run_until(lambda: not window.ticket.unsaved)
    assert not window.banner.isVisible()
    close_window(loop, window)
    again = open_window(make_session())
    _open(again, run_until, "1002")
    assert again.draft.text() == text


def test_closing_with_an_unsaved_draft_warns_once(open_window, run_until) -> None:
    window = open_window()
    disk = _unsaved_on_full_disk(window, run_until, "1002", "important words")
    window.close()
    assert window.isVisible() and "could not be saved yet (#1002)" in window.banner.text
    disk.full = False


def test_damaged_journal_is_set_aside_and_recovered(open_window, make_session, run_until, loop, paths) -> None:
    window = open_window()
    _open(window, run_until, "1002")
    window.draft.editor.setPlainText("keep me")
    window.save_draft_now()
    run_until(lambda: "saved" in window.draft.state.text())
    close_window(loop, window)
    window.session.close()  # as when the process ends
    data = bytearray(paths.journal_file.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # trash the header's tail and the schema page
    paths.journal_file.write_bytes(bytes(data))

    window = open_window(make_session())
    run_until(lambda: "journal was damaged" in window.banner.text)
    assert "kept aside" in window.banner.text
    assert list(paths.journal_file.parent.glob("journal.damaged-*"))
    _open(window, run_until, "1002")  # a fresh journal works
    window.draft.editor.setPlainText("new words")
    window.save_draft_now()
    run_until(lambda: "saved" in window.draft.state.text())


def test_unusable_data_folder_is_one_message(qtbot, loop, run_until, live_windows, tmp_path, monkeypatch) -> None:
    from assist.paths import Paths
    from assist.secrets import SecretStore
    from assist.settings import Settings
    from assist.workspace import build_session

    from ui.main_window import MainWindow

    blocked = tmp_path / "data"
    blocked.write_text("a file where the data folder should be")
    monkeypatch.setenv("ASSIST_DATA_DIR", str(blocked))
    monkeypatch.setenv("ASSIST_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ASSIST_LOG_DIR", str(tmp_path / "logs"))
    settings = Settings()
    settings.agent.display_name = "Sam"
    session = build_session(Paths.default(), settings, SecretStore())
    window = MainWindow(session)
    live_windows.append(window)
    window.show()
    window.start()
    run_until(lambda: "Couldn't" in window.banner.text)
    assert "data" in window.banner.text or "folder" in window.banner.text or "demo.db" in window.banner.text
    assert not [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    close_window(loop, window)
    session.close()


def test_unsaved_drafts_keep_the_workspace_from_switching(open_window, run_until) -> None:
    from assist.settings import WorkspaceSettings

    window = open_window()
    disk = _unsaved_on_full_disk(window, run_until, "1002", "words for the demo journal")
    window.session.settings.workspaces["second"] = WorkspaceSettings()
    old = window.session
    window.switch_workspace("second")
    run_until(lambda: True)
    assert window.session is old and "stays demo" in window.banner.text
    disk.full = False
    window.ticket.retry_unsaved()
    run_until(lambda: not window.ticket.unsaved)

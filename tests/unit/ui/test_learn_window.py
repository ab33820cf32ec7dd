"""The Learn window (team leads): import a history, see buckets scored on volume / impact / emotion,
rename, merge, drop by keyboard, accept, and the window's next ticket routes into the team's intents."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from assist import taxonomy as taxonomies
from assist.domain import AuthorRole, Message, Ticket, TicketContext, TicketId, TicketStatus
from assist.paths import resources_dir
from tests.support_corpus import generate, write_jsonl

from ui.learn_window import LearnWindow

DEMO_INTENTS = set(taxonomies.load(resources_dir() / "demo" / "taxonomy.toml").names)


def test_discover_edit_accept_and_route(open_window, run_until, tmp_path, loop) -> None:
    window = open_window()
    rows = generate(400, seed=4, intents=6)
    file = write_jsonl(rows, tmp_path / "solved.jsonl", labels=False)
    learn = LearnWindow(lambda: window.session, window.runner, window)
    learn.show()
    learn.load_file(file)
    run_until(lambda: learn.table.rowCount() > 0, timeout=60)
    assert "automation candidate" in learn.status.text()
    names = [learn.table.item(r, 0).text() for r in range(learn.table.rowCount())]
    assert len(names) >= 5 and "★" in "".join(learn.table.item(r, 4).text() for r in range(len(names)))
    assert learn.examples.toPlainText().startswith(names[0])

    # rename the first bucket in place, merge the next two, drop the last with Delete
    learn.table.item(0, 0).setText("Roaming bills")
    assert "roaming_bills" in [b.name for b in learn.learning.buckets]
    learn.table.clearSelection()
    learn.table.selectRow(1)
    learn.table.setSelectionMode(learn.table.SelectionMode.MultiSelection)
    learn.table.selectRow(2)
    learn.merge(into="merged_pair")
    assert "merged_pair" in [b.name for b in learn.learning.buckets]
    learn.table.setSelectionMode(learn.table.SelectionMode.ExtendedSelection)
    last = learn.learning.buckets[-1].name
    learn.table.setCurrentCell(learn.table.rowCount() - 1, 0)
    learn.table.selectRow(learn.table.rowCount() - 1)
    learn.activateWindow()
    learn.table.setFocus()
    QTest.keyClick(learn.table, Qt.Key.Key_Delete)
    assert last not in [b.name for b in learn.learning.buckets]

    learn.accept_buckets()
    run_until(lambda: learn.status.text().startswith(("✓", "✗")), timeout=120)
    assert learn.status.text().startswith("✓ Router trained"), learn.status.text()
    taxonomy = window.session.intents.taxonomy
    assert "roaming_bills" in taxonomy.names and "merged_pair" in taxonomy.names and last not in taxonomy.names
    assert learn.intent_list.count() == len(taxonomy.intents)
    assert "at precision 95%" in learn.status.text()

    # the lead asks for more certainty: less is routed automatically, no retraining, and the config keeps it
    learn.precision.setValue(99.0)
    learn._precision_changed()
    run_until(lambda: "precision the router names" in learn.status.text(), timeout=30)
    assert window.session.intents.precision == 0.99
    from assist.settings import load_settings

    assert load_settings(window.session.paths.config_file)[0].current.routing.precision == 0.99
    learn.precision.setValue(80.0)
    learn._precision_changed()
    run_until(lambda: "At 80.0% precision" in learn.status.text(), timeout=30)

    # the session routes with what was accepted, at once
    now = datetime.now(UTC)
    sample = next(r for r in rows if r.label == "roaming")
    ticket = Ticket(TicketId("x1"), sample.subject, TicketStatus.OPEN, "", "", now, now,
                    (Message("1", "c", AuthorRole.CUSTOMER, sample.body, now),))
    route = loop.run_until_complete(window.session.route_ticket(TicketContext(ticket, None)))
    assert route.intent in taxonomy.names and route.intent not in DEMO_INTENTS
    learn.close()


def test_intents_tab_edits_are_saved_and_used(open_window, run_until, paths) -> None:
    window = open_window()
    learn = LearnWindow(lambda: window.session, window.runner, window)
    assert learn.intent_list.count() == len(window.session.intents.taxonomy.intents)  # the demo's
    learn.intent_list.setCurrentRow(0)
    learn.i_tier.setCurrentText("frontier")
    learn.i_retrieval.setText("parcel courier tracking")
    learn.save_current_intent()
    assert learn.status.text().startswith("✓ Saved")
    first = window.session.intents.taxonomy.intents[0]
    assert first.tier == "frontier" and first.retrieval == "parcel courier tracking"
    assert (paths.config_dir / "workspaces" / "demo" / "taxonomy.toml").exists()
    learn.close()


def test_discovery_reads_meaning_once_with_progress(open_window, run_until, tmp_path) -> None:
    """Issue 30: the history's sentence vectors are computed on a worker with progress, kept in the
    workspace, and a second discovery reuses them."""
    from assist import embeddings

    if not embeddings.offline_installed():
        import pytest

        pytest.skip("the offline encoder is not installed")
    window = open_window()
    rows = generate(120, seed=9, intents=4)
    file = write_jsonl(rows, tmp_path / "solved.jsonl", labels=False)
    learn = LearnWindow(lambda: window.session, window.runner, window)
    learn.show()
    seen: list[str] = []
    learn.status.setText = lambda text, _set=learn.status.setText: (seen.append(text), _set(text))[1]
    learn.load_file(file)
    run_until(lambda: learn.table.rowCount() > 0, timeout=90)
    assert any("reading the tickets' meaning on this machine" in t for t in seen)
    vectors = window.session.paths.workspace_dir(window.session.workspace) / embeddings.VECTORS_FILE
    assert vectors.exists()
    import sqlite3

    with sqlite3.connect(vectors) as db:
        assert db.execute("SELECT count(*) FROM vectors").fetchone()[0] >= 100
    learn.close()

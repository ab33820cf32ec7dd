"""App plumbing: rotating logs in the platform log dir, About with Copy diagnostics, --version."""

from __future__ import annotations

import logging
import logging.handlers

from PySide6.QtWidgets import QApplication

from assist import __version__

from ui.about_dialog import AboutDialog
from ui.app import _setup_logging


def test_logs_rotate_in_the_log_dir(paths) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        _setup_logging(paths)
        handler = next(h for h in root.handlers if h not in before)
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        assert handler.baseFilename == str(paths.log_dir / "assist.log")
        assert handler.maxBytes > 0 and handler.backupCount >= 1
        logging.getLogger("assist.test").warning("disk almost full")
        handler.flush()
        assert "disk almost full" in (paths.log_dir / "assist.log").read_text()
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
                h.close()


def test_about_shows_version_and_copies_diagnostics(qtbot, paths, secrets) -> None:
    dialog = AboutDialog(paths, secrets)
    qtbot.addWidget(dialog)
    assert f"Assist {__version__}" in dialog.findChildren(type(dialog.copied))[0].text()
    dialog.copy_diagnostics()
    assert QApplication.clipboard().text().startswith(f"Assist {__version__}")
    assert "Copied" in dialog.copied.text()


def test_version_flag(capsys) -> None:
    from ui.launcher import main

    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"assist {__version__}"


def test_smoke_runs_on_a_headless_box_without_qt_settings(tmp_path) -> None:
    """Issue 27: `assist --smoke` aborted on a headless machine unless QT_QPA_PLATFORM was set."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(ASSIST_CONFIG_DIR=str(tmp_path / "c"), ASSIST_DATA_DIR=str(tmp_path / "d"),
               ASSIST_LOG_DIR=str(tmp_path / "l"), LITELLM_LOCAL_MODEL_COST_MAP="True")
    code = "import sys; from ui.launcher import main; sys.exit(main(['--smoke']))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "offline draft with" in done.stdout


def test_a_full_session_leaves_no_key_or_customer_address_in_the_logs(open_window, make_session, run_until, paths,
                                                                      secrets) -> None:
    """Issue 25: with the app's own logging (INFO, httpx and the model host included), a session that drafts
    through a model, meets a revoked key and sends a reply writes no API key and no customer address."""
    from assist.domain import TicketId
    from assist.model_keys import key_name
    from tests.helpers import model_settings
    from tests.openai_server import OpenAIServer

    key = "sk-live-Zq8vT3mK9pL2xW7nR4bY"
    root = logging.getLogger()
    before = list(root.handlers)
    llm = OpenAIServer()
    try:
        _setup_logging(paths)
        settings = model_settings(llm.api_base)
        secrets.set(key_name(settings.models.fast), key)
        window = open_window(make_session(settings))
        emails = set()
        for ticket in ("1002", "1001"):
            window.open_ticket(TicketId(ticket))
            run_until(lambda t=ticket: window.ticket.loaded == t and window.ticket.route is not None)
            emails.add(window.ticket.ctx.ticket.requester_email)
        llm.reply = "Hi, your order is on its way [1]."
        window.generate_draft()
        run_until(lambda: not window.runner.running("draft"), timeout=60)
        llm.mode = "401"  # the key was revoked
        window.generate_draft()
        run_until(lambda: window.banner.isVisible(), timeout=60)
        window.ticket.send(public=True)
        run_until(lambda: not window.ticket.ops.running("send", TicketId("1001")), timeout=30)
    finally:
        llm.close()
        for h in root.handlers[:]:
            if h not in before:
                h.flush()
                root.removeHandler(h)
                h.close()
    logs = {p.name: p.read_text("utf-8", "replace") for p in paths.log_dir.glob("*.log*")}
    assert logs and any("assist" in text for text in logs.values())
    for name, text in logs.items():
        assert key not in text and key[:12] not in text, name
        for email in emails:
            assert email not in text, (name, email)

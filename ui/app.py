"""The one place that wires the app together: QApplication, qasync loop, session, main window."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assist import __version__, logsafe
from assist.domain import TicketId
from assist.paths import Paths
from assist.secrets import SecretStore
from assist.settings import load_settings
from assist.workspace import build_session, embed_knowledge

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ui.main_window import MainWindow

log = logging.getLogger("assist")


def _setup_logging(paths: Paths) -> None:
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            paths.log_dir / "assist.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(logsafe.install(handler))  # no token, password or customer address
    logging.getLogger().setLevel(logging.INFO)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="assist", description="Open the Assist window.")
    parser.add_argument("--version", action="version", version=f"assist {__version__}")
    parser.add_argument(
        "--smoke", action="store_true",
        help="open the window, load the first ticket, then exit 0 (packaging checks)",
    )
    parser.add_argument("--screenshot", metavar="PNG", help="open a ticket, save a screenshot, exit")
    parser.add_argument("--ticket", metavar="ID", help="open this ticket first (with --smoke/--screenshot)")
    parser.add_argument("--size", metavar="WxH", help="window size for --screenshot, e.g. 1366x768")
    parser.add_argument("--tab", choices=("customer", "actions", "history"), default="customer",
                        help="side tab shown in the --screenshot")
    parser.add_argument("--dialog", choices=("review", "report", "settings", "knowledge", "learn"),
                        help="with --screenshot: open this window and capture it instead of the main one")
    return parser.parse_args(list(argv))


async def run_window(paths: Paths, args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.errors import install_crash_handler
    from ui.main_window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings, problems = load_settings(paths.config_file)
    for p in problems:
        log.warning("config: %s", p)
    session = build_session(paths, settings, SecretStore())
    window = MainWindow(session, problems)
    install_crash_handler(window)
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    clipboard = app.clipboard()
    clipboard.dataChanged.connect(lambda: window.follow_clipboard(clipboard.text()))
    window.show()
    window.start()
    code = 0
    try:
        probe = os.environ.get("ASSIST_PROBE_T0")  # benchmarks/startup.py: the real entry point, timed
        if probe:
            code = await _probe(window, float(probe))
        elif args.smoke or args.screenshot:
            code = await _scripted(window, args)
        else:
            # passages without a sentence vector get one in the background, once the first ticket is drafted
            QTimer.singleShot(10_000, lambda: window.runner.run("kb-vectors", embed_knowledge(window.session)))
            await closed.wait()
    finally:
        await window.shutdown()
        await window.session.aclose()  # the window may have switched to another workspace
    return code


async def _probe(window: object, t0: float) -> int:
    """Print when the first ticket is painted with its draft (seconds since ``t0``) and RSS, then quit."""
    import time

    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    for _ in range(4000):
        if window.ticket.last_draft is not None and window.draft.editor.toPlainText().strip():
            break
        await asyncio.sleep(0.002)
    window.draft.editor.repaint()  # painted now (synchronously), not only set
    first = time.time() - t0
    await asyncio.sleep(2.0)  # idle a moment: RSS after start-up work settles
    print(f"probe {first:.4f} {_rss('self'):.1f} {sum(_rss(pid) for pid in _children()):.1f}")
    window.close()
    return 0


def _rss(pid: str) -> float:
    """Resident memory of a process in MB (Linux), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return int(next(line for line in status if line.startswith("VmRSS")).split()[1]) / 1024
    except (OSError, StopIteration, ValueError):
        return 0.0


def _children() -> list[str]:
    """This process's children (the model host), for the start-up probe's memory figure."""
    import glob

    pids: list[str] = []
    for path in glob.glob("/proc/self/task/*/children"):
        try:
            pids += open(path).read().split()
        except OSError:
            pass
    return pids


async def _scripted(window: MainWindow, args: argparse.Namespace) -> int:
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    for _ in range(200):  # up to ~10 s for the first ticket to render
        await asyncio.sleep(0.05)
        if window.draft.editor.isEnabled():
            break
    else:
        print("smoke: no ticket was loaded", file=sys.stderr)
        return 1
    if args.ticket:
        window.open_ticket(TicketId(args.ticket))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if window.draft.editor.isEnabled() and window.ticket.current == args.ticket:
                break
        window.queue.select_id(args.ticket)
    if args.screenshot:
        if args.size:
            width, height = (int(v) for v in args.size.lower().split("x"))
            window.resize(width, height)
        window.side.setCurrentIndex(("customer", "actions", "history").index(args.tab))
        for _ in range(100):  # let routing, proposals and auto-run lookups land
            await asyncio.sleep(0.05)
            if not window.runner.pending():
                break
        await asyncio.sleep(0.3)
        target: QWidget = window
        if args.dialog:
            window.actions_by_name[args.dialog].trigger()
            for _ in range(40):
                await asyncio.sleep(0.05)
            from PySide6.QtWidgets import QApplication, QDialog

            dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
            target = dialogs[-1] if dialogs else window
        target.grab().save(args.screenshot)
        print(f"screenshot written to {args.screenshot}")
    else:
        for _ in range(200):  # the routed offline draft, written without a network or a key
            if window.ticket.last_draft is not None:
                break
            await asyncio.sleep(0.05)
        draft = window.ticket.last_draft
        if draft is None:
            print(f"smoke: ticket #{window.ticket.current} loaded but no offline draft appeared", file=sys.stderr)
            return 1
        print(f"smoke: ticket #{window.ticket.current} loaded, {draft.tier.value} draft with "
              f"{len(draft.citations)} citations in {draft.latency_ms} ms")
    window.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    paths = Paths.default()
    _setup_logging(paths)

    os.environ.setdefault("QT_API", "pyside6")  # qasync otherwise tries PyQt5/PyQt6 first (~50 ms)
    import qasync
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationName("Assist")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)
    return int(qasync.run(run_window(paths, args)))

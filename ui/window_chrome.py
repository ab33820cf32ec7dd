"""The main window's chrome: its panes' splitters, its actions (one table: name, text, shortcuts, tip), the
toolbar and menus built from them, and its layout kept between sessions (size within the screen, splitters,
the side tab).

Every keyboard shortcut of the window is declared here once; the window hands in what each action does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget, QWidget

# name: (text, shortcuts, tip)
ACTIONS: dict[str, tuple[str, list[str], str]] = {
    "jump": ("Go to ticket", ["Ctrl+K"], "Jump to a ticket by id"),
    "search": ("Search", ["Ctrl+F"], "Search the queue"),
    "next": ("Next ticket", ["Alt+Down", "Ctrl+J"], "Next ticket in the queue"),
    "previous": ("Previous ticket", ["Alt+Up", "Ctrl+Shift+J"], "Previous ticket in the queue"),
    "refresh": ("Refresh", ["F5"], "Reload the queue and the open ticket"),
    "draft": ("Edit draft", ["Ctrl+D"], "Move to the draft editor"),
    "send": ("Send reply", ["Ctrl+Return", "Ctrl+Enter"], "Send the draft as a public reply"),
    "note": ("Add note", ["Ctrl+Shift+Return", "Ctrl+Shift+Enter"], "Post the draft as an internal note"),
    "settings": ("Settings", ["Ctrl+,"], "Open settings"),
    "generate": ("Draft reply", ["Ctrl+G"], "Draft a reply with the routed tier"),
    "stop": ("Stop drafting", ["Esc"], "Stop the draft being written"),
    "ai": ("AI", ["Ctrl+Shift+A"], "Turn every AI feature on or off (kill switch)"),
    "tab_customer": ("Customer", ["Alt+1"], "Show the customer's context"),
    "tab_actions": ("Actions", ["Alt+2"], "Show proposed AI Actions (Space approves the first)"),
    "send_solved": ("Send as Solved", ["Ctrl+Alt+Return", "Ctrl+Alt+Enter"],
                    "Send the reply and mark the ticket solved"),
    "tab_history": ("History", ["Alt+3"], "Show the ticket's action history"),
    "escalate": ("Escalate", ["Ctrl+E"], "Escalate this ticket with a reason"),
    "review": ("Review", ["Ctrl+Shift+R"], "Review escalations (senior agents)"),
    "report": ("Report", ["Ctrl+Shift+W"], "Export the weekly team report"),
    "learn": ("Learn", ["Ctrl+Shift+L"], "Learn the team's intents from its ticket history (team leads)"),
    "workspace": ("Workspace", ["Ctrl+Shift+O"], "Switch workspace"),
    "about": ("About", ["F1"], "Version, paths and Copy diagnostics"),
    "knowledge": ("Knowledge", ["Ctrl+Shift+K"], "Search and add to the knowledge base"),
    "quit": ("Quit", ["Ctrl+Q"], "Save drafts and quit Assist"),
}
TOOLBAR = ("refresh", "previous", "next", "generate", "send", "note", "escalate", "ai", "knowledge", "review",
           "report", "settings", "about")
MENUS: dict[str, list[str | None]] = {
    "&File": ["workspace", "settings", None, "quit"],
    "&Ticket": ["jump", "search", "next", "previous", "refresh", None, "generate", "stop", "draft", None,
                "send", "send_solved", "note", "escalate"],
    "&View": ["tab_customer", "tab_actions", "tab_history", None, "knowledge", "ai"],
    "T&eam": ["review", "report", "learn"],
    "&Help": ["about"],
}


def build_actions(window: QMainWindow, slots: Mapping[str, Callable[[], object] | None]) -> dict[str, QAction]:
    """One QAction per entry of ``ACTIONS``, window-wide, its shortcut in its tooltip; ``slots`` says what each
    does (None: the window connects it itself, e.g. a checkable action)."""
    out = {}
    for name, (text, keys, tip) in ACTIONS.items():
        action = QAction(text, window)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shown = QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shown})")
        action.setStatusTip(f"{tip} ({shown})")
        slot = slots[name]
        if slot is not None:
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
        window.addAction(action)
        out[name] = action
    out["quit"].setMenuRole(QAction.MenuRole.QuitRole)
    return out


def build_menus(window: QMainWindow, actions: Mapping[str, QAction]) -> None:
    """The standard menu bar: every entry is the toolbar's action, with its shortcut shown."""
    bar = window.menuBar()
    for title, names in MENUS.items():
        menu = bar.addMenu(title)
        for name in names:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(actions[name])


def split_panes(queue: QWidget, thread: QWidget, draft: QWidget, side: QWidget) -> tuple[QSplitter, QSplitter]:
    """Queue | thread over draft | side tabs: (the middle column's splitter, the window's)."""
    middle = QSplitter(Qt.Orientation.Vertical)
    middle.setObjectName("middleSplitter")
    middle.addWidget(thread)
    middle.addWidget(draft)
    # the draft gets two thirds of the column (its editor at least 40% at 1366x768): it is where the agent
    # works; the thread scrolls to its newest message
    middle.setSizes([280, 720])
    middle.setStretchFactor(0, 1)
    middle.setStretchFactor(1, 1)
    panes = QSplitter(Qt.Orientation.Horizontal)
    panes.setObjectName("panesSplitter")
    panes.addWidget(queue)
    panes.addWidget(middle)
    panes.addWidget(side)
    panes.setSizes([300, 700, 400])
    panes.setStretchFactor(1, 1)
    return middle, panes


def fit_to_screen(window: QMainWindow, width: int, height: int) -> None:
    """This size, or the screen's available area when that is smaller (1366x768: Send stays on screen)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(width, height)
        return
    area = screen.availableGeometry()
    window.resize(min(width, area.width()), min(height, area.height()))
    frame = window.frameGeometry()
    frame.moveCenter(area.center())
    window.move(max(area.left(), frame.left()), max(area.top(), frame.top()))


def restore_layout(window: QMainWindow, store: QSettings, splitters: tuple[QSplitter, ...], side: QTabWidget
                   ) -> None:
    """Window size, splitters and the side tab as the agent left them (QSettings, in the config dir), kept
    within the screen it opens on (a layout saved on a larger monitor never puts buttons off-screen)."""
    geometry = store.value("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
        fit_to_screen(window, window.width(), window.height())
    for splitter in splitters:
        state = store.value(splitter.objectName())
        if state is not None:
            splitter.restoreState(state)
    tab = store.value("sideTab")
    if tab is not None and str(tab).isdigit():
        side.setCurrentIndex(int(str(tab)))


def save_layout(window: QMainWindow, store: QSettings, splitters: tuple[QSplitter, ...], side: QTabWidget) -> None:
    store.setValue("geometry", window.saveGeometry())
    for splitter in splitters:
        store.setValue(splitter.objectName(), splitter.saveState())
    store.setValue("sideTab", side.currentIndex())
    store.sync()

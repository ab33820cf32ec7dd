"""A QTextBrowser for untrusted HTML: never loads any resource, never follows a link by itself."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QTextBrowser, QWidget

SAFE_SCHEMES = {"http", "https", "mailto"}


class SafeBrowser(QTextBrowser):
    """Signals:
        resource_blocked(str): a resource (image, stylesheet) was requested and refused.
        internal_link(str): the path of an ``assist:`` link was clicked.
    """

    resource_blocked = Signal(str)
    internal_link = Signal(str)  # an assist: link the app put there (e.g. "full/<message id>")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._on_anchor_clicked)

    def loadResource(self, kind: int, url: QUrl | str) -> Any:  # noqa: N802 (Qt override)
        # The sanitizer already strips images; this is the second wall: nothing is ever fetched,
        # including file: URLs, which QTextBrowser would otherwise read from disk.
        self.resource_blocked.emit(url.toString() if isinstance(url, QUrl) else str(url))
        return None

    def _on_anchor_clicked(self, url: QUrl) -> None:
        scheme = url.scheme().lower()
        if scheme == "assist":
            self.internal_link.emit(url.path())
        elif scheme in SAFE_SCHEMES:
            QDesktopServices.openUrl(url)

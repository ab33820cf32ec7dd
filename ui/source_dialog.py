"""A non-modal window showing the passage a citation points at."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from assist.domain import BodyFormat, Citation
from assist.render import body_html

from ui.views.browser import SafeBrowser


class SourceDialog(QDialog):
    def __init__(self, citation: Citation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        s = citation.source
        self.setWindowTitle(f"[{citation.number}] {s.label}")
        self.resize(560, 420)
        self.browser = SafeBrowser()
        self.browser.setObjectName("sourcePassage")
        link = (f'<p><a href="{html.escape(s.url, quote=True)}">{html.escape(s.url)}</a></p>'
                if s.url.startswith(("http://", "https://")) else "")
        origin = "CRM record" if s.doc_id == "crm" else f"Knowledge base · {html.escape(s.doc_id)}"
        self.browser.setHtml(
            f"<h3>{html.escape(s.title)}</h3><p><i>{html.escape(s.heading)}</i> · {origin}</p>"
            f"{body_html(s.text, BodyFormat.MARKDOWN)}{link}"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

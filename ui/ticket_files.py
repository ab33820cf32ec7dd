"""What the agent opens from a thread: a message in full (a plain-text viewer, laid out lazily: 2 MB opens
without a stall) and an attachment, fetched only when asked and shown as plain text or saved, never rendered."""

from __future__ import annotations

import asyncio

from assist.domain import Ticket
from assist.render import whole_text

from ui.desk import Desk, OpenTicket
from ui.operations import TicketOp


def show_whole_message(w: Desk, ticket: Ticket, message_id: str) -> None:
    msg = next((m for m in ticket.messages if m.id == message_id), None)
    if msg is None:
        return
    w.statusBar().showMessage("Loading the whole message…", 3000)

    def _show(text: str) -> None:
        from ui.file_view import show_text

        show_text(w.as_widget, f"Message from {msg.author} on #{ticket.id} — the whole text", text)

    w.runner.run(f"whole:{message_id}", asyncio.to_thread(whole_text, msg), on_ok=_show)


def open_attachment(t: OpenTicket, attachment_id: str) -> None:
    ctx = t.ctx
    if ctx is None:
        return
    meta = next((a for m in ctx.ticket.messages for a in m.attachments if a.id == attachment_id), None)
    if meta is None:
        return
    ticket_id, w, session = ctx.ticket.id, t.w, t.session
    w.statusBar().showMessage(f"Fetching {meta.name}…", 3000)

    def _got(data: bytes, _here: bool) -> None:
        from ui.file_view import show_or_save

        show_or_save(w.as_widget, meta, data)

    t.ops.run(TicketOp(ticket_id, f"file-{attachment_id}", f"open {meta.name} on",
                       lambda: session.attachment(ticket_id, attachment_id), _got))

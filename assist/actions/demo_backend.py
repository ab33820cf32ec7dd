"""The demo workspace's commerce API: a small JSON-over-HTTP server on 127.0.0.1 over the demo SQLite.

It is what AI Actions talk to in the demo, over real HTTP: bearer-token auth, ``Idempotency-Key`` on
every write (a repeated key returns the first answer and does nothing again), and the business rules
a real shop enforces (no refund above what is left, no address change after shipping).

``inject`` queues faults (an HTTP status, a delay, or a failure *after* the work is done) so agents
can rehearse failures and tests can prove a retry never repeats a refund.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from assist.db import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY, order_id TEXT NOT NULL, amount REAL NOT NULL, reason TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL,
    response TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS emails (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL,
    created_at TEXT NOT NULL);
"""


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Fault:
    path_prefix: str
    status: int | None = None
    delay: float = 0.0
    after: bool = False  # do the work, then fail (the answer is lost on the way back)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def init_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)
    cols = {r[1] for r in conn.execute("PRAGMA table_info(customers)")}
    if "subscription_status" not in cols:
        conn.execute("ALTER TABLE customers ADD COLUMN subscription_status TEXT NOT NULL DEFAULT 'active'")


class DemoCommerce:
    """The business logic, one SQLite connection guarded by a lock (the server is threaded)."""

    def __init__(self, db_path: Path) -> None:
        self.conn = connect(db_path)
        init_schema(self.conn)
        self.lock = threading.Lock()

    def _order(self, order_id: str) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT o.*, c.email AS customer_email FROM orders o JOIN customers c ON c.id = o.customer_id "
            "WHERE o.id = ?", (order_id,)).fetchone()
        if row is None:
            raise ApiError(404, f"order {order_id} not found")
        refunded = self.conn.execute(
            "SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = ?", (order_id,)).fetchone()[0]
        return {
            "id": row["id"], "status": row["status"], "total": row["total"], "currency": row["currency"],
            "items": json.loads(row["items"]), "carrier": row["carrier"],
            "tracking_number": row["tracking_number"], "shipping_address": row["shipping_address"],
            "customer_email": row["customer_email"], "refunded": round(refunded, 2),
            "refundable": round(row["total"] - refunded, 2),
        }

    def _customer(self, email: str) -> sqlite3.Row:
        row = self.conn.execute("SELECT * FROM customers WHERE email = ? COLLATE NOCASE", (email,)).fetchone()
        if row is None:
            raise ApiError(404, f"customer {email} not found")
        return row  # type: ignore[no-any-return]

    def handle(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        match (method, parts):
            case ("GET", ["orders", order_id]):
                return self._order(order_id)
            case ("POST", ["orders", order_id, "refunds"]):
                order = self._order(order_id)
                amount = body.get("amount")
                if not isinstance(amount, int | float) or amount <= 0:
                    raise ApiError(422, "amount must be a positive number")
                if amount > order["refundable"] + 1e-9:
                    raise ApiError(422, f"amount {amount} exceeds the refundable {order['refundable']}")
                refund_id = "re_" + uuid.uuid4().hex[:12]
                self.conn.execute("INSERT INTO refunds VALUES (?, ?, ?, ?, ?)",
                                  (refund_id, order_id, float(amount), str(body.get("reason", "")), _now()))
                return {"id": refund_id, "order_id": order_id, "amount": float(amount),
                        "currency": order["currency"], "refunded_total": round(order["refunded"] + amount, 2)}
            case ("POST", ["orders", order_id, "confirmation-email"]):
                order = self._order(order_id)
                self.conn.execute("INSERT INTO emails (kind, recipient, subject, created_at) VALUES (?, ?, ?, ?)",
                                  ("confirmation", order["customer_email"], f"Your order {order_id}", _now()))
                sent = self.conn.execute("SELECT count(*) FROM emails WHERE kind = 'confirmation' AND subject = ?",
                                         (f"Your order {order_id}",)).fetchone()[0]
                return {"order_id": order_id, "sent_to": order["customer_email"], "sent_count": sent}
            case ("PUT", ["orders", order_id, "shipping-address"]):
                order = self._order(order_id)
                address = str(body.get("address", "")).strip()
                if len(address) < 10:
                    raise ApiError(422, "address is too short")
                if order["status"] != "processing":
                    raise ApiError(409, f"order {order_id} has already shipped ({order['status']})")
                self.conn.execute("UPDATE orders SET shipping_address = ? WHERE id = ?", (address, order_id))
                return self._order(order_id) | {"order_id": order_id}
            case ("POST", ["customers", email, "plan"]):
                customer = self._customer(email)
                plan = body.get("plan")
                if plan not in ("Starter", "Plus", "Pro", "Office"):
                    raise ApiError(422, f"unknown plan {plan!r}")
                self.conn.execute("UPDATE customers SET plan = ? WHERE id = ?", (plan, customer["id"]))
                return {"email": customer["email"], "previous_plan": customer["plan"], "plan": plan}
            case ("POST", ["customers", email, "subscription", "cancel"]):
                customer = self._customer(email)
                self.conn.execute("UPDATE customers SET subscription_status = 'cancelled' WHERE id = ?",
                                  (customer["id"],))
                return {"email": customer["email"], "subscription_status": "cancelled"}
            case ("POST", ["customers", email, "password-reset"]):
                customer = self._customer(email)
                self.conn.execute("INSERT INTO emails (kind, recipient, subject, created_at) VALUES (?, ?, ?, ?)",
                                  ("password-reset", customer["email"], "Reset your password", _now()))
                expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%H:%M UTC")
                return {"email": customer["email"], "expires_at": expires}
        raise ApiError(404, f"no such endpoint: {method} {path}")

    def execute(self, method: str, path: str, body: dict[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
        """Run one request in one transaction; a known idempotency key replays the stored answer."""
        with self.lock:
            if key:
                row = self.conn.execute("SELECT status, response FROM idempotency WHERE key = ?", (key,)).fetchone()
                if row is not None:
                    return int(row[0]), json.loads(row[1])
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                status, answer = 200, self.handle(method, path, body)
            except ApiError as exc:
                status, answer = exc.status, {"error": {"message": str(exc)}}
            if key:
                self.conn.execute("INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                                  (key, method, path, status, json.dumps(answer), _now()))
            self.conn.execute("COMMIT")
            return status, answer

    def close(self) -> None:
        self.conn.close()


class DemoBackend:
    """Starts the API on 127.0.0.1 on a free port, in a background thread of this process."""

    def __init__(self, db_path: Path, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(24)
        self.commerce = DemoCommerce(db_path)
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                backend.requests.append((self.command, self.path))
                if self.headers.get("Authorization") != f"Bearer {backend.token}":
                    self._send(401, {"error": {"message": "invalid or missing token"}})
                    return
                fault = backend._take_fault(self.path)
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and fault.status and not fault.after:
                    self._send(fault.status, {"error": {"message": "injected failure"}})
                    return
                try:
                    body = json.loads(raw) if raw else {}
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "body is not JSON"}})
                    return
                key = self.headers.get("Idempotency-Key")
                if self.command != "GET" and not key:
                    self._send(400, {"error": {"message": "Idempotency-Key header is required"}})
                    return
                status, answer = backend.commerce.execute(self.command, self.path, body, key)
                if fault and fault.after:
                    self._send(fault.status or 502, {"error": {"message": "injected failure after commit"}})
                    return
                self._send(status, answer)

            do_GET = do_POST = do_PUT = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="demo-backend", daemon=True)
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def inject(self, path_prefix: str, *, status: int | None = None, delay: float = 0.0, after: bool = False) -> None:
        self.faults.append(Fault(path_prefix, status, delay, after))

    def _take_fault(self, path: str) -> Fault | None:
        for i, f in enumerate(self.faults):
            if path.startswith(f.path_prefix):
                return self.faults.pop(i)
        return None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.commerce.close()


"""A real Request Tracker 5 for the connector tests: started by packaging/rt/rt-up.sh (``make rt-up``).

Outside CI the tests skip, saying why, when RT can't be started here (no root for apt-get, say).
In CI (CI=true) they never skip: failing to start RT fails the run.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RT_DIR = Path(os.environ.get("RT_DIR", "/tmp/assist-rt"))


def _env() -> dict[str, str]:
    path = RT_DIR / "rt.env"
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)


def _running() -> bool:
    pidfile = RT_DIR / "rt-server.pid"
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
        return True
    except (OSError, ValueError):
        return False


def _up(script: str, dir_var: str, folder: Path, what: str) -> dict[str, str]:
    """Start a real server with its packaging script; skip outside CI when it can't, fail in CI."""
    env = {**os.environ, dir_var: str(folder)}
    result = subprocess.run(["bash", str(ROOT / "packaging" / script)], capture_output=True, text=True,
                            timeout=600, env=env)
    if result.returncode != 0:
        reason = f"{what} could not be started: {result.stderr.strip()[-400:]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return env


def _down(script: str, env: dict[str, str]) -> None:
    subprocess.run(["bash", str(ROOT / "packaging" / script)], capture_output=True, timeout=60, env=env)


@pytest.fixture(scope="session")
def rt_env():
    """A running RT for the session. One this run started is stopped again at the end (make test leaves
    no server behind); one that was already running (make rt-up, .ci/run) is left as it was."""
    was_running = _running()
    env = _up("rt/rt-up.sh", "RT_DIR", RT_DIR, "Request Tracker")
    yield _env()
    if not was_running:
        _down("rt/rt-down.sh", env)


PG_DIR = Path(os.environ.get("PG_DIR", "/tmp/assist-pg"))


@pytest.fixture(scope="session")
def pg_admin_url():
    """A real PostgreSQL (packaging/pg/pg-up.sh, ``make pg-up``) and a fresh database for this run, as an
    admin URL. Outside CI the tests skip, saying why, when it can't be started; in CI they never skip.
    A server this run started is stopped again at the end."""
    import uuid

    import psycopg

    was_running = (PG_DIR / "data" / "postmaster.pid").exists()
    env = _up("pg/pg-up.sh", "PG_DIR", PG_DIR, "PostgreSQL")
    values = dict(line.split("=", 1) for line in (PG_DIR / "pg.env").read_text().split() if "=" in line)
    admin = values["PG_ADMIN_URL"]
    db = f"assist_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {db}")
    yield admin.rsplit("/", 1)[0] + f"/{db}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    if not was_running:  # like RT: make test leaves no server behind, a running one (make pg-up) stays
        _down("pg/pg-down.sh", env)

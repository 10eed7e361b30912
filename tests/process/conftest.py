"""Fixtures: gunicorn with several workers on a migrated SQLite or PostgreSQL database."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from api import create_app
from models import db
from tests.process.processes import BIN, ROOT

PG_URL_VAR = "LINKAGE_TEST_DATABASE_URL"
WORKERS = 4
ADMIN = "process-admin"
BOOT_TIMEOUT_S = 90


@dataclass
class Live:
    """A running gunicorn, its database, and what a test needs to talk to both."""

    backend: str
    api: str  # http://127.0.0.1:<port>/api/v1
    database_url: str
    env: dict[str, str]
    app: Flask
    headers: dict[str, str]
    log: Path

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the server's database; its transaction ends on leaving.

        Ending it matters on SQLite: every transaction begins IMMEDIATE and would hold the
        write lock the server's workers wait for.
        """
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    def log_tail(self, chars: int = 6000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-chars:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_database(base_url: str, worker: str) -> str:
    """A fresh database for this test worker's process tests; its URL."""
    import psycopg

    url = make_url(base_url)
    name = f"{url.database or 'linkage'}_proc_{worker}"
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _environment(database_url: str) -> dict[str, str]:
    """What every server and command-line process of a test gets: production settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env.update(
        LINKAGE_DATABASE_URL=database_url,
        LINKAGE_SECRET_KEY=secrets.token_hex(32),
        LINKAGE_PASSWORD_PROFILE="production",
        # Per-worker memory counters would otherwise throttle a burst of 100 writes.
        LINKAGE_WRITE_RATE_LIMIT="100000 per minute",
        LINKAGE_LOGIN_RATE_LIMIT="100000 per minute",
        LINKAGE_SOLVER_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}):\n{log.read_text()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not healthy after {BOOT_TIMEOUT_S} s:\n{log.read_text()}")


def _no_control_socket() -> list[str]:
    """gunicorn 25+ opens a control socket at one path per user: servers running side by side
    (test workers, other checkouts) would fight over it. Older versions have none."""
    import gunicorn.config

    known = {setting.name for setting in gunicorn.config.KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in known else []


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL to the server's own process group: the tests are over, and
    workers tearing down the solver's libraries take seconds to exit on their own."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=2)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Both databases: SQLite always, PostgreSQL when LINKAGE_TEST_DATABASE_URL names one."""
    if request.param == "postgresql" and not os.environ.get(PG_URL_VAR):
        pytest.skip(f"{PG_URL_VAR} is not set")
    return request.param


@pytest.fixture(scope="session")
def live(backend: str, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Live]:
    """gunicorn with several workers on a freshly migrated database, and a signed-in admin."""
    tmp = tmp_path_factory.mktemp(f"live-{backend}")
    if backend == "postgresql":
        database_url = _postgres_database(os.environ[PG_URL_VAR], worker_id)
    else:
        # models/db.py puts every connection in WAL mode with a busy timeout.
        database_url = "sqlite:///" + str(tmp / "linkage.sqlite")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        db.session.remove()
    env = _environment(database_url)
    password = secrets.token_urlsafe(16)
    # The first administrator, made the way an operator makes one; it runs while gunicorn boots.
    create_user = subprocess.Popen(
        [str(BIN / "linkage"), "create-user", ADMIN, "--role", "admin"],
        cwd=ROOT,
        env={**env, "LINKAGE_NEW_USER_PASSWORD": password},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    port = _free_port()
    log = tmp / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                # The app is built once and forked: every worker answers from the start.
                "--preload",
                "--timeout",
                "60",
                *_no_control_socket(),
                "api:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        created, _ = create_user.communicate(timeout=BOOT_TIMEOUT_S)
        assert create_user.returncode == 0, created
        api = f"http://127.0.0.1:{port}/api/v1"
        _wait_until_healthy(f"{api}/health", server, log)
        signed_in = requests.post(
            f"{api}/auth/login", json={"username": ADMIN, "password": password}, timeout=30
        )
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        yield Live(backend, api, database_url, env, app, headers, log)
    finally:
        if create_user.poll() is None:
            create_user.kill()
            create_user.wait()
        _stop(server)
        with app.app_context():
            db.engine.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed process test shows the end of its server's log."""
    outcome = yield
    report = outcome.get_result()
    live = getattr(item, "funcargs", {}).get("live")
    if report.failed and isinstance(live, Live):
        report.sections.append((f"gunicorn log ({live.backend})", live.log_tail()))

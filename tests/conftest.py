"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL when configured), a client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import make_url, select, text

from api import create_app
from models import User, db

PG_URL_VAR = "LINKAGE_TEST_DATABASE_URL"


def _fresh_postgres_database(base_url: str, worker: str) -> str:
    """Create an empty database for this test worker and return its URL."""
    import psycopg

    url = make_url(base_url)
    name = f"{url.database or 'linkage'}_test_{worker}"
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    base = os.environ.get(PG_URL_VAR)
    if base:
        return _fresh_postgres_database(base, worker_id)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "linkage.sqlite")


@pytest.fixture(scope="session")
def _migrated_app(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LINKAGE_PASSWORD_PROFILE": "cheap",
            # Limits stay on (tests/api/test_rate_limits.py lowers them) but never bind here.
            "LINKAGE_LOGIN_RATE_LIMIT": "100000 per minute",
            "LINKAGE_WRITE_RATE_LIMIT": "100000 per minute",
        }
    )
    with app.app_context():
        # The schema comes from the migrations, so every test run also tests them.
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _wipe(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # DELETE beats TRUNCATE on tiny tables; the replica role skips the triggers
                # (foreign keys, append-only guards) for this transaction only.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in tables:
                    conn.execute(table.delete())
            else:
                # Append-only tables refuse DELETE through triggers: lift them for the wipe.
                triggers = conn.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                ).all()
                for name, _sql in triggers:
                    conn.execute(text(f'DROP TRIGGER "{name}"'))
                for table in tables:
                    # SQLite applies ON DELETE RESTRICT row by row: rows naming another row
                    # of their own table (ledger reversals, corrections) go first.
                    for key in table.foreign_keys:
                        if key.column.table is table:
                            conn.execute(table.delete().where(key.parent.is_not(None)))
                    conn.execute(table.delete())
                for _name, sql in triggers:
                    conn.execute(text(sql))


@pytest.fixture
def app(_migrated_app: Flask) -> Iterator[Flask]:
    """The app with an empty database; an app context is pushed for the test."""
    with _migrated_app.app_context():
        yield _migrated_app
        db.session.remove()
    _wipe(_migrated_app)


@pytest.fixture
def wipe_database(app: Flask):
    """Empty every table now (ledgers included), as between tests."""

    def wipe() -> None:
        # The test's own session holds SQLite's write lock once it has begun: end it first.
        db.session.remove()
        _wipe(app)

    return wipe


ADMIN_USERNAME = "fixture-admin"


def _admin_token() -> str:
    """Sign in an administrator account (created once per test) and return its token."""
    from services import auth

    hasher = auth.password_hasher("cheap")
    if db.session.scalar(select(User.id).where(User.username == ADMIN_USERNAME)) is None:
        auth.create_user(
            session=db.session,
            hasher=hasher,
            username=ADMIN_USERNAME,
            password="fixture password 1",
            role="admin",
        )
    token, _row = auth.login(
        session=db.session,
        hasher=hasher,
        username=ADMIN_USERNAME,
        password="fixture password 1",
        ttl=timedelta(hours=1),
    )
    db.session.commit()
    return token


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client whose requests carry an administrator's token (unless they send their own)."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {_admin_token()}"
    return client


@pytest.fixture
def anonymous_client(app: Flask) -> FlaskClient:
    """A client that sends no token."""
    return app.test_client()


@pytest.fixture(autouse=True)
def _fresh_shift_times() -> None:
    """Start the shift factory's clock again for each test.

    ShiftFactory places the n-th shift n // 7 hours into the test week: without a reset, a
    test that runs after many others in the same worker gets shifts outside its week.
    """
    from tests.factories import ShiftFactory

    ShiftFactory.reset_sequence()


@pytest.fixture
def session(app: Flask):
    return db.session


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Under LINKAGE_FORBID_SKIPS (set by .ci/run) a skipped test fails: CI must run them all."""
    outcome = yield
    report = outcome.get_result()
    forbidden = os.environ.get("LINKAGE_FORBID_SKIPS")
    if forbidden and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but LINKAGE_FORBID_SKIPS is set: {report.longrepr}"


@pytest.fixture
def sign_in(app, client):
    """Create an account of `role` and return the headers of a signed-in request."""
    from services import auth

    hasher = auth.password_hasher("cheap")
    count = iter(range(1, 10_000))

    def sign_in(role: str = "admin", **kwargs) -> dict[str, str]:
        username = kwargs.pop("username", f"{role}{next(count)}")
        auth.create_user(
            session=db.session,
            hasher=hasher,
            username=username,
            password="test password 1",
            role=role,
            **kwargs,
        )
        response = client.post(
            "/api/v1/auth/login", json={"username": username, "password": "test password 1"}
        )
        return {"Authorization": f"Bearer {response.json['token']}"}

    return sign_in

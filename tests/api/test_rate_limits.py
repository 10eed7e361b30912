"""Rate limits on sign-in and on writes answer 429 once the budget is spent."""

from __future__ import annotations

import pytest

from api.extensions import limiter


@pytest.fixture
def limited_client(app, client):
    """The shared app with small limits switched on for this test only."""
    saved = {
        key: app.config[key] for key in ("LINKAGE_LOGIN_RATE_LIMIT", "LINKAGE_WRITE_RATE_LIMIT")
    }
    app.config.update(
        LINKAGE_LOGIN_RATE_LIMIT="3 per minute", LINKAGE_WRITE_RATE_LIMIT="5 per minute"
    )
    limiter.reset()
    yield client
    limiter.reset()
    app.config.update(saved)


def test_login_is_rate_limited(limited_client):
    body = {"username": "nobody", "password": "wrong password"}
    codes = [limited_client.post("/api/v1/auth/login", json=body).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]


def test_writes_share_one_budget_and_reads_are_not_counted(limited_client):
    for _ in range(10):
        assert limited_client.get("/api/v1/health").status_code == 200
    headers = {"Authorization": "Bearer not-a-token"}
    codes = [
        limited_client.post("/api/v1/auth/logout", headers=headers).status_code for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]

"""Configuration: the cheap password profile exists for test suites only."""

from __future__ import annotations

import pytest

from api import create_app


def test_cheap_password_profile_is_refused_outside_tests():
    with pytest.raises(RuntimeError, match="tests only"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "LINKAGE_PASSWORD_PROFILE": "cheap"})


def test_production_profile_is_the_default(monkeypatch):
    monkeypatch.delenv("LINKAGE_PASSWORD_PROFILE", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["LINKAGE_PASSWORD_PROFILE"] == "production"

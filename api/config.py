"""Configuration from the environment, with safe defaults for a laptop."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from services import workdays
from services.runs import RunSettings
from services.workdays import WorkCalendar

ENV_PREFIX = "LINKAGE_"


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "linkage.sqlite")


def check_config(config: dict[str, Any]) -> None:
    """Refuse settings that are only safe in a test suite."""
    if config["LINKAGE_PASSWORD_PROFILE"] != "production" and not config.get("TESTING"):
        raise RuntimeError("LINKAGE_PASSWORD_PROFILE other than 'production' is for tests only")


def run_settings(config: Mapping[str, Any]) -> RunSettings:
    """The matching-run settings of an app's configuration."""
    return RunSettings(
        timezone=config["LINKAGE_TIMEZONE"],
        workers=config["LINKAGE_SOLVER_WORKERS"],
        travel_buffer_minutes=config["LINKAGE_TRAVEL_BUFFER_MINUTES"],
        no_show_limit=config["LINKAGE_NO_SHOW_LIMIT"],
    )


def work_calendar(config: Mapping[str, Any]) -> WorkCalendar:
    """The working days that record deadlines count (public holidays and make-up days)."""
    return workdays.work_calendar(
        country=config["LINKAGE_HOLIDAY_COUNTRY"],
        holidays=config["LINKAGE_HOLIDAYS"],
        workdays=config["LINKAGE_WORKDAYS"],
    )


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def load_config(instance_path: str) -> dict[str, Any]:
    """Settings read from LINKAGE_* variables; nothing secret lives in the repository."""
    env = os.environ
    return {
        # A random key per process is safe: sessions simply do not survive a restart.
        "SECRET_KEY": env.get(ENV_PREFIX + "SECRET_KEY") or secrets.token_hex(32),
        # The pages' session cookie is sent over HTTPS only when set (always, behind TLS in
        # production); off by default so that the demo works on http://127.0.0.1.
        "SESSION_COOKIE_SECURE": env.get(ENV_PREFIX + "SESSION_COOKIE_SECURE", "0") == "1",
        "SQLALCHEMY_DATABASE_URI": env.get(ENV_PREFIX + "DATABASE_URL")
        or default_database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "LINKAGE_TIMEZONE": env.get(ENV_PREFIX + "TIMEZONE", "Asia/Shanghai"),
        # Minutes a person needs between shifts at different places (rule 9 of the problem file).
        "LINKAGE_TRAVEL_BUFFER_MINUTES": int(env.get(ENV_PREFIX + "TRAVEL_BUFFER_MINUTES", "30")),
        "LINKAGE_SOLVER_TIME_LIMIT": float(env.get(ENV_PREFIX + "SOLVER_TIME_LIMIT", "30")),
        "LINKAGE_SOLVER_WORKERS": int(env.get(ENV_PREFIX + "SOLVER_WORKERS", "2")),
        "LINKAGE_PASSWORD_PROFILE": env.get(ENV_PREFIX + "PASSWORD_PROFILE", "production"),
        "LINKAGE_TOKEN_TTL_HOURS": float(env.get(ENV_PREFIX + "TOKEN_TTL_HOURS", "12")),
        # Flask-Limiter: memory storage counts per process; use Redis with several workers.
        "RATELIMIT_STORAGE_URI": env.get(ENV_PREFIX + "RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": env.get(ENV_PREFIX + "RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LINKAGE_LOGIN_RATE_LIMIT": env.get(ENV_PREFIX + "LOGIN_RATE_LIMIT", "10 per minute"),
        "LINKAGE_WRITE_RATE_LIMIT": env.get(ENV_PREFIX + "WRITE_RATE_LIMIT", "120 per minute"),
        # Service records: due within this many working days after the shift (Mon-Fri, minus
        # the country's public holidays and the listed dates, plus listed make-up working days).
        "LINKAGE_RECORD_DUE_WORKING_DAYS": int(
            env.get(ENV_PREFIX + "RECORD_DUE_WORKING_DAYS", "10")
        ),
        "LINKAGE_HOLIDAY_COUNTRY": env.get(ENV_PREFIX + "HOLIDAY_COUNTRY", "CN"),
        "LINKAGE_HOLIDAYS": _list(env.get(ENV_PREFIX + "HOLIDAYS", "")),
        "LINKAGE_WORKDAYS": _list(env.get(ENV_PREFIX + "WORKDAYS", "")),
        # Unexcused no-shows in 12 months after which a person is not auto-assigned (0: never).
        "LINKAGE_NO_SHOW_LIMIT": int(env.get(ENV_PREFIX + "NO_SHOW_LIMIT", "5")),
        "LINKAGE_WEEKLY_RUN_DAY": env.get(ENV_PREFIX + "WEEKLY_RUN_DAY", "thu"),
        "LINKAGE_WEEKLY_RUN_AT": env.get(ENV_PREFIX + "WEEKLY_RUN_AT", "20:00"),
        "LINKAGE_WEEKLY_SCOPES": env.get(ENV_PREFIX + "WEEKLY_SCOPES", "all").split(","),
        "API_TITLE": "Linkage",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        "API_SPEC_OPTIONS": {
            "info": {"description": "Volunteer and social-worker matching for urban communities."},
            # Every operation needs a bearer token unless it says otherwise (security: []).
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
        "JSON_SORT_KEYS": False,
    }

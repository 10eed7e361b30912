"""Flask extensions, created unbound and bound to the app in the factory."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate

from api.smorest import Api

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def rate_limit_key() -> str:
    """Signed-in callers are limited per token, anonymous ones per address."""
    from api.auth import bearer_token
    from services.auth import token_digest

    token = bearer_token()
    return "token:" + token_digest(token)[:24] if token else "ip:" + get_remote_address()


def login_limit() -> str:
    return current_app.config["LINKAGE_LOGIN_RATE_LIMIT"]


def write_limit() -> str:
    return current_app.config["LINKAGE_WRITE_RATE_LIMIT"]


api = Api()
migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True)


def _not_a_write() -> bool:
    return request.method not in WRITE_METHODS


# Writes share one budget per caller across the whole API; logins have their own limit.
limiter = Limiter(
    key_func=rate_limit_key,
    application_limits=[write_limit],
    application_limits_exempt_when=_not_a_write,
)

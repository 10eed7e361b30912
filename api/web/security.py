"""The signed-in web user (a bearer token kept in the session cookie) and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, session, url_for

from models import User, db
from services import auth

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_KEY = "token"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
USER_KEY = "linkage.web_user"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def web_user() -> User | None:
    """The user of the session's token, looked up once per request; a dead token is dropped."""
    if USER_KEY not in request.environ:
        token = session.get(TOKEN_KEY)
        user = auth.authenticate(session=db.session, token=token) if token else None
        if token and user is None:
            session.pop(TOKEN_KEY, None)
        request.environ[USER_KEY] = user
    return request.environ[USER_KEY]


def start_session(token: str) -> None:
    """A fresh session for a new sign-in (no fixation): the token and a new CSRF token."""
    session.clear()
    session[TOKEN_KEY] = token
    session[CSRF_KEY] = secrets.token_urlsafe(32)
    request.environ.pop(USER_KEY, None)


def end_session() -> str | None:
    """Forget the session; returns the token it held so that the caller can revoke it."""
    token = session.get(TOKEN_KEY)
    session.clear()
    request.environ[USER_KEY] = None
    return token


def csrf_token() -> str:
    """The session's CSRF token, created on first use (forms embed it as a hidden field)."""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_KEY]


def check_csrf() -> None:
    """Refuse any state-changing request whose form token does not match the session's."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.get(CSRF_KEY)
    sent = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400)


def signed_in(*roles: str) -> Callable[[F], F]:
    """Pages for signed-in users (of `roles`, when named): others go to the sign-in form."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = web_user()
            if user is None:
                return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate

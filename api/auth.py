"""Who is calling: bearer tokens, the current user, and the access rule of each view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request
from flask_smorest import abort

from models import User, db
from services import auth
from services.permissions import Reach, reach_of

F = TypeVar("F", bound=Callable[..., Any])
BEARER = "bearer"
USER_KEY = "linkage.user"
REACH_KEY = "linkage.reach"


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == BEARER else None


def current_user() -> User | None:
    """The authenticated user of this request (looked up once per request)."""
    # Cached on the request, not on `g`: an app context (and its `g`) can outlive a request.
    if USER_KEY not in request.environ:
        token = bearer_token()
        user = auth.authenticate(session=db.session, token=token) if token else None
        request.environ[USER_KEY] = user
    return request.environ[USER_KEY]


def hasher():
    """The password hasher of the configured profile."""
    return auth.password_hasher(current_app.config["LINKAGE_PASSWORD_PROFILE"])


def requires(*roles: str) -> Callable[[F], F]:
    """Allow the view to authenticated users of `roles` (all roles when none are named).

    The roles are kept on the function (`__access__`) so that the authorization matrix test
    can be generated from the route table.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                abort(401, message="sign in: send Authorization: Bearer <token>")
            if roles and user.role not in roles:
                abort(403, message=f"not allowed for role {user.role}")
            return view(*args, **kwargs)

        wrapper.__access__ = roles or ("*",)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Mark a view as open to anyone (login, registration, health), in the OpenAPI too."""
    view.__access__ = ("public",)  # type: ignore[attr-defined]
    # flask-smorest reads `_apidoc["manual_doc"]` (what `Blueprint.doc` writes).
    apidoc = getattr(view, "_apidoc", {})
    apidoc.setdefault("manual_doc", {})["security"] = []
    view._apidoc = apidoc  # type: ignore[attr-defined]
    return view


def caller_reach() -> Reach:
    """What the signed-in caller reaches (views under `requires` always have a caller)."""
    user = current_user()
    if user is None:  # pragma: no cover - `requires` answered 401 already
        abort(401, message="sign in: send Authorization: Bearer <token>")
    # Once per request, like the user: views and checks may ask more than once.
    if REACH_KEY not in request.environ:
        request.environ[REACH_KEY] = reach_of(session=db.session, user=user)
    return request.environ[REACH_KEY]

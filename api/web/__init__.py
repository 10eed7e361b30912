"""Server-rendered pages for people, coordinators and organization staff (Jinja, Flask-Babel)."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel

from api.web.blueprint import bp
from api.web.i18n import select_locale

babel = Babel()


def register_web(app: Flask) -> None:
    """Bind Babel, harden the session cookie and register the pages."""
    # The session cookie carries the bearer token: never readable by scripts, never sent
    # on cross-site POSTs (the CSRF token is the second line of defence).
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_CN")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["LINKAGE_TIMEZONE"])
    babel.init_app(app, locale_selector=select_locale)
    # Importing the view modules attaches their routes to the blueprint.
    from api.web import (  # noqa: F401
        views_attendance,
        views_auth,
        views_availability,
        views_board,
        views_needs,
        views_profile,
        views_review,
        views_runs,
        views_settings,
        views_shifts,
    )

    app.register_blueprint(bp)

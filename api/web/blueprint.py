"""The web blueprint, shared by the view modules; CSRF and language cookie hooks."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import refresh
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from api.errors import STATUS_BY_ERROR
from api.web import i18n, security
from models import db
from services.errors import ServiceError

log = logging.getLogger(__name__)

# Templates live in api/templates/web/ and the stylesheet in api/static/ (the app's own folders).
bp = Blueprint("web", __name__)


@bp.before_app_request
def _forget_last_locale() -> None:
    # Flask-Babel caches the locale on `g`, and an app context can outlive a request
    # (tests, CLI): each request chooses its language afresh.
    refresh()


@bp.before_request
def _check_csrf() -> None:
    security.check_csrf()


@bp.after_request
def _remember_language(response: Response) -> Response:
    chosen = i18n.normalize(request.args.get("lang"))
    if chosen:
        response.set_cookie(i18n.LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.app_context_processor
def _template_globals() -> dict:
    return {
        "csrf_token": security.csrf_token,
        "web_user": security.web_user,
        "current_locale": i18n.current_locale,
        "status_label": status_label,
    }


def status_label(status: str) -> str:
    """A seat's status in words (each spelled out so that extraction finds it)."""
    labels = {
        "offered": _("Offered: please answer"),
        "confirmed": _("Confirmed"),
        "declined": _("Declined"),
        "cancelled": _("Cancelled"),
        "completed": _("Completed"),
        "no_show": _("Not attended"),
    }
    return labels.get(status, status)


@bp.errorhandler(HTTPException)
def _error_page(error: HTTPException):
    messages = {
        400: _("The form has expired. Please go back and try again."),
        403: _("You are not allowed to open this page."),
        404: _("This page does not exist."),
        429: _("Too many attempts. Please wait a minute and try again."),
    }
    code = error.code or 500
    message = messages.get(code, _("Something went wrong."))
    return render_template("web/error.html", code=code, message=message), code


# Pages answer in pages: without these, errors a view did not handle would reach the API's
# JSON handlers (api/errors.py), and a browser user would get raw English JSON.


def _clash() -> str:
    return _("This clashes with a change made meanwhile. Please reload the page and try again.")


@bp.errorhandler(ServiceError)
def _service_error_page(error: ServiceError):
    db.session.rollback()
    code = next((c for cls, c in STATUS_BY_ERROR.items() if isinstance(error, cls)), 400)
    messages = {
        403: _("You are not allowed to do this."),
        404: _("This page does not exist."),
        409: _clash(),
        422: _("Some of what was entered cannot be accepted. Please go back and check it."),
    }
    message = messages.get(code, _("Something went wrong."))
    return render_template("web/error.html", code=code, message=message), code


@bp.errorhandler(SQLAlchemyError)  # StaleDataError is one too
def _database_error_page(error: Exception):
    db.session.rollback()
    if isinstance(error, DataError):
        code, message = 422, _("A value is too large or not allowed. Please go back and check it.")
    elif isinstance(error, IntegrityError | StaleDataError):
        code = 409
        message = _(
            "This clashes with a change made meanwhile. Please reload the page and try again."
        )
    elif isinstance(error, OperationalError):
        code, message = 503, _("The service is busy. Please try again in a moment.")
    else:
        code, message = 500, _("Something went wrong.")
    log.warning("database error on a page: %s", error)
    return render_template("web/error.html", code=code, message=message), code


@bp.errorhandler(Exception)
def _unexpected_page(error: Exception):
    # HTTP errors never get here: Flask picks the most specific handler (_error_page).
    db.session.rollback()
    log.exception("unexpected error on a page")
    return render_template("web/error.html", code=500, message=_("Something went wrong.")), 500

"""One place that turns errors into JSON responses with the right status code."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from models import db
from services.assignments import is_double_booking
from services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

log = logging.getLogger(__name__)

STATUS_BY_ERROR = {NotFound: 404, Invalid: 422, Conflict: 409, Forbidden: 403}


def describe_db_error(error: DBAPIError) -> str:
    """The kind and constraint of a database error, never its row values.

    PostgreSQL's messages quote the failing row ("Failing row contains (..., phone, ...)"),
    which must not reach the logs.
    """
    orig = error.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:
        return f"{type(orig).__name__} sqlstate={orig.sqlstate} constraint={diag.constraint_name}"
    # SQLite names the constraint or column, never the values.
    return f"{type(orig).__name__}: {str(orig).splitlines()[0][:200]}"


def _body(code: int, status: str, message: str, errors: dict | None = None):
    payload: dict = {"code": code, "status": status, "message": message}
    if errors:
        payload["errors"] = errors
    return jsonify(payload), code


def register_errorhandlers(app: Flask) -> None:
    """Map service errors, integrity errors and anything unexpected to JSON."""

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        db.session.rollback()
        code = next((c for cls, c in STATUS_BY_ERROR.items() if isinstance(error, cls)), 400)
        names = {
            403: "Forbidden",
            404: "Not Found",
            409: "Conflict",
            422: "Unprocessable Entity",
            400: "Bad Request",
        }
        return _body(code, names[code], error.message, error.errors)

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError):
        # The database refused a write a service should have caught: still the client's clash.
        db.session.rollback()
        log.warning("integrity error: %s", describe_db_error(error))
        if is_double_booking(error):
            # The exclusion constraint (PostgreSQL) or trigger (SQLite) of migration 0007:
            # services name the clash; this is the backstop for a path that did not.
            return _body(
                409,
                "Conflict",
                "the change would give a person two booked assignments at overlapping times",
                {"person_id": ["overlaps another booked assignment"]},
            )
        return _body(409, "Conflict", "the change conflicts with existing data")

    @app.errorhandler(StaleDataError)
    def _stale(error: StaleDataError):
        # version_id_col: someone else committed a change of the same row since we read it.
        db.session.rollback()
        log.info("stale update refused: %s", error)
        return _body(
            409,
            "Conflict",
            "the object was changed by someone else meanwhile; reload it and try again",
            {"version": ["stale: changed concurrently"]},
        )

    @app.errorhandler(DataError)
    def _data(error: DataError):
        # A value the schemas let through but the database cannot hold (out of range): the
        # client's input, so 422; logged, since a schema should have caught it.
        db.session.rollback()
        log.warning("data error: %s", describe_db_error(error))
        return _body(422, "Unprocessable Entity", "a value does not fit the database")

    @app.errorhandler(OperationalError)
    def _operational(error: OperationalError):
        db.session.rollback()
        log.error("database error: %s", describe_db_error(error))
        return _body(503, "Service Unavailable", "the database is busy; try again")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        # flask-smorest puts webargs' field messages in error.data["messages"].
        data = getattr(error, "data", None) or {}
        errors = data.get("messages")
        return _body(error.code or 500, error.name, error.description or error.name, errors)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        log.exception("unexpected error")
        return _body(500, "Internal Server Error", "an unexpected error occurred")

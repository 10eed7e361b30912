"""The Flask application factory: a list of named steps."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.routing import IntegerConverter, Map

from api.config import check_config, load_config
from api.errors import register_errorhandlers
from api.extensions import api, limiter, migrate
from api.schemas.fields import MAX_ID
from api.web import register_web
from models import db


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `test_config` overrides the environment-derived settings."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    check_config(app.config)
    register_extensions(app)
    register_blueprints(app)
    register_web(app)
    register_errorhandlers(app)
    register_request_log(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db)
    api.init_app(app)
    limiter.init_app(app)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a positive id that fits the database's 32-bit integers."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    from api.resources import discover_blueprints

    # Larger ids could never match a row: the route answers 404 before any query.
    app.url_map.converters["int"] = IdConverter
    api.register_converter(
        IdConverter, lambda _: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    )

    for blueprint in discover_blueprints():
        api.register_blueprint(blueprint, url_prefix="/api/v1" + blueprint.url_prefix)


def register_request_log(app: Flask) -> None:
    """One line per request: method, path without its query string, status, milliseconds.

    The query string is left out on purpose: clients put search terms (names, phone numbers)
    there, and personal data must not reach the logs.
    """
    log = logging.getLogger("linkage.request")

    @app.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.pop("request_started", None)
        elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        log.info("%s %s %s %.1fms", request.method, request.path, response.status_code, elapsed)
        return response


def register_commands(app: Flask) -> None:
    from api.cli import discover_commands

    for command in discover_commands():
        app.cli.add_command(command)

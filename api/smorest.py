"""Thin subclasses of flask-smorest's Api, Blueprint and Schema, kept in one place."""

from __future__ import annotations

import flask_smorest
import marshmallow as ma


class Api(flask_smorest.Api):
    """The Linkage REST API under /api/v1."""


class Blueprint(flask_smorest.Blueprint):
    """A resource blueprint; `url_prefix` is relative to /api/v1."""

    # Lists default to 50 rows (a screenful on a coordinator's page) and cap at 500.
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}


class Schema(ma.Schema):
    """Base schema: unknown fields are an error (never INCLUDE, see PITFALLS)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class PartialSchema(Schema):
    """Base of PATCH schemas: every field optional, none of them nullable unless declared."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)

"""Thin subclasses of flask-smorest's Api, Blueprint and Schema, kept in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask_smorest
import marshmallow as ma


class Api(flask_smorest.Api):
    """The Linkage REST API under /api/v1."""


class Blueprint(flask_smorest.Blueprint):
    """A resource blueprint; `url_prefix` is relative to /api/v1."""

    # Lists default to 50 rows (a screenful on a coordinator's page) and cap at 500.
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}


class Schema(ma.Schema):
    """Base schema: unknown fields are an error (never INCLUDE, see PITFALLS), and no text
    may carry a NUL character (PostgreSQL cannot store one: it would be a 500, not a 422)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _refuse_nul(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        bad = {
            name: ["must not contain NUL characters"]
            for name, value in data.items()
            if _has_nul(value)
        }
        if bad:
            raise ma.ValidationError(bad)
        return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(isinstance(item, str) and "\x00" in item for item in value)
    return False


class PartialSchema(Schema):
    """Base of PATCH schemas: every field optional, none of them nullable unless declared."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


def paginated(pagination_parameters: Any, lister: Any, /, **kwargs: Any) -> Any:
    """Call a service's list function for the requested page (offset, limit) and record the
    total for the X-Pagination header; returns the page's items."""
    items, total = lister(
        offset=pagination_parameters.first_item,
        limit=pagination_parameters.page_size,
        **kwargs,
    )
    pagination_parameters.item_count = total
    return items

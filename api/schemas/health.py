"""Schema of the health check."""

from __future__ import annotations

from marshmallow import fields

from api.smorest import Schema


class HealthSchema(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)

"""Schemas of communities (社区)."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.fields import text
from api.smorest import PartialSchema, Schema


class CommunitySchema(Schema):
    id = fields.Integer(dump_only=True)
    district = fields.String(metadata={"description": "District (区), e.g. Yuexiu"})
    street = fields.String(metadata={"description": "Street (街道)"})
    name = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class CommunityCreateSchema(Schema):
    district = text(80, required=True)
    street = text(80, required=True)
    name = text(120, required=True)
    lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))


class CommunityUpdateSchema(PartialSchema, CommunityCreateSchema):
    pass


class CommunityQueryArgsSchema(Schema):
    district = text(80)
    street = text(80)
    q = text(120, metadata={"description": "Part of the name, case-insensitive"})

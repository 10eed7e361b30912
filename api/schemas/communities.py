"""Schemas of communities (社区)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from api.smorest import Schema

# Ids are 32-bit integers in PostgreSQL: a larger one could never match and must not reach it.
MAX_ID = 2**31 - 1


def no_nul(value: str) -> None:
    # PostgreSQL text cannot hold NUL characters: reject them here rather than fail there.
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")


def text(max_length: int, *, min_length: int = 1, **kwargs) -> fields.String:
    """A string field of bounded length without NUL characters."""
    return fields.String(validate=[validate.Length(min_length, max_length), no_nul], **kwargs)


def identifier(*, strict: bool = True, **kwargs) -> fields.Integer:
    """A positive database id; query strings need `strict=False` (their values are text)."""
    return fields.Integer(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)


class PartialSchema(Schema):
    """Base of PATCH schemas: every field optional, none of them nullable unless declared."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


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

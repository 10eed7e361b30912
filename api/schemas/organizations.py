"""Schemas of organizations and the communities they serve."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.fields import identifier, text
from api.smorest import PartialSchema, Schema
from models.community import ORGANIZATION_KINDS

KIND_DESCRIPTION = "One of: " + ", ".join(ORGANIZATION_KINDS)


class OrganizationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    kind = fields.String(metadata={"description": KIND_DESCRIPTION})
    contact_phone = fields.String(allow_none=True)
    community_ids = fields.Function(
        lambda o: sorted(c.id for c in o.communities),
        metadata={"description": "Ids of the communities it serves"},
    )
    created_at = fields.AwareDateTime(dump_only=True)


class OrganizationCreateSchema(Schema):
    name = text(160, required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(ORGANIZATION_KINDS),
        metadata={"description": KIND_DESCRIPTION},
    )
    contact_phone = text(40, allow_none=True)
    community_ids = fields.List(
        identifier(),
        load_default=list,
        validate=validate.Length(max=1000),
        metadata={"description": "Ids of the communities it serves (each must exist)"},
    )


class OrganizationUpdateSchema(PartialSchema, OrganizationCreateSchema):
    community_ids = fields.List(identifier(), validate=validate.Length(max=1000))


class OrganizationQueryArgsSchema(Schema):
    kind = fields.String(validate=validate.OneOf(ORGANIZATION_KINDS))
    community_id = identifier(strict=False, metadata={"description": "Serves this community"})
    q = text(160, metadata={"description": "Part of the name, case-insensitive"})

"""Schemas of the problem export: its query arguments and the problem file it returns."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.fields import identifier, text
from api.smorest import Schema


class ProblemQueryArgsSchema(Schema):
    week = fields.String(
        required=True,
        validate=validate.Length(1, 10),
        metadata={
            "description": "ISO week, Monday to Monday in the service's timezone",
            "example": "2026-W49",
        },
    )
    community = identifier(
        strict=False, metadata={"description": "Only this community's needs and people"}
    )
    street = text(
        80, metadata={"description": "Only the needs and people of this street's communities"}
    )

    @validates_schema
    def _one_scope(self, data: dict, **_kwargs: object) -> None:
        if data.get("community") is not None and data.get("street") is not None:
            raise ValidationError("give community or street, not both", field_name="street")


# The problem file (docs/problem-format.md); these schemas document it, they do not build it.


class ProblemLocationSchema(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)


class ProblemHorizonSchema(Schema):
    start = fields.String(required=True, metadata={"example": "2026-11-30T00:00:00+08:00"})
    end = fields.String(required=True, metadata={"example": "2026-12-07T00:00:00+08:00"})


class ProblemPreferencesSchema(Schema):
    kinds = fields.List(fields.String())
    organizations = fields.List(fields.String(), metadata={"description": "o<id>"})


class ProblemPersonSchema(Schema):
    id = fields.String(required=True, metadata={"description": "p<id>"})
    role = fields.String(required=True)
    skills = fields.Dict(keys=fields.String(), values=fields.Integer())
    languages = fields.List(fields.String())
    location = fields.Nested(ProblemLocationSchema, allow_none=True)
    max_travel_km = fields.Float(allow_none=True)
    max_minutes = fields.Integer(allow_none=True)
    max_shifts_per_day = fields.Integer(allow_none=True)
    availability = fields.List(
        fields.List(fields.String()), metadata={"description": "[start, end] pairs"}
    )
    background_checked = fields.Boolean()
    points = fields.Integer()
    recent_minutes = fields.Integer()
    preferences = fields.Nested(ProblemPreferencesSchema)


class ProblemPositionSchema(Schema):
    id = fields.String(required=True, metadata={"description": "q<id>"})
    role = fields.String(required=True)
    skills = fields.Dict(keys=fields.String(), values=fields.Integer())
    count = fields.Integer(required=True)
    min_count = fields.Integer()


class ProblemShiftSchema(Schema):
    id = fields.String(required=True, metadata={"description": "s<id>"})
    request_id = fields.String(required=True, metadata={"description": "r<need id>"})
    organization_id = fields.String(metadata={"description": "o<id>"})
    kind = fields.String(required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)
    location = fields.Nested(ProblemLocationSchema, allow_none=True)
    priority = fields.Integer(required=True)
    requires_background_check = fields.Boolean()
    language = fields.String(allow_none=True)
    positions = fields.List(fields.Nested(ProblemPositionSchema), required=True)


class ProblemFixedSchema(Schema):
    person_id = fields.String(required=True)
    position_id = fields.String(required=True)


class ProblemForbiddenSchema(Schema):
    person_id = fields.String(required=True)
    shift_id = fields.String(required=True)


class ProblemHistorySchema(Schema):
    person_id = fields.String(required=True)
    request_id = fields.String(required=True)
    count = fields.Integer(required=True)


class ProblemSchema(Schema):
    version = fields.Integer(required=True)
    timezone = fields.String(required=True)
    horizon = fields.Nested(ProblemHorizonSchema, required=True)
    travel_buffer_minutes = fields.Integer()
    people = fields.List(fields.Nested(ProblemPersonSchema), required=True)
    shifts = fields.List(fields.Nested(ProblemShiftSchema), required=True)
    fixed = fields.List(fields.Nested(ProblemFixedSchema))
    forbidden = fields.List(fields.Nested(ProblemForbiddenSchema))
    history = fields.List(fields.Nested(ProblemHistorySchema))

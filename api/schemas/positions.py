"""Schemas of positions: the seats of a shift (or of a recurring need's template)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.fields import MAX_ID, strict_int
from api.smorest import Schema
from models.need import POSITION_ROLES

MAX_COUNT = 500
VERSION_OUT = "bumped by every change; also the ETag of GET and PATCH"
VERSION_IN = "optional: the version this change was made against (or If-Match); stale is 409"


def skill_levels(**kwargs) -> fields.Dict:
    """`{skill_code: min_level}` with levels 1-5."""
    return fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=strict_int(validate=validate.Range(min=1, max=5)),
        **kwargs,
    )


def _check_counts(data: dict) -> None:
    count, min_count = data.get("count"), data.get("min_count")
    if count is not None and min_count is not None and min_count > count:
        raise ValidationError(
            f"min_count ({min_count}) must not exceed count ({count})", "min_count"
        )


class PositionSchema(Schema):
    id = fields.Integer(dump_only=True)
    need_id = fields.Integer(dump_only=True)
    shift_id = fields.Integer(dump_only=True, allow_none=True)
    label = fields.String()
    role = fields.String()
    count = fields.Integer()
    min_count = fields.Integer()
    skills = fields.Method("_skills", metadata={"description": "{skill_code: min_level}"})
    filled = fields.Integer(
        dump_default=0, metadata={"description": "active assignments on this position"}
    )
    version = fields.Integer(dump_only=True, metadata={"description": VERSION_OUT})

    def _skills(self, position) -> dict[str, int]:
        return {req.skill.code: req.min_level for req in position.requirements}


class PositionCreateSchema(Schema):
    label = fields.String(load_default="", validate=validate.Length(max=60))
    role = fields.String(required=True, validate=validate.OneOf(POSITION_ROLES))
    count = strict_int(load_default=1, validate=validate.Range(min=1, max=MAX_COUNT))
    min_count = strict_int(load_default=1, validate=validate.Range(min=1, max=MAX_COUNT))
    skills = skill_levels(load_default=dict)

    @validates_schema
    def _counts(self, data, **kwargs):
        _check_counts(data)


class PositionUpdateSchema(Schema):
    label = fields.String(validate=validate.Length(max=60))
    role = fields.String(validate=validate.OneOf(POSITION_ROLES))
    count = strict_int(validate=validate.Range(min=1, max=MAX_COUNT))
    min_count = strict_int(validate=validate.Range(min=1, max=MAX_COUNT))
    skills = skill_levels(metadata={"description": "replaces every requirement"})
    version = strict_int(validate=validate.Range(1, MAX_ID), metadata={"description": VERSION_IN})

    @validates_schema
    def _counts(self, data, **kwargs):
        # Against the stored values too: the service checks that half.
        _check_counts(data)

"""Schemas of positions: the seats of a shift (or of a recurring need's template)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from api.smorest import Schema
from models.need import POSITION_ROLES

MAX_COUNT = 500
# Ids are 32-bit integers in PostgreSQL: a larger one must be a 422/404, never a 500.
ID_MAX = 2**31 - 1


def id_field(**kwargs) -> fields.Integer:
    """A database id: a positive 32-bit integer (strings refused in bodies)."""
    return fields.Integer(validate=validate.Range(min=1, max=ID_MAX), **kwargs)


def strict_int(**kwargs) -> fields.Integer:
    """An integer field that refuses strings and floats in JSON bodies."""
    return fields.Integer(strict=True, **kwargs)


def body_id(**kwargs) -> fields.Integer:
    """An id in a JSON body: a JSON integer within ID_MAX."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=ID_MAX), **kwargs)


def strict_bool(**kwargs) -> fields.Boolean:
    """A boolean field that accepts only JSON true/false, not "yes" or 1."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)


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

    @validates_schema
    def _counts(self, data, **kwargs):
        # Against the stored values too: the service checks that half.
        _check_counts(data)

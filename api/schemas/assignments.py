"""Schemas of assignments: a person on a position of a shift, from proposal to completion."""

from __future__ import annotations

from marshmallow import fields, validate, validates_schema

from api.schemas.fields import identifier, strict_bool
from api.schemas.shifts import aware, check_order
from api.smorest import Schema
from models.assignment import ASSIGNMENT_SOURCES, ASSIGNMENT_STATUSES

# A new manual assignment starts before anyone has declined or served.
# A seat is confirmed only by its person's answer (POST /me/assignments/{id}/accept).
CREATE_STATUSES = ("proposed", "offered")


class AssignmentSchema(Schema):
    id = fields.Integer(dump_only=True)
    person_id = fields.Integer()
    position_id = fields.Integer()
    shift_id = fields.Integer()
    need_id = fields.Integer(attribute="shift.need_id")
    starts_at = fields.DateTime(format="iso", attribute="shift.starts_at")
    ends_at = fields.DateTime(format="iso", attribute="shift.ends_at")
    status = fields.String()
    source = fields.String()
    pinned = fields.Boolean()
    decline_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    responded_at = fields.DateTime(format="iso", allow_none=True)


class AssignmentCreateSchema(Schema):
    person_id = identifier(required=True)
    position_id = identifier(required=True)
    status = fields.String(load_default="proposed", validate=validate.OneOf(CREATE_STATUSES))
    pinned = strict_bool(load_default=False)


class AssignmentUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(ASSIGNMENT_STATUSES))
    pinned = strict_bool()
    decline_reason = fields.String(allow_none=True, validate=validate.Length(max=300))


class StatusList(fields.List):
    """Repeatable (`status=a&status=b`) or comma-separated (`status=a,b`) statuses."""

    def _deserialize(self, value, attr, data, **kwargs):
        items = [value] if isinstance(value, str) else value
        if isinstance(items, list | tuple) and all(isinstance(i, str) for i in items):
            items = [part.strip() for item in items for part in item.split(",") if part.strip()]
        return super()._deserialize(items, attr, data, **kwargs)


class AssignmentQueryArgsSchema(Schema):
    person_id = identifier(strict=False)
    shift_id = identifier(strict=False)
    need_id = identifier(strict=False)
    status = StatusList(
        fields.String(validate=validate.OneOf(ASSIGNMENT_STATUSES)),
        metadata={"description": "repeat it or separate statuses with commas"},
    )
    source = fields.String(validate=validate.OneOf(ASSIGNMENT_SOURCES))
    pinned = fields.Boolean()
    starts_from = aware(metadata={"description": "shift starting at or after this time"})
    starts_to = aware(metadata={"description": "shift starting before this time"})

    @validates_schema
    def _range(self, data, **kwargs):
        check_order(data, "starts_from", "starts_to")

"""Schemas of needs: what an organization asks for, one-off or recurring."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.fields import MAX_ID, identifier, strict_bool, strict_int
from api.schemas.positions import PositionCreateSchema, PositionSchema
from api.schemas.shifts import ShiftCreateSchema, ShiftSchema, aware, check_order
from api.smorest import Schema
from models.need import NEED_KINDS, POINTS_TIERS

LANGUAGES = ("cmn", "yue", "en", "hak", "nan")
MAX_RECURRENCE_MINUTES = 24 * 60
VERSION_OUT = "bumped by every change; also the ETag of GET and PATCH"
VERSION_IN = "optional: the version this change was made against (or If-Match); stale is 409"


class RecurrenceSchema(Schema):
    rule = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "an RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=TU"},
    )
    start = aware(
        required=True,
        metadata={"description": "first occurrence; its local wall-clock time repeats"},
    )
    minutes = strict_int(required=True, validate=validate.Range(min=1, max=MAX_RECURRENCE_MINUTES))


class NeedSchema(Schema):
    id = fields.Integer(dump_only=True)
    organization_id = fields.Integer()
    community_id = fields.Integer(allow_none=True)
    kind = fields.String()
    title = fields.String()
    description = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    priority = fields.Integer()
    requires_background_check = fields.Boolean()
    language = fields.String(allow_none=True)
    points_tier = fields.String()
    points_per_hour = fields.Integer()
    active = fields.Boolean()
    recurring = fields.Method("_recurring")
    recurrence = fields.Method("_recurrence", allow_none=True)
    positions = fields.List(
        fields.Nested(PositionSchema),
        attribute="template_positions",
        metadata={"description": "template positions copied into each generated shift"},
    )
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    version = fields.Integer(dump_only=True, metadata={"description": VERSION_OUT})

    def _recurring(self, need) -> bool:
        return need.recurrence_rule is not None

    def _recurrence(self, need) -> dict | None:
        if need.recurrence_rule is None:
            return None
        return {
            "rule": need.recurrence_rule,
            "start": need.recurrence_start.isoformat(),
            "minutes": need.recurrence_minutes,
        }


class NeedCreatedSchema(NeedSchema):
    shifts = fields.List(fields.Nested(ShiftSchema))


class _NeedFields(Schema):
    organization_id = identifier()
    community_id = identifier(allow_none=True)
    kind = fields.String(validate=validate.OneOf(NEED_KINDS))
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=10_000))
    lat = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    priority = strict_int(validate=validate.Range(min=1, max=5))
    requires_background_check = strict_bool()
    language = fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES))
    points_tier = fields.String(validate=validate.OneOf(tuple(POINTS_TIERS)))
    points_per_hour = strict_int(validate=validate.Range(min=0, max=10_000))
    active = strict_bool()


class NeedCreateSchema(_NeedFields):
    organization_id = identifier(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(NEED_KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    shifts = fields.List(
        fields.Nested(ShiftCreateSchema),
        validate=validate.Length(max=200),
        metadata={"description": "one-off shifts; give either shifts or recurrence"},
    )
    recurrence = fields.Nested(
        RecurrenceSchema, metadata={"description": "give either shifts or recurrence"}
    )
    positions = fields.List(
        fields.Nested(PositionCreateSchema),
        metadata={"description": "template positions of a recurring need"},
    )

    @validates_schema
    def _shape(self, data, **kwargs):
        has_shifts, has_recurrence = "shifts" in data, "recurrence" in data
        if has_shifts and has_recurrence:
            raise ValidationError(
                {
                    "shifts": ["give either shifts or recurrence, not both"],
                    "recurrence": ["give either shifts or recurrence, not both"],
                }
            )
        if not has_shifts and not has_recurrence:
            raise ValidationError(
                {
                    "shifts": ["give one-off shifts (possibly []) or a recurrence"],
                    "recurrence": ["give one-off shifts (possibly []) or a recurrence"],
                }
            )
        if has_shifts and "positions" in data:
            raise ValidationError(
                "a one-off need has no template: put positions inside each shift", "positions"
            )


class NeedUpdateSchema(_NeedFields):
    recurrence = fields.Nested(
        RecurrenceSchema, metadata={"description": "only for a need that is already recurring"}
    )
    version = strict_int(validate=validate.Range(1, MAX_ID), metadata={"description": VERSION_IN})


class NeedQueryArgsSchema(Schema):
    kind = fields.String(validate=validate.OneOf(NEED_KINDS))
    organization_id = identifier(strict=False)
    community_id = identifier(strict=False)
    priority_min = fields.Integer(validate=validate.Range(min=1, max=5))
    recurring = fields.Boolean()
    active = fields.Boolean()
    starts_from = aware(metadata={"description": "needs with a shift starting at or after"})
    starts_to = aware(metadata={"description": "needs with a shift starting before"})

    @validates_schema
    def _range(self, data, **kwargs):
        check_order(data, "starts_from", "starts_to")

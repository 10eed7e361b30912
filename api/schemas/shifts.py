"""Schemas of shifts: one dated occurrence of a need, with its positions."""

from __future__ import annotations

from datetime import timedelta

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.fields import MAX_ID, identifier, strict_bool, strict_int
from api.schemas.positions import PositionCreateSchema, PositionSchema
from api.smorest import Schema
from models.need import NEED_KINDS

MAX_SHIFT_HOURS = 24
VERSION_OUT = "bumped by every change; also the ETag of GET and PATCH"
VERSION_IN = "optional: the version this change was made against (or If-Match); stale is 409"


def aware(**kwargs) -> fields.AwareDateTime:
    """ISO 8601 with an offset; a naive time is refused, naming the field."""
    return fields.AwareDateTime(format="iso", **kwargs)


def check_order(data: dict, first: str, second: str) -> None:
    """`data[second]` must come after `data[first]` when both are given."""
    start, end = data.get(first), data.get(second)
    if start is not None and end is not None and end <= start:
        raise ValidationError(f"{second} must be after {first}", second)


def _check_shift_times(data: dict) -> None:
    check_order(data, "starts_at", "ends_at")
    start, end = data.get("starts_at"), data.get("ends_at")
    if start and end and end - start > timedelta(hours=MAX_SHIFT_HOURS):
        raise ValidationError(f"a shift lasts at most {MAX_SHIFT_HOURS} hours", "ends_at")


class ShiftSchema(Schema):
    id = fields.Integer(dump_only=True)
    need_id = fields.Integer(dump_only=True)
    starts_at = fields.DateTime(format="iso")
    ends_at = fields.DateTime(format="iso")
    generated = fields.Boolean(metadata={"description": "made from the need's recurrence"})
    cancelled = fields.Boolean()
    positions = fields.List(fields.Nested(PositionSchema))
    version = fields.Integer(dump_only=True, metadata={"description": VERSION_OUT})


class ShiftCreateSchema(Schema):
    starts_at = aware(required=True)
    ends_at = aware(required=True)
    positions = fields.List(
        fields.Nested(PositionCreateSchema),
        metadata={"description": "omitted: a recurring need's template positions are copied"},
    )

    @validates_schema
    def _times(self, data, **kwargs):
        _check_shift_times(data)


class ShiftUpdateSchema(Schema):
    starts_at = aware()
    ends_at = aware()
    cancelled = strict_bool(
        metadata={"description": "cancelling also cancels the shift's open seats, for good"}
    )
    version = strict_int(validate=validate.Range(1, MAX_ID), metadata={"description": VERSION_IN})

    @validates_schema
    def _times(self, data, **kwargs):
        _check_shift_times(data)


class ShiftQueryArgsSchema(Schema):
    starts_from = aware(metadata={"description": "shifts starting at or after this time"})
    starts_to = aware(metadata={"description": "shifts starting before this time"})
    need_kind = fields.String(validate=validate.OneOf(NEED_KINDS))
    community_id = identifier(strict=False)
    organization_id = identifier(strict=False)
    cancelled = fields.Boolean()

    @validates_schema
    def _range(self, data, **kwargs):
        check_order(data, "starts_from", "starts_to")


class HorizonSchema(Schema):
    start = aware(required=True)
    end = aware(required=True)

    @validates_schema
    def _range(self, data, **kwargs):
        check_order(data, "start", "end")

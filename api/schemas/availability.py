"""Schemas of a person's weekly windows, dated exceptions and expanded availability."""

from __future__ import annotations

from datetime import datetime

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.fields import text
from api.smorest import PartialSchema, Schema
from models.person import EXCEPTION_KINDS

HHMM = "%H:%M"
WINDOW_DESCRIPTION = (
    "A weekly window in local wall-clock time of the configured timezone (Asia/Shanghai by "
    "default). weekday: 0 = Monday ... 6 = Sunday. start and end are HH:MM; an end at or "
    "before the start means the window runs past midnight into the next day (Sunday 22:00-02:00 "
    "ends Monday 02:00; 00:00-00:00 is a whole day). valid_from/valid_until (inclusive dates) "
    "limit the days on which the window starts."
)


class Moment(fields.AwareDateTime):
    """An ISO 8601 datetime with an offset, within years 2000-2199."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        # Far years overflow when converted to UTC; no volunteering happens there anyway.
        if not 2000 <= moment.year <= 2199:
            raise ValidationError("must be between the years 2000 and 2199")
        return moment


class AvailabilityWindowSchema(Schema):
    class Meta:
        description = WINDOW_DESCRIPTION

    id = fields.Integer(dump_only=True)
    person_id = fields.Integer(dump_only=True)
    weekday = fields.Integer(metadata={"description": "0 = Monday ... 6 = Sunday"})
    start_time = fields.Time(format=HHMM, metadata={"description": "HH:MM local"})
    end_time = fields.Time(
        format=HHMM, metadata={"description": "HH:MM local; at or before start_time = overnight"}
    )
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)


class AvailabilityWindowCreateSchema(Schema):
    class Meta:
        description = WINDOW_DESCRIPTION

    weekday = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(0, 6),
        metadata={"description": "0 = Monday ... 6 = Sunday"},
    )
    start_time = fields.Time(format=HHMM, required=True, metadata={"description": "HH:MM local"})
    end_time = fields.Time(
        format=HHMM,
        required=True,
        metadata={"description": "HH:MM local; at or before start_time = runs past midnight"},
    )
    valid_from = fields.Date(allow_none=True, metadata={"description": "First day (inclusive)"})
    valid_until = fields.Date(allow_none=True, metadata={"description": "Last day (inclusive)"})

    @validates_schema
    def _valid_range(self, data, **kwargs):
        start, end = data.get("valid_from"), data.get("valid_until")
        if start is not None and end is not None and end < start:
            raise ValidationError("must be on or after valid_from", "valid_until")


class AvailabilityWindowUpdateSchema(PartialSchema, AvailabilityWindowCreateSchema):
    """Checked against the stored values by the service too (valid_from <= valid_until)."""


class AvailabilityExceptionSchema(Schema):
    id = fields.Integer(dump_only=True)
    person_id = fields.Integer(dump_only=True)
    kind = fields.String(
        metadata={"description": "unavailable removes time; available adds an extra window"}
    )
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    note = fields.String(allow_none=True)


class AvailabilityExceptionCreateSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(EXCEPTION_KINDS),
        metadata={"description": "unavailable removes time; available adds an extra window"},
    )
    starts_at = Moment(required=True, metadata={"description": "ISO 8601 with offset"})
    ends_at = Moment(required=True, metadata={"description": "ISO 8601 with offset; > starts_at"})
    note = text(200, allow_none=True)

    @validates_schema
    def _order(self, data, **kwargs):
        start, end = data.get("starts_at"), data.get("ends_at")
        if start is not None and end is not None and end <= start:
            raise ValidationError("must be after starts_at", "ends_at")


class AvailabilityExceptionUpdateSchema(PartialSchema, AvailabilityExceptionCreateSchema):
    """Checked against the stored values by the service too (starts_at < ends_at)."""


class AvailabilityQueryArgsSchema(Schema):
    start = Moment(metadata={"description": "ISO 8601 with offset; default: now"})
    end = Moment(
        metadata={"description": "ISO 8601 with offset; default: start + 7 days; at most 62 days"}
    )


class AvailabilityIntervalSchema(Schema):
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()


class AvailabilitySchema(Schema):
    person_id = fields.Integer()
    timezone = fields.String()
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    intervals = fields.List(
        fields.Nested(AvailabilityIntervalSchema),
        metadata={"description": "Free intervals, merged and sorted, in the timezone"},
    )

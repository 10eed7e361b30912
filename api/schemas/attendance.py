"""Schemas of service records: check-in and check-out, the organization's record, reliability."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.fields import identifier
from api.smorest import Schema
from models.attendance import ATTENDANCE_OUTCOMES
from services.attendance import MAX_MINUTES, self_reported_minutes


class AttendanceRecordSchema(Schema):
    assignment_id = fields.Integer()
    person_id = fields.Integer()
    status = fields.String(attribute="assignment.status")
    checked_in_at = fields.AwareDateTime(allow_none=True)
    checked_out_at = fields.AwareDateTime(allow_none=True)
    self_reported_minutes = fields.Method("_self_reported", allow_none=True)
    outcome = fields.String(allow_none=True)
    minutes = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_at = fields.AwareDateTime(allow_none=True)
    recorded_by_user_id = fields.Integer(allow_none=True)

    def _self_reported(self, record):
        return self_reported_minutes(record)


class AttendanceCreateSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(ATTENDANCE_OUTCOMES))
    minutes = fields.Integer(
        allow_none=True,
        validate=validate.Range(0, MAX_MINUTES),
        metadata={
            "description": "Minutes served (completed only). Default: the person's own "
            "check-in to check-out, else the shift's length"
        },
    )
    note = fields.String(allow_none=True, validate=validate.Length(max=300))


class PendingRecordSchema(Schema):
    assignment_id = fields.Integer(attribute="assignment.id")
    person_id = fields.Integer(attribute="assignment.person_id")
    position_id = fields.Integer(attribute="assignment.position_id")
    shift_id = fields.Integer(attribute="assignment.shift_id")
    need_id = fields.Integer(attribute="assignment.shift.need_id")
    organization_id = fields.Integer(attribute="assignment.shift.need.organization_id")
    need_title = fields.String(attribute="assignment.shift.need.title")
    starts_at = fields.AwareDateTime(attribute="assignment.shift.starts_at")
    ends_at = fields.AwareDateTime(attribute="assignment.shift.ends_at")
    checked_in_at = fields.AwareDateTime(attribute="record.checked_in_at", allow_none=True)
    checked_out_at = fields.AwareDateTime(attribute="record.checked_out_at", allow_none=True)
    due_on = fields.Date(metadata={"description": "Last day (local) the record is on time"})
    overdue = fields.Boolean()


class PendingQueryArgsSchema(Schema):
    overdue = fields.Boolean(
        load_default=False, metadata={"description": "Only records past their due day"}
    )
    organization_id = identifier(strict=False)


class ReliabilitySchema(Schema):
    person_id = fields.Integer()
    no_shows = fields.Integer(metadata={"description": "Unexcused no-shows in 12 months"})
    limit = fields.Integer(metadata={"description": "No-shows after which matching pauses"})
    paused = fields.Boolean(metadata={"description": "Left out of automatic matching"})
    cleared_at = fields.AwareDateTime(allow_none=True)


class StarAwardSchema(Schema):
    person_id = fields.Integer()
    level = fields.Integer()
    minutes = fields.Integer()
    reached_at = fields.AwareDateTime()


class StarAwardQueryArgsSchema(Schema):
    since = fields.AwareDateTime(load_default=None, metadata={"description": "Reached from"})

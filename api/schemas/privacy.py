"""Schemas of personal-data export, consent and the audit log."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.fields import identifier, text
from api.smorest import Schema
from models.account import CONSENT_PURPOSES


class ConsentStateSchema(Schema):
    granted = fields.Boolean(required=True)
    recorded_at = fields.DateTime(allow_none=True)


class ConsentsSchema(Schema):
    share_contact_with_organizations = fields.Nested(ConsentStateSchema, required=True)
    precise_location = fields.Nested(ConsentStateSchema, required=True)


class ConsentChangeSchema(Schema):
    granted = fields.Boolean(required=True)


class PersonalDataSchema(Schema):
    """Everything held about a person; free-form sections, documented in docs/privacy.md."""

    profile = fields.Dict(required=True)
    account = fields.Dict(allow_none=True)
    skills = fields.List(fields.Dict(), required=True)
    availability = fields.Dict(required=True)
    assignments = fields.List(fields.Dict(), required=True)
    consents = fields.List(fields.Dict(), required=True)
    hours = fields.List(fields.Dict(), required=True)
    points = fields.Dict(required=True)


class MyAssignmentSchema(Schema):
    """A seat as its holder sees it: when, where and what, never who else."""

    id = fields.Integer()
    status = fields.String()
    position_id = fields.Integer()
    shift_id = fields.Integer()
    starts_at = fields.DateTime(attribute="shift.starts_at")
    ends_at = fields.DateTime(attribute="shift.ends_at")
    need_title = fields.String(attribute="shift.need.title")
    need_kind = fields.String(attribute="shift.need.kind")
    responded_at = fields.DateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)


class DeclineSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class ErasureSchema(Schema):
    person_id = fields.Integer(required=True)
    erased_at = fields.DateTime(required=True)


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_user_id = fields.Integer(allow_none=True)
    action = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    details = fields.Dict()


class AuditQueryArgsSchema(Schema):
    action = text(64)
    subject_type = text(32)
    subject_id = text(64)
    # Bounded like every id: a larger number would overflow PostgreSQL's integer (500).
    actor_user_id = identifier(strict=False)


PURPOSE_PARAM = validate.OneOf(CONSENT_PURPOSES)

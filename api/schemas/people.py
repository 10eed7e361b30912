"""Schemas of people and the skills they hold.

`PersonSchema` is the one output schema of a person: it still includes the phone number, so
restricting what each audience sees means changing this module only.
"""

from __future__ import annotations

from datetime import timedelta

from marshmallow import ValidationError, fields, missing, validate, validates_schema

from api.schemas.availability import Moment
from api.schemas.fields import MAX_ID, identifier, strict_int, text
from api.schemas.skills import skill_code
from api.smorest import PartialSchema, Schema
from models.need import NEED_KINDS
from models.person import PERSON_ROLES
from services.people import LANGUAGES
from services.recognition import star_level

ROLE_DESCRIPTION = "One of: " + ", ".join(PERSON_ROLES)
LANGUAGE_DESCRIPTION = "Language codes, among: " + "; ".join(
    f"{code} = {name}" for code, name in LANGUAGES.items()
)
KINDS_DESCRIPTION = "Need kinds, among: " + ", ".join(NEED_KINDS)
LEVEL = validate.Range(1, 5)
VERSION_OUT = "bumped by every change; also the ETag of GET and PATCH"
VERSION_IN = "optional: the version this change was made against (or If-Match); stale is 409"


class PersonSkillSummarySchema(Schema):
    code = fields.String(attribute="skill.code")
    level = fields.Integer()
    verified = fields.Function(lambda held: held.verified_at is not None)
    expires_on = fields.Date(allow_none=True)


def _stars(person):
    # The staff view is a dict of a few keys, re-dumped by this schema: no stars there.
    minutes = getattr(person, "recorded_minutes", missing)
    return missing if minutes is missing else star_level(minutes)


class PersonSchema(Schema):
    id = fields.Integer(dump_only=True)
    external_id = fields.String(allow_none=True)
    role = fields.String(metadata={"description": ROLE_DESCRIPTION})
    name = fields.String()
    phone = fields.String(allow_none=True)
    community_id = fields.Integer(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    languages = fields.List(fields.String(), metadata={"description": LANGUAGE_DESCRIPTION})
    max_travel_km = fields.Float(allow_none=True)
    max_minutes_per_week = fields.Integer(allow_none=True)
    max_shifts_per_day = fields.Integer(allow_none=True)
    background_checked = fields.Boolean()
    background_checked_on = fields.Date(allow_none=True)
    preferred_kinds = fields.List(fields.String(), metadata={"description": KINDS_DESCRIPTION})
    preferred_organization_ids = fields.List(fields.Integer())
    active = fields.Boolean()
    skills = fields.List(fields.Nested(PersonSkillSummarySchema), dump_only=True)
    recorded_minutes = fields.Integer(
        dump_only=True, metadata={"description": "Service minutes in the hours ledger"}
    )
    star_level = fields.Function(
        lambda person: _stars(person),
        dump_only=True,
        metadata={"description": "0-5 stars at 100, 300, 600, 1000, 1500 recorded hours"},
    )
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)
    version = fields.Integer(dump_only=True, metadata={"description": VERSION_OUT})


def _unique(values: list) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("list each value once")


class PersonCreateSchema(Schema):
    external_id = text(64, allow_none=True, metadata={"description": "Id in your own records"})
    role = fields.String(
        required=True,
        validate=validate.OneOf(PERSON_ROLES),
        metadata={"description": ROLE_DESCRIPTION},
    )
    name = text(120, required=True)
    phone = text(40, allow_none=True)
    community_id = identifier(allow_none=True, metadata={"description": "Must exist"})
    lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    languages = fields.List(
        fields.String(validate=validate.OneOf(list(LANGUAGES))),
        load_default=list,
        validate=_unique,
        metadata={"description": LANGUAGE_DESCRIPTION},
    )
    max_travel_km = fields.Float(allow_none=True, validate=validate.Range(0, 1000))
    max_minutes_per_week = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(0, 7 * 24 * 60)
    )
    max_shifts_per_day = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(0, 24)
    )
    background_checked = fields.Boolean(load_default=False)
    background_checked_on = fields.Date(allow_none=True)
    preferred_kinds = fields.List(
        fields.String(validate=validate.OneOf(NEED_KINDS)),
        load_default=list,
        validate=_unique,
        metadata={"description": KINDS_DESCRIPTION},
    )
    preferred_organization_ids = fields.List(
        identifier(),
        load_default=list,
        validate=[_unique, validate.Length(max=100)],
        metadata={"description": "Organizations the person prefers to serve with (must exist)"},
    )
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _location_pair(self, data, **kwargs):
        if ("lat" in data) != ("lon" in data) or (data.get("lat") is None) != (
            data.get("lon") is None
        ):
            missing = "lon" if data.get("lat") is not None else "lat"
            raise ValidationError("give lat and lon together", missing)


class PersonUpdateSchema(PartialSchema, PersonCreateSchema):
    """A change of lat or lon alone is checked against the stored other half by the service."""

    def _location_pair(self, data, **kwargs):  # replaces (and so disables) the create check
        return None

    languages = fields.List(
        fields.String(validate=validate.OneOf(list(LANGUAGES))), validate=_unique
    )
    background_checked = fields.Boolean()
    preferred_kinds = fields.List(
        fields.String(validate=validate.OneOf(NEED_KINDS)), validate=_unique
    )
    preferred_organization_ids = fields.List(
        identifier(), validate=[_unique, validate.Length(max=100)]
    )
    active = fields.Boolean()
    version = strict_int(validate=validate.Range(1, MAX_ID), metadata={"description": VERSION_IN})


class PersonQueryArgsSchema(Schema):
    community_id = identifier(strict=False)
    role = fields.String(validate=validate.OneOf(PERSON_ROLES))
    active = fields.Boolean()
    q = text(120, metadata={"description": "Part of the name, case-insensitive"})
    language = fields.String(
        validate=validate.OneOf(list(LANGUAGES)), metadata={"description": "Speaks this language"}
    )
    skill = skill_code(metadata={"description": "Holds this skill (code), not expired as of today"})
    min_level = fields.Integer(
        validate=LEVEL, metadata={"description": "With `skill`: held at this level or more"}
    )
    available_from = Moment(
        metadata={"description": "With available_to: free for the whole window (ISO, offset)"}
    )
    available_to = Moment(metadata={"description": "End of that window"})

    @validates_schema
    def _pairs(self, data, **kwargs):
        if "min_level" in data and "skill" not in data:
            raise ValidationError("give skill with min_level", "skill")
        start, end = data.get("available_from"), data.get("available_to")
        if (start is None) != (end is None):
            missing = "available_to" if end is None else "available_from"
            raise ValidationError("give available_from and available_to together", missing)
        if start is not None and end is not None:
            if end <= start:
                raise ValidationError("must be after available_from", "available_to")
            if end - start > timedelta(days=62):
                raise ValidationError("the window may span at most 62 days", "available_to")


class PersonSkillSchema(Schema):
    code = fields.String(attribute="skill.code")
    name_zh = fields.String(attribute="skill.name_zh")
    name_en = fields.String(attribute="skill.name_en")
    category = fields.String(attribute="skill.category")
    level = fields.Integer()
    verified_by = fields.String(allow_none=True)
    verified_at = fields.AwareDateTime(allow_none=True)
    expires_on = fields.Date(allow_none=True, metadata={"description": "Last day it counts"})


class PersonSkillCreateSchema(Schema):
    code = skill_code(required=True)
    level = fields.Integer(strict=True, required=True, validate=LEVEL)
    expires_on = fields.Date(allow_none=True, metadata={"description": "Last day it counts"})


class PersonSkillUpdateSchema(PartialSchema):
    level = fields.Integer(
        strict=True, validate=LEVEL, metadata={"description": "A new level clears verification"}
    )
    expires_on = fields.Date(allow_none=True)


class PersonSkillVerifySchema(Schema):
    verified_by = text(120, required=True, metadata={"description": "Who checked the skill"})


__all__ = ["MAX_ID"]


class PersonStaffViewSchema(Schema):
    """A person as organization staff see them: no location, phone only under consent."""

    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    phone = fields.String(
        allow_none=True,
        metadata={"description": "Only while the person consents to share it; else null"},
    )

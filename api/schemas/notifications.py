"""Schemas of notification contacts, preferences and the calendar feed."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.fields import no_nul, strict_bool
from api.smorest import Schema


class ContactSchema(Schema):
    """The e-mail address notifications go to; null removes it."""

    email = fields.Email(required=True, allow_none=True, validate=[validate.Length(3, 254), no_nul])


def _events_schema(name: str, *, required: bool) -> type[Schema]:
    # One boolean per event: true means "send me these" (the default), false opts out.
    return Schema.from_dict(
        {
            event: strict_bool(required=required)
            for event in ("offer", "reminder", "cancellation", "star")
        },
        name=name,
    )


ChannelPreferencesSchema = _events_schema("ChannelPreferences", required=True)
ChannelPreferencesUpdateSchema = _events_schema("ChannelPreferencesUpdate", required=False)


class NotificationPreferencesSchema(Schema):
    email = fields.Nested(ChannelPreferencesSchema, required=True)
    webhook = fields.Nested(ChannelPreferencesSchema, required=True)


class NotificationPreferencesUpdateSchema(Schema):
    """Only the channels and events named change."""

    email = fields.Nested(ChannelPreferencesUpdateSchema)
    webhook = fields.Nested(ChannelPreferencesUpdateSchema)


class CalendarFeedSchema(Schema):
    """The feed's secret URL: shown once; rotate to get a new one."""

    url = fields.Url(required=True)
    token = fields.String(required=True)

"""Schemas of sign-in, accounts and the caller's own account."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.people import PersonCreateSchema
from api.smorest import Schema
from models.account import USER_ROLES


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class ScopeSchema(Schema):
    community_id = fields.Integer(allow_none=True)
    street = fields.String(allow_none=True, validate=validate.Length(min=1, max=80))
    organization_id = fields.Integer(allow_none=True)

    @validates_schema
    def _exactly_one(self, data: dict, **_kwargs: object) -> None:
        if (
            sum(data.get(key) is not None for key in ("community_id", "street", "organization_id"))
            != 1
        ):
            raise ValidationError("give exactly one of community_id, street, organization_id")


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    person_id = fields.Integer(dump_only=True, allow_none=True)
    scopes = fields.List(fields.Nested(ScopeSchema), dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
    user = fields.Nested(UserSchema, required=True)


class UserCreateSchema(Schema):
    username = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{3,80}$", error="3-80 letters, digits, _.@-"),
    )
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(USER_ROLES))
    person_id = fields.Integer(allow_none=True)
    scopes = fields.List(fields.Nested(ScopeSchema), load_default=list)


class RoleChangeSchema(Schema):
    role = fields.String(
        required=True, validate=validate.OneOf(("admin", "coordinator", "org_staff"))
    )


class PasswordChangeSchema(Schema):
    old_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class PersonRegistrationSchema(PersonCreateSchema):
    """What a person may say about themself when registering: no checks, status or ids."""

    class Meta(PersonCreateSchema.Meta):
        exclude = ("external_id", "background_checked", "background_checked_on", "active")


class RegistrationSchema(Schema):
    username = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{3,80}$", error="3-80 letters, digits, _.@-"),
    )
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))
    person = fields.Nested(
        PersonRegistrationSchema,
        required=True,
        metadata={"description": "The registering person's profile (checked by a coordinator)"},
    )

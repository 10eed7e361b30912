"""Schemas of the skill catalogue."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.fields import text
from api.smorest import PartialSchema, Schema

CODE_PATTERN = r"^[a-z0-9_]{2,64}$"
CODE_DESCRIPTION = "Stable code: 2-64 characters of a-z, 0-9 and _"


def skill_code(**kwargs) -> fields.String:
    kwargs.setdefault("metadata", {"description": CODE_DESCRIPTION})
    return fields.String(
        validate=validate.Regexp(CODE_PATTERN, error="use 2-64 characters of a-z, 0-9 and _"),
        **kwargs,
    )


class SkillSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(metadata={"description": CODE_DESCRIPTION})
    name_zh = fields.String(metadata={"description": "Name in Simplified Chinese"})
    name_en = fields.String(metadata={"description": "Name in English"})
    category = fields.String()


class SkillCreateSchema(Schema):
    code = skill_code(required=True)
    name_zh = text(120, required=True)
    name_en = text(120, required=True)
    category = text(64, load_default="general")


class SkillUpdateSchema(PartialSchema, SkillCreateSchema):
    category = text(64)


class SkillQueryArgsSchema(Schema):
    category = text(64)
    q = text(120, metadata={"description": "Part of the code or of either name"})

"""Schemas of matching runs, their review, and coordinators' overrides."""

from __future__ import annotations

from marshmallow import fields, validate

from api.smorest import Schema
from models.matching_run import RUN_KINDS, RUN_STATUSES


class RunCreateSchema(Schema):
    scope = fields.String(
        required=True,
        validate=validate.Length(max=120),
        metadata={"description": '"all", "community:<id>" or "street:<name>"'},
    )
    week = fields.String(
        required=True, validate=validate.Length(max=8), metadata={"example": "2026-W49"}
    )
    weights = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        load_default=dict,
        metadata={"description": "objective weights overriding the defaults"},
    )
    time_limit_s = fields.Float(load_default=30.0, validate=validate.Range(min=1, max=600))
    kind = fields.String(load_default="weekly", validate=validate.OneOf(RUN_KINDS))


class RunSchema(Schema):
    id = fields.Integer()
    scope = fields.String()
    week = fields.String()
    kind = fields.String()
    status = fields.String()
    source = fields.String()
    weights = fields.Dict()
    time_limit_s = fields.Float()
    error = fields.String(allow_none=True)
    stats = fields.Method("_stats", allow_none=True)
    created_by_user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)

    def _stats(self, run) -> dict | None:
        return run.solution["stats"] if run.solution else None


class RunQueryArgsSchema(Schema):
    scope = fields.String(validate=validate.Length(max=120))
    week = fields.String(validate=validate.Length(max=8))
    status = fields.String(validate=validate.OneOf(RUN_STATUSES))


class ReviewSchema(Schema):
    run_id = fields.Integer()
    status = fields.String()
    by_priority = fields.List(fields.Dict())
    priority_weighted_fill = fields.Float()
    unfilled = fields.List(fields.Dict())
    fairness = fields.Dict()
    objective = fields.Dict()
    stats = fields.Dict()
    changes = fields.Dict()


class OverrideCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("pin", "forbid")))
    person_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    position_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    shift_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    note = fields.String(validate=validate.Length(max=200))


class OverrideSchema(OverrideCreateSchema):
    id = fields.Integer()
    created_at = fields.DateTime()
    created_by_user_id = fields.Integer(allow_none=True)

"""Schemas of the hours and points ledgers: statements, redemptions, corrections."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from api.schemas.attendance import StarAwardSchema
from api.schemas.fields import strict_int, text
from api.smorest import Schema
from services.ledger import REASON_MAX

# One write moves at most this many points (far above any real redemption), and a corrected
# assignment serves at most a week: bounds that keep every value inside a 32-bit column.
MAX_POINTS = 1_000_000
MAX_MINUTES = 7 * 24 * 60
IDEMPOTENCY_KEY_MAX = 128


def _not_zero(value: int) -> None:
    if value == 0:
        raise ValidationError("must not be 0")


class PointsEntrySchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "earn, redeem, adjust or correction"})
    points = fields.Integer(metadata={"description": "signed: a redemption is negative"})
    reason = fields.String(allow_none=True)
    assignment_id = fields.Integer(allow_none=True)
    reverses_entry_id = fields.Integer(allow_none=True)
    actor_user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(format="iso")


class HoursEntrySchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "service or correction"})
    minutes = fields.Integer(metadata={"description": "signed: a correction may be negative"})
    reason = fields.String(allow_none=True)
    assignment_id = fields.Integer(allow_none=True)
    corrects_entry_id = fields.Integer(allow_none=True)
    actor_user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(format="iso")


class PointsStatementSchema(Schema):
    balance = fields.Integer()
    entries = fields.List(
        fields.Nested(PointsEntrySchema), metadata={"description": "newest first"}
    )


class HoursStatementSchema(Schema):
    minutes = fields.Integer(metadata={"description": "cumulative recorded minutes"})
    star_level = fields.Integer(metadata={"description": "0 to 5, from the recorded hours"})
    star_awards = fields.List(fields.Nested(StarAwardSchema))
    entries = fields.List(fields.Nested(HoursEntrySchema), metadata={"description": "newest first"})


class PointsChangeSchema(Schema):
    entry = fields.Nested(PointsEntrySchema)
    balance = fields.Integer(metadata={"description": "the balance after this write"})


class IdempotencyHeaderSchema(Schema):
    idempotency_key = text(
        IDEMPOTENCY_KEY_MAX,
        data_key="Idempotency-Key",
        required=True,
        metadata={
            "description": "a key of yours for this write: a retry with it is answered "
            "with the first response, never done twice"
        },
    )


class RedemptionCreateSchema(Schema):
    points = strict_int(required=True, validate=validate.Range(1, MAX_POINTS))
    reason = text(REASON_MAX, load_default=None, allow_none=True)


class AdjustmentCreateSchema(Schema):
    points = strict_int(
        required=True,
        validate=[validate.Range(-MAX_POINTS, MAX_POINTS), _not_zero],
        metadata={"description": "positive to credit, negative to debit"},
    )
    reason = text(REASON_MAX, required=True)


class ReversalCreateSchema(Schema):
    reason = text(REASON_MAX, required=True)


class HoursCorrectionCreateSchema(Schema):
    minutes = strict_int(
        required=True,
        validate=validate.Range(0, MAX_MINUTES),
        metadata={"description": "the assignment's corrected total of served minutes"},
    )
    reason = text(REASON_MAX, required=True)


class HoursCorrectionSchema(Schema):
    hours_entry = fields.Nested(HoursEntrySchema)
    points_entry = fields.Nested(
        PointsEntrySchema,
        allow_none=True,
        metadata={"description": "null when the points do not change"},
    )
    shortfall = fields.Integer(
        metadata={"description": "points already spent that could not be taken back"}
    )
    minutes = fields.Integer(metadata={"description": "the assignment's served minutes now"})
    balance = fields.Integer()

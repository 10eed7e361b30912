"""Service hours and incentive points: statements, redemptions, adjustments, corrections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify
from flask.views import MethodView

from api.auth import caller_reach, current_user, requires
from api.schemas.ledger import (
    AdjustmentCreateSchema,
    HoursCorrectionCreateSchema,
    HoursCorrectionSchema,
    HoursStatementSchema,
    IdempotencyHeaderSchema,
    PointsChangeSchema,
    PointsStatementSchema,
    RedemptionCreateSchema,
    ReversalCreateSchema,
)
from api.smorest import Blueprint, paginated
from models import PointsEntry, db
from services import access, ledger

blp = Blueprint(
    "ledger",
    __name__,
    url_prefix="",
    description="Service hours (the legal record), incentive points and star levels; "
    "/me/points and /me/hours are the signed-in person's own",
)

STAFF = ("admin", "coordinator")
ATTENDANCE = ("admin", "coordinator", "org_staff")


def _points_statement(person_id: int, pagination_parameters: Any) -> dict[str, Any]:
    entries = paginated(
        pagination_parameters, ledger.list_points_entries, session=db.session, person_id=person_id
    )
    return {"balance": ledger.balance(session=db.session, person_id=person_id), "entries": entries}


def _hours_statement(person_id: int, pagination_parameters: Any) -> dict[str, Any]:
    entries = paginated(
        pagination_parameters, ledger.list_hours_entries, session=db.session, person_id=person_id
    )
    return {**ledger.hours_summary(session=db.session, person_id=person_id), "entries": entries}


def _points_change(
    person_id: int, key: str, body: dict[str, Any], write: Callable[[], PointsEntry]
) -> Any:
    """Run `write` once per Idempotency-Key of the caller; a replay gets the first answer."""

    def action() -> tuple[int, dict[str, Any]]:
        entry = write()
        balance = ledger.balance(session=db.session, person_id=person_id)
        return 201, PointsChangeSchema().dump({"entry": entry, "balance": balance})

    status, response = ledger.idempotent(
        session=db.session,
        caller=f"user:{current_user().id}",
        key=key,
        body={"person_id": person_id, **body},
        action=action,
    )
    # Already dumped (and stored so): sent as is, not through the response schema again.
    return jsonify(response), status


@blp.route("/people/<int:person_id>/points")
class PersonPoints(MethodView):
    @requires(*STAFF)
    @blp.response(200, PointsStatementSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.paginate()
    def get(self, person_id, pagination_parameters):
        """A person's points balance and entries, newest first."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return _points_statement(person_id, pagination_parameters)


@blp.route("/people/<int:person_id>/hours")
class PersonHours(MethodView):
    @requires(*STAFF)
    @blp.response(200, HoursStatementSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.paginate()
    def get(self, person_id, pagination_parameters):
        """A person's recorded minutes, star level, star awards and hours entries."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return _hours_statement(person_id, pagination_parameters)


@blp.route("/people/<int:person_id>/points/redemptions")
class Redemptions(MethodView):
    @requires(*STAFF)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(RedemptionCreateSchema)
    @blp.response(201, PointsChangeSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, headers, data, person_id):
        """Spend points (never below 0); an Idempotency-Key makes a retry safe."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return _points_change(
            person_id,
            headers["idempotency_key"],
            {"redemption": data},
            lambda: ledger.record_redemption(
                session=db.session, person_id=person_id, actor=current_user(), **data
            ),
        )


@blp.route("/people/<int:person_id>/points/adjustments")
class Adjustments(MethodView):
    @requires(*STAFF)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(AdjustmentCreateSchema)
    @blp.response(201, PointsChangeSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, headers, data, person_id):
        """Credit or debit points by hand, with a reason (audited); Idempotency-Key required."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return _points_change(
            person_id,
            headers["idempotency_key"],
            {"adjustment": data},
            lambda: ledger.record_adjustment(
                session=db.session, person_id=person_id, actor=current_user(), **data
            ),
        )


@blp.route("/points-entries/<int:entry_id>/reversal")
class Reversal(MethodView):
    @requires(*STAFF)
    @blp.arguments(ReversalCreateSchema)
    @blp.response(201, PointsChangeSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, entry_id):
        """Reverse a redemption or adjustment once (earned points follow hours corrections)."""
        original = ledger.get_points_entry(session=db.session, entry_id=entry_id)
        access.check_person(session=db.session, reach=caller_reach(), person_id=original.person_id)
        entry = ledger.correct_points(
            session=db.session, entry_id=entry_id, actor=current_user(), **data
        )
        return {
            "entry": entry,
            "balance": ledger.balance(session=db.session, person_id=entry.person_id),
        }


@blp.route("/assignments/<int:assignment_id>/hours-correction")
class AssignmentHoursCorrection(MethodView):
    @requires(*ATTENDANCE)
    @blp.arguments(HoursCorrectionCreateSchema)
    @blp.response(201, HoursCorrectionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, assignment_id):
        """Set the served minutes of a credited assignment; its points follow (what was already
        spent is not taken back: see `shortfall`)."""
        access.check_assignment(
            session=db.session, reach=caller_reach(), assignment_id=assignment_id
        )
        return ledger.correct_hours(
            session=db.session, assignment_id=assignment_id, actor=current_user(), **data
        )


def _my_person_id() -> int:
    # An account of role person always names its person (services.auth refuses it otherwise).
    return current_user().person_id


@blp.route("/me/points")
class MyPoints(MethodView):
    @requires("person")
    @blp.response(200, PointsStatementSchema)
    @blp.paginate()
    def get(self, pagination_parameters):
        """My points balance and entries, newest first."""
        return _points_statement(_my_person_id(), pagination_parameters)


@blp.route("/me/hours")
class MyHours(MethodView):
    @requires("person")
    @blp.response(200, HoursStatementSchema)
    @blp.paginate()
    def get(self, pagination_parameters):
        """My recorded hours, star level and the moments I reached each star."""
        return _hours_statement(_my_person_id(), pagination_parameters)

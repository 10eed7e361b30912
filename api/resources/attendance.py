"""Service records: the organization records each past assignment; what is pending or overdue."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from api.auth import caller_reach, current_user, requires
from api.config import work_calendar
from api.schemas.attendance import (
    AttendanceCreateSchema,
    AttendanceRecordSchema,
    PendingQueryArgsSchema,
    PendingRecordSchema,
    ReliabilitySchema,
    StarAwardQueryArgsSchema,
    StarAwardSchema,
)
from api.smorest import Blueprint
from models import db
from services import access, attendance, recognition, reliability
from services.people import get_person

blp = Blueprint(
    "attendance",
    __name__,
    url_prefix="",
    description="Service records (completed, no_show, excused), overdue records, reliability",
)

RECORDERS = ("admin", "coordinator", "org_staff")
COORDINATORS = ("admin", "coordinator")


@blp.route("/assignments/<int:assignment_id>/attendance")
class AssignmentAttendance(MethodView):
    @requires(*RECORDERS)
    @blp.response(200, AttendanceRecordSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, assignment_id):
        """The assignment's service record: the person's own check-in/out and the outcome."""
        access.check_assignment(
            session=db.session, reach=caller_reach(), assignment_id=assignment_id
        )
        return attendance.get_record(session=db.session, assignment_id=assignment_id)

    @requires(*RECORDERS)
    @blp.arguments(AttendanceCreateSchema)
    @blp.response(200, AttendanceRecordSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, assignment_id):
        """Record a past shift's assignment: completed (credits hours and points once),
        no_show or excused. Recording the same outcome again changes nothing."""
        access.check_assignment(
            session=db.session, reach=caller_reach(), assignment_id=assignment_id
        )
        return attendance.record_outcome(
            session=db.session, assignment_id=assignment_id, actor=current_user(), **data
        )


@blp.route("/attendance/pending")
class PendingRecords(MethodView):
    @requires(*RECORDERS)
    @blp.arguments(PendingQueryArgsSchema, location="query")
    @blp.response(200, PendingRecordSchema(many=True))
    def get(self, args):
        """Confirmed seats on ended shifts with no record yet, oldest first; `overdue` when
        not recorded within the configured working days (default 10) after the shift."""
        config = current_app.config
        return attendance.pending_records(
            session=db.session,
            reach=caller_reach(),
            calendar=work_calendar(config),
            timezone=config["LINKAGE_TIMEZONE"],
            working_days=config["LINKAGE_RECORD_DUE_WORKING_DAYS"],
            overdue_only=args["overdue"],
            organization_id=args.get("organization_id"),
        )


def _reliability(person_id: int):
    person = get_person(session=db.session, person_id=person_id)
    found = reliability.reliability_of(
        session=db.session, person=person, limit=current_app.config["LINKAGE_NO_SHOW_LIMIT"]
    )
    return {
        "person_id": person.id,
        "no_shows": found.no_shows,
        "limit": found.limit,
        "paused": found.paused,
        "cleared_at": found.cleared_at,
    }


@blp.route("/people/<int:person_id>/reliability")
class PersonReliability(MethodView):
    @requires(*COORDINATORS)
    @blp.response(200, ReliabilitySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, person_id):
        """Unexcused no-shows in the last 12 months and whether matching leaves the person out
        (coordinators only)."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return _reliability(person_id)


@blp.route("/people/<int:person_id>/reliability/clear")
class ClearReliability(MethodView):
    @requires(*COORDINATORS)
    @blp.response(200, ReliabilitySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, person_id):
        """Clear the record: earlier no-shows stop counting and matching includes the person."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        reliability.clear(session=db.session, person_id=person_id, actor=current_user())
        return _reliability(person_id)


@blp.route("/star-awards")
class StarAwards(MethodView):
    @requires(*COORDINATORS)
    @blp.arguments(StarAwardQueryArgsSchema, location="query")
    @blp.response(200, StarAwardSchema(many=True))
    def get(self, args):
        """Star levels reached by people in reach, newest first."""
        return recognition.recent_awards(
            session=db.session, reach=caller_reach(), since=args["since"]
        )

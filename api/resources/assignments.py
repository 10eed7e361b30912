"""Assignments: manual placement of people on positions and their status changes."""

from __future__ import annotations

from flask.views import MethodView

from api.auth import caller_reach, current_user, requires
from api.schemas.assignments import (
    AssignmentCreateSchema,
    AssignmentQueryArgsSchema,
    AssignmentSchema,
    AssignmentUpdateSchema,
)
from api.smorest import Blueprint, paginated
from models import db
from services import access
from services import assignments as assignments_service

blp = Blueprint(
    "assignments",
    __name__,
    url_prefix="/assignments",
    description="People on positions: proposed, offered, confirmed, declined, cancelled, "
    "completed, no_show",
)

STAFF = ("admin", "coordinator", "org_staff")


class _WithoutReason:
    """An assignment as organization staff see it: why someone declined stays between the
    person and the coordinators."""

    def __init__(self, assignment):
        self._assignment = assignment

    def __getattr__(self, name):
        return None if name == "decline_reason" else getattr(self._assignment, name)


def _for_caller(assignment):
    return _WithoutReason(assignment) if caller_reach().role == "org_staff" else assignment


# Who puts people on seats or removes seats: organization staff only record attendance.
PLANNERS = ("admin", "coordinator")


@blp.route("")
class Assignments(MethodView):
    @requires(*STAFF)
    @blp.arguments(AssignmentQueryArgsSchema, location="query")
    @blp.response(200, AssignmentSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List assignments."""
        items = paginated(
            pagination_parameters,
            assignments_service.list_assignments,
            session=db.session,
            filters=filters,
            reach=caller_reach(),
        )
        return [_for_caller(a) for a in items]

    @requires(*PLANNERS)
    @blp.arguments(AssignmentCreateSchema)
    @blp.response(201, AssignmentSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Assign a person to a position by hand (double-booking and capacity checked)."""
        access.check_new_assignment(
            session=db.session,
            reach=caller_reach(),
            person_id=data["person_id"],
            position_id=data["position_id"],
        )
        return assignments_service.create_assignment(session=db.session, **data)


@blp.route("/<int:assignment_id>")
class AssignmentById(MethodView):
    @requires(*STAFF)
    @blp.response(200, AssignmentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, assignment_id):
        """Get an assignment."""
        access.check_assignment(
            session=db.session, reach=caller_reach(), assignment_id=assignment_id
        )
        return _for_caller(
            assignments_service.get_assignment(session=db.session, assignment_id=assignment_id)
        )

    @requires(*STAFF)
    @blp.arguments(AssignmentUpdateSchema)
    @blp.response(200, AssignmentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, assignment_id):
        """Change status (along the allowed transitions), pinned or decline_reason."""
        reach = caller_reach()
        access.check_assignment(session=db.session, reach=reach, assignment_id=assignment_id)
        access.check_assignment_change(reach=reach, changes=changes)
        return _for_caller(
            assignments_service.update_assignment(
                session=db.session,
                assignment_id=assignment_id,
                changes=changes,
                actor=current_user(),
            )
        )

    @requires(*PLANNERS)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, assignment_id):
        """Delete a mistaken assignment (completed ones are kept as service records)."""
        access.check_assignment(
            session=db.session, reach=caller_reach(), assignment_id=assignment_id
        )
        assignments_service.delete_assignment(session=db.session, assignment_id=assignment_id)

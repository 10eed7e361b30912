"""The signed-in person's own data: export, erasure and consents."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from api.auth import current_user, requires
from api.schemas.attendance import AttendanceRecordSchema
from api.schemas.privacy import (
    ConsentChangeSchema,
    ConsentsSchema,
    DeclineSchema,
    MyAssignmentSchema,
    PersonalDataSchema,
)
from api.smorest import Blueprint
from models import db
from models.account import CONSENT_PURPOSES
from services import attendance, offers, personal_data

blp = Blueprint("me", __name__, url_prefix="/me", description="My own personal data")


def _my_person_id() -> int:
    return current_user().person_id


@blp.route("")
class Me(MethodView):
    @requires("person")
    @blp.response(204)
    def delete(self):
        """Erase my personal data; my service-hour records stay under a pseudonym."""
        personal_data.erase_person(
            session=db.session, person_id=_my_person_id(), actor=current_user()
        )


@blp.route("/export")
class MyExport(MethodView):
    @requires("person")
    @blp.response(200, PersonalDataSchema)
    def get(self):
        """All the data Linkage holds about me, as JSON."""
        return personal_data.export_person_data(
            session=db.session, person_id=_my_person_id(), actor=current_user()
        )


@blp.route("/consents")
class MyConsents(MethodView):
    @requires("person")
    @blp.response(200, ConsentsSchema)
    def get(self):
        """The consents I have given or withdrawn, per purpose."""
        return personal_data.current_consents(session=db.session, person_id=_my_person_id())


@blp.route("/consents/<string:purpose>")
class MyConsent(MethodView):
    @requires("person")
    @blp.arguments(ConsentChangeSchema)
    @blp.response(200, ConsentsSchema)
    def put(self, change, purpose):
        """Grant or withdraw consent for one purpose."""
        if purpose not in CONSENT_PURPOSES:
            abort(404, message=f"no consent purpose {purpose!r}")
        personal_data.record_consent(
            session=db.session,
            person_id=_my_person_id(),
            purpose=purpose,
            granted=change["granted"],
            actor=current_user(),
        )
        return personal_data.current_consents(session=db.session, person_id=_my_person_id())


@blp.route("/assignments")
class MyAssignments(MethodView):
    @requires("person")
    @blp.response(200, MyAssignmentSchema(many=True))
    def get(self):
        """My shifts: offers to answer, confirmed seats, and past service."""
        return offers.my_assignments(session=db.session, person_id=_my_person_id())


@blp.route("/assignments/<int:assignment_id>/accept")
class AcceptOffer(MethodView):
    @requires("person")
    @blp.response(200, MyAssignmentSchema)
    def post(self, assignment_id):
        """Accept an offer: the seat is confirmed and kept by every later run."""
        return offers.respond(
            session=db.session,
            assignment_id=assignment_id,
            person_id=_my_person_id(),
            accept=True,
        )


@blp.route("/assignments/<int:assignment_id>/decline")
class DeclineOffer(MethodView):
    @requires("person")
    @blp.arguments(DeclineSchema)
    @blp.response(200, MyAssignmentSchema)
    def post(self, answer, assignment_id):
        """Decline an offer (a reason is optional); later runs will not offer that shift again."""
        return offers.respond(
            session=db.session,
            assignment_id=assignment_id,
            person_id=_my_person_id(),
            accept=False,
            reason=answer["reason"],
        )


@blp.route("/assignments/<int:assignment_id>/check-in")
class CheckIn(MethodView):
    @requires("person")
    @blp.response(200, AttendanceRecordSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, assignment_id):
        """I arrived (from 2 hours before the shift until it ends); again keeps the first time."""
        return attendance.check_in(
            session=db.session, assignment_id=assignment_id, person_id=_my_person_id()
        )


@blp.route("/assignments/<int:assignment_id>/check-out")
class CheckOut(MethodView):
    @requires("person")
    @blp.response(200, AttendanceRecordSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, assignment_id):
        """I left; the organization approves these minutes or corrects them."""
        return attendance.check_out(
            session=db.session, assignment_id=assignment_id, person_id=_my_person_id()
        )

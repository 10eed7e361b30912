"""A person's weekly availability windows, dated exceptions, and their expansion."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

from api.auth import caller_reach, requires
from api.schemas.availability import (
    AvailabilityExceptionCreateSchema,
    AvailabilityExceptionSchema,
    AvailabilityExceptionUpdateSchema,
    AvailabilityQueryArgsSchema,
    AvailabilitySchema,
    AvailabilityWindowCreateSchema,
    AvailabilityWindowSchema,
    AvailabilityWindowUpdateSchema,
)
from api.smorest import Blueprint
from models import db
from services import access
from services import person_availability as service

blp = Blueprint(
    "availability",
    __name__,
    url_prefix="/people",
    description="Weekly windows and dated exceptions of a person's availability",
)

BASE = "/<int:person_id>/availability"
# Coordinators in their communities, and a person for themself.
KEEPERS = ("admin", "coordinator", "person")


@blp.route(BASE)
class Availability(MethodView):
    @requires(*KEEPERS)
    @blp.arguments(AvailabilityQueryArgsSchema, location="query")
    @blp.response(200, AvailabilitySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, args, person_id):
        """Expand a person's availability into free intervals (default: the coming 7 days)."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return service.expanded_availability(
            session=db.session,
            person_id=person_id,
            start=args.get("start"),
            end=args.get("end"),
            timezone=current_app.config["LINKAGE_TIMEZONE"],
        )


@blp.route(BASE + "/windows")
class Windows(MethodView):
    @requires(*KEEPERS)
    @blp.response(200, AvailabilityWindowSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, person_id):
        """List a person's weekly windows."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return service.list_windows(session=db.session, person_id=person_id)

    @requires(*KEEPERS)
    @blp.arguments(AvailabilityWindowCreateSchema)
    @blp.response(201, AvailabilityWindowSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def post(self, data, person_id):
        """Add a weekly window (an end at or before the start runs past midnight)."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return service.create_window(session=db.session, person_id=person_id, data=data)


@blp.route(BASE + "/windows/<int:window_id>")
class WindowById(MethodView):
    @requires(*KEEPERS)
    @blp.response(200, AvailabilityWindowSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or window")
    def get(self, person_id, window_id):
        """Get one weekly window."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return service.get_window(session=db.session, person_id=person_id, window_id=window_id)

    @requires(*KEEPERS)
    @blp.arguments(AvailabilityWindowUpdateSchema)
    @blp.response(200, AvailabilityWindowSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or window")
    def patch(self, data, person_id, window_id):
        """Change some fields of a weekly window."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return service.update_window(
            session=db.session, person_id=person_id, window_id=window_id, data=data
        )

    @requires(*KEEPERS)
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or window")
    def delete(self, person_id, window_id):
        """Delete a weekly window."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        service.delete_window(session=db.session, person_id=person_id, window_id=window_id)


@blp.route(BASE + "/exceptions")
class Exceptions(MethodView):
    @requires(*KEEPERS)
    @blp.response(200, AvailabilityExceptionSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, person_id):
        """List a person's dated exceptions."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return service.list_exceptions(session=db.session, person_id=person_id)

    @requires(*KEEPERS)
    @blp.arguments(AvailabilityExceptionCreateSchema)
    @blp.response(201, AvailabilityExceptionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def post(self, data, person_id):
        """Add a dated exception: time off (unavailable) or extra time (available)."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return service.create_exception(session=db.session, person_id=person_id, data=data)


@blp.route(BASE + "/exceptions/<int:exception_id>")
class ExceptionById(MethodView):
    @requires(*KEEPERS)
    @blp.response(200, AvailabilityExceptionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or exception")
    def get(self, person_id, exception_id):
        """Get one dated exception."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return service.get_exception(
            session=db.session, person_id=person_id, exception_id=exception_id
        )

    @requires(*KEEPERS)
    @blp.arguments(AvailabilityExceptionUpdateSchema)
    @blp.response(200, AvailabilityExceptionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or exception")
    def patch(self, data, person_id, exception_id):
        """Change some fields of a dated exception."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return service.update_exception(
            session=db.session, person_id=person_id, exception_id=exception_id, data=data
        )

    @requires(*KEEPERS)
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or exception")
    def delete(self, person_id, exception_id):
        """Delete a dated exception."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        service.delete_exception(session=db.session, person_id=person_id, exception_id=exception_id)

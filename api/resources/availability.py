"""A person's weekly availability windows, dated exceptions, and their expansion."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

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
from services import person_availability as service

blp = Blueprint(
    "availability",
    __name__,
    url_prefix="/people",
    description="Weekly windows and dated exceptions of a person's availability",
)

BASE = "/<int:person_id>/availability"


@blp.route(BASE)
class Availability(MethodView):
    @blp.arguments(AvailabilityQueryArgsSchema, location="query")
    @blp.response(200, AvailabilitySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, args, person_id):
        """Expand a person's availability into free intervals (default: the coming 7 days)."""
        return service.expanded_availability(
            session=db.session,
            person_id=person_id,
            start=args.get("start"),
            end=args.get("end"),
            timezone=current_app.config["LINKAGE_TIMEZONE"],
        )


@blp.route(BASE + "/windows")
class Windows(MethodView):
    @blp.response(200, AvailabilityWindowSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, person_id):
        """List a person's weekly windows."""
        return service.list_windows(session=db.session, person_id=person_id)

    @blp.arguments(AvailabilityWindowCreateSchema)
    @blp.response(201, AvailabilityWindowSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def post(self, data, person_id):
        """Add a weekly window (an end at or before the start runs past midnight)."""
        return service.create_window(session=db.session, person_id=person_id, data=data)


@blp.route(BASE + "/windows/<int:window_id>")
class WindowById(MethodView):
    @blp.response(200, AvailabilityWindowSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or window")
    def get(self, person_id, window_id):
        """Get one weekly window."""
        return service.get_window(session=db.session, person_id=person_id, window_id=window_id)

    @blp.arguments(AvailabilityWindowUpdateSchema)
    @blp.response(200, AvailabilityWindowSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or window")
    def patch(self, data, person_id, window_id):
        """Change some fields of a weekly window."""
        return service.update_window(
            session=db.session, person_id=person_id, window_id=window_id, data=data
        )

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or window")
    def delete(self, person_id, window_id):
        """Delete a weekly window."""
        service.delete_window(session=db.session, person_id=person_id, window_id=window_id)


@blp.route(BASE + "/exceptions")
class Exceptions(MethodView):
    @blp.response(200, AvailabilityExceptionSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, person_id):
        """List a person's dated exceptions."""
        return service.list_exceptions(session=db.session, person_id=person_id)

    @blp.arguments(AvailabilityExceptionCreateSchema)
    @blp.response(201, AvailabilityExceptionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def post(self, data, person_id):
        """Add a dated exception: time off (unavailable) or extra time (available)."""
        return service.create_exception(session=db.session, person_id=person_id, data=data)


@blp.route(BASE + "/exceptions/<int:exception_id>")
class ExceptionById(MethodView):
    @blp.response(200, AvailabilityExceptionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or exception")
    def get(self, person_id, exception_id):
        """Get one dated exception."""
        return service.get_exception(
            session=db.session, person_id=person_id, exception_id=exception_id
        )

    @blp.arguments(AvailabilityExceptionUpdateSchema)
    @blp.response(200, AvailabilityExceptionSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or exception")
    def patch(self, data, person_id, exception_id):
        """Change some fields of a dated exception."""
        return service.update_exception(
            session=db.session, person_id=person_id, exception_id=exception_id, data=data
        )

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or exception")
    def delete(self, person_id, exception_id):
        """Delete a dated exception."""
        service.delete_exception(session=db.session, person_id=person_id, exception_id=exception_id)

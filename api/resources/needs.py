"""Needs: CRUD, their shifts, template positions and shift generation from a recurrence."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from api.auth import caller_reach, requires
from api.schemas.needs import (
    NeedCreatedSchema,
    NeedCreateSchema,
    NeedQueryArgsSchema,
    NeedSchema,
    NeedUpdateSchema,
)
from api.schemas.positions import PositionCreateSchema, PositionSchema
from api.schemas.shifts import HorizonSchema, ShiftCreateSchema, ShiftQueryArgsSchema, ShiftSchema
from api.smorest import Blueprint, paginated
from api.versioning import etag, expected_version
from models import db
from services import access
from services import needs as needs_service
from services import positions as positions_service
from services import shifts as shifts_service

blp = Blueprint(
    "needs",
    __name__,
    url_prefix="/needs",
    description="Needs posted by organizations: one-off shifts or a recurrence",
)


def _timezone() -> str:
    return current_app.config["LINKAGE_TIMEZONE"]


STAFF = ("admin", "coordinator", "org_staff")


@blp.route("")
class Needs(MethodView):
    @requires(*STAFF)
    @blp.arguments(NeedQueryArgsSchema, location="query")
    @blp.response(200, NeedSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List needs."""
        return paginated(
            pagination_parameters,
            needs_service.list_needs,
            session=db.session,
            filters=filters,
            reach=caller_reach(),
        )

    @requires(*STAFF)
    @blp.arguments(NeedCreateSchema)
    @blp.response(201, NeedCreatedSchema)
    def post(self, data):
        """Create a need with one-off shifts or a recurrence (in the caller's reach)."""
        access.check_new_need(reach=caller_reach(), data=data)
        return needs_service.create_need(session=db.session, data=data, timezone=_timezone())


@blp.route("/<int:need_id>")
class NeedById(MethodView):
    @requires(*STAFF)
    @blp.response(200, NeedSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, need_id):
        """Get a need."""
        access.check_need(session=db.session, reach=caller_reach(), need_id=need_id)
        need = needs_service.get_need(session=db.session, need_id=need_id)
        return need, etag(need)

    @requires(*STAFF)
    @blp.arguments(NeedUpdateSchema)
    @blp.response(200, NeedSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, need_id):
        """Change a need (If-Match or `version`: only if it is still that version)."""
        reach = caller_reach()
        access.check_need(session=db.session, reach=reach, need_id=need_id)
        version = expected_version(changes)
        access.check_need_change(reach=reach, changes=changes)
        need = needs_service.update_need(
            session=db.session,
            need_id=need_id,
            changes=changes,
            timezone=_timezone(),
            expected_version=version,
        )
        return need, etag(need)

    @requires(*STAFF)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, need_id):
        """Delete a need with its shifts (refused once someone has served on it)."""
        access.check_need(session=db.session, reach=caller_reach(), need_id=need_id)
        needs_service.delete_need(session=db.session, need_id=need_id)


@blp.route("/<int:need_id>/shifts")
class NeedShifts(MethodView):
    @requires(*STAFF)
    @blp.arguments(ShiftQueryArgsSchema, location="query")
    @blp.response(200, ShiftSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.paginate()
    def get(self, filters, need_id, pagination_parameters):
        """List a need's shifts."""
        access.check_need(session=db.session, reach=caller_reach(), need_id=need_id)
        return paginated(
            pagination_parameters,
            shifts_service.list_shifts,
            session=db.session,
            filters=filters,
            need_id=need_id,
        )

    @requires(*STAFF)
    @blp.arguments(ShiftCreateSchema)
    @blp.response(201, ShiftSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, need_id):
        """Add a one-off shift to a need."""
        access.check_need(session=db.session, reach=caller_reach(), need_id=need_id)
        return shifts_service.create_shift(session=db.session, need_id=need_id, data=data)


@blp.route("/<int:need_id>/generate-shifts")
class NeedGenerateShifts(MethodView):
    @requires(*STAFF)
    @blp.arguments(HorizonSchema)
    @blp.response(200, ShiftSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, horizon, need_id):
        """Generate a recurring need's shifts in [start, end) (idempotent, at most 62 days)."""
        access.check_need(session=db.session, reach=caller_reach(), need_id=need_id)
        return shifts_service.generate_need_shifts(
            session=db.session,
            need_id=need_id,
            start=horizon["start"],
            end=horizon["end"],
            timezone=_timezone(),
        )


@blp.route("/<int:need_id>/positions")
class NeedTemplatePositions(MethodView):
    @requires(*STAFF)
    @blp.response(200, PositionSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, need_id):
        """List a recurring need's template positions."""
        access.check_need(session=db.session, reach=caller_reach(), need_id=need_id)
        return positions_service.list_template_positions(session=db.session, need_id=need_id)

    @requires(*STAFF)
    @blp.arguments(PositionCreateSchema)
    @blp.response(201, PositionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, need_id):
        """Add a template position to a recurring need (used by shifts generated later)."""
        access.check_need(session=db.session, reach=caller_reach(), need_id=need_id)
        return positions_service.create_template_position(
            session=db.session, need_id=need_id, data=data
        )

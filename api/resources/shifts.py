"""Shifts: list across needs, read, move, cancel, delete; their positions."""

from __future__ import annotations

from flask.views import MethodView

from api.auth import caller_reach, requires
from api.schemas.positions import PositionCreateSchema, PositionSchema
from api.schemas.shifts import ShiftQueryArgsSchema, ShiftSchema, ShiftUpdateSchema
from api.smorest import Blueprint, paginated
from api.versioning import etag, expected_version
from models import db
from services import access
from services import positions as positions_service
from services import shifts as shifts_service

blp = Blueprint("shifts", __name__, url_prefix="/shifts", description="Dated occurrences of needs")

STAFF = ("admin", "coordinator", "org_staff")


@blp.route("")
class Shifts(MethodView):
    @requires(*STAFF)
    @blp.arguments(ShiftQueryArgsSchema, location="query")
    @blp.response(200, ShiftSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List shifts, with their positions and filled counts."""
        return paginated(
            pagination_parameters,
            shifts_service.list_shifts,
            session=db.session,
            filters=filters,
            reach=caller_reach(),
        )


@blp.route("/<int:shift_id>")
class ShiftById(MethodView):
    @requires(*STAFF)
    @blp.response(200, ShiftSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shift_id):
        """Get a shift."""
        access.check_shift(session=db.session, reach=caller_reach(), shift_id=shift_id)
        shift = shifts_service.get_shift(session=db.session, shift_id=shift_id)
        return shift, etag(shift)

    @requires(*STAFF)
    @blp.arguments(ShiftUpdateSchema)
    @blp.response(200, ShiftSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, shift_id):
        """Move or cancel a shift (its seats move or are cancelled with it)."""
        access.check_shift(session=db.session, reach=caller_reach(), shift_id=shift_id)
        version = expected_version(changes)
        shift = shifts_service.update_shift(
            session=db.session, shift_id=shift_id, changes=changes, expected_version=version
        )
        return shift, etag(shift)

    @requires(*STAFF)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, shift_id):
        """Delete a shift (refused once someone has served on it; cancel it instead)."""
        access.check_shift(session=db.session, reach=caller_reach(), shift_id=shift_id)
        shifts_service.delete_shift(session=db.session, shift_id=shift_id)


@blp.route("/<int:shift_id>/positions")
class ShiftPositions(MethodView):
    @requires(*STAFF)
    @blp.response(200, PositionSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, shift_id):
        """List a shift's positions."""
        access.check_shift(session=db.session, reach=caller_reach(), shift_id=shift_id)
        return positions_service.list_shift_positions(session=db.session, shift_id=shift_id)

    @requires(*STAFF)
    @blp.arguments(PositionCreateSchema)
    @blp.response(201, PositionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data, shift_id):
        """Add a position to a shift."""
        access.check_shift(session=db.session, reach=caller_reach(), shift_id=shift_id)
        return positions_service.create_shift_position(
            session=db.session, shift_id=shift_id, data=data
        )

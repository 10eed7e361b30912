"""Positions: read, change and delete one seat definition of a shift or template."""

from __future__ import annotations

from flask.views import MethodView

from api.auth import caller_reach, requires
from api.schemas.positions import PositionSchema, PositionUpdateSchema
from api.smorest import Blueprint
from api.versioning import etag, expected_version
from models import db
from services import access
from services import positions as positions_service

blp = Blueprint(
    "positions",
    __name__,
    url_prefix="/positions",
    description="Positions to fill: role, skill minimums, count and min_count",
)

STAFF = ("admin", "coordinator", "org_staff")


@blp.route("/<int:position_id>")
class PositionById(MethodView):
    @requires(*STAFF)
    @blp.response(200, PositionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, position_id):
        """Get a position."""
        access.check_position(session=db.session, reach=caller_reach(), position_id=position_id)
        position = positions_service.get_position(session=db.session, position_id=position_id)
        return position, etag(position)

    @requires(*STAFF)
    @blp.arguments(PositionUpdateSchema)
    @blp.response(200, PositionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, position_id):
        """Change a position (skills, when given, replace every requirement)."""
        access.check_position(session=db.session, reach=caller_reach(), position_id=position_id)
        version = expected_version(changes)
        position = positions_service.update_position(
            session=db.session, position_id=position_id, changes=changes, expected_version=version
        )
        return position, etag(position)

    @requires(*STAFF)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, position_id):
        """Delete a position and its assignments (refused once someone has served on it)."""
        access.check_position(session=db.session, reach=caller_reach(), position_id=position_id)
        positions_service.delete_position(session=db.session, position_id=position_id)

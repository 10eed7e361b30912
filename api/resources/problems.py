"""The matching problem of a week, exported from the database as a problem file."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

from api.auth import caller_reach, current_user, requires
from api.schemas.problems import ProblemQueryArgsSchema, ProblemSchema
from api.smorest import Blueprint
from models import db
from services import access
from services import problems as service

blp = Blueprint(
    "problems",
    __name__,
    url_prefix="/problems",
    description="Matching problems (docs/problem-format.md) built from the database",
)


@blp.route("")
class Problems(MethodView):
    @requires("admin", "coordinator")
    @blp.arguments(ProblemQueryArgsSchema, location="query")
    @blp.response(200, ProblemSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="The community does not exist")
    @blp.alt_response(422, schema=ErrorSchema, description="The week is not an ISO week")
    def get(self, args):
        """Export the problem of an ISO week, optionally of one community or one street.

        The week runs from Monday 00:00 to the next Monday 00:00 in the service's timezone.
        Shifts of recurring needs are generated for the week first. With `community`, the
        shifts are those of the community's needs and the people are the community's active
        people plus anyone holding a confirmed seat on one of those shifts; without it, all
        active needs and people. Confirmed assignments are `fixed`, declined ones
        `forbidden`, completed ones before the week `history`.
        """
        # Coordinators export only a community or street they coordinate, never the city.
        access.check_scope(
            session=db.session,
            reach=caller_reach(),
            community_id=args.get("community"),
            street=args.get("street"),
        )
        problem = service.export_problem(
            session=db.session,
            week=args["week"],
            community_id=args.get("community"),
            street=args.get("street"),
            timezone=current_app.config["LINKAGE_TIMEZONE"],
            travel_buffer_minutes=current_app.config["LINKAGE_TRAVEL_BUFFER_MINUTES"],
            no_show_limit=current_app.config["LINKAGE_NO_SHOW_LIMIT"],
            actor=current_user(),
        )
        # Already JSON-ready: skip a schema dump that would cost seconds for a city's week.
        return jsonify(problem)

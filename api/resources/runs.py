"""Weekly matching runs: queue, review, publish, discard; pins and forbids."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from api.auth import caller_reach, current_user, requires
from api.schemas.runs import (
    OverrideCreateSchema,
    OverrideSchema,
    ReviewSchema,
    RunCreateSchema,
    RunQueryArgsSchema,
    RunSchema,
)
from api.smorest import Blueprint, paginated
from models import db
from services import access, overrides, runs

blp = Blueprint("runs", __name__, url_prefix="/runs", description="Weekly matching runs")
STAFF = ("admin", "coordinator")


@blp.route("")
class Runs(MethodView):
    @requires(*STAFF)
    @blp.arguments(RunQueryArgsSchema, location="query")
    @blp.response(200, RunSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Matching runs, newest first."""
        return paginated(
            pagination_parameters,
            access.list_runs_in_reach,
            session=db.session,
            reach=caller_reach(),
            **filters,
        )

    @requires(*STAFF)
    @blp.arguments(RunCreateSchema)
    @blp.response(202, RunSchema)
    def post(self, request):
        """Queue a run; the scheduler process solves it (a solve never runs in a request).

        Coordinators queue runs of a community or street they coordinate; "all" is for admins.
        """
        community_id, street = runs.parse_scope(request["scope"])
        access.check_scope(
            session=db.session, reach=caller_reach(), community_id=community_id, street=street
        )
        return runs.queue_run(
            session=db.session,
            timezone=current_app.config["LINKAGE_TIMEZONE"],
            source="api",
            actor=current_user(),
            **request,
        )


@blp.route("/<int:run_id>")
class Run(MethodView):
    @requires(*STAFF)
    @blp.response(200, RunSchema)
    def get(self, run_id):
        """One run and its solver statistics."""
        access.check_run(session=db.session, reach=caller_reach(), run_id=run_id)
        return runs.get_run(session=db.session, run_id=run_id)


@blp.route("/<int:run_id>/review")
class RunReview(MethodView):
    @requires(*STAFF)
    @blp.response(200, ReviewSchema)
    def get(self, run_id):
        """Filled versus needed by priority, unfilled positions with reasons, fairness, changes."""
        access.check_run(session=db.session, reach=caller_reach(), run_id=run_id)
        return runs.review_run(session=db.session, run_id=run_id)


@blp.route("/<int:run_id>/publish")
class RunPublish(MethodView):
    @requires(*STAFF)
    @blp.response(200, RunSchema)
    @blp.alt_response(409, description="conflicts; nothing was changed")
    def post(self, run_id):
        """Offer every proposal at once, or refuse with the list of conflicts."""
        access.check_run(session=db.session, reach=caller_reach(), run_id=run_id)
        return runs.publish_run(session=db.session, run_id=run_id, actor=current_user())


@blp.route("/<int:run_id>/discard")
class RunDiscard(MethodView):
    @requires(*STAFF)
    @blp.response(200, RunSchema)
    def post(self, run_id):
        """Drop an unpublished run and its proposals."""
        access.check_run(session=db.session, reach=caller_reach(), run_id=run_id)
        return runs.discard_run(session=db.session, run_id=run_id, actor=current_user())


@blp.route("/overrides")
class Overrides(MethodView):
    @requires(*STAFF)
    @blp.response(200, OverrideSchema(many=True))
    def get(self):
        """Pins and forbids in force."""
        return overrides.list_overrides(session=db.session, reach=caller_reach())

    @requires(*STAFF)
    @blp.arguments(OverrideCreateSchema)
    @blp.response(201, OverrideSchema)
    def post(self, override):
        """Pin a person to a position, or forbid them a shift, for every later run."""
        return overrides.create_override(
            session=db.session, actor=current_user(), reach=caller_reach(), **override
        )


@blp.route("/overrides/<int:override_id>")
class Override(MethodView):
    @requires(*STAFF)
    @blp.response(204)
    def delete(self, override_id):
        """Remove a pin or forbid."""
        overrides.delete_override(
            session=db.session, override_id=override_id, actor=current_user(), reach=caller_reach()
        )

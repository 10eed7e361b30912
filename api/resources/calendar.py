"""The personal iCal feed: a secret URL per person, created, rotated and revoked by them."""

from __future__ import annotations

from flask import Response, url_for
from flask.views import MethodView

from api.auth import current_user, public, requires
from api.schemas.notifications import CalendarFeedSchema
from api.smorest import Blueprint
from models import db
from services import calendar_feed

blp = Blueprint(
    "calendar",
    __name__,
    url_prefix="",
    description="Personal calendar feeds (iCal)",
)
ICS_TYPE = "text/calendar"
ICS_DOC = {
    "responses": {
        "200": {
            "description": "My offered and confirmed shifts, 30 days back to 90 days ahead",
            "content": {ICS_TYPE: {"schema": {"type": "string"}}},
        },
        "404": {"description": "Unknown or revoked feed"},
    }
}


@blp.route("/calendar/<string:token>.ics")
class CalendarFeedIcs(MethodView):
    @public
    @blp.doc(**ICS_DOC)
    def get(self, token):
        """A person's calendar; the secret token in the URL is the credential."""
        body = calendar_feed.feed_calendar(session=db.session, token=token)
        response = Response(body, mimetype=ICS_TYPE)
        # A shared cache must never keep someone's calendar.
        response.headers["Cache-Control"] = "private, max-age=300"
        return response


@blp.route("/me/calendar-feed")
class MyCalendarFeed(MethodView):
    @requires("person")
    @blp.response(201, CalendarFeedSchema)
    def post(self):
        """Create my calendar feed, or replace it (the old URL stops working); shown once."""
        token = calendar_feed.rotate_feed(session=db.session, person_id=current_user().person_id)
        url = url_for("calendar.CalendarFeedIcs", token=token, _external=True)
        return {"url": url, "token": token}

    @requires("person")
    @blp.response(204)
    def delete(self):
        """Revoke my calendar feed: its URL stops working."""
        calendar_feed.revoke_feed(session=db.session, person_id=current_user().person_id)

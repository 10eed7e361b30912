"""My notification settings: the e-mail address and which events I want on which channel."""

from __future__ import annotations

from flask.views import MethodView

from api.auth import current_user, requires
from api.schemas.notifications import (
    ContactSchema,
    NotificationPreferencesSchema,
    NotificationPreferencesUpdateSchema,
)
from api.smorest import Blueprint
from models import db
from services import notifications

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="",
    description="My notification settings (e-mail address, opt-outs)",
)


def _my_person_id() -> int:
    return current_user().person_id


@blp.route("/me/contact")
class MyContact(MethodView):
    @requires("person")
    @blp.response(200, ContactSchema)
    def get(self):
        """The e-mail address my notifications go to."""
        return notifications.contact(session=db.session, person_id=_my_person_id())

    @requires("person")
    @blp.arguments(ContactSchema)
    @blp.response(200, ContactSchema)
    def put(self, body):
        """Set my notification e-mail address (null removes it)."""
        return notifications.set_contact(
            session=db.session, person_id=_my_person_id(), email=body["email"]
        )


@blp.route("/me/notification-preferences")
class MyNotificationPreferences(MethodView):
    @requires("person")
    @blp.response(200, NotificationPreferencesSchema)
    def get(self):
        """Which notifications I get, per channel and event (all until I opt out)."""
        return notifications.preferences(session=db.session, person_id=_my_person_id())

    @requires("person")
    @blp.arguments(NotificationPreferencesUpdateSchema)
    @blp.response(200, NotificationPreferencesSchema)
    def put(self, changes):
        """Opt out of (false) or back into (true) events per channel; others stay."""
        return notifications.set_preferences(
            session=db.session, person_id=_my_person_id(), changes=changes
        )

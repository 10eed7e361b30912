"""A person's settings: language, notifications, calendar feed, and the export of their data."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from api.schemas.notifications import ContactSchema
from api.web import i18n, security
from api.web.blueprint import bp
from models import db
from models.notification import CHANNELS, EVENTS
from services import calendar_feed, notifications, personal_data, self_service
from services.errors import ServiceError

# The new feed's address, carried across the redirect once (only its hash is stored).
NEW_FEED_KEY = "new_feed_url"


def event_labels() -> dict[str, str]:
    return {
        "offer": _("A new shift is offered to me"),
        "reminder": _("Reminder a day before my shift"),
        "cancellation": _("My shift was cancelled"),
        "star": _("I reached a new star level"),
    }


def channel_labels() -> dict[str, str]:
    return {"email": _("E-mail"), "webhook": _("Message app")}


def _user():
    user = security.web_user()
    assert user is not None and user.person_id is not None  # signed_in("person")
    return user


def _render(
    language_error: str | None = None,
    status: int = 200,
    email: str | None = None,
    email_error: str | None = None,
    notifications_error: str | None = None,
):
    user = _user()
    if email is None:
        email = notifications.contact(session=db.session, person_id=user.person_id)["email"] or ""
    return (
        render_template(
            "web/settings.html",
            saved_locale=user.locale,
            language_error=language_error,
            email=email,
            email_error=email_error,
            notifications_error=notifications_error,
            preferences=notifications.preferences(session=db.session, person_id=user.person_id),
            events=event_labels(),
            channels=channel_labels(),
            has_feed=self_service.has_calendar_feed(session=db.session, person_id=user.person_id),
            new_feed_url=session.pop(NEW_FEED_KEY, None),
        ),
        status,
    )


@bp.get("/settings")
@security.signed_in("person")
def settings():
    return _render()


@bp.post("/settings/language")
@security.signed_in("person")
def save_language():
    chosen = request.form.get("locale", "")
    locale = i18n.normalize(chosen) if chosen else None
    if chosen and locale is None:
        return _render(language_error=_("Choose one of the languages."), status=422)
    self_service.set_locale(session=db.session, user_id=_user().id, locale=locale)
    response = redirect(url_for("web.settings"))
    if locale:
        response.set_cookie(i18n.LANG_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax")
    flash(_("Your language was saved."))
    return response


@bp.post("/settings/notifications")
@security.signed_in("person")
def save_notifications():
    person_id = _user().person_id
    email = request.form.get("email", "").strip()
    try:
        # The API's own rule for the address (an empty field removes it).
        ContactSchema().load({"email": email or None})
    except ValidationError:
        return _render(email=email, email_error=_("Give a valid e-mail address."), status=422)
    wanted = set(request.form.getlist("wanted"))
    changes = {ch: {ev: f"{ch}:{ev}" in wanted for ev in EVENTS} for ch in CHANNELS}
    try:
        # One transaction: the choices and the address are kept together or not at all.
        self_service.save_notifications(
            session=db.session, person_id=person_id, changes=changes, email=email or None
        )
    except ServiceError:
        db.session.rollback()
        return _render(
            email=email,
            notifications_error=_(
                "Your notification choices could not be saved. Please try again."
            ),
            status=422,
        )
    flash(_("Your notification choices were saved."))
    return redirect(url_for("web.settings"))


@bp.post("/settings/calendar-feed")
@security.signed_in("person")
def calendar_feed_action():
    person_id = _user().person_id
    if request.form.get("action") == "revoke":
        calendar_feed.revoke_feed(session=db.session, person_id=person_id)
        flash(_("Your calendar address was turned off."))
    else:
        token = calendar_feed.rotate_feed(session=db.session, person_id=person_id)
        session[NEW_FEED_KEY] = url_for("calendar.CalendarFeedIcs", token=token, _external=True)
        flash(_("Your new calendar address is ready; any earlier one stopped working."))
    return redirect(url_for("web.settings"))


@bp.post("/settings/export")
@security.signed_in("person")
def export_data():
    user = _user()
    data = personal_data.export_person_data(
        session=db.session, person_id=user.person_id, actor=user
    )
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="linkage-my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response

"""A person's page: offers and seats with accept and decline, hours, points and stars."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.web import security
from api.web.blueprint import bp
from models import db
from services import ledger, offers, recognition, self_service
from services.calendar_feed import FEED_STATUSES
from services.errors import NotFound, ServiceError


@bp.get("/my-shifts")
@security.signed_in()
def my_shifts():
    user = security.web_user()
    assert user is not None  # signed_in() redirected anonymous callers
    person_id = user.person_id
    if person_id is None:
        return render_template("web/my_shifts.html", person=False)
    minutes = recognition.recorded_minutes(session=db.session, person_id=person_id)
    return render_template(
        "web/my_shifts.html",
        person=True,
        assignments=offers.my_assignments(session=db.session, person_id=person_id),
        hours=minutes / 60,
        stars=recognition.star_level(minutes),
        points=ledger.balance(session=db.session, person_id=person_id),
        calendar_statuses=FEED_STATUSES,
    )


@bp.get("/my-shifts/<int:assignment_id>.ics")
@security.signed_in()
def shift_calendar(assignment_id: int):
    """One offered or confirmed seat as an .ics file, for the phone's calendar."""
    user = security.web_user()
    assert user is not None
    if user.person_id is None:
        abort(404)
    try:
        body = self_service.seat_calendar(
            session=db.session, person_id=user.person_id, assignment_id=assignment_id
        )
    except NotFound:
        abort(404)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="linkage-shift-{assignment_id}.ics"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/my-shifts/<int:assignment_id>/respond")
@security.signed_in()
def respond(assignment_id: int):
    user = security.web_user()
    assert user is not None
    answer = request.form.get("answer")
    if answer not in ("accept", "decline") or user.person_id is None:
        flash(_("That answer was not understood."), "error")
        return redirect(url_for("web.my_shifts"))
    try:
        offers.respond(
            session=db.session,
            assignment_id=assignment_id,
            person_id=user.person_id,
            accept=answer == "accept",
            reason=request.form.get("reason") or None,
        )
    except ServiceError:
        db.session.rollback()
        flash(_("This offer can no longer be answered."), "error")
    else:
        flash(
            _("Thank you: you accepted the shift.")
            if answer == "accept"
            else _("You declined the shift.")
        )
    return redirect(url_for("web.my_shifts"))

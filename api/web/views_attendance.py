"""Record attendance and hours of ended shifts; the records still pending or overdue."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.config import work_calendar
from api.web import security
from api.web.blueprint import bp
from api.web.views_needs import STAFF, need_in_reach, seats_by_position, staff_reach
from models import Assignment, db
from models.attendance import ATTENDANCE_OUTCOMES
from models.db import utcnow
from services import access, attendance, ledger
from services import shifts as shifts_service
from services.errors import Conflict, Invalid, NotFound
from services.people import staff_view
from services.permissions import Reach
from services.queries import MAX_ID

log = logging.getLogger(__name__)

# Seats whose attendance is recorded (confirmed) or shows a record (completed, no_show).
RECORDED_STATUSES = ("completed", "no_show")


def outcome_label(outcome: str) -> str:
    labels = {
        "completed": _("Completed"),
        "no_show": _("Did not come"),
        "excused": _("Excused"),
    }
    return labels.get(outcome, outcome)


@bp.app_context_processor
def _attendance_globals() -> dict:
    return {"outcome_label": outcome_label}


def _seat_rows(need, shift, seats) -> list[dict]:
    rows = []
    for position in shift.positions:
        for seat in seats.get(position.id, ()):
            assignment = seat["assignment"]
            if assignment.status not in ("confirmed", *RECORDED_STATUSES):
                continue
            record = attendance.get_record(session=db.session, assignment_id=assignment.id)
            default = attendance.self_reported_minutes(record)
            rows.append(
                {
                    "assignment": assignment,
                    "person": seat["person"],
                    "position": position,
                    "record": record if record.outcome else None,
                    "default_minutes": default
                    if default is not None
                    else attendance.shift_minutes(shift),
                    "self_reported": default is not None,
                    "points": ledger.points_for(
                        record.minutes or 0, need.points_per_hour, need.points_tier
                    )
                    if record.outcome == "completed"
                    else None,
                }
            )
    return rows


def _render_need(need_id: int, reach: Reach, problem: dict | None = None, status: int = 200):
    need = need_in_reach(need_id, reach)
    now = utcnow()
    shift_list, _total = shifts_service.list_shifts(
        session=db.session, filters={"starts_to": now, "cancelled": False}, need_id=need.id
    )
    ended = [s for s in reversed(shift_list) if s.ends_at <= now]
    seats = seats_by_position(need.id, reach)
    shifts = [{"shift": s, "seats": _seat_rows(need, s, seats)} for s in ended]
    return render_template(
        "web/attendance_need.html",
        need=need,
        shifts=shifts,
        problem=problem or {},
        outcomes=ATTENDANCE_OUTCOMES,
    ), status


def _pending(reach: Reach):
    config = current_app.config
    return attendance.pending_records(
        session=db.session,
        reach=reach,
        calendar=work_calendar(config),
        timezone=config["LINKAGE_TIMEZONE"],
        working_days=config["LINKAGE_RECORD_DUE_WORKING_DAYS"],
    )


def _render_pending(reach: Reach, problem: dict | None = None, status: int = 200):
    rows = []
    for item in _pending(reach):
        default = attendance.self_reported_minutes(item.record)
        rows.append(
            {
                "item": item,
                "person": staff_view(session=db.session, person=item.assignment.person),
                "default_minutes": default
                if default is not None
                else attendance.shift_minutes(item.assignment.shift),
                "self_reported": default is not None,
            }
        )
    return render_template(
        "web/attendance_pending.html",
        rows=rows,
        overdue=sum(1 for r in rows if r["item"].overdue),
        problem=problem or {},
        outcomes=ATTENDANCE_OUTCOMES,
    ), status


@bp.get("/attendance")
@security.signed_in(*STAFF)
def attendance_pending():
    return _render_pending(staff_reach())


@bp.get("/needs/<int:need_id>/attendance")
@security.signed_in(*STAFF)
def need_attendance(need_id: int):
    return _render_need(need_id, staff_reach())


@bp.post("/attendance/<int:assignment_id>")
@security.signed_in(*STAFF)
def record_attendance(assignment_id: int):
    reach = staff_reach()
    if not 0 < assignment_id <= MAX_ID:
        abort(404)
    try:
        access.check_assignment(session=db.session, reach=reach, assignment_id=assignment_id)
    except NotFound:
        abort(404)
    # The need page the form came from (else the pending list): always the seat's own need,
    # whatever the form says.
    seat = db.session.get(Assignment, assignment_id)
    need_id = seat.shift.need_id if seat is not None and request.form.get("need_id") else None

    def again(message: str, field: str, status: int):
        problem = {"assignment_id": assignment_id, "field": field, "message": message}
        problem["values"] = {
            "outcome": request.form.get("outcome", ""),
            "minutes": request.form.get("minutes", ""),
        }
        if need_id:
            return _render_need(need_id, reach, problem, status)
        return _render_pending(reach, problem, status)

    outcome = request.form.get("outcome", "")
    if outcome not in ATTENDANCE_OUTCOMES:
        return again(_("Choose completed, did not come or excused."), "outcome", 422)
    text = request.form.get("minutes", "").strip()
    minutes = None
    if text:
        # isdigit() alone accepts "²", which int() refuses; five digits are plenty.
        if not (text.isascii() and text.isdigit() and len(text) <= 5):
            return again(_("Enter the minutes as a whole number."), "minutes", 422)
        minutes = int(text)
    note = request.form.get("note", "").strip()
    if "\x00" in note:
        return again(_("The note contains a character that cannot be stored."), "note", 422)
    if outcome != "completed":
        # Minutes belong to completed service; a default left in the box is not an error.
        minutes = None
    user = security.web_user()
    try:
        record = attendance.record_outcome(
            session=db.session,
            assignment_id=assignment_id,
            outcome=outcome,
            minutes=minutes,
            note=note[:300] or None,
            actor=user,
        )
    except Conflict as error:
        db.session.rollback()
        earlier = attendance.get_record(session=db.session, assignment_id=assignment_id).outcome
        if earlier and earlier != outcome:
            message = _(
                "This seat was already recorded as %(outcome)s. Hours are corrected through "
                "the ledger, not by recording again.",
                outcome=outcome_label(earlier),
            )
        else:
            message = _("This seat cannot be recorded now.")
        log.info("attendance of seat %s refused: %s", assignment_id, error.message)
        return again(message, "outcome", 409)
    except Invalid as error:
        db.session.rollback()
        if "minutes" in error.errors:
            message = _("Enter between 0 and %(most)s minutes.", most=attendance.MAX_MINUTES)
            return again(message, "minutes", 422)
        return again(_("Choose completed, did not come or excused."), "outcome", 422)
    if record.outcome == "completed":
        need = record.assignment.shift.need
        points = ledger.points_for(record.minutes or 0, need.points_per_hour, need.points_tier)
        flash(
            _(
                "Recorded as completed: %(hours)s hours and %(points)s points credited.",
                hours=f"{(record.minutes or 0) / 60:.1f}",
                points=points,
            )
        )
    else:
        flash(_("Recorded: %(outcome)s.", outcome=outcome_label(record.outcome or outcome)))
    if need_id:
        return redirect(url_for("web.need_attendance", need_id=need_id))
    return redirect(url_for("web.attendance_pending"))

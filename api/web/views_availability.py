"""A person's weekly availability windows and dated exceptions, with the next two weeks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.web import security
from api.web.blueprint import bp
from models import db
from models.person import EXCEPTION_KINDS
from services import person_availability
from services.errors import Invalid, NotFound, ServiceError

PREVIEW_DAYS = 14
# A longer absence is entered as several; a typo of a year (2062) is caught here.
MAX_EXCEPTION_DAYS = 366
# Dates far from now are typing mistakes (and year 1 cannot even be converted to UTC); the
# same bounds as the need form (api/web/forms_need.py).
FIRST_YEAR, LAST_YEAR = 2000, 2100
# What the form's time inputs send: hours and minutes, nothing else (no seconds, no offset).
_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def weekday_names() -> list[str]:
    return [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]


def kind_labels() -> dict[str, str]:
    return {"unavailable": _("Not available"), "available": _("Extra time available")}


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["LINKAGE_TIMEZONE"])


def _person_id() -> int:
    user = security.web_user()
    assert user is not None and user.person_id is not None  # signed_in("person")
    return user.person_id


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def preview(person_id: int, today: date) -> list[dict[str, Any]]:
    """The free times of the next PREVIEW_DAYS days from `today`, cut at local midnight."""
    zone = _zone()
    start = datetime.combine(today, time(0), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=PREVIEW_DAYS), time(0), tzinfo=zone)
    expanded = person_availability.expanded_availability(
        session=db.session, person_id=person_id, start=start, end=end, timezone=zone.key
    )
    days = [today + timedelta(days=n) for n in range(PREVIEW_DAYS)]
    pieces: dict[date, list[str]] = {day: [] for day in days}
    for interval in expanded["intervals"]:
        s, e = interval["start"].astimezone(zone), interval["end"].astimezone(zone)
        while s < e:
            midnight = datetime.combine(s.date() + timedelta(days=1), time(0), tzinfo=zone)
            piece_end = min(e, midnight)
            label = (
                f"{_hhmm(s.time())}–{'24:00' if piece_end == midnight else _hhmm(piece_end.time())}"
            )
            if s.date() in pieces:
                pieces[s.date()].append(label)
            s = piece_end
    names = weekday_names()
    return [{"day": day, "weekday": names[day.weekday()], "times": pieces[day]} for day in days]


def _exception_rows(person_id: int) -> list[dict[str, Any]]:
    zone = _zone()
    rows = []
    for e in person_availability.list_exceptions(session=db.session, person_id=person_id):
        s, t = e.starts_at.astimezone(zone), e.ends_at.astimezone(zone)
        whole_days = s.time() == time(0) and t.time() == time(0)
        last = (t - timedelta(days=1)).date() if whole_days else t.date()
        rows.append(
            {
                "id": e.id,
                "kind": e.kind,
                "first": s.date(),
                "last": last,
                "times": None if whole_days else f"{_hhmm(s.time())}–{_hhmm(t.time())}",
                "note": e.note,
            }
        )
    return rows


def _render(window_form=None, exception_form=None, errors=None, status=200):
    person_id = _person_id()
    today = datetime.now(_zone()).date()
    return (
        render_template(
            "web/availability.html",
            windows=person_availability.list_windows(session=db.session, person_id=person_id),
            exceptions=_exception_rows(person_id),
            days=preview(person_id, today),
            weekdays=weekday_names(),
            kinds=kind_labels(),
            hhmm=_hhmm,
            window_form=window_form or {"weekday": "0", "start_time": "09:00", "end_time": "12:00"},
            exception_form=exception_form
            or {
                "kind": "unavailable",
                "first": today.isoformat(),
                "last": "",
                "start_time": "",
                "end_time": "",
                "note": "",
            },
            errors=errors or {},
        ),
        status,
    )


@bp.get("/availability")
@security.signed_in("person")
def availability():
    return _render()


def _time(text: str) -> time:
    """A local wall-clock time from "HH:MM" (or "H:MM"); ValueError for anything else, such
    as seconds or an offset (an aware time never equals a naive one)."""
    match = _HHMM.fullmatch(text.strip())
    if match is None:
        raise ValueError(text)
    return time(int(match.group(1)), int(match.group(2)))


def _date(text: str) -> date:
    """A date within FIRST_YEAR..LAST_YEAR; ValueError for anything else."""
    day = date.fromisoformat(text)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(text)
    return day


def _date_error(text: str, fallback: str) -> str:
    """The message for a date field that did not parse: out of range, or not a date at all."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return fallback
    return _("Enter a date between 2000 and 2100.")


def _no_nul_error() -> str:
    return _("Remove the invisible control characters.")


def _service_error(error: ServiceError) -> tuple[str, str]:
    """The form field and the page's own sentence for a refused save: the service's English
    text is never shown."""
    if isinstance(error, Invalid) and "ends_at" in error.errors:
        return "end_time", _("The end must be after the start.")
    return "end_time", _("This could not be saved. Please check the entry and try again.")


@bp.post("/availability/windows")
@security.signed_in("person")
def add_window():
    form = {
        name: request.form.get(name, "").strip() for name in ("weekday", "start_time", "end_time")
    }
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    try:
        data["weekday"] = int(form["weekday"])
        if not 0 <= data["weekday"] <= 6:
            raise ValueError
    except ValueError:
        errors["weekday"] = _("Choose a day of the week.")
    for name in ("start_time", "end_time"):
        try:
            data[name] = _time(form[name])
        except ValueError:
            errors[name] = _("Enter a time such as 09:30.")
    if not errors and data["start_time"] == data["end_time"]:
        errors["end_time"] = _("The end must differ from the start.")
    if errors:
        return _render(window_form=form, errors=errors, status=422)
    try:
        person_availability.create_window(session=db.session, person_id=_person_id(), data=data)
    except ServiceError as error:
        db.session.rollback()
        return _render(window_form=form, errors=dict([_service_error(error)]), status=422)
    flash(_("The weekly time was added."))
    return redirect(url_for("web.availability"))


@bp.post("/availability/windows/<int:window_id>/delete")
@security.signed_in("person")
def delete_window(window_id: int):
    try:
        person_availability.delete_window(
            session=db.session, person_id=_person_id(), window_id=window_id
        )
    except NotFound:
        db.session.rollback()
        abort(404)
    flash(_("The weekly time was removed."))
    return redirect(url_for("web.availability"))


def _exception_data(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The exception a form describes: whole local days, or from a time on the first day to a
    time on the last day."""
    errors: dict[str, str] = {}
    if form["kind"] not in EXCEPTION_KINDS:
        errors["kind"] = _("Choose what kind of change this is.")
    try:
        first = _date(form["first"])
    except ValueError:
        errors["first"] = _date_error(form["first"], _("Enter a date."))
        first = None
    try:
        last = _date(form["last"]) if form["last"] else first
    except ValueError:
        errors["last"] = _date_error(form["last"], _("Enter a date, or leave empty for one day."))
        last = None
    times: list[time | None] = []
    for name in ("start_time", "end_time"):
        try:
            times.append(_time(form[name]) if form[name] else None)
        except ValueError:
            errors[name] = _("Enter a time such as 09:30, or leave empty for the whole day.")
            times.append(None)
    if (times[0] is None) != (times[1] is None) and not errors:
        missing = "end_time" if times[1] is None else "start_time"
        errors[missing] = _("Give both times, or neither for whole days.")
    if len(form["note"]) > 200:
        errors["note"] = _("At most 200 characters.")
    elif "\x00" in form["note"]:
        errors["note"] = _no_nul_error()
    if errors or first is None or last is None:
        return {}, errors
    if last < first:
        return {}, {"last": _("The last day cannot be before the first.")}
    if (last - first).days >= MAX_EXCEPTION_DAYS:
        return {}, {"last": _("At most one year at a time.")}
    zone = _zone()
    try:
        if times[0] is None:
            starts_at = datetime.combine(first, time(0), tzinfo=zone)
            ends_at = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
        else:
            starts_at = datetime.combine(first, times[0], tzinfo=zone)
            ends_at = datetime.combine(last, times[1], tzinfo=zone)
        # Stored in UTC: the conversion must fit too (the year bounds make sure; defensive).
        for moment in (starts_at, ends_at):
            moment.astimezone(UTC)
    except OverflowError:
        return {}, {"first": _("Enter a date between 2000 and 2100.")}
    if ends_at <= starts_at:
        return {}, {"end_time": _("The end must be after the start.")}
    data = {
        "kind": form["kind"],
        "starts_at": starts_at,
        "ends_at": ends_at,
        "note": form["note"] or None,
    }
    return data, {}


@bp.post("/availability/exceptions")
@security.signed_in("person")
def add_exception():
    names = ("kind", "first", "last", "start_time", "end_time", "note")
    form = {name: request.form.get(name, "").strip() for name in names}
    data, errors = _exception_data(form)
    if errors:
        return _render(exception_form=form, errors=errors, status=422)
    try:
        person_availability.create_exception(session=db.session, person_id=_person_id(), data=data)
    except ServiceError as error:
        db.session.rollback()
        return _render(exception_form=form, errors=dict([_service_error(error)]), status=422)
    flash(_("The change was added."))
    return redirect(url_for("web.availability"))


@bp.post("/availability/exceptions/<int:exception_id>/delete")
@security.signed_in("person")
def delete_exception(exception_id: int):
    try:
        person_availability.delete_exception(
            session=db.session, person_id=_person_id(), exception_id=exception_id
        )
    except NotFound:
        db.session.rollback()
        abort(404)
    flash(_("The change was removed."))
    return redirect(url_for("web.availability"))

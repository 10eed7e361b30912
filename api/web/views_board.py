"""The coordinator's week board: shifts by day, filled versus needed, coloured by priority."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_babel import gettext as _

from api.web import security
from api.web.blueprint import bp
from models import db
from services import week_board
from services.errors import Invalid
from services.permissions import reach_of
from services.problems import parse_week
from services.scheduling import iso_week


@bp.get("/board")
@security.signed_in("admin", "coordinator")
def board():
    user = security.web_user()
    assert user is not None
    timezone = current_app.config["LINKAGE_TIMEZONE"]
    today = datetime.now(ZoneInfo(timezone)).date()
    week = request.args.get("week") or iso_week(today)
    error = None
    try:
        start, end = parse_week(week, timezone=timezone)
    except Invalid:
        error = _("Give a week such as 2026-W49.")
        week = iso_week(today)
        start, end = parse_week(week, timezone=timezone)
    rows = week_board.week_board(
        session=db.session, reach=reach_of(session=db.session, user=user), start=start, end=end
    )
    tz = ZoneInfo(timezone)
    by_day = {
        day: list(shifts)
        for day, shifts in groupby(rows, key=lambda r: r.shift.starts_at.astimezone(tz).date())
    }
    days = [start.date() + timedelta(days=n) for n in range(7)]
    monday: date = start.date()
    return render_template(
        "web/board.html",
        week=week,
        error=error,
        days=[(day, by_day.get(day, [])) for day in days],
        previous_week=iso_week(monday - timedelta(days=7)),
        next_week=iso_week(monday + timedelta(days=7)),
    ), (422 if error else 200)

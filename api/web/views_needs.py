"""Organization staff pages: our needs, post a need (one-off or weekly), a need's staffing."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.schemas.needs import LANGUAGES
from api.web import forms_need, security
from api.web.blueprint import bp
from models import db
from models.db import utcnow
from models.need import NEED_KINDS, POINTS_TIERS, POSITION_ROLES
from services import access, communities, organizations, skills
from services import assignments as assignments_service
from services import needs as needs_service
from services import shifts as shifts_service
from services.errors import Invalid, NotFound, ServiceError
from services.people import staff_view
from services.permissions import Reach, reach_of
from services.queries import MAX_ID

STAFF = ("admin", "org_staff")
# A recurring need's first occurrences are made at once (the matching runs make later ones).
FIRST_HORIZON = timedelta(days=shifts_service.MAX_HORIZON_DAYS)
LIST_PAGE = 50
UPCOMING_SHOWN = 3


def kind_label(kind: str) -> str:
    labels = {
        "elderly_visit": _("Elderly home visit"),
        "tutoring": _("Tutoring"),
        "legal_desk": _("Legal advice desk"),
        "counselling_desk": _("Counselling desk"),
        "it_help": _("IT help"),
        "flea_market": _("Flea market"),
        "concert": _("Concert"),
        "opera": _("Opera"),
        "science_festival": _("Science festival"),
        "river_cleanup": _("River clean-up"),
        "lantern_festival": _("Lantern festival"),
        "other": _("Other"),
    }
    return labels.get(kind, kind)


def role_label(role: str) -> str:
    labels = {
        "social_worker": _("Social worker"),
        "volunteer": _("Volunteer"),
        "resident_activist": _("Resident activist"),
        "any": _("Anyone"),
    }
    return labels.get(role, role)


def tier_label(tier: str) -> str:
    labels = {
        "ordinary": _("Ordinary"),
        "skilled": _("Skilled (x1.5 points)"),
        "hard_to_fill": _("Hard to fill (x2 points)"),
    }
    return labels.get(tier, tier)


def language_label(code: str) -> str:
    labels = {
        "cmn": _("Mandarin"),
        "yue": _("Cantonese"),
        "en": _("English"),
        "hak": _("Hakka"),
        "nan": _("Hokkien"),
    }
    return labels.get(code, code)


def weekday_label(day: str) -> str:
    labels = {
        "MO": _("Mon"),
        "TU": _("Tue"),
        "WE": _("Wed"),
        "TH": _("Thu"),
        "FR": _("Fri"),
        "SA": _("Sat"),
        "SU": _("Sun"),
    }
    return labels.get(day, day)


def seat_label(status: str) -> str:
    """A seat's status as organization staff read it."""
    labels = {
        "proposed": _("Proposed (not yet offered)"),
        "offered": _("Offered, waiting for an answer"),
        "confirmed": _("Confirmed"),
        "declined": _("Declined"),
        "cancelled": _("Cancelled"),
        "completed": _("Completed"),
        "no_show": _("Did not come"),
    }
    return labels.get(status, status)


@bp.app_context_processor
def _need_labels() -> dict:
    return {
        "seat_label": seat_label,
        "kind_label": kind_label,
        "role_label": role_label,
        "tier_label": tier_label,
        "language_label": language_label,
        "weekday_label": weekday_label,
    }


def staff_reach() -> Reach:
    user = security.web_user()
    assert user is not None  # signed_in() redirected anonymous callers
    return reach_of(session=db.session, user=user)


def _timezone() -> str:
    return current_app.config["LINKAGE_TIMEZONE"]


def need_in_reach(need_id: int, reach: Reach):
    """The need, or 404 when it is missing or outside the caller's organizations."""
    if not 0 < need_id <= MAX_ID:
        abort(404)  # an id no database holds (and PostgreSQL would refuse to compare)
    try:
        access.check_need(session=db.session, reach=reach, need_id=need_id)
        return needs_service.get_need(session=db.session, need_id=need_id)
    except NotFound:
        abort(404)


def published_seats(shift_list) -> dict[int, int]:
    """Seats per position that staff count as filled: offered, confirmed or served. The
    coordinators' unpublished proposals are not shown to staff, so they do not count."""
    return assignments_service.filled_counts(
        session=db.session,
        position_ids=[p.id for s in shift_list for p in s.positions],
        statuses=assignments_service.PUBLISHED_STATUSES,
    )


def staffing(shift_list, published: dict[int, int]) -> tuple[int, int]:
    """Filled and needed seats over these shifts' positions."""
    filled = sum(published.get(p.id, 0) for s in shift_list for p in s.positions)
    needed = sum(p.count for s in shift_list for p in s.positions)
    return filled, needed


@bp.get("/needs")
@security.signed_in(*STAFF)
def needs():
    reach = staff_reach()
    page = max(request.args.get("page", 1, type=int), 1)
    found, total = needs_service.list_needs(
        session=db.session,
        filters={},
        reach=reach,
        offset=(page - 1) * LIST_PAGE,
        limit=LIST_PAGE,
    )
    now = utcnow()
    rows = []
    for need in found:
        upcoming, _count = shifts_service.list_shifts(
            session=db.session,
            filters={"starts_from": now, "cancelled": False},
            need_id=need.id,
            limit=200,
        )
        published = published_seats(upcoming)
        filled, needed = staffing(upcoming, published)
        shown = upcoming[:UPCOMING_SHOWN]
        rows.append(
            {
                "need": need,
                # Each shown shift with its (filled, needed) seats.
                "next": [(shift, staffing([shift], published)) for shift in shown],
                "more": max(len(upcoming) - UPCOMING_SHOWN, 0),
                "filled": filled,
                "needed": needed,
            }
        )
    return render_template(
        "web/needs.html",
        rows=rows,
        page=page,
        pages=max((total + LIST_PAGE - 1) // LIST_PAGE, 1),
        total=total,
    )


def _choices(reach: Reach) -> dict:
    """The organizations, communities and skills the form offers this caller."""
    orgs, _n = organizations.list_organizations(session=db.session, offset=0, limit=None)
    places, _n = communities.list_communities(session=db.session, offset=0, limit=None)
    catalogue, _n = skills.list_skills(session=db.session, offset=0, limit=None)
    return {
        "organizations": [o for o in orgs if reach.has_organization(o.id)],
        "communities": [c for c in places if reach.has_community(c.id)],
        "skills": catalogue,
        "kinds": NEED_KINDS,
        "roles": POSITION_ROLES,
        "tiers": tuple(POINTS_TIERS),
        "languages": LANGUAGES,
        "weekdays": forms_need.WEEKDAYS,
    }


def _render_form(values, errors, reach: Reach, status: int = 200):
    return render_template(
        "web/need_form.html", values=values, errors=errors, **_choices(reach)
    ), status


def _add_row(values: forms_need.NeedForm, which: str) -> None:
    """The no-script "add another row" buttons: one more position, or skill of position N."""
    if which == "position":
        values.positions.append(forms_need.PositionRow())
    elif which.startswith("skill-") and which[6:].isdigit():
        index = int(which[6:])
        if index < len(values.positions):
            values.positions[index].skills.append(forms_need.SkillRow())


@bp.route("/needs/new", methods=["GET", "POST"])
@security.signed_in(*STAFF)
def new_need():
    reach = staff_reach()
    if request.method == "GET":
        values = forms_need.NeedForm()
        choices = _choices(reach)
        if len(choices["organizations"]) == 1:
            values.organization_id = str(choices["organizations"][0].id)
        if len(choices["communities"]) == 1:
            # Most organizations serve one community: its runs then see the need.
            values.community_id = str(choices["communities"][0].id)
        return _render_form(values, {}, reach)
    values = forms_need.read_form(request.form)
    if not values.organization_id:
        # Staff of one organization are not asked which: it is theirs.
        mine = _choices(reach)["organizations"]
        values.organization_id = str(mine[0].id) if len(mine) == 1 else ""
    if request.form.get("add"):
        _add_row(values, request.form["add"])
        return _render_form(values, {}, reach)
    parsed = forms_need.to_payload(values, timezone=_timezone())
    if parsed.errors:
        return _render_form(values, parsed.errors, reach, 422)
    try:
        access.check_new_need(reach=reach, data=parsed.payload)
        need = needs_service.create_need(
            session=db.session, data=parsed.payload, timezone=_timezone()
        )
    except Invalid as error:
        db.session.rollback()
        errors = forms_need.service_errors(error.errors, parsed.rows) or {"_form": [error.message]}
        return _render_form(values, errors, reach, 422)
    flash(_("The need was posted."))
    if need.recurrence_rule is not None:
        _first_occurrences(need)
    return redirect(url_for("web.need_staffing", need_id=need.id))


def _first_occurrences(need) -> None:
    """The weekly need's first weeks of shifts. The need is saved already: if this fails
    (another process generating the same weeks), the weekly run generates them later, and
    the staff must not be led to post the need twice."""
    start = need.recurrence_start
    try:
        shifts_service.generate_shifts(
            session=db.session,
            need=need,
            start=start,
            end=start + FIRST_HORIZON,
            timezone=_timezone(),
        )
    except ServiceError:
        db.session.rollback()
        flash(_("Its shifts appear once the weekly planning has generated them."))


def seats_by_position(need_id: int, reach: Reach) -> dict[int, list[dict]]:
    """The seats the caller may see on this need, per position, with the person as staff see
    them (name; phone only with the person's consent)."""
    found, _total = assignments_service.list_assignments(
        session=db.session, filters={"need_id": need_id}, reach=reach
    )
    seats: dict[int, list[dict]] = defaultdict(list)
    for assignment in found:
        seats[assignment.position_id].append(
            {
                "assignment": assignment,
                "person": staff_view(session=db.session, person=assignment.person),
            }
        )
    return seats


@bp.get("/needs/<int:need_id>")
@security.signed_in(*STAFF)
def need_staffing(need_id: int):
    return _render_staffing(need_id, staff_reach())


def _render_staffing(need_id: int, reach: Reach, status: int = 200, cancel_error=None):
    need = need_in_reach(need_id, reach)
    everything = request.args.get("all") == "1"
    tz = ZoneInfo(_timezone())
    today = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    filters = {} if everything else {"starts_from": today}
    shift_list, _total = shifts_service.list_shifts(
        session=db.session, filters=filters, need_id=need.id, limit=200
    )
    published = published_seats(shift_list)
    filled, needed = staffing([s for s in shift_list if not s.cancelled], published)
    return render_template(
        "web/need_staffing.html",
        need=need,
        shifts=shift_list,
        published=published,
        seats=seats_by_position(need.id, reach),
        everything=everything,
        filled=filled,
        needed=needed,
        now=utcnow(),
        cancel_error=cancel_error,
    ), status


@bp.post("/needs/<int:need_id>/shifts/<int:shift_id>/cancel")
@security.signed_in(*STAFF)
def cancel_shift(need_id: int, shift_id: int):
    """Cancel an upcoming shift of our need: its open seats are cancelled with it, and the
    scheduler tells the people (the cancellation notification)."""
    reach = staff_reach()
    need = need_in_reach(need_id, reach)
    if not 0 < shift_id <= MAX_ID:
        abort(404)
    try:
        shift = shifts_service.get_shift(session=db.session, shift_id=shift_id)
    except NotFound:
        abort(404)
    if shift.need_id != need.id:
        abort(404)
    refused = None
    if request.form.get("confirm") != "yes":
        refused = (422, _("Tick the box to confirm the cancellation."))
    elif shift.cancelled or shift.starts_at <= utcnow():
        refused = (409, _("Only a shift that has not started yet can be cancelled."))
    if refused:
        code, message = refused
        return _render_staffing(need.id, reach, code, {"shift_id": shift.id, "message": message})
    shifts_service.update_shift(session=db.session, shift_id=shift.id, changes={"cancelled": True})
    flash(_("The shift is cancelled; the people on it will be told."))
    return redirect(url_for("web.need_staffing", need_id=need.id))

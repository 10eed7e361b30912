"""A solved run's review in words: fill, unfilled positions and why, fairness, pins and forbids."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from api.web import i18n, security
from api.web.blueprint import bp
from models import db
from services import access, overrides, run_pages, runs
from services.errors import NotFound, ServiceError
from services.permissions import Reach, reach_of
from services.run_pages import ScopeChoice, UnfilledPosition


def scope_label(choice: ScopeChoice) -> str:
    if choice.kind == "all":
        return _("All communities")
    if choice.kind == "street":
        return _("Street: %(name)s", name=choice.name)
    return choice.name


def status_text(status: str) -> str:
    labels = {
        "queued": _("Waiting for the solver"),
        "solving": _("Solving"),
        "solved": _("Solved: ready for review"),
        "failed": _("Failed"),
        "published": _("Published"),
        "discarded": _("Discarded"),
    }
    return labels.get(status, status)


def kind_label(kind: str) -> str:
    return {"weekly": _("Weekly plan"), "repair": _("Re-plan after changes")}.get(kind, kind)


def role_label(role: str) -> str:
    labels = {
        "social_worker": _("social worker"),
        "volunteer": _("volunteer"),
        "resident_activist": _("resident activist"),
        "any": _("anyone"),
    }
    return labels.get(role, role)


def language_label(code: str | None) -> str:
    labels = {"yue": _("Cantonese"), "cmn": _("Mandarin"), "zh": _("Chinese"), "en": _("English")}
    return labels.get(code or "", code or "")


def _skills(row: UnfilledPosition) -> str:
    chinese = i18n.current_locale() == "zh_CN"
    parts = [
        _("%(skill)s at level %(level)s", skill=zh if chinese else en, level=level)
        for zh, en, level in row.skills
    ]
    return ("、" if chinese else ", ").join(parts)


def reason_text(row: UnfilledPosition) -> str:
    """Why a position stays open, as a sentence a coordinator can act on."""
    role = role_label(row.role)
    skills = _skills(row)
    reason = row.reason
    if reason == "role":
        if row.role == "any":
            return _("There is nobody to plan in this scope.")
        return _("Nobody in this scope is a %(role)s.", role=role)
    if reason == "skills":
        return _("No %(role)s has the skill %(skills)s.", role=role, skills=skills)
    if reason == "availability":
        if skills:
            return _("Nobody with the skill %(skills)s is available then.", skills=skills)
        if row.role == "any":
            return _("Nobody is available then.")
        return _("No %(role)s is available then.", role=role)
    if reason == "background_check":
        return _("Nobody available then has the background check this shift requires.")
    if reason == "language":
        return _(
            "Nobody available then speaks %(language)s.", language=language_label(row.language)
        )
    if reason == "distance":
        return _("Everyone available then lives farther away than they are willing to travel.")
    if reason == "not_forbidden":
        return _("Everyone left has declined this shift or was kept off it.")
    if reason == "free":
        return _("Everyone who could go is already busy at that time or has reached their limit.")
    if reason == "min_count":
        return _(
            "This shift needs at least %(least)s people together, but only %(free)s are free.",
            least=row.min_count,
            free=row.funnel.get("free", 0),
        )
    if reason == "objective":
        return _(
            "Some people are free, but adding them would overload people who already have "
            "many hours, or the solver stopped before it found a better plan."
        )
    return reason


def funnel_text(row: UnfilledPosition) -> str:
    funnel = row.funnel
    return _(
        "%(role)s with the role, %(skills)s with the skills, %(available)s available, "
        "%(free)s still free.",
        role=funnel.get("role", 0),
        skills=funnel.get("skills", 0),
        available=funnel.get("availability", 0),
        free=funnel.get("free", 0),
    )


def review_context(run, reach: Reach) -> dict:
    """The template variables of a run's review."""
    review = run_pages.review(session=db.session, run_id=run.id, reach=reach)
    return {
        "review": review,
        "unfilled": [(row, reason_text(row), funnel_text(row)) for row in review.unfilled],
        "overrides": run_pages.overrides_with_names(session=db.session, reach=reach),
        "role_label": role_label,
    }


# --- pins and forbids ---------------------------------------------------------------------


def _reach_and_run(run_id: int) -> Reach:
    user = security.web_user()
    assert user is not None
    reach = reach_of(session=db.session, user=user)
    try:
        access.check_run(session=db.session, reach=reach, run_id=run_id)
        runs.get_run(session=db.session, run_id=run_id)
    except NotFound:
        abort(404)
    return reach


def _number(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.post("/runs/<int:run_id>/overrides")
@security.signed_in("admin", "coordinator")
def create_run_override(run_id: int):
    reach = _reach_and_run(run_id)
    kind = request.form.get("kind")
    person_id = _number("person_id")
    target = _number("position_id" if kind == "pin" else "shift_id")
    if kind not in ("pin", "forbid") or person_id is None or target is None:
        flash(_("That pin or forbid was not understood."), "error")
        return redirect(url_for("web.run_page", run_id=run_id, _anchor="proposals"))
    try:
        overrides.create_override(
            session=db.session,
            kind=kind,
            person_id=person_id,
            actor=security.web_user(),
            reach=reach,
            **({"position_id": target} if kind == "pin" else {"shift_id": target}),
        )
    except ServiceError:
        db.session.rollback()
        flash(_("That pin or forbid is outside your communities."), "error")
    else:
        flash(
            _("Pinned: the next run keeps this person on this seat.")
            if kind == "pin"
            else _("Forbidden: the next run will not plan this person on this shift.")
        )
    return redirect(url_for("web.run_page", run_id=run_id, _anchor="overrides"))


@bp.post("/runs/<int:run_id>/overrides/<int:override_id>/delete")
@security.signed_in("admin", "coordinator")
def delete_run_override(run_id: int, override_id: int):
    reach = _reach_and_run(run_id)
    try:
        overrides.delete_override(
            session=db.session, override_id=override_id, actor=security.web_user(), reach=reach
        )
    except NotFound:
        db.session.rollback()
        abort(404)
    flash(_("Removed: later runs no longer follow it."))
    return redirect(url_for("web.run_page", run_id=run_id, _anchor="overrides"))

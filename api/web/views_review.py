"""A solved run's review in words: fill, unfilled positions and why, fairness, pins and forbids."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from api.web import i18n, security
from api.web.blueprint import bp
from models import db
from services import access, overrides, run_pages, runs
from services.errors import Invalid, NotFound
from services.permissions import Reach, reach_of
from services.queries import MAX_ID
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
    labels = {
        "yue": _("Cantonese"),
        "cmn": _("Mandarin"),
        "zh": _("Chinese"),
        "en": _("English"),
        "hak": _("Hakka"),
        "nan": _("Minnan"),
    }
    return labels.get(code or "", _("the language this shift asks for"))


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
    return _("Nobody in this scope could be planned for this position.")


def failure_text(error: str | None) -> str:
    """Why a run failed, in words: the solver's and the service's reasons are English."""
    text = error or ""
    if "fixed pair" in text:
        return _(
            "A pin cannot be kept: the pinned person cannot take that seat, or the pins leave "
            "a shift short. Remove or change the pin, then run it again."
        )
    if text.startswith("the week changed while solving"):
        return _("The week changed while the solver worked (a seat was taken). Run it again.")
    if text.startswith("the exported problem is invalid"):
        return _(
            "The week's data could not be turned into a plan. Ask an administrator to look "
            "at the details below."
        )
    if text.startswith("internal error"):
        return _(
            "The solver stopped because of an error in Linkage. Run it again; if it fails "
            "again, ask an administrator."
        )
    return _(
        "The solver could not make a plan. Run it again; if it fails again, ask an "
        "administrator to look at the details below."
    )


def refusal_text(message: str, count: int) -> str:
    """The publish refusal's summary, in words (the service's message is English)."""
    if "double-book" in message:
        return _(
            "Someone booked a seat at the same time as this publish. Nothing was offered; "
            "review the run and publish again."
        )
    return _(
        "Problems found: %(count)s. Nothing was offered; run the week again or fix them first.",
        count=count,
    )


def conflict_text(c: dict) -> str:
    """One reason a publish was refused, as a sentence (see run_pages.describe_conflicts)."""
    kind = c["kind"]
    if kind == "inactive":
        return _("%(person)s is no longer active (%(position)s).", **c)
    if kind == "cancelled":
        return _("The shift %(shift)s was cancelled (planned for %(person)s).", **c)
    if kind == "overlap":
        return _(
            "%(person)s already has %(other)s at an overlapping time, so cannot take %(shift)s.",
            **c,
        )
    if kind == "full":
        return _("%(position)s would get %(held)s people for %(count)s seats.", **c)
    if "overlaps a booking made concurrently" in c.get("text", ""):
        return _("A proposal overlaps a booking made meanwhile; review the run and publish again.")
    return _("Something else changed since this run was solved; run the week again.")


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
    """A form field as an id from 0 to MAX_ID (0: a seat whose position is gone), else None."""
    value = request.form.get(name, "")
    # isdigit() alone accepts "²" and "³", which int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


@bp.post("/runs/<int:run_id>/overrides")
@security.signed_in("admin", "coordinator")
def create_run_override(run_id: int):
    reach = _reach_and_run(run_id)
    kind = request.form.get("kind")
    person_id = _number("person_id")
    target = _number("position_id" if kind == "pin" else "shift_id")
    if kind not in ("pin", "forbid") or not person_id or target is None:
        flash(_("That pin or forbid was not understood."), "error")
        return redirect(url_for("web.run_page", run_id=run_id, _anchor="proposals"))
    if target == 0:
        # The proposal's position was deleted after the run: there is no seat or shift left.
        flash(
            _("That seat was removed after the run, so it cannot be pinned or forbidden."), "error"
        )
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
    except Invalid as error:
        db.session.rollback()
        if "person_id" in error.errors:
            flash(_("That person is not in your communities."), "error")
        else:
            flash(
                _("That seat or shift no longer exists, or it is outside your communities."),
                "error",
            )
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

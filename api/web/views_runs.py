"""The coordinator's matching runs: the list, starting one, live progress, publish, discard."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.web import security
from api.web.blueprint import bp
from api.web.views_review import (
    conflict_text,
    failure_text,
    kind_label,
    refusal_text,
    review_context,
    scope_label,
    status_text,
)
from models import db
from services import access, run_pages, runs
from services.errors import Conflict, Invalid, NotFound, ServiceError
from services.permissions import Reach, reach_of
from services.problems import parse_week
from services.run_progress import run_progress
from services.scheduling import coming_week

STAFF = ("admin", "coordinator")
KINDS = ("weekly", "repair")
DEFAULT_TIME_LIMIT_S = 30


def _reach() -> Reach:
    user = security.web_user()
    assert user is not None  # signed_in() sent anonymous callers to the sign-in form
    return reach_of(session=db.session, user=user)


def _run_in_reach(run_id: int, reach: Reach):
    """The run, or 404 for one outside the caller's scopes (its existence is not revealed)."""
    try:
        access.check_run(session=db.session, reach=reach, run_id=run_id)
        return runs.get_run(session=db.session, run_id=run_id)
    except NotFound:
        abort(404)


def _runs_page(reach: Reach, form: dict[str, str] | None = None, errors=None, status=200):
    timezone = current_app.config["LINKAGE_TIMEZONE"]
    listed = run_pages.runs_in_reach(session=db.session, reach=reach)
    names = run_pages.scope_names(session=db.session, scopes={r.scope for r in listed})
    choices = run_pages.scope_choices(session=db.session, reach=reach)
    form = form or {
        "scope": choices[0].value if choices else "",
        "week": coming_week(datetime.now(UTC), timezone),
        "time_limit": str(DEFAULT_TIME_LIMIT_S),
        "kind": "weekly",
    }
    return render_template(
        "web/runs.html",
        runs=[(r, scope_label(names[r.scope])) for r in listed],
        choices=[(c.value, scope_label(c)) for c in choices],
        form=form,
        errors=errors or {},
        kinds=[(k, kind_label(k)) for k in KINDS],
        status_text=status_text,
        kind_label=kind_label,
    ), status


@bp.get("/runs")
@security.signed_in(*STAFF)
def runs_list():
    return _runs_page(_reach())


def _form_errors(form: dict[str, str], allowed: set[str]) -> tuple[dict[str, str], float]:
    errors = {}
    if form["scope"] not in allowed:
        errors["scope"] = _("Choose one of the communities or streets you plan for.")
    if form["kind"] not in KINDS:
        errors["kind"] = _("Choose a weekly plan or a re-plan.")
    try:
        parse_week(form["week"], timezone=current_app.config["LINKAGE_TIMEZONE"])
    except Invalid:
        errors["week"] = _("Give a week such as 2026-W49.")
    limit = 0.0
    with contextlib.suppress(ValueError):
        limit = float(form["time_limit"])
    if not 1 <= limit <= runs.MAX_TIME_LIMIT_S:
        errors["time_limit"] = _(
            "Give a number of seconds from 1 to %(most)s.", most=int(runs.MAX_TIME_LIMIT_S)
        )
    return errors, limit


@bp.post("/runs")
@security.signed_in(*STAFF)
def queue_run():
    reach = _reach()
    form = {
        name: request.form.get(name, "").strip() for name in ("scope", "week", "time_limit", "kind")
    }
    form["kind"] = form["kind"] or "weekly"
    allowed = {c.value for c in run_pages.scope_choices(session=db.session, reach=reach)}
    errors, limit = _form_errors(form, allowed)
    if errors:
        return _runs_page(reach, form, errors, 422)
    try:
        run = runs.queue_run(
            session=db.session,
            scope=form["scope"],
            week=form["week"],
            timezone=current_app.config["LINKAGE_TIMEZONE"],
            time_limit_s=limit,
            kind=form["kind"],
            source="api",
            actor=security.web_user(),
        )
    except Conflict:
        db.session.rollback()
        message = _("A run of this week is already waiting or solving: see it in the list.")
        return _runs_page(reach, form, {"week": message}, 409)
    flash(_("The run is queued: it starts within a minute."))
    return redirect(url_for("web.run_page", run_id=run.id))


@bp.get("/runs/<int:run_id>")
@security.signed_in(*STAFF)
def run_page(run_id: int):
    reach = _reach()
    run = _run_in_reach(run_id, reach)
    return _render_run(run, reach)


def _render_run(run, reach: Reach, status: int = 200, **extra):
    names = run_pages.scope_names(session=db.session, scopes={run.scope})
    context = {}
    if run.status in ("solved", "published") and run.solution is not None:
        context = review_context(run, reach)
    return render_template(
        "web/run.html",
        run=run,
        scope=scope_label(names[run.scope]),
        progress=run_progress(run),
        live=run.status in ("queued", "solving"),
        discardable=run.status in runs.DISCARDABLE_STATUSES,
        failure=failure_text(run.error) if run.status == "failed" else None,
        status_text=status_text,
        kind_label=kind_label,
        **context,
        **extra,
    ), status


@bp.get("/runs/<int:run_id>/progress")
@security.signed_in(*STAFF)
def run_progress_json(run_id: int):
    run = _run_in_reach(run_id, _reach())
    figures = run_progress(run)
    figures["status_text"] = status_text(run.status)
    response = jsonify(figures)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/runs/<int:run_id>/publish")
@security.signed_in(*STAFF)
def publish_run(run_id: int):
    reach = _reach()
    run = _run_in_reach(run_id, reach)
    if run.status != "solved":
        return _not_publishable(run)
    if request.form.get("confirm") != "yes":
        message = _("Tick the box to confirm that the seats may be offered.")
        return _render_run(run, reach, 422, publish_error=message)
    try:
        runs.publish_run(session=db.session, run_id=run_id, actor=security.web_user())
    except Conflict as error:
        db.session.rollback()
        run = runs.get_run(session=db.session, run_id=run_id)
        if run.status != "solved":  # published or discarded meanwhile (a double submit)
            return _not_publishable(run)
        conflicts = run_pages.describe_conflicts(
            session=db.session, conflicts=error.errors.get("conflicts", [])
        )
        return _render_run(
            run,
            reach,
            409,
            refused=refusal_text(error.message, len(conflicts)),
            conflicts=[conflict_text(c) for c in conflicts],
        )
    flash(_("The plan is published: everyone planned has been offered their seat."))
    return redirect(url_for("web.run_page", run_id=run_id))


def _not_publishable(run):
    """A publish of a run that is no longer solved: say so on the run's page."""
    if run.status == "published":
        flash(_("This run is already published: its seats have been offered."))
    else:
        flash(
            _("This run can no longer be published (%(status)s).", status=status_text(run.status)),
            "error",
        )
    return redirect(url_for("web.run_page", run_id=run.id))


@bp.post("/runs/<int:run_id>/discard")
@security.signed_in(*STAFF)
def discard_run(run_id: int):
    reach = _reach()
    _run_in_reach(run_id, reach)
    try:
        runs.discard_run(session=db.session, run_id=run_id, actor=security.web_user())
    except ServiceError:
        db.session.rollback()
        flash(_("This run can no longer be discarded."), "error")
    else:
        flash(_("The run is discarded; nothing was offered."))
    return redirect(url_for("web.run_page", run_id=run_id))

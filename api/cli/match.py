"""`linkage match ...`: run, publish and repair the weekly matching from the command line."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from api.cli.solve import ProgressLine
from api.config import run_settings
from matching.io import load_problem, solution_from_dict
from matching.report import format_summary, summarize
from models import db
from services import runs
from services.errors import ServiceError
from services.scheduling import coming_week

match = AppGroup("match", help="Weekly matching runs.")


def _fail(error: ServiceError) -> None:
    details = "".join(f"\n  - {k}: {'; '.join(map(str, v))}" for k, v in error.errors.items())
    raise click.ClickException(error.message + details)


def _solve_and_report(run_id: int, workers: int, quiet: bool) -> None:
    progress = None if quiet else ProgressLine(sys.stderr)
    try:
        settings = replace(run_settings(current_app.config), workers=workers)
        run = runs.solve_run(
            session=db.session, run_id=run_id, settings=settings, progress=progress
        )
    finally:
        if progress is not None:
            progress.close()
    if run.status != "solved":
        raise click.ClickException(f"run {run.id} failed: {run.error}")
    summary = summarize(load_problem(run.problem), solution_from_dict(run.solution))
    click.echo(f"run {run.id} ({run.scope}, {run.week}) solved:")
    click.echo(format_summary(summary))


def _start(scope: str, week: str | None, time_limit: float, kind: str) -> int:
    timezone = current_app.config["LINKAGE_TIMEZONE"]
    week = week or coming_week(datetime.now(UTC), timezone)
    run = runs.queue_run(
        session=db.session,
        scope=scope,
        week=week,
        timezone=timezone,
        time_limit_s=time_limit,
        kind=kind,
        source="cli",
    )
    if not runs.take_run(session=db.session, run_id=run.id):
        raise click.ClickException(f"run {run.id} was taken by another worker (the scheduler?)")
    return run.id


def _run_options(command):
    for option in reversed(
        [
            click.option("--week", help="ISO week such as 2026-W49 (default: the coming week)."),
            click.option(
                "--scope",
                default="all",
                show_default=True,
                help='"all", "community:<id>" or "street:<name>".',
            ),
            click.option(
                "--time-limit", type=click.FloatRange(1, 600), default=30.0, show_default=True
            ),
            click.option(
                "--workers",
                type=click.IntRange(1, 64),
                default=None,
                help="CP-SAT workers (default: LINKAGE_SOLVER_WORKERS).",
            ),
            click.option("--quiet", is_flag=True, help="No progress line."),
        ]
    ):
        command = option(command)
    return command


def _plan(kind, week, scope, time_limit, workers, quiet):
    try:
        run_id = _start(scope, week, time_limit, kind)
        _solve_and_report(run_id, workers or current_app.config["LINKAGE_SOLVER_WORKERS"], quiet)
    except ServiceError as error:
        _fail(error)


@match.command("run")
@_run_options
def run_command(week, scope, time_limit, workers, quiet):
    """Solve a scope's week now, with a live progress line, and print the summary."""
    _plan("weekly", week, scope, time_limit, workers, quiet)


@match.command("repair")
@_run_options
def repair_command(week, scope, time_limit, workers, quiet):
    """Re-plan a week after declines or cancellations: confirmed seats stay, open offers are
    kept unless moving them is worth more than the stability weight."""
    _plan("repair", week, scope, time_limit, workers, quiet)


@match.command("publish")
@click.argument("run_id", type=click.IntRange(min=1))
def publish_command(run_id):
    """Offer a solved run's assignments (all or nothing)."""
    try:
        run = runs.publish_run(session=db.session, run_id=run_id, actor=None)
    except ServiceError as error:
        _fail(error)
    click.echo(f"run {run.id} published")


@match.command("work")
@click.option("--workers", type=click.IntRange(1, 64), default=None)
def work_command(workers):
    """Solve every queued run (those queued through the API), oldest first."""
    settings = run_settings(current_app.config)
    settings = replace(settings, workers=workers or settings.workers)
    while run := runs.run_next(session=db.session, settings=settings, record_progress=True):
        click.echo(f"run {run.id} ({run.scope}, {run.week}): {run.status}")

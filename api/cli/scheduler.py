"""`linkage scheduler`: the process that fires weekly runs, solves queued ones and notifies."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, time

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext

from api.config import run_settings
from models import db
from services import notification_delivery, notifications, runs, scheduling
from services.notification_delivery import SmtpSettings, WebhookSettings
from services.scheduling import WeeklySchedule

log = logging.getLogger(__name__)
# Hours a late weekly fire may still run (the catch-up at start covers longer outages).
MISFIRE_GRACE_SECONDS = 6 * 3600
QUEUE_POLL_SECONDS = 15
NOTIFY_SECONDS = 60

_app: Flask | None = None  # set by the command: APScheduler calls module-level functions


def weekly_job(scope: str, schedule: WeeklySchedule) -> None:
    """Claim the coming week of `scope` (exactly once across processes) and solve it."""
    with _app.app_context():
        _claim_and_solve(scope, schedule, datetime.now(UTC))


def queue_job() -> None:
    """Solve runs queued through the API."""
    with _app.app_context():
        settings = run_settings(current_app.config)
        while runs.run_next(session=db.session, settings=settings, record_progress=True):
            pass


def notify_job() -> None:
    """Queue what is due to be said, then deliver the outbox."""
    with _app.app_context():
        notify(datetime.now(UTC))


def notify(now: datetime) -> tuple[dict[str, int], notification_delivery.DeliveryReport]:
    """One pass of the notification producers and the delivery (safe in several processes)."""
    config = current_app.config
    smtp, webhook = _delivery_settings()
    queued = notifications.produce_notifications(
        session=db.session,
        now=now,
        channels=notification_delivery.enabled_channels(smtp, webhook),
        timezone=config["LINKAGE_TIMEZONE"],
    )
    report = notification_delivery.deliver_due(
        session=db.session, now=now, smtp=smtp, webhook=webhook
    )
    for error in report.errors:
        log.warning("notification not delivered: %s", error)
    return queued, report


def _delivery_settings() -> tuple[SmtpSettings, WebhookSettings]:
    # App config wins (tests set it); otherwise the LINKAGE_SMTP_* / LINKAGE_WEBHOOK_* variables.
    env = {**os.environ, **{k: v for k, v in current_app.config.items() if isinstance(v, str)}}
    return SmtpSettings.from_env(env), WebhookSettings.from_env(env)


def _claim_and_solve(scope: str, schedule: WeeklySchedule, now: datetime) -> list[int]:
    config = current_app.config
    created = scheduling.claim_due_runs(
        session=db.session,
        scope=scope,
        now=now,
        schedule=schedule,
        time_limit_s=config["LINKAGE_SOLVER_TIME_LIMIT"],
    )
    for run in created:
        log.info("claimed run %s for %s %s", run.id, scope, run.week)
        if runs.take_run(session=db.session, run_id=run.id):
            runs.solve_run(
                session=db.session,
                run_id=run.id,
                settings=run_settings(config),
                record_progress=True,
            )
    return [run.id for run in created]


def _schedule() -> WeeklySchedule:
    config = current_app.config
    hour, minute = config["LINKAGE_WEEKLY_RUN_AT"].split(":")
    return WeeklySchedule(
        weekday=scheduling.WEEKDAYS.index(config["LINKAGE_WEEKLY_RUN_DAY"]),
        at=time(int(hour), int(minute)),
        timezone=config["LINKAGE_TIMEZONE"],
    )


@click.command("scheduler")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help='Scopes to plan weekly (repeatable; default LINKAGE_WEEKLY_SCOPES or "all").',
)
@click.option(
    "--catch-up-only", is_flag=True, help="Claim and solve what is due now, then exit (no waiting)."
)
@click.option(
    "--now",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z"]),
    default=None,
    help="Pretend it is this moment (with offset) for the catch-up; for replays and tests.",
)
@with_appcontext
def scheduler_command(scopes: tuple[str, ...], catch_up_only: bool, now: datetime | None) -> None:
    """Fire each scope's weekly run (default Thursday 20:00, next week); solve queued runs;
    queue and deliver notifications every minute.

    Run exactly one of these, in its own process; web workers never schedule. Each weekly run
    is claimed in the database first, so a second scheduler or a repeated fire creates nothing.
    """
    global _app
    _app = current_app._get_current_object()
    scopes = scopes or tuple(current_app.config["LINKAGE_WEEKLY_SCOPES"])
    for scope in scopes:
        runs.parse_scope(scope)
    schedule = _schedule()
    moment = now or datetime.now(UTC)
    for scope in scopes:
        ids = _claim_and_solve(scope, schedule, moment)
        click.echo(
            f"catch-up {scope}: {'runs ' + ', '.join(map(str, ids)) if ids else 'nothing due'}"
        )
    queued, report = notify(moment)
    click.echo(
        f"notifications: queued {sum(queued.values())}, sent {report.sent}, "
        f"retrying {report.retried}, failed {report.failed}"
    )
    if catch_up_only:
        return
    scheduler = BlockingScheduler(
        timezone=schedule.timezone,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
    for scope in scopes:
        scheduler.add_job(
            weekly_job,
            CronTrigger(**schedule.cron),
            args=[scope, schedule],
            id=f"weekly:{scope}",
            replace_existing=True,
        )
    scheduler.add_job(queue_job, "interval", seconds=QUEUE_POLL_SECONDS, id="queue")
    scheduler.add_job(notify_job, "interval", seconds=NOTIFY_SECONDS, id="notifications")
    click.echo(f"scheduler running: {', '.join(scopes)} every {schedule.cron}")
    scheduler.start()

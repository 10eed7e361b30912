"""When weekly runs are due, and catching up the ones a stopped scheduler missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import MatchingRun, RunClaim
from services import runs

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Fire on `weekday` at `at` (local time) to plan the following ISO week."""

    weekday: int = 3  # Thursday
    at: time = time(20, 0)
    timezone: str = "Asia/Shanghai"

    @property
    def cron(self) -> dict[str, object]:
        """APScheduler CronTrigger fields."""
        return {
            "day_of_week": WEEKDAYS[self.weekday],
            "hour": self.at.hour,
            "minute": self.at.minute,
            "timezone": self.timezone,
        }


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def coming_week(now: datetime, timezone: str) -> str:
    """The ISO week after the one `now` falls in (locally)."""
    local = now.astimezone(ZoneInfo(timezone)).date()
    return iso_week(local + timedelta(days=7))


def fire_time_for(week: str, schedule: WeeklySchedule) -> datetime:
    """When the run planning `week` is due: the schedule's moment in the week before."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    day = monday - timedelta(days=7) + timedelta(days=schedule.weekday)
    return datetime.combine(day, schedule.at, tzinfo=ZoneInfo(schedule.timezone))


def due_weeks(now: datetime, schedule: WeeklySchedule) -> list[str]:
    """Weeks whose planning is due: the fire time has passed and the week has not begun.

    So a scheduler that was down at the fire time still plans the coming week as long as it
    is back before Monday (the catch-up), and never plans a week that is already under way
    (coordinators run those by hand). At most one week is due at any moment.
    """
    week = coming_week(now, schedule.timezone)
    return [week] if fire_time_for(week, schedule) <= now else []


def job_name(scope: str) -> str:
    return f"weekly:{scope}"


def claim_due_runs(
    *,
    session: Session,
    scope: str,
    now: datetime,
    schedule: WeeklySchedule,
    time_limit_s: float = 30.0,
) -> list[MatchingRun]:
    """Claim every due, unclaimed week of `scope`; returns the runs this call created."""
    claimed = set(
        session.scalars(select(RunClaim.period_key).where(RunClaim.job_name == job_name(scope)))
    )
    created = []
    for week in due_weeks(now, schedule):
        if week in claimed:
            continue
        run = runs.claim_run(
            session=session,
            job_name=job_name(scope),
            scope=scope,
            week=week,
            timezone=schedule.timezone,
            time_limit_s=time_limit_s,
        )
        if run is not None:
            created.append(run)
    return created

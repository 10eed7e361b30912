"""The weekly schedule: when runs are due, catch-up after downtime, exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from models import MatchingRun, RunClaim, db
from services.scheduling import (
    WeeklySchedule,
    claim_due_runs,
    coming_week,
    due_weeks,
    fire_time_for,
)

CST = timezone(timedelta(hours=8))
SCHEDULE = WeeklySchedule(weekday=3, at=time(20, 0), timezone="Asia/Shanghai")


def test_fire_time_is_thursday_evening_before_the_week():
    assert fire_time_for("2026-W49", SCHEDULE) == datetime(2026, 11, 26, 20, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2026, 11, 26, 19, 59, tzinfo=CST), []),  # a minute early
        (datetime(2026, 11, 26, 20, 0, tzinfo=CST), ["2026-W49"]),  # on time
        (datetime(2026, 11, 29, 23, 0, tzinfo=CST), ["2026-W49"]),  # Sunday night: catch up
        (datetime(2026, 11, 30, 0, 30, tzinfo=CST), []),  # the week has begun
        (datetime(2026, 11, 26, 12, 0, tzinfo=UTC), ["2026-W49"]),  # 20:00 in Shanghai
    ],
)
def test_due_weeks(now, due):
    assert due_weeks(now, SCHEDULE) == due


def test_coming_week_crosses_the_year():
    assert coming_week(datetime(2026, 12, 31, 12, tzinfo=CST), "Asia/Shanghai") == "2027-W01"


def test_claim_due_runs_once_per_week(app):
    now = datetime(2026, 11, 27, 9, 0, tzinfo=CST)
    first = claim_due_runs(session=db.session, scope="all", now=now, schedule=SCHEDULE)
    again = claim_due_runs(
        session=db.session, scope="all", now=now + timedelta(hours=1), schedule=SCHEDULE
    )
    assert [run.week for run in first] == ["2026-W49"] and again == []


def _scheduler(database_url: str, now: str) -> subprocess.Popen:
    env = os.environ | {"LINKAGE_DATABASE_URL": database_url, "LINKAGE_SOLVER_TIME_LIMIT": "2"}
    linkage = Path(sys.executable).with_name("linkage")
    return subprocess.Popen(
        [str(linkage), "scheduler", "--catch-up-only", "--now", now],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_scheduler_processes_create_one_run(app, database_url):
    # Both start after the missed fire time (Thursday 20:00) and race for the same week.
    processes = [_scheduler(database_url, "2026-11-27T08:00:00+0800") for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    db.session.remove()
    runs = db.session.scalars(select(MatchingRun)).all()
    claims = db.session.scalars(select(RunClaim)).all()
    assert [(r.week, r.source) for r in runs] == [("2026-W49", "scheduler")]
    assert len(claims) == 1
    assert runs[0].status == "solved", runs[0].error
    said = "".join(out for out, _ in outputs)
    assert said.count("runs ") == 1 and said.count("nothing due") == 1, outputs

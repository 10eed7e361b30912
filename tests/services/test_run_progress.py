"""Live progress of a solving run: written apart from the solve, throttled, never in the way."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import MatchingRun, db
from models.db import utcnow
from services import run_progress, runs
from services.run_progress import RunProgress, write_progress
from tests.scenarios import WEEK, small_week

TZ = "Asia/Shanghai"
SETTINGS = runs.RunSettings(timezone=TZ, workers=1)


@pytest.fixture
def week(app):
    return small_week()


def _solving_run(week) -> int:
    run = runs.queue_run(
        session=db.session, scope=week["scope"], week=WEEK, timezone=TZ, time_limit_s=5
    )
    assert runs.take_run(session=db.session, run_id=run.id)
    run_id = run.id
    db.session.remove()  # no transaction of the test's own stays open
    return run_id


def _stored(run_id: int) -> dict | None:
    with db.engine.connect() as conn:
        return conn.scalar(select(MatchingRun.progress).where(MatchingRun.id == run_id))


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_reports_are_throttled_to_one_write_a_second(week):
    run_id = _solving_run(week)
    clock = FakeClock()
    recorder = RunProgress(bind=db.engine, run_id=run_id, clock=clock)
    for step in range(20):  # 2.5 s of reports, eight a second
        recorder(float(step), 30.0, step / 8)
        clock.now += 0.125
    # Written at 0, 1 and 2 s only: never more than once a second.
    assert recorder.writes == 3
    stored = _stored(run_id)
    assert stored == {"objective": 16.0, "bound": 30.0, "elapsed_s": 2.0, "at": stored["at"]}
    # The latest report, not written yet, goes out on flush.
    assert recorder.flush() and _stored(run_id)["objective"] == 19.0


def test_progress_is_written_only_to_a_solving_run(week):
    run_id = _solving_run(week)
    db.session.get(MatchingRun, run_id).status = "failed"
    db.session.commit()
    db.session.remove()
    report = {"objective": 1.0, "bound": None, "elapsed_s": 0.1, "at": "now"}
    assert not write_progress(bind=db.engine, run_id=run_id, progress=report)
    assert _stored(run_id) is None


def test_the_solve_records_progress_in_its_own_transaction(week, monkeypatch):
    """During the solve the progress is committed on its own connection (the solve holds no
    transaction then, so SQLite's one write lock is free too); the run is still solving."""
    real_solve = runs.engine.solve
    seen: dict = {}

    def solve(problem, config, progress):
        started = time.monotonic()
        progress(123.0, 456.0, 0.5)
        seen["seconds"] = time.monotonic() - started
        seen["during"] = _stored(seen["run_id"])
        with db.engine.connect() as conn:
            seen["status"] = conn.scalar(
                select(MatchingRun.status).where(MatchingRun.id == seen["run_id"])
            )
        return real_solve(problem, config, None)

    monkeypatch.setattr(runs.engine, "solve", solve)
    run = runs.queue_run(
        session=db.session, scope=week["scope"], week=WEEK, timezone=TZ, time_limit_s=5
    )
    seen["run_id"] = run.id
    solved = runs.run_next(session=db.session, settings=SETTINGS, record_progress=True)
    assert solved.id == run.id and solved.status == "solved", solved.error
    assert seen["seconds"] < 1.0  # never waits for a lock
    assert seen["during"]["objective"] == 123.0 and seen["during"]["bound"] == 456.0
    # The result was not written half-way: the run was still solving.
    assert seen["status"] == "solving"
    db.session.expire_all()
    assert db.session.get(MatchingRun, run.id).progress["objective"] == 123.0


def test_a_real_solve_with_progress_recording_still_solves(week):
    run = runs.queue_run(
        session=db.session, scope=week["scope"], week=WEEK, timezone=TZ, time_limit_s=5
    )
    solved = runs.run_next(session=db.session, settings=SETTINGS, record_progress=True)
    assert solved.id == run.id and solved.status == "solved", solved.error
    assert len(solved.solution["assignments"]) == 2


def test_the_page_figures_of_a_solving_run(week):
    run_id = _solving_run(week)
    run = db.session.get(MatchingRun, run_id)
    run.progress = {"objective": 900.0, "bound": 1000.0, "elapsed_s": 2.0, "at": "x"}
    run.started_at = utcnow() - timedelta(seconds=5)
    figures = run_progress.run_progress(run)
    assert figures["status"] == "solving" and not figures["done"]
    assert figures["gap"] == pytest.approx(0.1)
    assert 4.5 <= figures["elapsed_s"] <= 10

"""A publish and a points credit killed inside their commit leave nothing; a rerun works once."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import (
    Assignment,
    AttendanceRecord,
    AuditEvent,
    HoursEntry,
    MatchingRun,
    PointsEntry,
    StarAward,
)
from models.db import utcnow
from services import attendance, ledger, runs
from services.errors import Conflict
from tests.factories import (
    AssignmentFactory,
    NeedFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)
from tests.process.processes import BIN, HERE, kill_inside_commit
from tests.process.processes import run as run_to_end
from tests.scenarios import WEEK, small_week

# One worker runs them all (with --dist loadgroup): one server per database, not one per worker.
pytestmark = pytest.mark.xdist_group("process")

RECORD_OUTCOME = HERE / "record_outcome.py"


def _count(session, model, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


# --- publishing a run ------------------------------------------------------------------------


def _solved_run(live) -> int:
    """A small community's week, solved (two proposals), not yet published."""
    with live.session() as session:
        week = small_week()
        run = runs.queue_run(
            session=session,
            scope=week["scope"],
            week=WEEK,
            timezone="Asia/Shanghai",
            time_limit_s=5,
        )
        assert runs.take_run(session=session, run_id=run.id)
        settings = runs.RunSettings(timezone="Asia/Shanghai", workers=1)
        run = runs.solve_run(session=session, run_id=run.id, settings=settings)
        assert run.status == "solved", run.error
        return run.id


def _publish_state(session, run_id: int) -> tuple[str, list[str], int]:
    run = session.get(MatchingRun, run_id)
    statuses = sorted(
        session.scalars(select(Assignment.status).where(Assignment.matching_run_id == run_id))
    )
    published = _count(
        session,
        AuditEvent,
        AuditEvent.action == "run.publish",
        AuditEvent.subject_id == str(run_id),
    )
    return run.status, statuses, published


def test_a_publish_killed_mid_transaction_leaves_the_run_to_publish_again(live, tmp_path):
    run_id = _solved_run(live)
    with live.session() as session:
        assert _publish_state(session, run_id) == ("solved", ["proposed", "proposed"], 0)

    paused = kill_inside_commit(live.env, tmp_path, "api.cli:main", "match", "publish", str(run_id))

    # Stopped with its changes written (and their locks held), not before them.
    assert "UPDATE assignments SET" in paused["writes"], paused
    assert "UPDATE matching_runs SET" in paused["writes"], paused
    with live.session() as session:
        assert _publish_state(session, run_id) == ("solved", ["proposed", "proposed"], 0)
        assert session.get(MatchingRun, run_id).published_at is None
        # Still reviewable as before: the coordinator sees the same run.
        assert runs.review_run(session=session, run_id=run_id)

    published = run_to_end(live.env, str(BIN / "linkage"), "match", "publish", str(run_id))
    assert f"run {run_id} published" in published

    with live.session() as session:
        assert _publish_state(session, run_id) == ("published", ["offered", "offered"], 1)
        with pytest.raises(Conflict):
            runs.publish_run(session=session, run_id=run_id, actor=None)
        session.rollback()
        assert _publish_state(session, run_id) == ("published", ["offered", "offered"], 1)


# --- crediting a completed assignment --------------------------------------------------------


def _confirmed_past_assignment(live) -> tuple[int, int]:
    """A confirmed seat on a two-hour shift that ended yesterday, at 10 points an hour."""
    ended = utcnow().replace(microsecond=0) - timedelta(days=1)
    with live.session() as session:
        person = PersonFactory()
        shift = ShiftFactory(
            need=NeedFactory(points_per_hour=10, points_tier="ordinary"),
            starts_at=ended - timedelta(hours=2),
            ends_at=ended,
        )
        assignment = AssignmentFactory(
            person=person, position=PositionFactory(shift=shift), status="confirmed"
        )
        session.commit()
        return assignment.id, person.id


def _credit_state(session, assignment_id: int, person_id: int) -> dict:
    return {
        "status": session.get(Assignment, assignment_id).status,
        "records": _count(
            session,
            AttendanceRecord,
            AttendanceRecord.assignment_id == assignment_id,
            AttendanceRecord.outcome.is_not(None),
        ),
        "hours": session.scalars(
            select(HoursEntry.minutes).where(HoursEntry.person_id == person_id)
        ).all(),
        "points": session.scalars(
            select(PointsEntry.points).where(PointsEntry.person_id == person_id)
        ).all(),
        "balance": ledger.balance(session=session, person_id=person_id),
        "stars": _count(session, StarAward, StarAward.person_id == person_id),
    }


NOTHING = {"status": "confirmed", "records": 0, "hours": [], "points": [], "balance": 0, "stars": 0}
CREDITED = {"status": "completed", "records": 1, "hours": [120], "points": [20], "balance": 20}


def test_a_credit_killed_mid_transaction_leaves_nothing_and_credits_once(live, tmp_path):
    assignment_id, person_id = _confirmed_past_assignment(live)

    paused = kill_inside_commit(live.env, tmp_path, "record_outcome:main", str(assignment_id))

    for table in ("attendance_records", "hours_entries", "points_entries"):
        assert f"INSERT INTO {table}" in paused["writes"], paused
    with live.session() as session:
        assert _credit_state(session, assignment_id, person_id) == NOTHING

    run_to_end(live.env, sys.executable, str(RECORD_OUTCOME), str(assignment_id))

    with live.session() as session:
        state = _credit_state(session, assignment_id, person_id)
        assert {k: v for k, v in state.items() if k != "stars"} == CREDITED
        assert ledger.ledger_sum(session=session, person_id=person_id) == 20
        # Recording the same outcome again is answered with the first record, credited once.
        attendance.record_outcome(session=session, assignment_id=assignment_id, outcome="completed")
        session.rollback()
        assert _credit_state(session, assignment_id, person_id) == state

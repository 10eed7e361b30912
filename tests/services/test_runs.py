"""Matching runs: queue, exactly-once claims, solve, publish atomically, fail cleanly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matching.io import load_problem, solution_from_dict
from matching.validation import validate_solution
from models import Assignment, MatchingOverride, MatchingRun, db
from services import runs
from services.errors import Conflict, Invalid
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    CommunityFactory,
    NeedFactory,
    PositionFactory,
    ShiftFactory,
)
from tests.scenarios import WEEK, small_week

TZ = "Asia/Shanghai"
SETTINGS = runs.RunSettings(timezone=TZ, workers=1)


@pytest.fixture
def week(app):
    return small_week()


def _solved(week, **kwargs):
    run = runs.queue_run(
        session=db.session,
        scope=f"community:{week['community'].id}",
        week=WEEK,
        timezone=TZ,
        time_limit_s=5,
        **kwargs,
    )
    assert runs.take_run(session=db.session, run_id=run.id)
    return runs.solve_run(session=db.session, run_id=run.id, settings=SETTINGS)


def _statuses(run_id):
    return sorted(
        db.session.scalars(select(Assignment.status).where(Assignment.matching_run_id == run_id))
    )


def test_solved_run_stores_a_valid_solution_and_proposals(week):
    run = _solved(week)
    assert run.status == "solved", run.error
    problem, solution = load_problem(run.problem), solution_from_dict(run.solution)
    assert validate_solution(problem, solution) == []
    assert _statuses(run.id) == ["proposed", "proposed"]


def test_publish_offers_every_proposal(week):
    run = _solved(week)
    runs.publish_run(session=db.session, run_id=run.id, actor=None)
    assert db.session.get(MatchingRun, run.id).status == "published"
    assert _statuses(run.id) == ["offered", "offered"]


def test_publish_with_a_conflict_changes_nothing(week):
    run = _solved(week)
    proposal = db.session.scalars(
        select(Assignment).where(Assignment.matching_run_id == run.id)
    ).first()
    # Meanwhile the person was confirmed elsewhere at an overlapping time.
    other = ShiftFactory(starts_at=week["shift"].starts_at, ends_at=week["shift"].ends_at)
    AssignmentFactory(
        person=proposal.person, position=PositionFactory(shift=other), status="confirmed"
    )
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        runs.publish_run(session=db.session, run_id=run.id, actor=None)
    assert any(f"person {proposal.person_id}" in c for c in refused.value.errors["conflicts"])
    assert db.session.get(MatchingRun, run.id).status == "solved"
    assert _statuses(run.id) == ["proposed", "proposed"]


def test_failed_solve_leaves_run_failed_and_nothing_else(week, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(runs.engine, "solve", explode)
    run = _solved(week)
    assert run.status == "failed" and "RuntimeError" in run.error
    assert _statuses(run.id) == []


def test_infeasible_pin_fails_with_reason(week):
    # Pin a person to a shift they are not available for: the fixed pair breaks rule 3.
    late = ShiftFactory(
        starts_at=WEEK_START + timedelta(hours=12),
        ends_at=WEEK_START + timedelta(hours=14),
        need=week["shift"].need,
    )
    position = PositionFactory(shift=late)
    db.session.add(
        MatchingOverride(kind="pin", person_id=week["people"][0].id, position_id=position.id)
    )
    db.session.commit()
    run = _solved(week)
    assert run.status == "failed"
    assert run.error


def test_forbid_override_is_respected(week):
    banned = week["people"][0]
    db.session.add(MatchingOverride(kind="forbid", person_id=banned.id, shift_id=week["shift"].id))
    db.session.commit()
    run = _solved(week)
    people = set(
        db.session.scalars(select(Assignment.person_id).where(Assignment.matching_run_id == run.id))
    )
    assert banned.id not in people and len(people) == 2


def test_resolve_supersedes_unpublished_proposals(week):
    first = _solved(week)
    second = _solved(week)
    assert db.session.get(MatchingRun, first.id).status == "discarded"
    assert _statuses(first.id) == [] and _statuses(second.id) == ["proposed", "proposed"]


def test_claim_is_exactly_once(app):
    community = CommunityFactory()
    db.session.commit()
    scope = f"community:{community.id}"
    first = runs.claim_run(
        session=db.session, job_name=f"weekly:{scope}", scope=scope, week=WEEK, timezone=TZ
    )
    second = runs.claim_run(
        session=db.session, job_name=f"weekly:{scope}", scope=scope, week=WEEK, timezone=TZ
    )
    assert first is not None and second is None
    assert db.session.scalars(select(MatchingRun)).all() == [first]


def test_taking_a_run_twice_fails_the_second_time(week):
    run = runs.queue_run(session=db.session, scope="all", week=WEEK, timezone=TZ)
    assert runs.take_run(session=db.session, run_id=run.id)
    assert not runs.take_run(session=db.session, run_id=run.id)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scope": "district:1"}, "scope"),
        ({"week": "2026-49"}, "week"),
        ({"weights": {"speed": 1}}, "weights.speed"),
        ({"weights": {"coverage": "high"}}, "weights.coverage"),
        ({"time_limit_s": 0}, "time_limit_s"),
    ],
)
def test_bad_run_requests_name_the_field(app, kwargs, field):
    values = {"scope": "all", "week": WEEK, "timezone": TZ} | kwargs
    with pytest.raises(Invalid) as error:
        runs.queue_run(session=db.session, **values)
    assert field in error.value.errors


def test_review_reports_fill_unfilled_and_changes(week):
    run = _solved(week)
    review = runs.review_run(session=db.session, run_id=run.id)
    assert review["by_priority"] == [{"priority": 4, "needed": 2, "filled": 2}]
    assert len(review["changes"]["added"]) == 2 and review["changes"]["removed"] == []


def test_a_failed_solve_keeps_only_the_weeks_generated_shifts(app, monkeypatch):
    """The week's occurrences are committed before the solve (no lock is held while it runs);
    they are the recurring need's own and a later run reuses them rather than doubling them."""
    from models import Position, Shift

    community = small_week()["community"]
    recurring = NeedFactory(
        community_id=community.id,
        recurrence_rule="FREQ=DAILY",
        recurrence_start=WEEK_START,
        recurrence_minutes=60,
    )
    db.session.add(Position(need_id=recurring.id, role="any", count=1, min_count=1))
    db.session.commit()
    before = db.session.query(Shift).count()

    def explode(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(runs.engine, "solve", explode)
    run = _solved({"community": community, "scope": f"community:{community.id}"})
    assert run.status == "failed" and run.solution is None
    assert not db.session.query(Assignment).filter_by(matching_run_id=run.id).count()
    db.session.expire_all()
    assert db.session.query(Shift).count() == before + 7  # daily from Monday 09:00
    monkeypatch.undo()
    assert (
        _solved({"community": community, "scope": f"community:{community.id}"}).status == "solved"
    )
    assert db.session.query(Shift).count() == before + 7  # reused, not generated twice

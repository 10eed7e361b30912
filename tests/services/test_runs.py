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
from services.problems import parse_week
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    CommunityFactory,
    NeedFactory,
    PersonFactory,
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


def test_withdrawn_offers_in_the_review_are_those_publishing_withdraws(week):
    """An open offer on the run's shift held by someone outside the run's people (another
    community) is neither named in the review nor withdrawn by publishing."""
    outsider = PersonFactory(
        community_id=CommunityFactory().id, name="Outside Person", role="social_worker"
    )
    # A seat nobody of the run's people can take (they are volunteers), so the run leaves it.
    desk = PositionFactory(shift=week["shift"], role="social_worker", count=1, min_count=1)
    offer = AssignmentFactory(person=outsider, position=desk, status="offered")
    db.session.commit()
    run = _solved(week)
    assert run.status == "solved", run.error
    withdrawn = runs.superseded_offers(session=db.session, run=run)
    review = runs.review_run(session=db.session, run_id=run.id)
    assert review["changes"]["removed"] == [
        {"person_id": a.person_id, "position_id": a.position_id} for a in withdrawn
    ]
    assert outsider.id not in {c["person_id"] for c in review["changes"]["removed"]}
    runs.publish_run(session=db.session, run_id=run.id, actor=None)
    assert db.session.get(Assignment, offer.id).status == "offered"


def test_a_planned_persons_superseded_offer_is_listed_as_withdrawn(week):
    planned = week["people"][0]
    db.session.add(MatchingOverride(kind="forbid", person_id=planned.id, shift_id=week["shift"].id))
    offer = AssignmentFactory(person=planned, position=week["position"], status="offered")
    db.session.commit()
    run = _solved(week)
    review = runs.review_run(session=db.session, run_id=run.id)
    assert review["changes"]["removed"] == [
        {"person_id": planned.id, "position_id": week["position"].id}
    ]
    runs.publish_run(session=db.session, run_id=run.id, actor=None)
    assert db.session.get(Assignment, offer.id).status == "cancelled"


@pytest.mark.parametrize("status", ["queued", "failed", "solved"])
def test_queued_failed_and_solved_runs_can_be_discarded(week, status):
    run = runs.queue_run(session=db.session, scope=week["scope"], week=WEEK, timezone=TZ)
    run.status = status
    db.session.commit()
    assert runs.discard_run(session=db.session, run_id=run.id, actor=None).status == "discarded"
    db.session.expire_all()
    assert db.session.get(MatchingRun, run.id).status == "discarded"
    # A second discard (a double submit) changes nothing and is not an error.
    assert runs.discard_run(session=db.session, run_id=run.id, actor=None).status == "discarded"


@pytest.mark.parametrize("status", ["solving", "published"])
def test_a_solving_or_published_run_cannot_be_discarded(week, status):
    run = runs.queue_run(session=db.session, scope=week["scope"], week=WEEK, timezone=TZ)
    run.status = status
    db.session.commit()
    with pytest.raises(Conflict):
        runs.discard_run(session=db.session, run_id=run.id, actor=None)
    db.session.expire_all()
    assert db.session.get(MatchingRun, run.id).status == status


def test_a_discarded_queued_run_is_not_taken_by_the_scheduler(week):
    run = runs.queue_run(session=db.session, scope=week["scope"], week=WEEK, timezone=TZ)
    runs.discard_run(session=db.session, run_id=run.id, actor=None)
    assert not runs.take_run(session=db.session, run_id=run.id)
    assert runs.run_next(session=db.session, settings=SETTINGS) is None


@pytest.mark.parametrize("bad", ["9999-W52", "0001-W01", "1999-W52", "2101-W01", "2026-W54"])
def test_weeks_outside_2000_to_2100_are_invalid_not_a_crash(app, bad):
    with pytest.raises(Invalid) as error:
        parse_week(bad, timezone=TZ)
    assert "week" in error.value.errors
    with pytest.raises(Invalid) as error:
        runs.queue_run(session=db.session, scope="all", week=bad, timezone=TZ)
    assert "week" in error.value.errors
    assert db.session.scalars(select(MatchingRun)).all() == []


@pytest.mark.parametrize("good", ["2000-W01", "2100-W52", "2026-W53"])
def test_weeks_from_2000_to_2100_are_accepted(good):
    start, end = parse_week(good, timezone=TZ)
    assert (end - start).days == 7 and start.weekday() == 0

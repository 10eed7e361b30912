"""Repair after declines: confirmed seats stay, declined pairs stay out, open seats refill."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Assignment, MatchingOverride, db
from services import offers, runs
from tests.scenarios import WEEK, small_week

SETTINGS = runs.RunSettings(timezone="Asia/Shanghai", workers=1)


def _run(scene, kind="weekly"):
    run = runs.queue_run(
        session=db.session,
        scope=scene["scope"],
        week=WEEK,
        timezone=SETTINGS.timezone,
        time_limit_s=5,
        kind=kind,
    )
    runs.take_run(session=db.session, run_id=run.id)
    solved = runs.solve_run(session=db.session, run_id=run.id, settings=SETTINGS)
    assert solved.status == "solved", solved.error
    return solved


def _seats(status):
    return {
        a.person_id
        for a in db.session.scalars(select(Assignment).where(Assignment.status == status))
    }


@pytest.fixture
def published(app):
    """Four volunteers, a two-seat shift, the first run published: two open offers."""
    scene = small_week(people=4, count=2, min_count=1)
    runs.publish_run(session=db.session, run_id=_run(scene).id, actor=None)
    return scene


def _answer(person_id, accept):
    offer = db.session.scalar(
        select(Assignment).where(Assignment.person_id == person_id, Assignment.status == "offered")
    )
    offers.respond(session=db.session, assignment_id=offer.id, person_id=person_id, accept=accept)


def test_repair_keeps_confirmed_and_refills_the_declined_seat(published):
    first, second = sorted(_seats("offered"))
    _answer(first, accept=True)
    _answer(second, accept=False)
    repair = _run(published, kind="repair")
    review = runs.review_run(session=db.session, run_id=repair.id)
    assert {c["person_id"] for c in review["changes"]["kept"]} == {first}
    runs.publish_run(session=db.session, run_id=repair.id, actor=None)
    assert _seats("confirmed") == {first}
    assert _seats("declined") == {second}
    newcomer = _seats("offered")
    assert len(newcomer) == 1 and newcomer.isdisjoint({first, second})


def test_replan_withdraws_an_open_offer_it_no_longer_makes(published):
    leaving, staying = sorted(_seats("offered"))
    db.session.add(
        MatchingOverride(kind="forbid", person_id=leaving, shift_id=published["shift"].id)
    )
    db.session.commit()
    repair = _run(published, kind="repair")
    review = runs.review_run(session=db.session, run_id=repair.id)
    assert [c["person_id"] for c in review["changes"]["removed"]] == [leaving]
    runs.publish_run(session=db.session, run_id=repair.id, actor=None)
    assert leaving in _seats("cancelled")
    offered = _seats("offered")
    assert staying in offered and leaving not in offered and len(offered) == 2


def test_open_offers_are_incumbents_of_the_next_plan(published):
    offered = sorted(_seats("offered"))
    run = runs.queue_run(
        session=db.session,
        scope=published["scope"],
        week=WEEK,
        timezone=SETTINGS.timezone,
        kind="repair",
    )
    problem = runs.build_run_problem(session=db.session, run=run, settings=SETTINGS)
    assert sorted(int(i["person_id"][1:]) for i in problem["incumbents"]) == offered
    assert problem["weights"]["stability"] == SETTINGS.stability_weight

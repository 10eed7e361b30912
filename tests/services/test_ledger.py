"""The points and hours ledgers: exact credits, no overdraft, idempotent writes, corrections."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from models import HoursEntry, PointsEntry, db
from services import ledger
from services.errors import Conflict, Invalid
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    NeedFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)


def _completed(minutes=90, points_per_hour=10, tier="skilled", person=None):
    shift = ShiftFactory(
        need=NeedFactory(points_per_hour=points_per_hour, points_tier=tier),
        starts_at=WEEK_START,
        ends_at=WEEK_START + timedelta(minutes=minutes),
    )
    assignment = AssignmentFactory(
        person=person or PersonFactory(), position=PositionFactory(shift=shift), status="completed"
    )
    db.session.commit()
    return assignment


@pytest.mark.parametrize(
    ("minutes", "per_hour", "tier", "points"),
    [
        (60, 10, "ordinary", 10),
        (90, 10, "skilled", 23),  # 1.5 h x 10 x 1.5 = 22.5, rounded half up
        (50, 10, "ordinary", 8),  # 8.33...
        (45, 10, "hard_to_fill", 15),
        (0, 10, "hard_to_fill", 0),
    ],
)
def test_points_formula_by_hand(minutes, per_hour, tier, points):
    assert ledger.points_for(minutes, per_hour, tier) == points


@pytest.mark.parametrize(
    ("hours", "stars"), [(99.9, 0), (100, 1), (299.99, 1), (300, 2), (600, 3), (1000, 4), (1500, 5)]
)
def test_star_levels_at_their_thresholds(hours, stars):
    assert ledger.star_level(round(hours * 60)) == stars


def test_completion_is_credited_exactly_once(app):
    assignment = _completed()
    first = ledger.credit_completion(session=db.session, assignment_id=assignment.id)
    again = ledger.credit_completion(session=db.session, assignment_id=assignment.id, minutes=600)
    assert [e.id for e in first] == [e.id for e in again]
    person = assignment.person_id
    assert ledger.recorded_minutes(session=db.session, person_id=person) == 90
    assert ledger.balance(session=db.session, person_id=person) == 23
    assert len(db.session.scalars(select(PointsEntry)).all()) == 1


def test_only_completed_assignments_earn(app):
    assignment = _completed()
    assignment.status = "confirmed"
    db.session.commit()
    with pytest.raises(Conflict):
        ledger.credit_completion(session=db.session, assignment_id=assignment.id)


def test_redemption_never_overdraws(app):
    assignment = _completed(minutes=60, tier="ordinary")  # 10 points
    ledger.credit_completion(session=db.session, assignment_id=assignment.id)
    person = assignment.person_id
    ledger.redeem(session=db.session, person_id=person, points=6, reason="bus card", actor=None)
    with pytest.raises(Conflict):
        ledger.redeem(session=db.session, person_id=person, points=5, reason=None, actor=None)
    assert ledger.balance(session=db.session, person_id=person) == 4


def test_correction_reverses_and_keeps_the_original(app):
    assignment = _completed(minutes=60, tier="ordinary")
    _, earned = ledger.credit_completion(session=db.session, assignment_id=assignment.id)
    reversal = ledger.correct_points(
        session=db.session, entry_id=earned.id, reason="wrong shift", actor=None
    )
    assert reversal.points == -earned.points and db.session.get(PointsEntry, earned.id).points == 10
    assert ledger.balance(session=db.session, person_id=assignment.person_id) == 0


def test_ledger_entries_cannot_be_edited_or_deleted(app):
    assignment = _completed()
    hours, points = ledger.credit_completion(session=db.session, assignment_id=assignment.id)
    for entry, field in ((hours, "minutes"), (points, "points")):
        setattr(entry, field, 1)
        with pytest.raises(Exception, match="append-only"):
            db.session.commit()
        db.session.rollback()
    db.session.delete(db.session.get(HoursEntry, hours.id))
    with pytest.raises(Exception, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_idempotency_replays_and_refuses_a_different_body(app):
    person = PersonFactory()
    db.session.commit()
    ledger.adjust(session=db.session, person_id=person.id, points=50, reason="welcome", actor=None)

    def spend(points):
        def action():
            entry = ledger.record_redemption(
                session=db.session, person_id=person.id, points=points, reason=None, actor=None
            )
            return 201, {"entry_id": entry.id, "points": entry.points}

        return action

    body = {"points": 10}
    first = ledger.idempotent(
        session=db.session, caller="u1", key="k1", body=body, action=spend(10)
    )
    replay = ledger.idempotent(
        session=db.session, caller="u1", key="k1", body=body, action=spend(10)
    )
    assert first == replay
    assert ledger.balance(session=db.session, person_id=person.id) == 40
    with pytest.raises(Invalid):
        ledger.idempotent(
            session=db.session, caller="u1", key="k1", body={"points": 20}, action=spend(20)
        )
    # Another caller's key space is separate.
    ledger.idempotent(session=db.session, caller="u2", key="k1", body=body, action=spend(10))
    assert ledger.balance(session=db.session, person_id=person.id) == 30


class PointsMachine(RuleBasedStateMachine):
    """Earn, redeem, replay and reverse at random: the balance is always the sum of entries."""

    keys = itertools.count()

    @initialize()
    def a_person(self):
        self.person = PersonFactory()
        db.session.commit()
        self.expected = 0
        self.earned: list[int] = []
        self.replays: list[tuple[str, dict]] = []

    @rule(
        minutes=st.integers(0, 600), tier=st.sampled_from(["ordinary", "skilled", "hard_to_fill"])
    )
    def earn(self, minutes, tier):
        assignment = _completed(minutes=max(minutes, 1), tier=tier, person=self.person)
        _, entry = ledger.credit_completion(session=db.session, assignment_id=assignment.id)
        self.expected += entry.points
        self.earned.append(entry.id)

    @rule(points=st.integers(1, 80))
    def redeem(self, points):
        key = f"key-{next(self.keys)}"
        body = {"points": points}

        def action():
            entry = ledger.record_redemption(
                session=db.session, person_id=self.person.id, points=points, reason=None, actor=None
            )
            return 201, {"points": entry.points}

        try:
            ledger.idempotent(session=db.session, caller="m", key=key, body=body, action=action)
        except Conflict:
            db.session.rollback()
            assert points > self.expected
            return
        self.expected -= points
        self.replays.append((key, body))

    @rule(data=st.data())
    def replay(self, data):
        if not self.replays:
            return
        key, body = data.draw(st.sampled_from(self.replays))
        status, _ = ledger.idempotent(
            session=db.session, caller="m", key=key, body=body, action=lambda: (500, {})
        )
        assert status == 201  # the stored first answer, not the action's

    @rule(data=st.data())
    def reverse(self, data):
        if not self.earned:
            return
        entry_id = data.draw(st.sampled_from(self.earned))
        entry = db.session.get(PointsEntry, entry_id)
        try:
            ledger.correct_points(session=db.session, entry_id=entry_id, reason="test", actor=None)
        except Conflict:
            db.session.rollback()
            assert entry.points > self.expected
            return
        self.expected -= entry.points
        self.earned.remove(entry_id)

    @invariant()
    def balance_is_the_sum_of_entries_and_never_negative(self):
        if not hasattr(self, "person"):
            return
        balance = ledger.balance(session=db.session, person_id=self.person.id)
        assert balance == ledger.ledger_sum(session=db.session, person_id=self.person.id)
        assert balance == self.expected >= 0


def test_points_state_machine(app):
    run_state_machine_as_test(
        PointsMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_concurrent_redemptions_never_overspend(app, session):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    person = PersonFactory()
    session.commit()
    person_id = person.id  # read before the threads start: SQLite readers hold the write lock
    ledger.adjust(session=session, person_id=person_id, points=50, reason="start", actor=None)
    session.remove()  # nothing of this thread may hold a transaction while the threads run
    barrier = Barrier(20)

    def spend(_):
        with app.app_context():
            barrier.wait()
            try:
                ledger.redeem(
                    session=db.session, person_id=person_id, points=10, reason=None, actor=None
                )
                return "ok"
            except Conflict:
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(spend, range(20)))
    assert outcomes.count("ok") == 5 and outcomes.count("refused") == 15
    assert ledger.balance(session=db.session, person_id=person_id) == 0
    assert ledger.ledger_sum(session=db.session, person_id=person_id) == 0

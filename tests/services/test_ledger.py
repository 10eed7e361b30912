"""The points and hours ledgers: exact credits, no overdraft, idempotent writes, corrections."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

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
from sqlalchemy import func, select

from models import AuditEvent, HoursEntry, PointsEntry, db
from services import ledger, recognition
from services.errors import Conflict, Invalid, NotFound
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    NeedFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

# Each completed shift a week after the last: one person's bookings may not overlap.
_WEEKS = itertools.count()


def _completed(minutes=90, points_per_hour=10, tier="skilled", person=None):
    starts_at = WEEK_START + timedelta(weeks=next(_WEEKS))
    shift = ShiftFactory(
        need=NeedFactory(points_per_hour=points_per_hour, points_tier=tier),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
    )
    assignment = AssignmentFactory(
        person=person or PersonFactory(), position=PositionFactory(shift=shift), status="completed"
    )
    db.session.commit()
    return assignment


def _credited(minutes=60, tier="ordinary", person=None):
    """A completed assignment with its credit committed (60 min ordinary: 10 points)."""
    assignment = _completed(minutes=minutes, tier=tier, person=person)
    ledger.credit_completion(session=db.session, assignment_id=assignment.id)
    return assignment


def _assignment_points(assignment_id):
    return db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.assignment_id == assignment_id
        )
    )


def _assignment_minutes(assignment_id):
    return db.session.scalar(
        select(func.coalesce(func.sum(HoursEntry.minutes), 0)).where(
            HoursEntry.assignment_id == assignment_id
        )
    )


def _balance(person_id):
    return ledger.balance(session=db.session, person_id=person_id)


@pytest.mark.parametrize(
    ("minutes", "per_hour", "tier", "points"),
    [
        (60, 10, "ordinary", 10),
        (90, 10, "skilled", 23),  # 1.5 h x 10 x 1.5 = 22.5, rounded half up
        (50, 10, "ordinary", 8),  # 8.33...
        (45, 10, "hard_to_fill", 15),
        (1, 10, "ordinary", 0),  # 0.1666... rounds down
        (3, 10, "ordinary", 1),  # exactly 0.5 rounds up
        (0, 10, "hard_to_fill", 0),
    ],
)
def test_points_formula_by_hand(minutes, per_hour, tier, points):
    assert ledger.points_for(minutes, per_hour, tier) == points


@pytest.mark.parametrize(
    ("hours", "stars"), [(99.9, 0), (100, 1), (299.99, 1), (300, 2), (600, 3), (1000, 4), (1500, 5)]
)
def test_star_levels_at_their_thresholds(hours, stars):
    assert recognition.star_level(round(hours * 60)) == stars


def test_completion_is_credited_exactly_once(app):
    assignment = _completed()
    first = ledger.credit_completion(session=db.session, assignment_id=assignment.id)
    again = ledger.credit_completion(session=db.session, assignment_id=assignment.id, minutes=600)
    assert [e.id for e in first] == [e.id for e in again]
    person = assignment.person_id
    assert recognition.recorded_minutes(session=db.session, person_id=person) == 90
    assert _balance(person) == 23
    assert len(db.session.scalars(select(PointsEntry)).all()) == 1


def test_a_credit_reaching_100_hours_awards_the_first_star(app):
    person = PersonFactory()
    _credited(minutes=99 * 60, person=person)
    assert recognition.awards(session=db.session, person_id=person.id) == []
    _credited(minutes=60, person=person)
    [award] = recognition.awards(session=db.session, person_id=person.id)
    assert (award.level, award.minutes) == (1, 100 * 60)


def test_only_completed_assignments_earn(app):
    assignment = _completed()
    assignment.status = "confirmed"
    db.session.commit()
    with pytest.raises(Conflict):
        ledger.credit_completion(session=db.session, assignment_id=assignment.id)


def test_redemption_never_overdraws(app):
    person = _credited().person_id  # 10 points
    ledger.redeem(session=db.session, person_id=person, points=6, reason="bus card", actor=None)
    with pytest.raises(Conflict):
        ledger.redeem(session=db.session, person_id=person, points=5, reason=None, actor=None)
    assert _balance(person) == 4


def test_redeeming_or_adjusting_for_nobody_is_not_found(app):
    for write in (ledger.redeem, ledger.adjust):
        with pytest.raises(NotFound):
            write(session=db.session, person_id=2**40, points=5, reason="x", actor=None)
        db.session.rollback()


# --- reversals -----------------------------------------------------------------------------


def test_a_reversal_undoes_a_redemption_and_keeps_the_original(app):
    person = _credited().person_id
    spent = ledger.redeem(session=db.session, person_id=person, points=6, reason=None, actor=None)
    reversal = ledger.correct_points(
        session=db.session, entry_id=spent.id, reason="card not handed out", actor=None
    )
    assert (reversal.kind, reversal.points, reversal.reverses_entry_id) == (
        "correction",
        6,
        spent.id,
    )
    assert db.session.get(PointsEntry, spent.id).points == -6
    assert _balance(person) == 10
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "points.correct"))
    assert event.details == {"reverses": spent.id, "points": 6}


def test_a_reversal_of_a_positive_adjustment_never_overdraws(app):
    person = PersonFactory()
    db.session.commit()
    bonus = ledger.adjust(
        session=db.session, person_id=person.id, points=30, reason="bonus", actor=None
    )
    ledger.redeem(session=db.session, person_id=person.id, points=20, reason=None, actor=None)
    with pytest.raises(Conflict):
        ledger.correct_points(session=db.session, entry_id=bonus.id, reason="typo", actor=None)
    db.session.rollback()
    assert _balance(person.id) == 10


@pytest.mark.parametrize("kind", ["earn", "correction"])
def test_earned_points_and_corrections_are_not_reversed(app, kind):
    assignment = _credited()
    _, earned = ledger._credited(db.session, assignment.id)
    spent = ledger.redeem(
        session=db.session, person_id=assignment.person_id, points=1, reason=None, actor=None
    )
    if kind == "earn":
        target = earned.id
    else:
        target = ledger.correct_points(
            session=db.session, entry_id=spent.id, reason="undo", actor=None
        ).id
    with pytest.raises(Conflict) as refused:
        ledger.correct_points(session=db.session, entry_id=target, reason="again", actor=None)
    assert "entry_id" in refused.value.errors
    if kind == "earn":
        assert "correct the hours" in refused.value.errors["entry_id"][0]


def test_an_entry_is_reversed_only_once(app):
    person = _credited().person_id
    spent = ledger.redeem(session=db.session, person_id=person, points=4, reason=None, actor=None)
    first = ledger.correct_points(session=db.session, entry_id=spent.id, reason="x", actor=None)
    with pytest.raises(Conflict) as refused:
        ledger.correct_points(session=db.session, entry_id=spent.id, reason="x", actor=None)
    assert refused.value.errors == {"entry_id": [f"reversed by entry {first.id}"]}
    assert _balance(person) == 10


def test_a_second_reversal_past_the_check_stops_at_the_unique_index(app, monkeypatch):
    # What a concurrent second reversal meets: the check saw nothing, the index refuses it.
    person = _credited().person_id
    spent = ledger.redeem(session=db.session, person_id=person, points=4, reason=None, actor=None)
    first = ledger.record_points_correction(
        session=db.session, entry_id=spent.id, reason="x", actor=None
    )
    monkeypatch.setattr(ledger, "_reversal_of", lambda *_: None)
    with pytest.raises(Conflict, match="already reversed"):
        ledger.record_points_correction(
            session=db.session, entry_id=spent.id, reason="x", actor=None
        )
    # The savepoint kept the first reversal: the transaction can still commit it.
    db.session.commit()
    assert db.session.get(PointsEntry, first.id).reverses_entry_id == spent.id
    assert _balance(person) == 10 == ledger.ledger_sum(session=db.session, person_id=person)


def test_a_reversal_needs_a_reason_and_an_entry(app):
    person = _credited().person_id
    spent = ledger.redeem(session=db.session, person_id=person, points=4, reason=None, actor=None)
    with pytest.raises(Invalid):
        ledger.correct_points(session=db.session, entry_id=spent.id, reason=" ", actor=None)
    with pytest.raises(NotFound):
        ledger.correct_points(session=db.session, entry_id=2**40, reason="x", actor=None)


# --- hours corrections ---------------------------------------------------------------------


def test_correcting_hours_down_takes_points_back(app):
    assignment = _credited(minutes=120)  # 20 points
    result = ledger.correct_hours(
        session=db.session, assignment_id=assignment.id, minutes=90, reason="left early", actor=None
    )
    service, _ = ledger._credited(db.session, assignment.id)
    assert (result.hours_entry.minutes, result.hours_entry.corrects_entry_id) == (-30, service.id)
    assert result.hours_entry.reason == "left early"
    entry = result.points_entry
    assert (entry.kind, entry.points, entry.assignment_id, entry.reverses_entry_id) == (
        "correction",
        -5,
        assignment.id,
        None,
    )
    assert (result.minutes, result.balance, result.shortfall) == (90, 15, 0)
    assert _assignment_minutes(assignment.id) == 90
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "hours.correct"))
    assert event.details["delta"] == -30 and event.subject_id == str(result.hours_entry.id)


def test_correcting_hours_up_credits_and_can_award_a_star(app):
    person = PersonFactory()
    assignment = _credited(minutes=90 * 60, person=person)  # 900 points, no star yet
    result = ledger.correct_hours(
        session=db.session,
        assignment_id=assignment.id,
        minutes=100 * 60,
        reason="the log shows 100 h",
        actor=None,
    )
    assert result.points_entry.points == 100 and result.balance == 1000
    assert [a.level for a in recognition.awards(session=db.session, person_id=person.id)] == [1]


def test_repeated_corrections_keep_points_following_the_total(app):
    assignment = _completed(minutes=90, tier="skilled")  # 23 points
    ledger.credit_completion(session=db.session, assignment_id=assignment.id)
    for minutes in (50, 0, 91, 3):
        ledger.correct_hours(
            session=db.session, assignment_id=assignment.id, minutes=minutes, reason="r", actor=None
        )
        assert _assignment_minutes(assignment.id) == minutes
        assert _assignment_points(assignment.id) == ledger.points_for(minutes, 10, "skilled")


def test_a_shortfall_is_recorded_and_the_hours_still_corrected(app):
    assignment = _credited(minutes=120)  # 20 points
    person = assignment.person_id
    ledger.redeem(session=db.session, person_id=person, points=16, reason=None, actor=None)
    result = ledger.correct_hours(
        session=db.session, assignment_id=assignment.id, minutes=0, reason="absent", actor=None
    )
    assert (result.points_entry.points, result.shortfall, result.balance) == (-4, 16, 0)
    assert "shortfall: 16 points" in result.points_entry.reason
    assert _assignment_minutes(assignment.id) == 0
    assert _balance(person) == 0 == ledger.ledger_sum(session=db.session, person_id=person)


def test_a_correction_to_the_same_total_is_invalid(app):
    assignment = _credited(minutes=60)
    with pytest.raises(Invalid) as refused:
        ledger.correct_hours(
            session=db.session, assignment_id=assignment.id, minutes=60, reason="r", actor=None
        )
    assert "minutes" in refused.value.errors


def test_only_credited_assignments_are_corrected(app):
    assignment = _completed()
    with pytest.raises(Conflict) as refused:
        ledger.correct_hours(
            session=db.session, assignment_id=assignment.id, minutes=30, reason="r", actor=None
        )
    assert "assignment_id" in refused.value.errors
    db.session.rollback()
    with pytest.raises(NotFound):
        ledger.correct_hours(
            session=db.session, assignment_id=2**40, minutes=30, reason="r", actor=None
        )


@pytest.mark.parametrize(("minutes", "reason", "field"), [(-1, "r", "minutes"), (30, "", "reason")])
def test_a_correction_needs_minutes_and_a_reason(app, minutes, reason, field):
    assignment = _credited()
    with pytest.raises(Invalid) as refused:
        ledger.correct_hours(
            session=db.session,
            assignment_id=assignment.id,
            minutes=minutes,
            reason=reason,
            actor=None,
        )
    assert field in refused.value.errors


# --- append-only and idempotency -----------------------------------------------------------


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
    assert _balance(person.id) == 40
    with pytest.raises(Invalid):
        ledger.idempotent(
            session=db.session, caller="u1", key="k1", body={"points": 20}, action=spend(20)
        )
    # Another caller's key space is separate.
    ledger.idempotent(session=db.session, caller="u2", key="k1", body=body, action=spend(10))
    assert _balance(person.id) == 30


def test_a_refused_action_stores_no_key(app):
    person = PersonFactory()
    db.session.commit()

    def spend():
        entry = ledger.record_redemption(
            session=db.session, person_id=person.id, points=5, reason=None, actor=None
        )
        return 201, {"id": entry.id}

    body = {"points": 5}
    with pytest.raises(Conflict):
        ledger.idempotent(session=db.session, caller="u", key="k", body=body, action=spend)
    ledger.adjust(session=db.session, person_id=person.id, points=5, reason="top up", actor=None)
    status, _ = ledger.idempotent(session=db.session, caller="u", key="k", body=body, action=spend)
    assert status == 201 and _balance(person.id) == 0


# --- the state machine ---------------------------------------------------------------------


class PointsMachine(RuleBasedStateMachine):
    """Earn, redeem, adjust, replay, reverse and correct hours at random: the balance is always
    the sum of entries and never negative; points follow hours while the balance allows."""

    keys = itertools.count()

    @initialize()
    def a_person(self):
        self.person = PersonFactory()
        db.session.commit()
        self.expected = 0
        self.assignments: dict[int, int] = {}  # id -> recorded minutes
        self.tiers: dict[int, str] = {}
        self.short: set[int] = set()  # assignments whose points lag their hours (a shortfall)
        self.reversible: list[int] = []
        self.reversed: list[int] = []
        self.earned: list[int] = []
        self.replays: list[tuple[str, dict]] = []

    def _write(self, body, action):
        """Through `idempotent`, as the API does; None when refused (409)."""
        key = f"key-{next(self.keys)}"
        try:
            _, response = ledger.idempotent(
                session=db.session, caller="m", key=key, body=body, action=action
            )
        except Conflict:
            return None
        self.replays.append((key, body))
        return response

    @rule(
        minutes=st.integers(1, 600), tier=st.sampled_from(["ordinary", "skilled", "hard_to_fill"])
    )
    def earn(self, minutes, tier):
        assignment = _completed(minutes=minutes, tier=tier, person=self.person)
        _, entry = ledger.credit_completion(session=db.session, assignment_id=assignment.id)
        self.expected += entry.points
        self.assignments[assignment.id] = minutes
        self.tiers[assignment.id] = tier
        self.earned.append(entry.id)

    @rule(points=st.integers(1, 80))
    def redeem(self, points):
        def action():
            entry = ledger.record_redemption(
                session=db.session, person_id=self.person.id, points=points, reason=None, actor=None
            )
            return 201, {"id": entry.id, "points": entry.points}

        response = self._write({"redeem": points}, action)
        if response is None:
            assert points > self.expected
            return
        self.expected -= points
        self.reversible.append(response["id"])

    @rule(points=st.integers(-80, 80).filter(bool))
    def adjust(self, points):
        def action():
            entry = ledger.record_adjustment(
                session=db.session, person_id=self.person.id, points=points, reason="r", actor=None
            )
            return 201, {"id": entry.id, "points": entry.points}

        response = self._write({"adjust": points}, action)
        if response is None:
            assert -points > self.expected
            return
        self.expected += points
        self.reversible.append(response["id"])

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
        if not self.reversible:
            return
        entry_id = data.draw(st.sampled_from(self.reversible))
        points = db.session.get(PointsEntry, entry_id).points
        try:
            ledger.correct_points(session=db.session, entry_id=entry_id, reason="r", actor=None)
        except Conflict:
            db.session.rollback()
            assert points > self.expected
            return
        self.expected -= points
        self.reversible.remove(entry_id)
        self.reversed.append(entry_id)

    @rule(data=st.data())
    def reverse_again_or_earned(self, data):
        refused = self.reversed + self.earned
        if not refused:
            return
        entry_id = data.draw(st.sampled_from(refused))
        with pytest.raises(Conflict):
            ledger.correct_points(session=db.session, entry_id=entry_id, reason="r", actor=None)
        db.session.rollback()

    @rule(data=st.data(), minutes=st.integers(0, 600))
    def correct_hours(self, data, minutes):
        if not self.assignments:
            return
        assignment_id = data.draw(st.sampled_from(sorted(self.assignments)))
        if minutes == self.assignments[assignment_id]:
            with pytest.raises(Invalid):
                ledger.correct_hours(
                    session=db.session,
                    assignment_id=assignment_id,
                    minutes=minutes,
                    reason="r",
                    actor=None,
                )
            db.session.rollback()
            return
        result = ledger.correct_hours(
            session=db.session, assignment_id=assignment_id, minutes=minutes, reason="r", actor=None
        )
        self.assignments[assignment_id] = minutes
        self.expected += result.points_entry.points if result.points_entry else 0
        if result.shortfall:
            self.short.add(assignment_id)

    @invariant()
    def balance_is_the_sum_of_entries_and_never_negative(self):
        if not hasattr(self, "person"):
            return
        balance = _balance(self.person.id)
        assert balance == ledger.ledger_sum(session=db.session, person_id=self.person.id)
        assert balance == self.expected >= 0

    @invariant()
    def points_follow_hours_when_the_balance_allows(self):
        for assignment_id, minutes in getattr(self, "assignments", {}).items():
            assert _assignment_minutes(assignment_id) == minutes
            if assignment_id not in self.short:
                tier = self.tiers[assignment_id]
                assert _assignment_points(assignment_id) == ledger.points_for(minutes, 10, tier)


def test_points_state_machine(app):
    run_state_machine_as_test(
        PointsMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )


# --- concurrency (run on SQLite and on PostgreSQL) -----------------------------------------


def _in_threads(app, count, work):
    """Run `work(i)` in `count` threads released together, each with its own session."""
    barrier = Barrier(count)

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                return work(i)
            except Conflict:
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_redemptions_never_overspend(app, session):
    person = PersonFactory()
    session.commit()
    person_id = person.id  # read before the threads start: SQLite readers hold the write lock
    ledger.adjust(session=session, person_id=person_id, points=50, reason="start", actor=None)
    session.remove()  # nothing of this thread may hold a transaction while the threads run

    def spend(_):
        ledger.redeem(session=db.session, person_id=person_id, points=10, reason=None, actor=None)
        return "ok"

    outcomes = _in_threads(app, 20, spend)
    assert outcomes.count("ok") == 5 and outcomes.count("refused") == 15
    assert _balance(person_id) == 0
    assert ledger.ledger_sum(session=db.session, person_id=person_id) == 0


def test_concurrent_first_credits_of_a_new_person_both_count(app, session):
    # Both find no account; one INSERT ... ON CONFLICT makes the second add to the first's row.
    person_id = PersonFactory().id
    session.commit()
    session.remove()

    def credit(_):
        ledger.adjust(session=db.session, person_id=person_id, points=7, reason="gift", actor=None)
        return "ok"

    assert _in_threads(app, 8, credit) == ["ok"] * 8
    assert _balance(person_id) == 56 == ledger.ledger_sum(session=db.session, person_id=person_id)


def test_concurrent_completions_of_a_new_person_are_all_credited(app, session):
    person = PersonFactory()
    ids = [_completed(minutes=60, tier="ordinary", person=person).id for _ in range(6)]
    person_id = person.id
    session.remove()

    def credit(i):
        ledger.credit_completion(session=db.session, assignment_id=ids[i])
        return "ok"

    assert _in_threads(app, 6, credit) == ["ok"] * 6
    assert _balance(person_id) == 60 == ledger.ledger_sum(session=db.session, person_id=person_id)


def test_concurrent_reversals_of_one_entry_reverse_it_once(app, session):
    person = PersonFactory()
    session.commit()
    person_id = person.id
    ledger.adjust(session=session, person_id=person_id, points=50, reason="start", actor=None)
    entry_id = ledger.redeem(
        session=session, person_id=person_id, points=20, reason=None, actor=None
    ).id
    session.remove()

    def reverse(_):
        ledger.correct_points(session=db.session, entry_id=entry_id, reason="r", actor=None)
        return "ok"

    outcomes = _in_threads(app, 6, reverse)
    assert outcomes.count("ok") == 1 and outcomes.count("refused") == 5
    assert _balance(person_id) == 50 == ledger.ledger_sum(session=db.session, person_id=person_id)

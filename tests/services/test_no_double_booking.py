"""No double booking: the database refuses overlapping booked seats; services make it a 409."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from models import Assignment, MatchingRun, db
from services import assignments, offers, runs, shifts
from services.errors import Conflict
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)
from tests.scenarios import WEEK, small_week

NINE = WEEK_START + timedelta(days=1)  # a Tuesday, 09:00 local


def shift_at(start_hours: float, hours: float = 2, **kwargs):
    starts_at = NINE + timedelta(hours=start_hours)
    return ShiftFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), **kwargs)


def seat(person, shift, status="confirmed"):
    """A seat written straight through the ORM: no service check stands in the way."""
    return AssignmentFactory(person=person, position=PositionFactory(shift=shift), status=status)


def book(person_id, shift, status="confirmed"):
    position = PositionFactory(shift=shift)
    db.session.commit()
    return assignments.create_assignment(
        session=db.session, person_id=person_id, position_id=position.id, status=status
    )


def _count(**where):
    stmt = select(func.count()).select_from(Assignment)
    for name, value in where.items():
        stmt = stmt.where(getattr(Assignment, name) == value)
    return db.session.scalar(stmt)


# --- the database's own rule ----------------------------------------------------------------


def test_seats_carry_their_shifts_times(session):
    shift = shift_at(0)
    assignment = seat(PersonFactory(), shift)
    session.commit()
    assert (assignment.starts_at, assignment.ends_at) == (shift.starts_at, shift.ends_at)


@pytest.mark.parametrize("status", ["offered", "confirmed", "completed"])
def test_database_refuses_an_overlapping_seat_inserted_past_the_services(session, status):
    person = PersonFactory()
    seat(person, shift_at(0))
    session.commit()
    with pytest.raises(IntegrityError) as refused:
        seat(person, shift_at(1), status=status)  # the factory flushes
    session.rollback()
    assert assignments.is_double_booking(refused.value)
    assert _count(person_id=person.id) == 1


def test_database_refuses_an_update_into_a_booked_overlap(session):
    person = PersonFactory()
    seat(person, shift_at(0))
    proposal = seat(person, shift_at(1), status="proposed")
    session.commit()
    with pytest.raises(IntegrityError) as refused:
        session.execute(
            update(Assignment).where(Assignment.id == proposal.id).values(status="offered")
        )
    session.rollback()
    assert assignments.is_double_booking(refused.value)


def test_touching_shifts_are_not_an_overlap(session):
    person = PersonFactory()
    seat(person, shift_at(0, hours=2))  # 09:00-11:00
    seat(person, shift_at(2, hours=2))  # 11:00-13:00
    session.commit()
    assert _count(person_id=person.id, status="confirmed") == 2


@pytest.mark.parametrize("status", ["declined", "cancelled", "no_show", "proposed"])
def test_seats_that_hold_no_time_do_not_block(session, status):
    # `proposed` is a run's unpublished draft: runs of different scopes may draft one person.
    person = PersonFactory()
    seat(person, shift_at(0), status=status)
    seat(person, shift_at(1), status="confirmed")
    session.commit()
    assert _count(person_id=person.id) == 2


def test_other_people_may_overlap(session):
    shift = shift_at(0)
    seat(PersonFactory(), shift)
    seat(PersonFactory(), shift_at(1))
    session.commit()
    assert _count(status="confirmed") == 2


# --- services: a readable 409 ---------------------------------------------------------------


def test_manual_assignment_into_an_overlap_is_a_conflict_naming_the_clash(session):
    person = PersonFactory()
    first = book(person.id, shift_at(0))
    with pytest.raises(Conflict) as refused:
        book(person.id, shift_at(1))
    assert f"assignment {first.id}" in refused.value.message
    assert refused.value.errors["conflicting_assignment_id"] == [str(first.id)]


def test_proposal_offered_into_an_overlap_is_a_conflict(session):
    person = PersonFactory()
    first = book(person.id, shift_at(0))
    proposal = seat(person, shift_at(1), status="proposed")
    session.commit()
    with pytest.raises(Conflict) as refused:
        assignments.update_assignment(
            session=session, assignment_id=proposal.id, changes={"status": "offered"}
        )
    assert f"assignment {first.id}" in refused.value.message
    assert session.get(Assignment, proposal.id).status == "proposed"


def test_accepting_an_offer_the_database_refuses_is_a_conflict(session, monkeypatch):
    # The backstop: even with a check skipped, respond() turns the refusal into a 409.
    person = PersonFactory()
    offer = seat(person, shift_at(0), status="offered")
    session.commit()
    monkeypatch.setattr(
        "sqlalchemy.orm.Session.commit",
        _failing_commit(session, person.id),
    )
    with pytest.raises(Conflict) as refused:
        offers.respond(session=session, assignment_id=offer.id, person_id=person.id, accept=True)
    assert f"person {person.id}" in refused.value.message


def _failing_commit(session, person_id):
    def commit(self):
        raise IntegrityError(
            "UPDATE assignments", {}, Exception(assignments.DOUBLE_BOOKING_MESSAGE)
        )

    return commit


def test_moving_a_shift_into_a_clash_is_a_conflict_and_moves_nothing(session):
    person = PersonFactory()
    first = book(person.id, shift_at(0))
    later = shift_at(4)
    second = book(person.id, later)
    before = (later.starts_at, later.ends_at)
    with pytest.raises(Conflict) as refused:
        shifts.update_shift(
            session=session,
            shift_id=later.id,
            changes={"starts_at": NINE + timedelta(hours=1), "ends_at": NINE + timedelta(hours=3)},
        )
    assert f"person {person.id}" in refused.value.message
    assert f"assignment {first.id}" in refused.value.message
    session.expire_all()
    assert (later.starts_at, later.ends_at) == before
    assert (session.get(Assignment, second.id).starts_at, second.ends_at) == before


def test_moving_a_shift_moves_its_seats(session):
    person = PersonFactory()
    shift = shift_at(0)
    held = book(person.id, shift)
    declined = seat(PersonFactory(), shift, status="declined")
    session.commit()
    moved_to = (NINE + timedelta(hours=5), NINE + timedelta(hours=7))
    shifts.update_shift(
        session=session,
        shift_id=shift.id,
        changes={"starts_at": moved_to[0], "ends_at": moved_to[1]},
    )
    session.expire_all()
    for assignment_id in (held.id, declined.id):
        row = session.get(Assignment, assignment_id)
        assert (row.starts_at, row.ends_at) == moved_to
    # The old time is free again, the new one is taken.
    book(person.id, shift_at(0))
    with pytest.raises(Conflict):
        book(person.id, shift_at(5.5))


def test_cancelling_a_shift_cancels_its_open_seats_and_frees_the_people(session):
    person = PersonFactory()
    shift = shift_at(0)
    confirmed = book(person.id, shift)
    proposed = seat(PersonFactory(), shift, status="proposed")
    session.commit()
    shifts.update_shift(session=session, shift_id=shift.id, changes={"cancelled": True})
    session.expire_all()
    assert session.get(Assignment, confirmed.id).status == "cancelled"
    assert session.get(Assignment, proposed.id).status == "cancelled"
    book(person.id, shift_at(1))
    # Un-cancelling does not revive the seats.
    shifts.update_shift(session=session, shift_id=shift.id, changes={"cancelled": False})
    session.expire_all()
    assert session.get(Assignment, confirmed.id).status == "cancelled"


def test_cancelling_a_shift_keeps_completed_seats(session):
    shift = shift_at(0)
    done = seat(PersonFactory(), shift, status="completed")
    session.commit()
    shifts.update_shift(session=session, shift_id=shift.id, changes={"cancelled": True})
    session.expire_all()
    assert session.get(Assignment, done.id).status == "completed"


# --- publishing -----------------------------------------------------------------------------


def _solved_week():
    week = small_week()
    run = runs.queue_run(
        session=db.session,
        scope=f"community:{week['community'].id}",
        week=WEEK,
        timezone="Asia/Shanghai",
        time_limit_s=5,
    )
    assert runs.take_run(session=db.session, run_id=run.id)
    settings = runs.RunSettings(timezone="Asia/Shanghai", workers=1)
    run = runs.solve_run(session=db.session, run_id=run.id, settings=settings)
    assert run.status == "solved", run.error
    return week, run


def _run_statuses(run_id):
    return sorted(
        db.session.scalars(select(Assignment.status).where(Assignment.matching_run_id == run_id))
    )


def test_publish_the_database_refuses_is_a_conflict_and_writes_nothing(app, monkeypatch):
    week, run = _solved_week()
    proposal = db.session.scalars(
        select(Assignment).where(Assignment.matching_run_id == run.id)
    ).first()
    # A booking the publish checks do not see (made "meanwhile"): only the database stops it.
    other = ShiftFactory(starts_at=proposal.starts_at, ends_at=proposal.ends_at)
    clash = seat(proposal.person, other)
    db.session.commit()
    real = runs.publish_conflicts
    calls = iter([[]])
    monkeypatch.setattr(runs, "publish_conflicts", lambda **kw: next(calls, None) or real(**kw))
    with pytest.raises(Conflict) as refused:
        runs.publish_run(session=db.session, run_id=run.id, actor=None)
    assert any(f"assignment {clash.id}" in c for c in refused.value.errors["conflicts"])
    db.session.expire_all()
    assert db.session.get(MatchingRun, run.id).status == "solved"
    assert _run_statuses(run.id) == ["proposed", "proposed"]
    assert runs.review_run(session=db.session, run_id=run.id)["status"] == "solved"


# --- concurrency (SQLite and PostgreSQL) ----------------------------------------------------


def test_twenty_concurrent_bookings_of_one_person_give_exactly_one_seat(app, session):
    person = PersonFactory()
    # Twenty shifts that all overlap 10:00-10:30; each start a minute later.
    positions = [
        PositionFactory(shift=shift_at(i / 60, hours=1.5 - i / 60 + 0.1)) for i in range(20)
    ]
    session.commit()
    person_id, position_ids = person.id, [p.id for p in positions]
    session.remove()
    barrier = Barrier(20)

    def work(position_id):
        with app.app_context():
            barrier.wait()
            try:
                assignments.create_assignment(
                    session=db.session,
                    person_id=person_id,
                    position_id=position_id,
                    status="confirmed",
                )
                return "ok"
            except Conflict:
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(work, position_ids))
    assert outcomes.count("ok") == 1 and outcomes.count("refused") == 19
    assert _count(person_id=person_id) == 1

"""Service records: check-in/out, the organization's record, one credit, due dates, reliability."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from models import Assignment, HoursEntry, PointsEntry, StarAward
from services import attendance, ledger, recognition, reliability
from services.errors import Conflict, Invalid, NotFound
from services.permissions import Reach
from services.problems import export_problem
from services.workdays import WorkCalendar, work_calendar
from tests.factories import (
    AssignmentFactory,
    NeedFactory,
    OrganizationFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

TZ = "Asia/Shanghai"
NOW = datetime.now(UTC).replace(microsecond=0)
NO_HOLIDAYS = WorkCalendar()


def seat(*, ends_ago=timedelta(hours=1), minutes=120, status="confirmed", need=None, person=None):
    """A seat on a shift that ended `ends_ago` before NOW (negative: in the future)."""
    ends_at = NOW - ends_ago
    shift = ShiftFactory(
        need=need or NeedFactory(points_per_hour=10, points_tier="ordinary"),
        starts_at=ends_at - timedelta(minutes=minutes),
        ends_at=ends_at,
    )
    return AssignmentFactory(
        person=person or PersonFactory(), position=PositionFactory(shift=shift), status=status
    )


def entries(session, model, assignment):
    return session.scalars(select(model).where(model.assignment_id == assignment.id)).all()


# --- the organization's record ---------------------------------------------------------------


def test_completed_defaults_to_the_shift_length_and_credits_hours_and_points(session):
    assignment = seat(minutes=90)
    session.commit()

    record = attendance.record_outcome(
        session=session, assignment_id=assignment.id, outcome="completed", now=NOW
    )

    assert record.minutes == 90 and assignment.status == "completed"
    [hours] = entries(session, HoursEntry, assignment)
    [points] = entries(session, PointsEntry, assignment)
    assert hours.minutes == 90
    assert points.points == 15  # 1.5 h x 10 points/h x 1.0


def test_recording_twice_credits_once_and_another_outcome_is_refused(session):
    assignment = seat()
    session.commit()

    first = attendance.record_outcome(
        session=session, assignment_id=assignment.id, outcome="completed", minutes=60, now=NOW
    )
    again = attendance.record_outcome(
        session=session, assignment_id=assignment.id, outcome="completed", minutes=999, now=NOW
    )
    with pytest.raises(Conflict) as caught:
        attendance.record_outcome(
            session=session, assignment_id=assignment.id, outcome="no_show", now=NOW
        )

    assert again is first and again.minutes == 60
    assert [e.minutes for e in entries(session, HoursEntry, assignment)] == [60]
    assert "already completed" in caught.value.errors["outcome"][0]


def test_the_persons_own_check_in_and_out_is_the_default_when_approving(session):
    assignment = seat(ends_ago=timedelta(minutes=10), minutes=120)
    session.commit()
    start = assignment.shift.starts_at

    attendance.check_in(
        session=session,
        assignment_id=assignment.id,
        person_id=assignment.person_id,
        now=start + timedelta(minutes=15),
    )
    attendance.check_out(
        session=session,
        assignment_id=assignment.id,
        person_id=assignment.person_id,
        now=start + timedelta(minutes=115),
    )
    record = attendance.record_outcome(
        session=session, assignment_id=assignment.id, outcome="completed", now=NOW
    )

    assert record.minutes == 100
    assert entries(session, HoursEntry, assignment)[0].minutes == 100


def test_the_organization_corrects_the_self_report(session):
    assignment = seat(ends_ago=timedelta(minutes=10), minutes=120)
    session.commit()
    start = assignment.shift.starts_at
    person = assignment.person_id
    attendance.check_in(session=session, assignment_id=assignment.id, person_id=person, now=start)
    attendance.check_out(
        session=session,
        assignment_id=assignment.id,
        person_id=person,
        now=start + timedelta(minutes=30),
    )

    record = attendance.record_outcome(
        session=session, assignment_id=assignment.id, outcome="completed", minutes=120, now=NOW
    )

    assert record.minutes == 120
    assert attendance.self_reported_minutes(record) == 30


@pytest.mark.parametrize(("outcome", "status"), [("no_show", "no_show"), ("excused", "cancelled")])
def test_no_show_and_excused_move_the_seat_and_earn_nothing(session, outcome, status):
    assignment = seat()
    session.commit()

    attendance.record_outcome(session=session, assignment_id=assignment.id, outcome=outcome)

    assert assignment.status == status
    assert not entries(session, HoursEntry, assignment)
    assert not entries(session, PointsEntry, assignment)


def test_refusals(session):
    future = seat(ends_ago=-timedelta(days=1))
    offered = seat(status="offered")
    cancelled_shift = seat()
    cancelled_shift.shift.cancelled = True
    past = seat()
    session.commit()

    with pytest.raises(Conflict, match="after it ends"):
        attendance.record_outcome(session=session, assignment_id=future.id, outcome="completed")
    with pytest.raises(Conflict, match="only a confirmed seat"):
        attendance.record_outcome(session=session, assignment_id=offered.id, outcome="no_show")
    with pytest.raises(Conflict, match="cancelled"):
        attendance.record_outcome(
            session=session, assignment_id=cancelled_shift.id, outcome="completed"
        )
    with pytest.raises(Invalid) as minutes_on_no_show:
        attendance.record_outcome(
            session=session, assignment_id=past.id, outcome="no_show", minutes=30
        )
    with pytest.raises(Invalid):
        attendance.record_outcome(
            session=session, assignment_id=past.id, outcome="completed", minutes=24 * 60 + 1
        )
    with pytest.raises(Invalid):
        attendance.record_outcome(session=session, assignment_id=past.id, outcome="served")
    with pytest.raises(NotFound):
        attendance.record_outcome(session=session, assignment_id=10**6, outcome="completed")
    assert "minutes" in minutes_on_no_show.value.errors
    assert session.get(Assignment, past.id).status == "confirmed"


def test_check_in_window_and_ownership(session):
    assignment = seat(ends_ago=-timedelta(hours=5), minutes=60)  # starts in 4 hours
    other = PersonFactory()
    session.commit()
    start = assignment.shift.starts_at

    with pytest.raises(Conflict):
        attendance.check_in(
            session=session,
            assignment_id=assignment.id,
            person_id=assignment.person_id,
            now=start - timedelta(hours=3),
        )
    with pytest.raises(NotFound):
        attendance.check_in(session=session, assignment_id=assignment.id, person_id=other.id)
    with pytest.raises(Conflict, match="no check-in"):
        attendance.check_out(
            session=session, assignment_id=assignment.id, person_id=assignment.person_id, now=start
        )
    first = attendance.check_in(
        session=session,
        assignment_id=assignment.id,
        person_id=assignment.person_id,
        now=start - timedelta(hours=1),
    )
    again = attendance.check_in(
        session=session,
        assignment_id=assignment.id,
        person_id=assignment.person_id,
        now=start,
    )
    assert again.checked_in_at == first.checked_in_at == start - timedelta(hours=1)
    with pytest.raises(Conflict):
        attendance.check_out(
            session=session,
            assignment_id=assignment.id,
            person_id=assignment.person_id,
            now=start - timedelta(hours=2),
        )


def test_no_self_report_after_the_record(session):
    assignment = seat(ends_ago=timedelta(minutes=5))
    session.commit()
    attendance.record_outcome(session=session, assignment_id=assignment.id, outcome="no_show")

    with pytest.raises(Conflict):
        attendance.check_in(
            session=session,
            assignment_id=assignment.id,
            person_id=assignment.person_id,
            now=assignment.shift.starts_at,
        )


# --- due dates ------------------------------------------------------------------------------


def _ending_on(day: date):
    """A shift ending at 16:00 Shanghai time (08:00 UTC) on `day`."""
    return SimpleNamespace(ends_at=datetime(day.year, day.month, day.day, 8, tzinfo=UTC))


@pytest.mark.parametrize(
    ("calendar", "due"),
    [
        # Friday 4 December: ten working days skip two weekends -> Friday 18 December.
        (NO_HOLIDAYS, date(2026, 12, 18)),
        # A holiday on Thursday 10 December pushes it to Monday 21 December.
        (WorkCalendar(holidays=frozenset({date(2026, 12, 10)})), date(2026, 12, 21)),
        # A make-up working Saturday (12 December) brings it to Thursday 17 December.
        (WorkCalendar(extra_workdays=frozenset({date(2026, 12, 12)})), date(2026, 12, 17)),
    ],
)
def test_due_date_counts_working_days(calendar, due):
    shift = _ending_on(date(2026, 12, 4))
    assert attendance.due_on(shift, calendar=calendar, timezone=TZ, working_days=10) == due


def test_due_date_across_the_national_day_week():
    # Wednesday 30 September 2026; 1-7 October are public holidays in mainland China.
    # Working days after: Oct 8, 9, 12, 13, 14, 15, 16, 19, 20, 21 -> due Wednesday 21 October.
    shift = _ending_on(date(2026, 9, 30))
    calendar = work_calendar(country="CN")
    assert attendance.due_on(shift, calendar=calendar, timezone=TZ, working_days=10) == date(
        2026, 10, 21
    )
    without = attendance.due_on(shift, calendar=NO_HOLIDAYS, timezone=TZ, working_days=10)
    assert without == date(2026, 10, 14)


def test_due_date_uses_the_local_day_of_the_end():
    # 23:30 Friday in Shanghai is 15:30 UTC Friday; 00:30 Saturday local is Friday in UTC.
    saturday_local = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)
    shift = SimpleNamespace(ends_at=saturday_local)
    # Ended on Saturday local: Mon 7 .. Fri 18 is ten working days.
    assert attendance.due_on(shift, calendar=NO_HOLIDAYS, timezone=TZ, working_days=10) == date(
        2026, 12, 18
    )


def test_bad_calendar_settings_are_named():
    with pytest.raises(Invalid) as caught:
        work_calendar(country=None, holidays=["2026-13-01"])
    assert "holidays" in caught.value.errors
    with pytest.raises(Invalid):
        work_calendar(country="XX")


def test_pending_and_overdue_records(session):
    organization = OrganizationFactory()
    need = NeedFactory(organization_id=organization.id)
    late = seat(ends_ago=timedelta(days=30), need=need)
    recent = seat(ends_ago=timedelta(hours=2), need=need)
    recorded = seat(ends_ago=timedelta(days=31), need=need)
    seat(ends_ago=-timedelta(days=1), need=need)  # not over yet
    seat(ends_ago=timedelta(days=32), status="offered", need=need)  # never confirmed
    elsewhere = seat(ends_ago=timedelta(days=30))
    session.commit()
    attendance.record_outcome(session=session, assignment_id=recorded.id, outcome="no_show")

    def pending(**kwargs):
        found = attendance.pending_records(
            session=session, reach=None, calendar=NO_HOLIDAYS, timezone=TZ, now=NOW, **kwargs
        )
        return {p.assignment.id: p.overdue for p in found}

    assert pending() == {late.id: True, recent.id: False, elsewhere.id: True}
    assert pending(overdue_only=True) == {late.id: True, elsewhere.id: True}
    assert pending(organization_id=organization.id) == {late.id: True, recent.id: False}
    staff = Reach(frozenset(), frozenset({organization.id}), role="org_staff")
    found = attendance.pending_records(
        session=session, reach=staff, calendar=NO_HOLIDAYS, timezone=TZ, now=NOW
    )
    assert {p.assignment.id for p in found} == {late.id, recent.id}


# --- stars ----------------------------------------------------------------------------------


def test_a_star_is_awarded_when_recorded_hours_reach_100(session):
    person = PersonFactory()
    # Four full days back to back, then 230 minutes: 99 h 50 min on record.
    for minutes, days_ago in [(1440, 2), (1440, 3), (1440, 4), (1440, 5), (230, 7)]:
        earlier = seat(person=person, minutes=minutes, ends_ago=timedelta(days=days_ago))
        session.commit()
        attendance.record_outcome(session=session, assignment_id=earlier.id, outcome="completed")
    crossing = seat(person=person, minutes=10)
    session.commit()
    assert recognition.recorded_minutes(session=session, person_id=person.id) == 5990
    assert recognition.star_level(5990) == 0
    assert not recognition.awards(session=session, person_id=person.id)

    attendance.record_outcome(session=session, assignment_id=crossing.id, outcome="completed")

    [award] = recognition.awards(session=session, person_id=person.id)
    assert (award.level, award.minutes) == (1, 6000)
    assert session.scalar(select(func.count()).select_from(StarAward)) == 1


# --- reliability ----------------------------------------------------------------------------


def _no_shows(session, person, count, *, days_ago=10):
    for _ in range(count):
        assignment = seat(person=person, ends_ago=timedelta(days=days_ago))
        session.commit()
        attendance.record_outcome(session=session, assignment_id=assignment.id, outcome="no_show")


def test_five_no_shows_in_a_year_pause_matching_until_cleared(session):
    person = PersonFactory()
    _no_shows(session, person, 2, days_ago=400)  # older than 12 months: do not count
    _no_shows(session, person, 4)
    excused = seat(person=person, ends_ago=timedelta(days=3))
    session.commit()
    attendance.record_outcome(session=session, assignment_id=excused.id, outcome="excused")

    assert not reliability.reliability_of(session=session, person=person, limit=5).paused
    _no_shows(session, person, 1)
    state = reliability.reliability_of(session=session, person=person, limit=5)
    assert (state.no_shows, state.paused) == (5, True)
    assert not reliability.reliability_of(session=session, person=person, limit=0).paused

    reliability.clear(session=session, person_id=person.id, actor=None)

    cleared = reliability.reliability_of(session=session, person=person, limit=5)
    assert (cleared.no_shows, cleared.paused) == (0, False)


def test_a_paused_person_is_left_out_of_the_problem(session):
    week_start = datetime(2026, 11, 29, 16, tzinfo=UTC)  # Monday 30 November, Shanghai
    paused, steady = PersonFactory(), PersonFactory()
    PositionFactory(shift=ShiftFactory(starts_at=week_start + timedelta(hours=10)))
    session.commit()
    for _ in range(5):
        gone = seat(person=paused, ends_ago=timedelta(days=3))
        gone.shift.starts_at = week_start - timedelta(days=20)
        gone.shift.ends_at = week_start - timedelta(days=20) + timedelta(hours=2)
        session.commit()
        attendance.record_outcome(session=session, assignment_id=gone.id, outcome="no_show")

    def people(limit):
        problem = export_problem(session=session, week="2026-W49", timezone=TZ, no_show_limit=limit)
        return {p["id"] for p in problem["people"]}

    assert f"p{paused.id}" not in people(5)
    assert f"p{steady.id}" in people(5)
    assert f"p{paused.id}" in people(0)
    assert f"p{paused.id}" in people(6)


def test_ledger_credit_goes_with_the_record_or_not_at_all(session, monkeypatch):
    assignment = seat()
    session.commit()

    def broken(**_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger, "record_completion", broken)
    with pytest.raises(RuntimeError):
        attendance.record_outcome(session=session, assignment_id=assignment.id, outcome="completed")
    session.rollback()

    assert session.get(Assignment, assignment.id).status == "confirmed"
    assert attendance.get_record(session=session, assignment_id=assignment.id).outcome is None

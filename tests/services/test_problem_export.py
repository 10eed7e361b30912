"""Problem export: the values that reach the problem file, and that every export loads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from matching.io import load_problem
from services import ledger
from services.errors import Invalid, NotFound
from services.problems import export_problem, parse_week
from tests.factories import (
    AssignmentFactory,
    AvailabilityExceptionFactory,
    AvailabilityWindowFactory,
    CommunityFactory,
    NeedFactory,
    OrganizationFactory,
    PersonFactory,
    PersonSkillFactory,
    PositionFactory,
    PositionSkillFactory,
    ShiftFactory,
    SkillFactory,
)

TZ = "Asia/Shanghai"
WEEK = "2026-W49"  # Monday 2026-11-30 to Monday 2026-12-07, Shanghai time
MONDAY = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # 2026-11-30 00:00 +08:00


def export(session, **kwargs):
    problem = export_problem(session=session, week=WEEK, timezone=TZ, **kwargs)
    load_problem(problem)  # every export is a valid problem file
    return problem


def by_id(records):
    return {r["id"]: r for r in records}


def test_week_is_the_iso_week_in_the_timezone():
    start, end = parse_week("2026-W49", timezone=TZ)

    assert start.isoformat() == "2026-11-30T00:00:00+08:00"
    assert end.isoformat() == "2026-12-07T00:00:00+08:00"


@pytest.mark.parametrize("week", ["2026-49", "2026-W54", "2025-W53", "W49", "", "2026-W00"])
def test_bad_week_names_the_week(session, week):
    with pytest.raises(Invalid) as caught:
        export_problem(session=session, week=week, timezone=TZ)

    assert "week" in caught.value.errors


def test_unknown_community_is_not_found(session):
    with pytest.raises(NotFound) as caught:
        export_problem(session=session, week=WEEK, timezone=TZ, community_id=999)

    assert "community" in caught.value.errors


def test_empty_database_gives_an_empty_problem(session):
    problem = export(session)

    assert problem["horizon"] == {
        "start": "2026-11-30T00:00:00+08:00",
        "end": "2026-12-07T00:00:00+08:00",
    }
    assert problem["people"] == [] and problem["shifts"] == []


def test_shift_fields_come_from_the_need_and_positions(session):
    care = SkillFactory(code="elderly_care")
    organization = OrganizationFactory()
    need = NeedFactory(
        organization_id=organization.id,
        kind="elderly_visit",
        priority=4,
        requires_background_check=True,
        language="yue",
        lat=23.131,
        lon=113.27,
    )
    shift = ShiftFactory(
        need=need, starts_at=MONDAY + timedelta(hours=14), ends_at=MONDAY + timedelta(hours=16)
    )
    position = PositionFactory(shift=shift, role="volunteer", count=2, min_count=2)
    PositionSkillFactory(position=position, skill=care, min_level=2)
    session.commit()

    [exported] = export(session)["shifts"]

    assert exported == {
        "id": f"s{shift.id}",
        "request_id": f"r{need.id}",
        "organization_id": f"o{organization.id}",
        "kind": "elderly_visit",
        "start": "2026-11-30T14:00:00+08:00",
        "end": "2026-11-30T16:00:00+08:00",
        "location": {"lat": 23.131, "lon": 113.27},
        "priority": 4,
        "requires_background_check": True,
        "language": "yue",
        "positions": [
            {
                "id": f"q{position.id}",
                "role": "volunteer",
                "skills": {"elderly_care": 2},
                "count": 2,
                "min_count": 2,
            }
        ],
    }


def test_only_live_shifts_inside_the_week_are_exported(session):
    inside = PositionFactory(shift=ShiftFactory(starts_at=MONDAY + timedelta(days=6, hours=23)))
    PositionFactory(shift=ShiftFactory(starts_at=MONDAY - timedelta(hours=2)))
    PositionFactory(shift=ShiftFactory(starts_at=MONDAY + timedelta(days=7)))
    PositionFactory(shift=ShiftFactory(starts_at=MONDAY + timedelta(hours=9), cancelled=True))
    PositionFactory(
        shift=ShiftFactory(starts_at=MONDAY + timedelta(hours=9), need=NeedFactory(active=False))
    )
    ShiftFactory(starts_at=MONDAY + timedelta(hours=10))  # no positions: nothing to fill
    session.commit()

    assert [s["id"] for s in export(session)["shifts"]] == [f"s{inside.shift_id}"]


def test_person_fields_availability_and_expired_skills(session):
    first_aid, care = SkillFactory(code="first_aid"), SkillFactory(code="elderly_care")
    organization = OrganizationFactory()
    person = PersonFactory(
        role="resident_activist",
        languages=["yue"],
        lat=23.1,
        lon=113.2,
        max_travel_km=3.5,
        max_minutes_per_week=300,
        max_shifts_per_day=1,
        background_checked=True,
        preferred_kinds=["opera"],
        preferred_organization_ids=[organization.id],
    )
    PersonSkillFactory(person=person, skill=care, level=4, expires_on=date(2026, 11, 30))
    PersonSkillFactory(person=person, skill=first_aid, level=3, expires_on=date(2026, 11, 29))
    # Monday 09:00-12:00, Sunday 22:00-02:00 (runs into the next week), minus Monday 10-11.
    AvailabilityWindowFactory(person=person, weekday=0, start_time=time(9), end_time=time(12))
    AvailabilityWindowFactory(person=person, weekday=6, start_time=time(22), end_time=time(2))
    AvailabilityExceptionFactory(
        person=person,
        kind="unavailable",
        starts_at=MONDAY + timedelta(hours=10),
        ends_at=MONDAY + timedelta(hours=11),
    )
    PersonFactory(active=False)
    session.commit()

    [exported] = export(session)["people"]

    assert exported == {
        "id": f"p{person.id}",
        "role": "resident_activist",
        "skills": {"elderly_care": 4},
        "languages": ["yue"],
        "location": {"lat": 23.1, "lon": 113.2},
        "max_travel_km": 3.5,
        "max_minutes": 300,
        "max_shifts_per_day": 1,
        "availability": [
            # The previous Sunday's overnight window reaches into Monday morning.
            ["2026-11-30T00:00:00+08:00", "2026-11-30T02:00:00+08:00"],
            ["2026-11-30T09:00:00+08:00", "2026-11-30T10:00:00+08:00"],
            ["2026-11-30T11:00:00+08:00", "2026-11-30T12:00:00+08:00"],
            ["2026-12-06T22:00:00+08:00", "2026-12-07T00:00:00+08:00"],
        ],
        "background_checked": True,
        "points": 0,
        "recent_minutes": 0,
        "preferences": {"kinds": ["opera"], "organizations": [f"o{organization.id}"]},
    }


def test_confirmed_is_fixed_declined_is_forbidden(session):
    position = PositionFactory(shift=ShiftFactory(starts_at=MONDAY + timedelta(hours=9)))
    confirmed, declined, proposed = PersonFactory(), PersonFactory(), PersonFactory()
    AssignmentFactory(person=confirmed, position=position, status="confirmed")
    AssignmentFactory(person=declined, position=position, status="declined")
    AssignmentFactory(person=declined, position=position, status="declined")
    AssignmentFactory(person=proposed, position=position, status="proposed")
    session.commit()

    problem = export(session)

    assert problem["fixed"] == [{"person_id": f"p{confirmed.id}", "position_id": f"q{position.id}"}]
    assert problem["forbidden"] == [
        {"person_id": f"p{declined.id}", "shift_id": f"s{position.shift_id}"}
    ]


def test_history_recent_minutes_and_points_come_from_the_ledgers(session):
    need = NeedFactory()
    PositionFactory(shift=ShiftFactory(need=need, starts_at=MONDAY + timedelta(hours=9)))
    other_need = NeedFactory()  # no shift this week: its history is not exported
    person = PersonFactory()
    past = [
        # (need, days before the week, hours, status)
        (need, 3, 2, "completed"),
        (need, 10, 3, "completed"),
        (need, 40, 2, "completed"),  # outside the 28 days: history, not recent minutes
        (need, 5, 2, "no_show"),
        (other_need, 2, 1, "completed"),
    ]
    for which, days, hours, status in past:
        start = MONDAY - timedelta(days=days) + timedelta(hours=9)
        shift = ShiftFactory(need=which, starts_at=start, ends_at=start + timedelta(hours=hours))
        position = PositionFactory(shift=shift)
        seat = AssignmentFactory(person=person, position=position, status=status)
        if status == "completed":
            session.flush()
            ledger.record_completion(session=session, assignment=seat, minutes=None, actor=None)
    # A completed seat never credited (say, imported without its record) is not service.
    shift = ShiftFactory(need=need, starts_at=MONDAY - timedelta(days=1), ends_at=MONDAY)
    AssignmentFactory(person=person, position=PositionFactory(shift=shift), status="completed")
    session.commit()

    problem = export(session)

    [exported] = problem["people"]
    assert exported["recent_minutes"] == (2 + 3 + 1) * 60
    assert exported["points"] == ledger.balance(session=session, person_id=person.id) > 0
    assert problem["history"] == [
        {"person_id": f"p{person.id}", "request_id": f"r{need.id}", "count": 3}
    ]


def test_community_scope(session):
    here, there = CommunityFactory(), CommunityFactory()
    local = PositionFactory(
        shift=ShiftFactory(
            need=NeedFactory(community_id=here.id), starts_at=MONDAY + timedelta(hours=9)
        )
    )
    PositionFactory(
        shift=ShiftFactory(
            need=NeedFactory(community_id=there.id), starts_at=MONDAY + timedelta(hours=9)
        )
    )
    neighbour = PersonFactory(community_id=here.id)
    PersonFactory(community_id=here.id, active=False)
    outsider = PersonFactory(community_id=there.id)
    guest = PersonFactory(community_id=there.id)
    AssignmentFactory(person=guest, position=local, status="confirmed")
    AssignmentFactory(person=outsider, position=local, status="declined")
    session.commit()

    problem = export(session, community_id=here.id)

    assert [s["id"] for s in problem["shifts"]] == [f"s{local.shift_id}"]
    # The community's active people, plus the holder of a confirmed seat on its shift.
    assert [p["id"] for p in problem["people"]] == [f"p{neighbour.id}", f"p{guest.id}"]
    assert problem["fixed"] == [{"person_id": f"p{guest.id}", "position_id": f"q{local.id}"}]
    assert problem["forbidden"] == []  # the outsider is not a candidate anyway


def test_recurring_needs_get_their_shifts_for_the_week(session):
    need = NeedFactory(
        recurrence_rule="FREQ=WEEKLY;BYDAY=TU,SA",
        recurrence_start=datetime(2026, 11, 3, 1, 30, tzinfo=UTC),  # 09:30 Shanghai
        recurrence_minutes=90,
    )
    template = PositionFactory(shift=None, need_id=need.id, role="any", count=3, min_count=1)
    PositionSkillFactory(position=template, skill=SkillFactory(code="it_help"), min_level=2)
    session.commit()

    shifts = export(session)["shifts"]

    assert [(s["start"], s["end"]) for s in shifts] == [
        ("2026-12-01T09:30:00+08:00", "2026-12-01T11:00:00+08:00"),
        ("2026-12-05T09:30:00+08:00", "2026-12-05T11:00:00+08:00"),
    ]
    assert all(
        [(p["role"], p["skills"], p["count"]) for p in s["positions"]]
        == [("any", {"it_help": 2}, 3)]
        for s in shifts
    )
    # A second export finds the same shifts instead of making more.
    assert [s["id"] for s in export(session)["shifts"]] == [s["id"] for s in shifts]


def test_street_scope_takes_the_communities_of_that_street(session):
    east_a, east_b = CommunityFactory(street="Dongshan"), CommunityFactory(street="Dongshan")
    west = CommunityFactory(street="Xiguan")
    people = {c.id: PersonFactory(community_id=c.id) for c in (east_a, east_b, west)}
    shifts = {}
    for community in (east_a, east_b, west):
        start = MONDAY + timedelta(hours=10)  # explicit: the factory's default drifts
        shift = ShiftFactory(
            need=NeedFactory(community_id=community.id),
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        )
        PositionFactory(shift=shift)
        shifts[community.id] = shift
    session.commit()
    problem = export_problem(
        session=session, week="2026-W49", timezone="Asia/Shanghai", street="Dongshan"
    )
    assert {p["id"] for p in problem["people"]} == {f"p{people[c.id].id}" for c in (east_a, east_b)}
    assert {s["id"] for s in problem["shifts"]} == {f"s{shifts[c.id].id}" for c in (east_a, east_b)}


def test_unknown_street_is_not_found(session):
    with pytest.raises(NotFound):
        export_problem(session=session, week="2026-W49", timezone="Asia/Shanghai", street="Nowhere")


def test_location_is_coarse_unless_precise_location_is_consented(session):
    from services import personal_data

    start = MONDAY + timedelta(hours=10)
    PositionFactory(shift=ShiftFactory(starts_at=start, ends_at=start + timedelta(hours=2)))
    person = PersonFactory(lat=23.129163, lon=113.264435)
    session.commit()
    [exported] = export(session)["people"]
    assert exported["location"] == {"lat": 23.13, "lon": 113.26}
    personal_data.record_consent(
        session=session, person_id=person.id, purpose="precise_location", granted=True, actor=None
    )
    [exported] = export(session)["people"]
    assert exported["location"] == {"lat": 23.129163, "lon": 113.264435}
    personal_data.record_consent(
        session=session, person_id=person.id, purpose="precise_location", granted=False, actor=None
    )
    [exported] = export(session)["people"]
    assert exported["location"] == {"lat": 23.13, "lon": 113.26}

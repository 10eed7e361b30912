"""Reports on a small case computed by hand: fairness, hours for funders, service records."""

from __future__ import annotations

import csv
import io
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from models import Assignment, HoursEntry, MatchingRun, Person
from services import fairness_report, hours_report, service_record
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.permissions import Reach
from services.personal_data import erase_person
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    AvailabilityWindowFactory,
    CommunityFactory,
    NeedFactory,
    OrganizationFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

TZ = "Asia/Shanghai"
# ISO week 2026-W49 in local dates: Monday 30 November to Monday 7 December (excluded).
FIRST, AFTER = date(2026, 11, 30), date(2026, 12, 7)


def _seat(person, need, *, hours_in: float, minutes: int, status: str, **kwargs):
    """A seat of `minutes` on a new shift of `need` starting `hours_in` hours into the week."""
    starts = WEEK_START + timedelta(hours=hours_in)
    shift = ShiftFactory(need=need, starts_at=starts, ends_at=starts + timedelta(minutes=minutes))
    position = PositionFactory(shift=shift)
    return AssignmentFactory(person=person, position=position, status=status, **kwargs)


@pytest.fixture
def world(session):
    """Community X: A (0 min), B (60), C (180, a social worker); community Y: D (120).

    Only offered, confirmed and completed seats count in a period; A's declined and proposed
    seats, the erased and the inactive people, and the seat of next week do not.
    """
    x, y = CommunityFactory(name="X 社区"), CommunityFactory(name="Y")
    org = OrganizationFactory()
    org.communities.append(x)
    need_x = NeedFactory(organization_id=org.id, community_id=x.id)
    need_y = NeedFactory(community_id=y.id)
    a = PersonFactory(community_id=x.id, name="张三")
    b = PersonFactory(community_id=x.id)
    c = PersonFactory(community_id=x.id, role="social_worker")
    d = PersonFactory(community_id=y.id)
    inactive = PersonFactory(community_id=x.id, active=False)
    erased = PersonFactory(community_id=x.id)
    _seat(a, need_x, hours_in=1, minutes=240, status="declined")
    _seat(a, need_x, hours_in=2, minutes=240, status="proposed")
    _seat(b, need_x, hours_in=3, minutes=60, status="confirmed")
    _seat(c, need_x, hours_in=5, minutes=120, status="completed")
    _seat(c, need_x, hours_in=30, minutes=60, status="offered")
    _seat(c, need_x, hours_in=24 * 7 + 1, minutes=600, status="confirmed")  # next week
    _seat(d, need_y, hours_in=4, minutes=120, status="confirmed")
    _seat(inactive, need_x, hours_in=6, minutes=60, status="confirmed")
    _seat(erased, need_x, hours_in=7, minutes=60, status="confirmed")
    # A and B can serve this week; C and D gave no availability.
    AvailabilityWindowFactory(person=a, weekday=1, start_time=time(9), end_time=time(12))
    AvailabilityWindowFactory(person=b, weekday=0, start_time=time(9), end_time=time(12))
    # A window valid only before the week is no availability in it.
    AvailabilityWindowFactory(person=c, valid_until=date(2026, 11, 1))
    session.flush()
    erase_person(session=session, person_id=erased.id, actor=None)
    return {"x": x, "y": y, "org": org, "need_x": need_x, "a": a, "b": b, "c": c, "d": d}


def _period(session, **kwargs):
    return fairness_report.period_fairness(
        session=session, first=FIRST, after=AFTER, timezone=TZ, **kwargs
    )


def _minutes(report):
    return {row["person_id"]: row["minutes"] for row in report["per_person"]}


def test_community_fairness_by_hand(session, world):
    report = _period(session, community_id=world["x"].id)
    # Erased and inactive people are not counted; A counts with zero minutes.
    assert _minutes(report) == {world["a"].id: 0, world["b"].id: 60, world["c"].id: 180}
    # Gini, sorted x = (0, 60, 180), n = 3, sum = 240:
    #   2 * (1*0 + 2*60 + 3*180) / (3 * 240) - (3 + 1) / 3 = 1320/720 - 4/3 = 0.5
    assert report["gini"] == pytest.approx(0.5)
    # Jain = 240^2 / (3 * (0 + 3600 + 32400)) = 57600 / 108000 = 0.5333...
    assert report["jain"] == pytest.approx(57600 / 108000)
    # Available: A and B; of them only B holds a seat -> 1/2.
    assert report["people_available"] == 2
    assert report["people_assigned"] == 2  # B and C
    assert report["participation"] == pytest.approx(0.5)
    assert report["minutes"] == 240


def test_breakdown_by_role_and_community(session, world):
    report = _period(session)  # an administrator's report: every community
    assert _minutes(report)[world["d"].id] == 120
    by_role = {row["role"]: row for row in report["by_role"]}
    # Volunteers A, B, D: x = (0, 60, 120), sum 180:
    #   Gini = 2 * (0 + 120 + 360) / (3 * 180) - 4/3 = 960/540 - 4/3 = 0.4444...
    #   Jain = 180^2 / (3 * (0 + 3600 + 14400)) = 32400 / 54000 = 0.6
    assert by_role["volunteer"]["gini"] == pytest.approx(960 / 540 - 4 / 3)
    assert by_role["volunteer"]["jain"] == pytest.approx(0.6)
    assert by_role["volunteer"]["participation"] == pytest.approx(0.5)
    # One social worker: perfectly equal by definition; nobody available -> no participation.
    assert by_role["social_worker"]["gini"] == 0
    assert by_role["social_worker"]["jain"] == 1
    assert by_role["social_worker"]["participation"] is None
    by_community = {row["community_id"]: row for row in report["by_community"]}
    assert by_community[world["x"].id]["gini"] == pytest.approx(0.5)
    assert by_community[world["x"].id]["community"] == "X 社区"
    assert by_community[world["y"].id]["people"] == 1
    assert by_community[world["y"].id]["minutes"] == 120


def test_all_zero_and_empty_scopes(session, world):
    empty = CommunityFactory()
    idle = CommunityFactory()
    PersonFactory(community_id=idle.id)
    PersonFactory(community_id=idle.id)
    session.flush()
    zero = _period(session, community_id=idle.id)
    assert (zero["people"], zero["gini"], zero["jain"]) == (2, 0.0, 1.0)
    nobody = _period(session, community_id=empty.id)
    assert (nobody["people"], nobody["gini"], nobody["jain"]) == (0, None, None)
    assert nobody["participation"] is None


def test_organization_scope_counts_served_communities_and_seat_holders(session, world):
    report = _period(session, organization_id=world["org"].id)
    # The organization serves X: its people count; D's seat was on another organization's need.
    assert set(_minutes(report)) == {world["a"].id, world["b"].id, world["c"].id}


def test_scope_checks(session, world):
    coordinator = Reach(frozenset({world["x"].id}), frozenset(), role="coordinator")
    mine = _period(session, reach=coordinator)
    assert set(_minutes(mine)) == {world["a"].id, world["b"].id, world["c"].id}
    with pytest.raises(Forbidden):
        _period(session, reach=coordinator, community_id=world["y"].id)
    with pytest.raises(Invalid) as both:
        _period(session, community_id=world["x"].id, organization_id=world["org"].id)
    assert set(both.value.errors) == {"community_id", "organization_id"}
    with pytest.raises(Invalid) as unknown:
        _period(session, community_id=999_999)
    assert "community_id" in unknown.value.errors


@pytest.mark.parametrize(
    ("first", "after", "field"),
    [
        (date(2026, 12, 7), date(2026, 11, 30), "to"),
        (date(2026, 12, 7), date(2026, 12, 7), "to"),
        (date(2026, 1, 1), date(2028, 1, 1), "to"),
        (date(1, 1, 1), date(2026, 1, 1), "from"),
        (None, date(2026, 1, 1), "from"),
    ],
)
def test_bad_periods_name_the_field(session, first, after, field):
    with pytest.raises(Invalid) as error:
        fairness_report.period_fairness(session=session, first=first, after=after, timezone=TZ)
    assert field in error.value.errors


def _run(session, world, status):
    people = [
        {"id": f"p{world['a'].id}", "availability": [["2026-11-30T09:00:00+08:00", "x"]]},
        {"id": f"p{world['b'].id}", "availability": [["2026-11-30T09:00:00+08:00", "x"]]},
        {"id": f"p{world['c'].id}", "availability": []},
    ]
    run = MatchingRun(
        scope=f"community:{world['x'].id}",
        week="2026-W49",
        status=status,
        problem={"people": people, "shifts": []},
    )
    session.add(run)
    session.flush()
    return run


def test_run_fairness_counts_proposals_then_published_seats(session, world):
    run = _run(session, world, "solved")
    seats = [
        _seat(world["a"], world["need_x"], hours_in=50, minutes=90, status="proposed"),
        _seat(world["c"], world["need_x"], hours_in=51, minutes=30, status="proposed"),
    ]
    for seat in seats:
        seat.matching_run_id = run.id
    session.flush()
    before = fairness_report.run_fairness(session=session, run_id=run.id, timezone=TZ)
    # Only this run's proposals: A 90, B 0, C 30 (the seats of the world are other runs').
    assert _minutes(before) == {world["a"].id: 90, world["b"].id: 0, world["c"].id: 30}
    # Available in the problem: A and B; A got a seat -> 1/2.
    assert before["participation"] == pytest.approx(0.5)
    # Jain = 120^2 / (3 * (8100 + 900)) = 14400 / 27000
    assert before["jain"] == pytest.approx(14400 / 27000)
    assert (before["week"], before["from"], before["to"]) == ("2026-W49", FIRST, AFTER)
    run.status = "published"
    for seat in seats:
        seat.status = "offered"
    session.flush()
    after = fairness_report.run_fairness(session=session, run_id=run.id, timezone=TZ)
    assert _minutes(after) == _minutes(before)
    assert after["run_status"] == "published"


def test_run_without_seats_yet_is_a_conflict(session, world):
    run = MatchingRun(scope="all", week="2026-W49")
    session.add(run)
    session.flush()
    with pytest.raises(Conflict):
        fairness_report.run_fairness(session=session, run_id=run.id, timezone=TZ)
    with pytest.raises(NotFound):
        fairness_report.run_fairness(session=session, run_id=999_999, timezone=TZ)


def test_fairness_csv_parses_back_with_chinese_names(session, world):
    data = fairness_report.fairness_csv(_period(session, community_id=world["x"].id))
    assert data.startswith("\ufeff".encode())  # the BOM Excel needs for UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    by_id = {int(row["person_id"]): row for row in rows}
    assert by_id[world["a"].id]["name"] == "张三"
    assert by_id[world["a"].id]["minutes"] == "0"
    assert by_id[world["a"].id]["available"] == "yes"
    assert by_id[world["c"].id]["minutes"] == "180"
    assert by_id[world["c"].id]["community"] == "X 社区"


def test_histogram_bins_of_an_hour(session, world):
    report = _period(session, community_id=world["x"].id)
    # 0 -> [0, 60), 60 -> [60, 120), 180 -> [180, 240); the empty bin between is kept.
    assert [b["people"] for b in fairness_report.histogram(report)] == [1, 1, 0, 1]
    chart = fairness_report.histogram_chart(report)
    assert "Gini 0.500" in chart["title"] and "Jain 0.533" in chart["title"]
    assert len(chart["bars"]) == 4


# --- hours for funders --------------------------------------------------------------------


@pytest.fixture
def ledger(session, world):
    """Recorded minutes: C 120 on X's completed seat, corrected by -30; D 100 on Y's seat."""
    completed = session.scalars(select(Assignment.id).where(Assignment.status == "completed")).all()
    assert len(completed) == 1
    c_entry = HoursEntry(
        person_id=world["c"].id, assignment_id=completed[0], kind="service", minutes=120
    )
    session.add(c_entry)
    session.flush()
    session.add(
        HoursEntry(
            person_id=world["c"].id,
            kind="correction",
            minutes=-30,
            reason="left early",
            corrects_entry_id=c_entry.id,
        )
    )
    other_org = OrganizationFactory(name="河畔社工")
    need = NeedFactory(organization_id=other_org.id, community_id=world["y"].id)
    d_seat = _seat(world["d"], need, hours_in=8, minutes=100, status="completed")
    late = _seat(world["d"], need, hours_in=24 * 8, minutes=60, status="completed")
    session.add_all(
        [
            HoursEntry(
                person_id=world["d"].id, assignment_id=d_seat.id, kind="service", minutes=100
            ),
            HoursEntry(person_id=world["d"].id, assignment_id=late.id, kind="service", minutes=60),
        ]
    )
    session.flush()
    return {"other_org": other_org}


def _hours(session, group_by, **kwargs):
    return hours_report.hours_report(
        session=session, first=FIRST, after=AFTER, timezone=TZ, group_by=group_by, **kwargs
    )


def test_hours_by_organization(session, world, ledger):
    report = _hours(session, "organization")
    groups = {row["id"]: row for row in report["groups"]}
    # X's organization: 120 - 30 = 90 minutes, one completed service, one person.
    assert groups[world["org"].id]["minutes"] == 90
    assert groups[world["org"].id]["hours"] == 1.5
    assert (groups[world["org"].id]["services"], groups[world["org"].id]["people"]) == (1, 1)
    # The other organization: 100 minutes this week; next week's 60 are outside the period.
    assert groups[ledger["other_org"].id]["minutes"] == 100
    assert groups[ledger["other_org"].id]["name"] == "河畔社工"
    assert report["total"] == {
        "id": None,
        "name": None,
        "minutes": 190,
        "hours": round(190 / 60, 2),
        "services": 2,
        "people": 2,
    }


def test_hours_by_community_and_staff_reach(session, world, ledger):
    report = _hours(session, "community")
    assert {row["id"]: row["minutes"] for row in report["groups"]} == {
        world["x"].id: 90,
        world["y"].id: 100,
    }
    staff = Reach(frozenset({world["x"].id}), frozenset({world["org"].id}), role="org_staff")
    mine = _hours(session, "organization", reach=staff)
    assert [row["id"] for row in mine["groups"]] == [world["org"].id]
    with pytest.raises(Invalid) as error:
        _hours(session, "street")
    assert "group_by" in error.value.errors


def test_hours_csv_parses_back(session, world, ledger):
    data = hours_report.hours_csv(_hours(session, "organization"))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[-1]["group_by"] == "total"
    assert rows[-1]["minutes"] == "190"
    assert {row["name"] for row in rows[:-1]} >= {"河畔社工"}


# --- a person's service record ------------------------------------------------------------


def test_service_record_totals_and_star_level(session, world, ledger):
    # 6,000 minutes served earlier (100 h): the first star, outside the week's total.
    early = _seat(world["c"], world["need_x"], hours_in=-24 * 30, minutes=60, status="completed")
    session.add(
        HoursEntry(person_id=world["c"].id, assignment_id=early.id, kind="service", minutes=6000)
    )
    session.flush()
    week = service_record.service_record(
        session=session, person_id=world["c"].id, timezone=TZ, first=FIRST, after=AFTER
    )
    assert week["total_minutes"] == 90  # 120 recorded, corrected by -30
    assert week["total_services"] == 1  # the offered seat is not a service
    assert week["by_organization"] == [
        {
            "organization_id": world["org"].id,
            "organization": world["org"].name,
            "services": 1,
            "minutes": 90,
            "hours": 1.5,
        }
    ]
    assert week["lifetime_minutes"] == 6090
    assert week["star_level"] == 1
    whole = service_record.service_record(session=session, person_id=world["c"].id, timezone=TZ)
    assert (whole["total_minutes"], whole["total_services"]) == (6090, 2)
    rows = list(
        csv.DictReader(io.StringIO(service_record.service_record_csv(whole).decode("utf-8-sig")))
    )
    assert [int(row["minutes"]) for row in rows] == [6000, 90]


def test_erased_person_keeps_a_pseudonymous_record(session, world):
    # Erasure commits: entries are added after it, so the test leaves no committed ledger
    # rows behind (corrections referencing entries trip the SQLite wipe's foreign keys).
    erase_person(session=session, person_id=world["d"].id, actor=None)
    need = NeedFactory(community_id=world["y"].id)
    seat = _seat(world["d"], need, hours_in=8, minutes=100, status="completed")
    session.add(
        HoursEntry(person_id=world["d"].id, assignment_id=seat.id, kind="service", minutes=100)
    )
    session.flush()
    record = service_record.service_record(session=session, person_id=world["d"].id, timezone=TZ)
    person = session.get(Person, world["d"].id)
    assert record["person"] == {
        "id": person.id,
        "name": person.name,
        "role": "volunteer",
        "erased": True,
    }
    assert person.name.startswith("erased-")
    assert record["total_minutes"] == 100
    with pytest.raises(NotFound):
        service_record.service_record(session=session, person_id=999_999, timezone=TZ)

"""Service records over HTTP: record, check in and out, pending and overdue, reliability, stars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from models import HoursEntry
from services.auth import ScopeSpec
from tests.factories import (
    AssignmentFactory,
    NeedFactory,
    OrganizationFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

URL = "/api/v1"


NOW = datetime.now(UTC).replace(microsecond=0)


def seat(*, ends_ago=timedelta(hours=1), minutes=120, status="confirmed", **need):
    ends_at = NOW - ends_ago
    shift = ShiftFactory(
        need=NeedFactory(**need), starts_at=ends_at - timedelta(minutes=minutes), ends_at=ends_at
    )
    return AssignmentFactory(position=PositionFactory(shift=shift), status=status)


def test_staff_record_completion_and_hours_follow(client, session):
    assignment = seat(minutes=150)
    session.commit()

    response = client.post(
        f"{URL}/assignments/{assignment.id}/attendance", json={"outcome": "completed"}
    )
    replay = client.post(
        f"{URL}/assignments/{assignment.id}/attendance", json={"outcome": "completed"}
    )
    person = client.get(f"{URL}/people/{assignment.person_id}")

    assert response.status_code == replay.status_code == 200, response.json
    assert response.json["outcome"] == "completed" and response.json["minutes"] == 150
    assert response.json["status"] == "completed"
    assert session.scalar(select(func.count()).select_from(HoursEntry)) == 1
    assert person.json["recorded_minutes"] == 150 and person.json["star_level"] == 0


def test_bad_records_are_422_or_409_with_field_messages(client, session):
    assignment = seat(ends_ago=-timedelta(days=1))
    session.commit()
    path = f"{URL}/assignments/{assignment.id}/attendance"

    bad_outcome = client.post(path, json={"outcome": "served"})
    too_long = client.post(path, json={"outcome": "completed", "minutes": 5000})
    too_early = client.post(path, json={"outcome": "completed"})
    missing = client.post(f"{URL}/assignments/999999/attendance", json={"outcome": "no_show"})

    assert bad_outcome.status_code == 422 and "outcome" in bad_outcome.json["errors"]["json"]
    assert too_long.status_code == 422 and "minutes" in too_long.json["errors"]["json"]
    assert too_early.status_code == 409 and "outcome" in too_early.json["errors"]
    assert missing.status_code == 404


def _person_headers(sign_in, person_id):
    return sign_in("person", person_id=person_id)


def test_person_checks_in_and_out_and_staff_approve(client, session, sign_in):
    assignment = seat(ends_ago=-timedelta(minutes=30), minutes=120)  # under way
    session.commit()
    headers = _person_headers(sign_in, assignment.person_id)

    checked_in = client.post(f"{URL}/me/assignments/{assignment.id}/check-in", headers=headers)
    checked_out = client.post(f"{URL}/me/assignments/{assignment.id}/check-out", headers=headers)
    seen = client.get(f"{URL}/assignments/{assignment.id}/attendance")
    too_early_to_record = client.post(
        f"{URL}/assignments/{assignment.id}/attendance", json={"outcome": "completed"}
    )

    assert checked_in.status_code == 200 and checked_in.json["checked_in_at"]
    assert checked_out.status_code == 200 and checked_out.json["checked_out_at"]
    assert seen.json["self_reported_minutes"] == 0  # checked out seconds later
    assert seen.json["outcome"] is None
    assert too_early_to_record.status_code == 409


def test_someone_elses_check_in_is_404(client, session, sign_in):
    assignment = seat(ends_ago=-timedelta(minutes=30))
    stranger = PersonFactory()
    session.commit()

    response = client.post(
        f"{URL}/me/assignments/{assignment.id}/check-in",
        headers=_person_headers(sign_in, stranger.id),
    )

    assert response.status_code == 404


def test_pending_lists_overdue_records_for_the_organization(client, session, sign_in):
    organization = OrganizationFactory()
    mine = seat(ends_ago=timedelta(days=40), organization_id=organization.id)
    fresh = seat(ends_ago=timedelta(hours=3), organization_id=organization.id)
    seat(ends_ago=timedelta(days=40))  # another organization's
    session.commit()
    staff = sign_in("org_staff", scopes=[ScopeSpec(organization_id=organization.id)])

    everything = client.get(f"{URL}/attendance/pending", headers=staff)
    overdue = client.get(f"{URL}/attendance/pending?overdue=true", headers=staff)

    assert everything.status_code == 200, everything.json
    assert {r["assignment_id"]: r["overdue"] for r in everything.json} == {
        mine.id: True,
        fresh.id: False,
    }
    assert [r["assignment_id"] for r in overdue.json] == [mine.id]
    assert overdue.json[0]["due_on"] < datetime.now(UTC).date().isoformat()


def test_reliability_is_for_coordinators_and_clearing_resets_it(client, session, sign_in):
    person = PersonFactory()
    session.commit()
    for days in range(5):
        shift_end = datetime.now(UTC) - timedelta(days=days + 1)
        shift = ShiftFactory(starts_at=shift_end - timedelta(hours=2), ends_at=shift_end)
        assignment = AssignmentFactory(
            person=person, position=PositionFactory(shift=shift), status="confirmed"
        )
        session.commit()
        recorded = client.post(
            f"{URL}/assignments/{assignment.id}/attendance", json={"outcome": "no_show"}
        )
        assert recorded.status_code == 200, recorded.json

    before = client.get(f"{URL}/people/{person.id}/reliability")
    cleared = client.post(f"{URL}/people/{person.id}/reliability/clear")
    own = client.get(
        f"{URL}/people/{person.id}/reliability", headers=_person_headers(sign_in, person.id)
    )

    assert before.json == {
        "person_id": person.id,
        "no_shows": 5,
        "limit": 5,
        "paused": True,
        "cleared_at": None,
    }
    assert cleared.status_code == 200
    assert cleared.json["no_shows"] == 0 and cleared.json["paused"] is False
    assert own.status_code == 403


def test_star_awards_are_listed_for_coordinators(client, session):
    person = PersonFactory()
    # Four full days (96 h) then a four-hour shift: exactly 100 hours on record.
    seats = [seat(minutes=1440, ends_ago=timedelta(days=d + 2)) for d in range(4)]
    seats.append(seat(minutes=240))
    for each in seats:
        each.person = person
    session.commit()

    for each in seats[:-1]:
        client.post(f"{URL}/assignments/{each.id}/attendance", json={"outcome": "completed"})
    before = client.get(f"{URL}/star-awards")
    client.post(f"{URL}/assignments/{seats[-1].id}/attendance", json={"outcome": "completed"})
    awards = client.get(f"{URL}/star-awards")
    shown = client.get(f"{URL}/people/{person.id}")

    assert before.json == []
    assert [(a["person_id"], a["level"], a["minutes"]) for a in awards.json] == [
        (person.id, 1, 6000)
    ]
    assert shown.json["star_level"] == 1 and shown.json["recorded_minutes"] == 6000

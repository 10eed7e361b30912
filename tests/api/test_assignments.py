"""Manual assignments: creation checks, status transitions, filters, deletion."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import services.assignments as assignments_service
from models import HoursEntry
from tests.factories import (
    AssignmentFactory,
    NeedFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

URL = "/api/v1/assignments"
MONDAY_9 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def errors_of(response):
    errors = response.json.get("errors", {})
    return errors.get("json", errors)


def ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json]


def position_at(hours=0, length=2, **kwargs):
    start = MONDAY_9 + timedelta(hours=hours)
    shift = ShiftFactory(starts_at=start, ends_at=start + timedelta(hours=length))
    return PositionFactory(shift=shift, **kwargs)


def assign(client, person, position, **extra):
    return client.post(URL, json={"person_id": person.id, "position_id": position.id, **extra})


def test_create_manual_assignment(client, session):
    person = PersonFactory()
    position = position_at()
    session.commit()
    response = assign(client, person, position)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "proposed" and body["source"] == "manual"
    assert body["pinned"] is False and body["responded_at"] is None
    assert body["shift_id"] == position.shift_id
    assert body["need_id"] == position.shift.need_id
    assert body["starts_at"] == "2026-11-30T01:00:00+00:00"


def test_create_offered_and_pinned(client, session):
    person = PersonFactory()
    position = position_at()
    session.commit()
    body = assign(client, person, position, status="offered", pinned=True).json
    assert body["status"] == "offered" and body["pinned"] is True


def test_nobody_but_the_person_confirms_a_seat(client, session):
    person = PersonFactory()
    position = position_at()
    session.commit()
    refused = assign(client, person, position, status="confirmed")
    assert refused.status_code == 422 and "status" in str(refused.json["errors"])


def test_any_role_position_takes_everyone(client, session):
    position = position_at(role="any", count=3)
    people = [
        PersonFactory(role=role) for role in ("social_worker", "volunteer", "resident_activist")
    ]
    session.commit()
    for person in people:
        assert assign(client, person, position).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"position_id": 1}, "person_id"),
        ({"person_id": 1}, "position_id"),
        ({"person_id": "one", "position_id": 1}, "person_id"),
        ({"person_id": 1, "position_id": 1, "status": "completed"}, "status"),
        ({"person_id": 1, "position_id": 1, "source": "auto"}, "source"),
        ({"person_id": 1, "position_id": 1, "shift_id": 1}, "shift_id"),
        ({"person_id": 1, "position_id": 1, "pinned": "yes"}, "pinned"),
    ],
)
def test_create_bad_input(client, body, field):
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert field in errors_of(response)


def test_unknown_person_and_position_are_named(client):
    response = client.post(URL, json={"person_id": 998, "position_id": 999})
    assert response.status_code == 422
    assert set(errors_of(response)) == {"person_id", "position_id"}


def test_inactive_person_is_422(client, session):
    person = PersonFactory(active=False)
    position = position_at()
    session.commit()
    response = assign(client, person, position)
    assert response.status_code == 422
    assert "inactive" in errors_of(response)["person_id"][0]


def test_role_mismatch_is_422(client, session):
    person = PersonFactory(role="volunteer")
    position = position_at(role="social_worker")
    session.commit()
    response = assign(client, person, position)
    assert response.status_code == 422
    assert "social_worker" in errors_of(response)["position_id"][0]


def test_template_position_is_422(client, session):
    need = NeedFactory(
        recurrence_rule="FREQ=DAILY", recurrence_start=MONDAY_9, recurrence_minutes=60
    )
    template = PositionFactory(shift=None, need_id=need.id)
    person = PersonFactory()
    session.commit()
    response = assign(client, person, template)
    assert response.status_code == 422
    assert "position_id" in errors_of(response)


def test_cancelled_shift_is_409(client, session):
    position = position_at()
    position.shift.cancelled = True
    person = PersonFactory()
    session.commit()
    assert assign(client, person, position).status_code == 409


def test_same_person_twice_on_a_shift_is_409(client, session):
    person = PersonFactory()
    first = position_at(count=2)
    other_seat = PositionFactory(shift=first.shift)
    session.commit()
    assert assign(client, person, first).status_code == 201
    response = assign(client, person, other_seat)
    assert response.status_code == 409
    assert "person_id" in response.json["errors"]
    assert f"shift {first.shift_id}" in response.json["message"]


def test_same_shift_again_after_declining_is_allowed(client, session):
    person = PersonFactory()
    position = position_at()
    AssignmentFactory(person=person, position=position, status="declined")
    session.commit()
    assert assign(client, person, position).status_code == 201


def test_database_index_backs_the_same_shift_check(client, session, monkeypatch):
    # A concurrent request could pass the check; the partial unique index still refuses,
    # and the refusal reads as a 409 with a reason, not a bare integrity error.
    monkeypatch.setattr(assignments_service, "_check_same_shift", lambda *args: None)
    person = PersonFactory()
    position = position_at(count=2)
    session.commit()
    assert assign(client, person, position).status_code == 201
    response = assign(client, person, position)
    assert response.status_code == 409
    assert "already holds" in response.json["message"]
    assert "person_id" in response.json["errors"]


def test_overlapping_shift_is_409_naming_the_other_assignment(client, session):
    person = PersonFactory()
    morning = position_at(hours=0, length=3)
    overlapping = position_at(hours=2, length=2)
    session.commit()
    first = assign(client, person, morning).json
    response = assign(client, person, overlapping)
    assert response.status_code == 409
    assert response.json["errors"]["conflicting_assignment_id"] == [str(first["id"])]
    assert "2026-11-30T01:00:00+00:00" in response.json["message"]


def test_back_to_back_shifts_do_not_overlap(client, session):
    person = PersonFactory()
    morning = position_at(hours=0, length=2)
    next_one = position_at(hours=2, length=2)
    session.commit()
    assert assign(client, person, morning).status_code == 201
    assert assign(client, person, next_one).status_code == 201


def test_overlap_with_a_cancelled_assignment_is_fine(client, session):
    person = PersonFactory()
    earlier = position_at(hours=0, length=3)
    AssignmentFactory(person=person, position=earlier, status="cancelled")
    later = position_at(hours=1)
    session.commit()
    assert assign(client, person, later).status_code == 201


def test_full_position_is_409(client, session):
    position = position_at(count=1)
    AssignmentFactory(position=position, status="confirmed")
    person = PersonFactory()
    session.commit()
    response = assign(client, person, position)
    assert response.status_code == 409
    assert "full" in response.json["errors"]["position_id"][0]


def test_declined_seats_do_not_fill_a_position(client, session):
    position = position_at(count=1)
    AssignmentFactory(position=position, status="declined")
    person = PersonFactory()
    session.commit()
    assert assign(client, person, position).status_code == 201


def test_get_assignment(client, session):
    assignment = AssignmentFactory()
    session.commit()
    response = client.get(f"{URL}/{assignment.id}")
    assert response.status_code == 200
    assert response.json["person_id"] == assignment.person_id


def test_get_missing_assignment_is_404(client):
    assert client.get(f"{URL}/999").status_code == 404


# --- status transitions ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ["offered", "confirmed", "completed"],
        ["offered", "confirmed", "no_show"],
        ["offered", "confirmed", "cancelled"],
        ["offered", "declined"],
        ["offered", "cancelled"],
        ["cancelled"],
    ],
)
def test_allowed_transitions(client, session, path):
    # Attendance (completed, no_show) is recorded once the shift is over.
    start = datetime.now(UTC) - timedelta(days=1)
    shift = ShiftFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    assignment = AssignmentFactory(status="proposed", position=PositionFactory(shift=shift))
    session.commit()
    for status in path:
        response = client.patch(f"{URL}/{assignment.id}", json={"status": status})
        assert response.status_code == 200, (status, response.json)
        assert response.json["status"] == status


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("proposed", "confirmed"),
        ("proposed", "completed"),
        ("offered", "completed"),
        ("declined", "confirmed"),
        ("cancelled", "proposed"),
        ("completed", "cancelled"),
        ("no_show", "completed"),
        ("confirmed", "offered"),
    ],
)
def test_forbidden_transitions_are_409_naming_from_and_to(client, session, start, target):
    assignment = AssignmentFactory(status=start)
    session.commit()
    response = client.patch(f"{URL}/{assignment.id}", json={"status": target})
    assert response.status_code == 409
    message = response.json["errors"]["status"][0]
    assert start in message and target in message


def test_same_status_is_a_no_op(client, session):
    assignment = AssignmentFactory(status="offered")
    session.commit()
    response = client.patch(f"{URL}/{assignment.id}", json={"status": "offered"})
    assert response.status_code == 200


def test_decline_records_reason_and_response_time(client, session):
    assignment = AssignmentFactory(status="offered")
    session.commit()
    response = client.patch(
        f"{URL}/{assignment.id}", json={"status": "declined", "decline_reason": "家里有事"}
    )
    assert response.status_code == 200
    assert response.json["decline_reason"] == "家里有事"
    assert response.json["responded_at"] is not None


def test_pin_and_unpin(client, session):
    assignment = AssignmentFactory()
    session.commit()
    assert client.patch(f"{URL}/{assignment.id}", json={"pinned": True}).json["pinned"] is True
    assert client.patch(f"{URL}/{assignment.id}", json={"pinned": False}).json["pinned"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"pinned": "true"}, "pinned"),
        ({"decline_reason": "x" * 301}, "decline_reason"),
        ({"person_id": 3}, "person_id"),
    ],
)
def test_patch_bad_input(client, session, body, field):
    assignment = AssignmentFactory()
    session.commit()
    response = client.patch(f"{URL}/{assignment.id}", json=body)
    assert response.status_code == 422
    assert field in errors_of(response)


def test_patch_missing_assignment_is_404(client):
    assert client.patch(f"{URL}/999", json={"pinned": True}).status_code == 404


def test_delete_assignment(client, session):
    assignment = AssignmentFactory(status="confirmed")
    session.commit()
    assert client.delete(f"{URL}/{assignment.id}").status_code == 204
    assert client.get(f"{URL}/{assignment.id}").status_code == 404


def test_delete_completed_assignment_is_409(client, session):
    assignment = AssignmentFactory(status="completed")
    session.commit()
    response = client.delete(f"{URL}/{assignment.id}")
    assert response.status_code == 409
    assert client.get(f"{URL}/{assignment.id}").status_code == 200


def test_delete_missing_assignment_is_404(client):
    assert client.delete(f"{URL}/999").status_code == 404


# --- list filters and pagination ---------------------------------------------------------


@pytest.fixture
def listing(session):
    alice, bob = PersonFactory(), PersonFactory()
    monday = position_at(hours=0, count=3)
    tuesday = position_at(hours=24, count=3)
    a = AssignmentFactory(person=alice, position=monday, status="confirmed", pinned=True)
    b = AssignmentFactory(person=bob, position=monday, status="proposed", source="auto")
    c = AssignmentFactory(person=alice, position=tuesday, status="declined")
    session.commit()
    return {
        "a": a.id,
        "b": b.id,
        "c": c.id,
        "alice": alice.id,
        "bob": bob.id,
        "monday_shift": monday.shift_id,
        "tuesday_need": tuesday.shift.need_id,
    }


def test_list_all_by_shift_start(client, listing):
    assert ids(client.get(URL)) == [listing["a"], listing["b"], listing["c"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("person_id={alice}", ["a", "c"]),
        ("shift_id={monday_shift}", ["a", "b"]),
        ("need_id={tuesday_need}", ["c"]),
        ("status=confirmed", ["a"]),
        ("status=confirmed&status=declined", ["a", "c"]),
        ("status=proposed,declined", ["b", "c"]),
        ("source=auto", ["b"]),
        ("source=manual", ["a", "c"]),
        ("pinned=true", ["a"]),
        ("pinned=false", ["b", "c"]),
        ("starts_from=2026-12-01T00:00:00%2B08:00", ["c"]),
        ("starts_to=2026-12-01T00:00:00%2B08:00", ["a", "b"]),
        ("person_id={alice}&status=confirmed", ["a"]),
    ],
)
def test_list_filters(client, listing, query, expected):
    response = client.get(f"{URL}?{query.format(**listing)}")
    assert ids(response) == [listing[name] for name in expected]


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "status=confirmed,lost",
        "source=robot",
        "pinned=sometimes",
        "starts_to=2026-12-01T00:00:00",
        "person_id=abc",
    ],
)
def test_list_bad_filters(client, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert "query" in response.json["errors"]


def test_list_pagination(client, listing):
    response = client.get(f"{URL}?page=2&page_size=2")
    assert ids(response) == [listing["c"]]
    assert '"total": 3' in response.headers["X-Pagination"]


def test_concurrent_overlapping_bookings_let_exactly_one_through(app, session, client):
    # Each thread is its own request and session; the person's row lock (PostgreSQL) or the
    # immediate write transaction (SQLite) must stop the write skew of check-then-insert.
    person = PersonFactory()
    positions = [position_at(hours=0, length=3) for _ in range(4)]
    # Read the ids before committing: touching expired rows afterwards would open a new
    # transaction, which on SQLite holds the write lock the threads are waiting for.
    person_id, position_ids = person.id, [p.id for p in positions]
    session.commit()
    barrier = threading.Barrier(len(positions))

    def book(position_id):
        # Its own client per thread, signed in as the fixture's administrator.
        own = app.test_client()
        own.environ_base.update(client.environ_base)
        barrier.wait()
        return own.post(URL, json={"person_id": person_id, "position_id": position_id})

    with ThreadPoolExecutor(max_workers=len(positions)) as pool:
        responses = list(pool.map(book, position_ids))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409], [r.json for r in responses]


def test_concurrent_bookings_do_not_overfill_a_position(app, session, client):
    position = position_at(count=2)
    people = [PersonFactory() for _ in range(5)]
    position_id, person_ids = position.id, [p.id for p in people]
    session.commit()
    barrier = threading.Barrier(len(people))

    def book(person_id):
        # Its own client per thread, signed in as the fixture's administrator.
        own = app.test_client()
        own.environ_base.update(client.environ_base)
        barrier.wait()
        return own.post(URL, json={"person_id": person_id, "position_id": position_id})

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        responses = list(pool.map(book, person_ids))
    assert sorted(r.status_code for r in responses) == [201, 201, 409, 409, 409]


def test_completed_through_patch_credits_the_ledgers_once(client, session):
    start = datetime.now(UTC) - timedelta(days=2)
    shift = ShiftFactory(starts_at=start, ends_at=start + timedelta(minutes=90))
    assignment = AssignmentFactory(status="confirmed", position=PositionFactory(shift=shift))
    session.commit()

    first = client.patch(f"{URL}/{assignment.id}", json={"status": "completed"})
    again = client.patch(f"{URL}/{assignment.id}", json={"status": "completed"})

    assert first.status_code == again.status_code == 200
    entries = session.scalars(
        select(HoursEntry).where(HoursEntry.assignment_id == assignment.id)
    ).all()
    assert [e.minutes for e in entries] == [90]


def test_completed_before_the_shift_ends_is_409(client, session):
    start = datetime.now(UTC) + timedelta(days=2)
    shift = ShiftFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    assignment = AssignmentFactory(status="confirmed", position=PositionFactory(shift=shift))
    session.commit()

    response = client.patch(f"{URL}/{assignment.id}", json={"status": "completed"})

    assert response.status_code == 409
    assert "not ended" in response.json["errors"]["outcome"][0]

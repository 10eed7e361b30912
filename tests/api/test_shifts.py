"""The /shifts resource and /needs/<id>/shifts: list filters, create, move, cancel, delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import Assignment, Position, Shift
from tests.factories import (
    AssignmentFactory,
    CommunityFactory,
    NeedFactory,
    OrganizationFactory,
    PositionFactory,
    PositionSkillFactory,
    ShiftFactory,
    SkillFactory,
)

URL = "/api/v1/shifts"
MONDAY_9 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def errors_of(response):
    errors = response.json.get("errors", {})
    return errors.get("json", errors)


def ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json]


def shift_at(need, hours, length=2, **kwargs):
    start = MONDAY_9 + timedelta(hours=hours)
    return ShiftFactory(
        need=need, starts_at=start, ends_at=start + timedelta(hours=length), **kwargs
    )


@pytest.fixture
def world(session):
    community = CommunityFactory()
    org, other_org = OrganizationFactory(), OrganizationFactory()
    visit = NeedFactory(organization_id=org.id, community_id=community.id, kind="elderly_visit")
    desk = NeedFactory(organization_id=other_org.id, kind="legal_desk")
    first = shift_at(visit, 0)
    second = shift_at(desk, 24, cancelled=True)
    third = shift_at(visit, 48)
    session.commit()
    return {
        "community": community.id,
        "org": org.id,
        "other": other_org.id,
        "visit": visit.id,
        "desk": desk.id,
        "first": first.id,
        "second": second.id,
        "third": third.id,
    }


def test_list_shifts_by_start(client, world):
    assert ids(client.get(URL)) == [world["first"], world["second"], world["third"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("starts_from=2026-12-01T09:00:00%2B08:00", ["second", "third"]),
        ("starts_to=2026-12-01T09:00:00%2B08:00", ["first"]),
        (
            "starts_from=2026-11-30T10:00:00%2B08:00&starts_to=2026-12-02T09:00:00%2B08:00",
            ["second"],
        ),
        ("need_kind=legal_desk", ["second"]),
        ("community_id={community}", ["first", "third"]),
        ("organization_id={other}", ["second"]),
        ("cancelled=true", ["second"]),
        ("cancelled=false", ["first", "third"]),
    ],
)
def test_list_shifts_filters(client, world, query, expected):
    response = client.get(f"{URL}?{query.format(**world)}")
    assert ids(response) == [world[name] for name in expected]


@pytest.mark.parametrize(
    "query", ["need_kind=party", "cancelled=perhaps", "starts_from=2026-12-01", "page=0"]
)
def test_list_shifts_bad_filters(client, query):
    assert client.get(f"{URL}?{query}").status_code == 422


def test_list_shifts_pagination(client, world):
    response = client.get(f"{URL}?page=1&page_size=2")
    assert ids(response) == [world["first"], world["second"]]
    assert '"total": 3' in response.headers["X-Pagination"]


def test_list_shifts_of_a_need(client, world):
    assert ids(client.get(f"/api/v1/needs/{world['visit']}/shifts")) == [
        world["first"],
        world["third"],
    ]
    response = client.get(f"/api/v1/needs/{world['visit']}/shifts?starts_from=2026-12-01T00:00:00Z")
    assert ids(response) == [world["third"]]


def test_list_shifts_of_missing_need_is_404(client):
    assert client.get("/api/v1/needs/999/shifts").status_code == 404


def test_get_shift_counts_active_assignments_only(client, session):
    position = PositionFactory(count=3)
    AssignmentFactory(position=position, status="confirmed")
    AssignmentFactory(position=position, status="proposed")
    AssignmentFactory(position=position, status="declined")
    AssignmentFactory(position=position, status="cancelled")
    session.commit()
    response = client.get(f"{URL}/{position.shift_id}")
    assert response.status_code == 200
    (output,) = response.json["positions"]
    assert output["filled"] == 2 and output["count"] == 3


def test_get_missing_shift_is_404(client):
    assert client.get(f"{URL}/999").status_code == 404


def test_create_shift_with_positions(client, session):
    need = NeedFactory()
    SkillFactory(code="legal_advice")
    session.commit()
    response = client.post(
        f"/api/v1/needs/{need.id}/shifts",
        json={
            "starts_at": "2026-12-05T14:00:00+08:00",
            "ends_at": "2026-12-05T17:00:00+08:00",
            "positions": [{"role": "any", "count": 2, "skills": {"legal_advice": 4}}],
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["generated"] is False
    assert response.json["positions"][0]["skills"] == {"legal_advice": 4}


def test_create_shift_on_recurring_need_copies_template(client, session):
    need = NeedFactory(
        recurrence_rule="FREQ=WEEKLY",
        recurrence_start=MONDAY_9,
        recurrence_minutes=60,
    )
    template = PositionFactory(shift=None, need_id=need.id, role="resident_activist", count=2)
    PositionSkillFactory(position=template, min_level=4)
    session.commit()
    body = {"starts_at": "2026-12-05T14:00:00+08:00", "ends_at": "2026-12-05T15:00:00+08:00"}
    response = client.post(f"/api/v1/needs/{need.id}/shifts", json=body)
    assert response.status_code == 201
    (position,) = response.json["positions"]
    assert position["role"] == "resident_activist"
    assert list(position["skills"].values()) == [4]


def test_create_shift_at_a_taken_start_is_409(client, world):
    body = {"starts_at": "2026-11-30T09:00:00+08:00", "ends_at": "2026-11-30T10:00:00+08:00"}
    response = client.post(f"/api/v1/needs/{world['visit']}/shifts", json=body)
    assert response.status_code == 409
    assert "starts_at" in response.json["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"starts_at": "2026-12-05T14:00:00+08:00", "ends_at": "2026-12-05T13:00:00+08:00"},
            "ends_at",
        ),
        ({"starts_at": "2026-12-05T14:00:00", "ends_at": "2026-12-05T15:00:00+08:00"}, "starts_at"),
        ({"ends_at": "2026-12-05T15:00:00+08:00"}, "starts_at"),
        ({"starts_at": 5, "ends_at": "2026-12-05T15:00:00+08:00"}, "starts_at"),
        (
            {
                "starts_at": "2026-12-05T14:00:00+08:00",
                "ends_at": "2026-12-05T15:00:00+08:00",
                "cancelled": True,
            },
            "cancelled",
        ),
        (
            {
                "starts_at": "2026-12-05T14:00:00+08:00",
                "ends_at": "2026-12-05T15:00:00+08:00",
                "positions": [{"role": "volunteer", "min_count": 2}],
            },
            "positions",
        ),
    ],
)
def test_create_shift_bad_input(client, world, body, field):
    response = client.post(f"/api/v1/needs/{world['visit']}/shifts", json=body)
    assert response.status_code == 422
    assert field in errors_of(response)


def test_create_shift_unknown_skill_is_named(client, world):
    body = {
        "starts_at": "2026-12-05T14:00:00+08:00",
        "ends_at": "2026-12-05T15:00:00+08:00",
        "positions": [{"role": "volunteer", "skills": {"juggling": 1}}],
    }
    response = client.post(f"/api/v1/needs/{world['visit']}/shifts", json=body)
    assert response.status_code == 422
    assert "positions[0].skills.juggling" in errors_of(response)


def test_create_shift_on_missing_need_is_404(client):
    body = {"starts_at": "2026-12-05T14:00:00+08:00", "ends_at": "2026-12-05T15:00:00+08:00"}
    assert client.post("/api/v1/needs/999/shifts", json=body).status_code == 404


def test_patch_shift_moves_and_cancels(client, world):
    response = client.patch(
        f"{URL}/{world['first']}",
        json={"starts_at": "2026-11-30T10:00:00+08:00", "ends_at": "2026-11-30T12:30:00+08:00"},
    )
    assert response.status_code == 200, response.json
    assert response.json["starts_at"] == "2026-11-30T02:00:00+00:00"
    response = client.patch(f"{URL}/{world['first']}", json={"cancelled": True})
    assert response.json["cancelled"] is True


def test_patch_shift_end_before_stored_start_is_422(client, world):
    response = client.patch(
        f"{URL}/{world['first']}", json={"ends_at": "2026-11-30T08:00:00+08:00"}
    )
    assert response.status_code == 422
    assert "ends_at" in errors_of(response)


def test_patch_shift_start_after_stored_end_is_422(client, world):
    response = client.patch(
        f"{URL}/{world['first']}", json={"starts_at": "2026-11-30T12:00:00+08:00"}
    )
    assert response.status_code == 422
    assert "starts_at" in errors_of(response)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"need_id": 3}, "need_id"),
        ({"cancelled": "yes"}, "cancelled"),
        ({"starts_at": "2026-11-30T10:00:00"}, "starts_at"),
        (
            {"starts_at": "2026-11-30T10:00:00+08:00", "ends_at": "2026-11-30T09:00:00+08:00"},
            "ends_at",
        ),
    ],
)
def test_patch_shift_bad_input(client, world, body, field):
    response = client.patch(f"{URL}/{world['first']}", json=body)
    assert response.status_code == 422
    assert field in errors_of(response)


def test_patch_shift_onto_a_sibling_start_is_409(client, world):
    response = client.patch(
        f"{URL}/{world['third']}",
        json={"starts_at": "2026-11-30T09:00:00+08:00", "ends_at": "2026-11-30T10:00:00+08:00"},
    )
    assert response.status_code == 409
    assert "starts_at" in response.json["errors"]


def test_moving_a_shift_onto_an_assigned_persons_other_shift_is_409(client, session):
    a = PositionFactory(shift=shift_at(NeedFactory(), 0))
    b = PositionFactory(shift=shift_at(NeedFactory(), 5))
    first = AssignmentFactory(position=a, status="confirmed")
    AssignmentFactory(position=b, person=first.person, status="confirmed")
    session.commit()
    response = client.patch(
        f"{URL}/{b.shift_id}",
        json={"starts_at": "2026-11-30T10:00:00+08:00", "ends_at": "2026-11-30T12:00:00+08:00"},
    )
    assert response.status_code == 409
    assert response.json["errors"]["conflicting_assignment_id"] == [str(first.id)]


def test_patch_missing_shift_is_404(client):
    assert client.patch(f"{URL}/999", json={"cancelled": True}).status_code == 404


def test_delete_shift_removes_positions_and_assignments(client, session):
    assignment = AssignmentFactory(status="confirmed")
    session.commit()
    shift_id = assignment.shift_id
    assert client.delete(f"{URL}/{shift_id}").status_code == 204
    session.expire_all()
    assert session.get(Shift, shift_id) is None
    assert session.query(Position).count() == 0
    assert session.query(Assignment).count() == 0


def test_delete_shift_with_completed_service_is_409(client, session):
    assignment = AssignmentFactory(status="completed")
    session.commit()
    response = client.delete(f"{URL}/{assignment.shift_id}")
    assert response.status_code == 409
    assert "shift_id" in response.json["errors"]


def test_delete_missing_shift_is_404(client):
    assert client.delete(f"{URL}/999").status_code == 404


@pytest.fixture
def generated(session):
    need = NeedFactory(
        recurrence_rule="FREQ=WEEKLY;BYDAY=MO",
        recurrence_start=MONDAY_9,
        recurrence_minutes=120,
    )
    shift = ShiftFactory(
        need=need, starts_at=MONDAY_9, ends_at=MONDAY_9 + timedelta(hours=2), generated=True
    )
    session.commit()
    return shift


def test_generated_shift_keeps_its_start(client, generated):
    response = client.patch(
        f"{URL}/{generated.id}", json={"starts_at": "2026-11-30T10:00:00+08:00"}
    )
    assert response.status_code == 409
    assert "starts_at" in response.json["errors"]


def test_generated_shift_may_end_later(client, generated):
    response = client.patch(
        f"{URL}/{generated.id}",
        json={"starts_at": "2026-11-30T09:00:00+08:00", "ends_at": "2026-11-30T12:00:00+08:00"},
    )
    assert response.status_code == 200, response.json
    assert response.json["ends_at"] == "2026-11-30T04:00:00+00:00"


def test_generated_shift_is_cancelled_not_deleted(client, generated):
    response = client.delete(f"{URL}/{generated.id}")
    assert response.status_code == 409
    assert "shift_id" in response.json["errors"]

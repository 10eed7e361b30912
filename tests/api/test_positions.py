"""Positions: on shifts, as a recurring need's template, and one by one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models import Assignment, PositionSkill
from tests.factories import (
    AssignmentFactory,
    NeedFactory,
    PositionFactory,
    PositionSkillFactory,
    ShiftFactory,
    SkillFactory,
)

URL = "/api/v1/positions"


def errors_of(response):
    errors = response.json.get("errors", {})
    return errors.get("json", errors)


@pytest.fixture
def skills(session):
    SkillFactory(code="first_aid")
    SkillFactory(code="cantonese")
    session.commit()


@pytest.fixture
def recurring_need(session):
    need = NeedFactory(
        recurrence_rule="FREQ=WEEKLY;BYDAY=SA",
        recurrence_start=datetime(2026, 11, 7, 1, 0, tzinfo=UTC),
        recurrence_minutes=180,
    )
    session.commit()
    return need


def test_create_and_list_shift_positions(client, session, skills):
    shift = ShiftFactory()
    session.commit()
    url = f"/api/v1/shifts/{shift.id}/positions"
    response = client.post(
        url,
        json={
            "label": "helpers",
            "role": "volunteer",
            "count": 4,
            "min_count": 2,
            "skills": {"first_aid": 2, "cantonese": 3},
        },
    )
    assert response.status_code == 201, response.json
    created = response.json
    assert created["shift_id"] == shift.id and created["need_id"] == shift.need_id
    assert created["skills"] == {"first_aid": 2, "cantonese": 3}
    assert created["filled"] == 0
    client.post(url, json={"role": "social_worker"})
    listed = client.get(url).json
    assert [p["role"] for p in listed] == ["volunteer", "social_worker"]
    assert listed[1]["count"] == 1 and listed[1]["min_count"] == 1 and listed[1]["label"] == ""


def test_shift_positions_of_missing_shift_is_404(client):
    assert client.get("/api/v1/shifts/999/positions").status_code == 404
    assert client.post("/api/v1/shifts/999/positions", json={"role": "any"}).status_code == 404


def test_template_positions_of_recurring_need(client, recurring_need, skills):
    url = f"/api/v1/needs/{recurring_need.id}/positions"
    response = client.post(url, json={"role": "any", "count": 2, "skills": {"first_aid": 1}})
    assert response.status_code == 201
    assert response.json["shift_id"] is None
    assert [p["id"] for p in client.get(url).json] == [response.json["id"]]
    need = client.get(f"/api/v1/needs/{recurring_need.id}").json
    assert need["positions"][0]["skills"] == {"first_aid": 1}


def test_template_position_on_one_off_need_is_409(client, session):
    need = NeedFactory()
    session.commit()
    response = client.post(f"/api/v1/needs/{need.id}/positions", json={"role": "any"})
    assert response.status_code == 409
    assert "need_id" in response.json["errors"]


def test_template_positions_of_missing_need_is_404(client):
    assert client.get("/api/v1/needs/999/positions").status_code == 404
    assert client.post("/api/v1/needs/999/positions", json={"role": "any"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "volunteer", "count": 2, "min_count": 3}, "min_count"),
        ({"role": "volunteer", "count": 0}, "count"),
        ({"role": "volunteer", "min_count": 0}, "min_count"),
        ({"role": "volunteer", "count": "two"}, "count"),
        ({"role": "volunteer", "count": 1.5}, "count"),
        ({"role": "chef"}, "role"),
        ({"count": 1}, "role"),
        ({"role": "volunteer", "skills": {"first_aid": 0}}, "skills"),
        ({"role": "volunteer", "skills": {"first_aid": 6}}, "skills"),
        ({"role": "volunteer", "skills": ["first_aid"]}, "skills"),
        ({"role": "volunteer", "shift_id": 3}, "shift_id"),
        ({"role": "volunteer", "label": "x" * 61}, "label"),
    ],
)
def test_create_position_bad_input(client, session, skills, body, field):
    shift = ShiftFactory()
    session.commit()
    response = client.post(f"/api/v1/shifts/{shift.id}/positions", json=body)
    assert response.status_code == 422
    assert field in errors_of(response)


def test_create_position_unknown_skill_is_named(client, session, skills):
    shift = ShiftFactory()
    session.commit()
    response = client.post(
        f"/api/v1/shifts/{shift.id}/positions",
        json={"role": "volunteer", "skills": {"juggling": 2, "first_aid": 1}},
    )
    assert response.status_code == 422
    assert list(errors_of(response)) == ["skills.juggling"]


def test_get_position(client, session):
    position = PositionFactory(count=2)
    AssignmentFactory(position=position, status="offered")
    session.commit()
    response = client.get(f"{URL}/{position.id}")
    assert response.status_code == 200
    assert response.json["filled"] == 1


def test_get_missing_position_is_404(client):
    assert client.get(f"{URL}/999").status_code == 404


def test_patch_position_fields_and_skills(client, session, skills):
    position = PositionFactory(count=2, min_count=1)
    PositionSkillFactory(position=position, min_level=2)
    session.commit()
    response = client.patch(
        f"{URL}/{position.id}",
        json={
            "label": "lead",
            "role": "social_worker",
            "count": 3,
            "min_count": 3,
            "skills": {"cantonese": 5},
        },
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["label"], body["role"], body["count"], body["min_count"]) == (
        "lead",
        "social_worker",
        3,
        3,
    )
    assert body["skills"] == {"cantonese": 5}
    assert session.query(PositionSkill).count() == 1


def test_patch_position_same_skill_again(client, session, skills):
    position = PositionFactory()
    session.commit()
    client.patch(f"{URL}/{position.id}", json={"skills": {"first_aid": 2}})
    response = client.patch(f"{URL}/{position.id}", json={"skills": {"first_aid": 4}})
    assert response.status_code == 200
    assert response.json["skills"] == {"first_aid": 4}


def test_patch_min_count_above_stored_count_is_422(client, session):
    position = PositionFactory(count=2, min_count=1)
    session.commit()
    response = client.patch(f"{URL}/{position.id}", json={"min_count": 3})
    assert response.status_code == 422
    assert "min_count" in errors_of(response)


def test_patch_count_below_stored_min_count_is_422(client, session):
    position = PositionFactory(count=3, min_count=3)
    session.commit()
    response = client.patch(f"{URL}/{position.id}", json={"count": 2})
    assert response.status_code == 422
    assert "count" in errors_of(response)


def test_patch_count_below_taken_seats_is_409(client, session):
    position = PositionFactory(count=2, min_count=1)
    AssignmentFactory(position=position, status="confirmed")
    AssignmentFactory(position=position, status="confirmed")
    session.commit()
    response = client.patch(f"{URL}/{position.id}", json={"count": 1})
    assert response.status_code == 409
    assert "count" in response.json["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 1, "min_count": 2}, "min_count"),
        ({"role": "boss"}, "role"),
        ({"skills": {"first_aid": 9}}, "skills"),
        ({"need_id": 1}, "need_id"),
        ({"count": None}, "count"),
    ],
)
def test_patch_position_bad_input(client, session, body, field):
    position = PositionFactory()
    session.commit()
    response = client.patch(f"{URL}/{position.id}", json=body)
    assert response.status_code == 422
    assert field in errors_of(response)


def test_patch_unknown_skill_is_named(client, session):
    position = PositionFactory()
    session.commit()
    response = client.patch(f"{URL}/{position.id}", json={"skills": {"juggling": 1}})
    assert response.status_code == 422
    assert "skills.juggling" in errors_of(response)


def test_patch_missing_position_is_404(client):
    assert client.patch(f"{URL}/999", json={"count": 2}).status_code == 404


def test_delete_position_with_its_assignments(client, session):
    assignment = AssignmentFactory(status="proposed")
    session.commit()
    position_id = assignment.position_id
    assert client.delete(f"{URL}/{position_id}").status_code == 204
    assert client.get(f"{URL}/{position_id}").status_code == 404
    session.expire_all()
    assert session.query(Assignment).count() == 0


def test_delete_position_with_completed_service_is_409(client, session):
    assignment = AssignmentFactory(status="completed")
    session.commit()
    response = client.delete(f"{URL}/{assignment.position_id}")
    assert response.status_code == 409


def test_delete_missing_position_is_404(client):
    assert client.delete(f"{URL}/999").status_code == 404

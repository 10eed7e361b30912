"""A person's own data rights over HTTP, and the admin side of them."""

from __future__ import annotations

import pytest

from models import db
from services import auth
from tests.factories import PersonFactory

PASSWORD = "correct horse battery"


def _token(client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def people(app):
    hasher = auth.password_hasher("cheap")
    person = PersonFactory(phone="13700137000")
    for username, role, person_id in [("vol", "person", person.id), ("admin", "admin", None)]:
        auth.create_user(
            session=db.session,
            hasher=hasher,
            username=username,
            password=PASSWORD,
            role=role,
            person_id=person_id,
        )
    return person


def test_person_exports_own_data(client, people):
    response = client.get("/api/v1/me/export", headers=_token(client, "vol"))
    assert response.status_code == 200
    assert response.json["profile"]["phone"] == "13700137000"


def test_consent_round_trip(client, people):
    headers = _token(client, "vol")
    assert (
        client.get("/api/v1/me/consents", headers=headers).json["precise_location"]["granted"]
        is False
    )
    response = client.put(
        "/api/v1/me/consents/precise_location", json={"granted": True}, headers=headers
    )
    assert response.status_code == 200
    assert response.json["precise_location"]["granted"] is True
    assert (
        client.put(
            "/api/v1/me/consents/marketing", json={"granted": True}, headers=headers
        ).status_code
        == 404
    )


def test_delete_me_erases_and_signs_out(client, people):
    headers = _token(client, "vol")
    assert client.delete("/api/v1/me", headers=headers).status_code == 204
    assert client.get("/api/v1/me/export", headers=headers).status_code == 401


def test_admin_erasure_is_idempotent_and_in_audit_log(client, people):
    headers = _token(client, "admin")
    url = f"/api/v1/privacy/people/{people.id}/erase"
    first = client.post(url, headers=headers)
    second = client.post(url, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json["erased_at"] == second.json["erased_at"]
    log = client.get("/api/v1/audit-events?action=person.erase", headers=headers).json
    assert [event["subject_id"] for event in log] == [str(people.id)]


def test_audit_log_and_erasure_are_for_admins_only(client, people):
    headers = _token(client, "vol")
    assert client.get("/api/v1/audit-events", headers=headers).status_code == 403
    assert (
        client.post(f"/api/v1/privacy/people/{people.id}/erase", headers=headers).status_code == 403
    )


def test_verification_and_bulk_export_are_audited(client, people):
    from tests.factories import PersonSkillFactory

    held = PersonSkillFactory(person=people)
    db.session.commit()
    headers = _token(client, "admin")
    verified = client.post(
        f"/api/v1/people/{people.id}/skills/{held.skill.code}/verify",
        json={"verified_by": "王社工"},
        headers=headers,
    )
    assert verified.status_code == 200
    assert client.get("/api/v1/people/export", headers=headers).status_code == 200
    actions = {e["action"] for e in client.get("/api/v1/audit-events", headers=headers).json}
    assert {"skill.verify", "people.export"} <= actions


def test_problem_export_is_audited(client, people):
    headers = _token(client, "admin")
    assert client.get("/api/v1/problems?week=2026-W49", headers=headers).status_code == 200
    log = client.get("/api/v1/audit-events?action=problem.export", headers=headers).json
    assert [e["subject_id"] for e in log] == ["2026-W49/all"]


def test_role_and_background_check_changes_are_audited(client, people):
    headers = _token(client, "admin")
    response = client.patch(
        f"/api/v1/people/{people.id}",
        json={"role": "social_worker", "background_checked": True},
        headers=headers,
    )
    assert response.status_code == 200
    [event] = client.get("/api/v1/audit-events?action=person.change", headers=headers).json
    assert event["details"]["role"] == {"from": "volunteer", "to": "social_worker"}
    assert event["details"]["background_checked"] == {"from": False, "to": True}

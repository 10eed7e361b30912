"""Sign-in, tokens and account administration over HTTP."""

from __future__ import annotations

import pytest

from models import db
from services import auth
from services.auth import ScopeSpec
from tests.factories import CommunityFactory, PersonFactory

PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(app):
    hasher = auth.password_hasher("cheap")

    def make(username: str, role: str, **kwargs):
        return auth.create_user(
            session=db.session,
            hasher=hasher,
            username=username,
            password=PASSWORD,
            role=role,
            **kwargs,
        )

    return make


def login(client, username: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_me_logout(client, make_user):
    make_user("coord", "coordinator")
    response = login(client, "coord")
    assert response.status_code == 200
    token = response.json["token"]
    assert client.get("/api/v1/auth/me", headers=bearer(token)).json["username"] == "coord"
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401


def test_bad_credentials_are_422_without_telling_which(client, make_user):
    make_user("coord", "coordinator")
    wrong = login(client, "coord", "not the password")
    unknown = login(client, "nobody")
    assert wrong.status_code == unknown.status_code == 422
    assert wrong.json["errors"] == unknown.json["errors"]


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer nonsense", "Basic abc", "Token x"])
def test_missing_or_bad_token_is_401(anonymous_client, header):
    response = anonymous_client.get(
        "/api/v1/auth/me", headers={"Authorization": header} if header else {}
    )
    assert response.status_code == 401


def test_password_change_revokes_tokens(client, make_user):
    make_user("coord", "coordinator")
    token = login(client, "coord").json["token"]
    change = {"old_password": PASSWORD, "new_password": "another long secret"}
    assert (
        client.post("/api/v1/auth/me/password", json=change, headers=bearer(token)).status_code
        == 204
    )
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert login(client, "coord", "another long secret").status_code == 200


def test_role_change_by_admin_revokes_tokens(client, make_user):
    make_user("admin", "admin")
    staff = make_user("staff", "org_staff")
    admin_token = login(client, "admin").json["token"]
    staff_token = login(client, "staff").json["token"]
    response = client.put(
        f"/api/v1/auth/users/{staff.id}/role",
        json={"role": "coordinator"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(staff_token)).status_code == 401


def test_only_admin_changes_roles(client, make_user):
    make_user("coord", "coordinator")
    staff = make_user("staff", "org_staff")
    token = login(client, "coord").json["token"]
    response = client.put(
        f"/api/v1/auth/users/{staff.id}/role", json={"role": "admin"}, headers=bearer(token)
    )
    assert response.status_code == 403


def test_coordinator_cannot_create_admin(client, make_user):
    make_user("coord", "coordinator")
    token = login(client, "coord").json["token"]
    body = {"username": "boss", "password": PASSWORD, "role": "admin"}
    response = client.post("/api/v1/auth/users", json=body, headers=bearer(token))
    assert response.status_code == 422
    assert "role" in response.json["errors"]


def test_pending_account_signs_in_after_approval(client, make_user):
    # Coordinators approve the people of their own communities.
    community = CommunityFactory()
    person = PersonFactory(active=False, community_id=community.id)
    make_user("coord", "coordinator", scopes=[ScopeSpec(community_id=community.id)])
    pending = make_user("vol", "person", person_id=person.id, status="pending")
    assert login(client, "vol").status_code == 409
    token = login(client, "coord").json["token"]
    response = client.post(f"/api/v1/auth/users/{pending.id}/approve", headers=bearer(token))
    assert response.status_code == 200
    assert login(client, "vol").status_code == 200
    assert db.session.get(type(person), person.id).active is True


def test_scope_needs_exactly_one_target(client, make_user):
    make_user("admin", "admin")
    token = login(client, "admin").json["token"]
    body = {
        "username": "c2",
        "password": PASSWORD,
        "role": "coordinator",
        "scopes": [{"street": "Dongshan", "community_id": 1}],
    }
    response = client.post("/api/v1/auth/users", json=body, headers=bearer(token))
    assert response.status_code == 422


def test_admin_creates_scoped_coordinator(client, make_user):
    make_user("admin", "admin")
    token = login(client, "admin").json["token"]
    body = {
        "username": "coord2",
        "password": PASSWORD,
        "role": "coordinator",
        "scopes": [{"street": "Dongshan"}],
    }
    response = client.post("/api/v1/auth/users", json=body, headers=bearer(token))
    assert response.status_code == 201
    assert response.json["scopes"] == [
        {"community_id": None, "street": "Dongshan", "organization_id": None}
    ]

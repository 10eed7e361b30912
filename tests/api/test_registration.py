"""Self-registration: a pending account and an inactive person until a coordinator approves."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Person, User, db
from services.auth import ScopeSpec
from tests.factories import CommunityFactory

URL = "/api/v1/auth/register"
PASSWORD = "a long enough secret"


def _body(community_id, username="chen.xiuying", **person):
    profile = {
        "role": "volunteer",
        "name": "陈秀英",
        "phone": "13800138000",
        "community_id": community_id,
        "languages": ["yue", "cmn"],
    }
    return {"username": username, "password": PASSWORD, "person": profile | person}


def _login(client, username="chen.xiuying"):
    return client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})


def test_register_then_approve_then_sign_in(anonymous_client, client, sign_in):
    community = CommunityFactory()
    db.session.commit()
    created = anonymous_client.post(URL, json=_body(community.id))
    assert created.status_code == 201 and created.json["status"] == "pending"
    person = db.session.get(Person, created.json["person_id"])
    assert person.active is False
    assert _login(anonymous_client).status_code == 409  # not approved yet
    coordinator = sign_in("coordinator", scopes=[ScopeSpec(community_id=community.id)])
    approved = client.post(f"/api/v1/auth/users/{created.json['id']}/approve", headers=coordinator)
    assert approved.status_code == 200
    assert _login(anonymous_client).status_code == 200
    db.session.expire_all()
    assert db.session.get(Person, person.id).active is True


def test_privileged_fields_are_refused(anonymous_client):
    community = CommunityFactory()
    db.session.commit()
    for field, value in [("background_checked", True), ("active", True), ("external_id", "x")]:
        response = anonymous_client.post(URL, json=_body(community.id, **{field: value}))
        assert response.status_code == 422, field
        assert field in str(response.json["errors"])


def test_a_refused_registration_writes_nothing(anonymous_client):
    community = CommunityFactory()
    db.session.commit()
    assert anonymous_client.post(URL, json=_body(community.id)).status_code == 201
    people = db.session.scalar(select(func.count()).select_from(Person))
    clash = anonymous_client.post(URL, json=_body(community.id, name="另一个人"))
    assert clash.status_code == 409
    weak = anonymous_client.post(
        URL, json=_body(community.id, username="other") | {"password": "short"}
    )
    assert weak.status_code == 422
    unknown = anonymous_client.post(URL, json=_body(987654, username="third"))
    assert unknown.status_code == 422 and "community_id" in unknown.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(Person)) == people
    assert db.session.scalar(select(func.count()).select_from(User)) == 1

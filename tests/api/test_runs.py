"""Matching runs over HTTP: queue (never solve in a request), review, publish, overrides."""

from __future__ import annotations

import pytest

from models import db
from services import runs
from services.auth import ScopeSpec
from tests.factories import (
    PersonFactory,
)
from tests.scenarios import small_week

URL = "/api/v1/runs"


@pytest.fixture
def setting(app):
    return small_week(people=2, min_count=1)


def _coordinator(sign_in, setting):
    """A coordinator of the setting's community: runs are scoped to the caller's communities."""
    return sign_in("coordinator", scopes=[ScopeSpec(community_id=setting["community"].id)])


def _queue(client, headers, setting, **extra):
    body = {"scope": setting["scope"], "week": "2026-W49", "time_limit_s": 5} | extra
    return client.post(URL, json=body, headers=headers)


def test_queue_returns_202_and_does_not_solve(client, sign_in, setting):
    response = _queue(client, _coordinator(sign_in, setting), setting)
    assert response.status_code == 202
    assert response.json["status"] == "queued" and response.json["stats"] is None


def test_review_then_publish(client, sign_in, setting, app):
    headers = _coordinator(sign_in, setting)
    run_id = _queue(client, headers, setting).json["id"]
    settings = runs.RunSettings(timezone=app.config["LINKAGE_TIMEZONE"], workers=1)
    solved = runs.run_next(session=db.session, settings=settings)
    assert solved.id == run_id and solved.status == "solved", solved.error
    review = client.get(f"{URL}/{run_id}/review", headers=headers).json
    assert review["by_priority"][0]["filled"] == 2
    assert len(review["changes"]["added"]) == 2
    published = client.post(f"{URL}/{run_id}/publish", headers=headers)
    assert published.status_code == 200 and published.json["status"] == "published"
    again = client.post(f"{URL}/{run_id}/publish", headers=headers)
    assert again.status_code == 409


def test_review_of_unsolved_run_is_409(client, sign_in, setting):
    headers = _coordinator(sign_in, setting)
    run_id = _queue(client, headers, setting).json["id"]
    assert client.get(f"{URL}/{run_id}/review", headers=headers).status_code == 409


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"scope": "planet:3"}, "scope"),
        ({"week": "next week"}, "week"),
        ({"weights": {"speed": 2}}, "weights.speed"),
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_run_requests_are_422_naming_the_field(client, sign_in, setting, extra, field):
    response = _queue(client, _coordinator(sign_in, setting), setting, **extra)
    assert response.status_code == 422
    assert field in str(response.json["errors"])


def test_runs_are_for_staff_only(client, anonymous_client, sign_in, setting):
    person = PersonFactory()
    db.session.commit()
    assert _queue(anonymous_client, {}, setting).status_code == 401
    assert _queue(client, sign_in("person", person_id=person.id), setting).status_code == 403
    assert _queue(client, sign_in("org_staff"), setting).status_code == 403


def test_overrides_round_trip_and_validation(client, sign_in, setting):
    headers = _coordinator(sign_in, setting)
    person, shift = setting["people"][0], setting["shift"]
    forbid = {"kind": "forbid", "person_id": person.id, "shift_id": shift.id}
    created = client.post(f"{URL}/overrides", json=forbid, headers=headers)
    assert created.status_code == 201
    listed = client.get(f"{URL}/overrides", headers=headers).json
    assert [o["id"] for o in listed] == [created.json["id"]]
    bad = client.post(
        f"{URL}/overrides", json={"kind": "pin", "person_id": person.id}, headers=headers
    )
    assert bad.status_code == 422 and "position_id" in bad.json["errors"]
    missing = client.post(
        f"{URL}/overrides",
        json={"kind": "forbid", "person_id": person.id, "shift_id": 999999},
        headers=headers,
    )
    assert missing.status_code == 422 and "shift_id" in missing.json["errors"]
    deleted = client.delete(f"{URL}/overrides/{created.json['id']}", headers=headers)
    assert deleted.status_code == 204


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "2101-W01"])
def test_a_week_out_of_range_is_422_not_a_crash(client, sign_in, setting, week):
    headers = _coordinator(sign_in, setting)
    response = _queue(client, headers, setting, week=week)
    assert response.status_code == 422
    assert "week" in response.json["errors"]
    assert client.get(URL, headers=headers).json == []


def test_the_same_override_posted_twice_is_one(client, sign_in, setting):
    headers = _coordinator(sign_in, setting)
    person, position = setting["people"][0], setting["position"]
    pin = {"kind": "pin", "person_id": person.id, "position_id": position.id}
    first = client.post(f"{URL}/overrides", json=pin, headers=headers)
    again = client.post(f"{URL}/overrides", json=pin, headers=headers)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json["id"] == first.json["id"]
    listed = client.get(f"{URL}/overrides", headers=headers).json
    assert [o["id"] for o in listed] == [first.json["id"]]

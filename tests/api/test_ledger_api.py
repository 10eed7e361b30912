"""The ledgers over HTTP: statements, idempotent points writes, corrections, access."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models import db
from services import ledger
from services.auth import ScopeSpec
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    CommunityFactory,
    NeedFactory,
    OrganizationFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

API = "/api/v1"


@pytest.fixture
def world(app):
    """Two communities, each with a person who served 2 hours (20 points) for an organization."""
    found = {}
    for side in ("a", "b"):
        community = CommunityFactory()
        organization = OrganizationFactory()
        organization.communities.append(community)
        person = PersonFactory(community_id=community.id)
        need = NeedFactory(
            organization_id=organization.id,
            community_id=community.id,
            points_per_hour=10,
            points_tier="ordinary",
        )
        shift = ShiftFactory(
            need=need, starts_at=WEEK_START, ends_at=WEEK_START + timedelta(hours=2)
        )
        assignment = AssignmentFactory(
            person=person, position=PositionFactory(shift=shift), status="completed"
        )
        db.session.commit()
        ledger.credit_completion(session=db.session, assignment_id=assignment.id)
        found[side] = {
            "community": community.id,
            "organization": organization.id,
            "person": person.id,
            "assignment": assignment.id,
        }
    return found


def _redeem(client, person_id, body, key="k-1", headers=None):
    headers = {**(headers or {}), **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(f"{API}/people/{person_id}/points/redemptions", json=body, headers=headers)


def _adjust(client, person_id, body, key="a-1", headers=None):
    return client.post(
        f"{API}/people/{person_id}/points/adjustments",
        json=body,
        headers={**(headers or {}), "Idempotency-Key": key},
    )


# --- statements ----------------------------------------------------------------------------


def test_points_statement_is_the_balance_and_entries_newest_first(client, world):
    person = world["a"]["person"]
    _redeem(client, person, {"points": 5, "reason": "bus card"})
    response = client.get(f"{API}/people/{person}/points", query_string={"page_size": 1})
    assert response.status_code == 200
    assert response.json["balance"] == 15
    [entry] = response.json["entries"]
    assert (entry["kind"], entry["points"], entry["reason"]) == ("redeem", -5, "bus card")
    assert json.loads(response.headers["X-Pagination"])["total"] == 2


def test_hours_statement_has_minutes_star_level_and_entries(client, world):
    response = client.get(f"{API}/people/{world['a']['person']}/hours")
    assert response.status_code == 200
    body = response.json
    assert (body["minutes"], body["star_level"], body["star_awards"]) == (120, 0, [])
    assert [(e["kind"], e["minutes"]) for e in body["entries"]] == [("service", 120)]


def test_statements_of_nobody_are_not_found(client, world):
    for path in ("points", "hours"):
        assert client.get(f"{API}/people/{2**31 - 1}/{path}").status_code == 404


# --- idempotent redemptions and adjustments ------------------------------------------------


def test_a_redemption_answers_with_the_entry_and_the_new_balance(client, world):
    response = _redeem(client, world["a"]["person"], {"points": 8})
    assert response.status_code == 201
    assert response.json["balance"] == 12
    assert (response.json["entry"]["kind"], response.json["entry"]["points"]) == ("redeem", -8)


def test_a_replay_returns_the_first_status_and_body_and_spends_nothing(client, world):
    person = world["a"]["person"]
    first = _redeem(client, person, {"points": 8, "reason": "lunch"})
    again = _redeem(client, person, {"reason": "lunch", "points": 8})  # key order is irrelevant
    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert ledger.balance(session=db.session, person_id=person) == 12


def test_the_same_key_with_a_different_body_is_422(client, world):
    person = world["a"]["person"]
    _redeem(client, person, {"points": 8})
    response = _redeem(client, person, {"points": 9})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]
    # Nor may the key move to another person or to an adjustment.
    assert _redeem(client, world["b"]["person"], {"points": 8}).status_code == 422
    assert _adjust(client, person, {"points": 8, "reason": "x"}, key="k-1").status_code == 422
    assert ledger.balance(session=db.session, person_id=person) == 12


@pytest.mark.parametrize("key", [None, "", "x" * 129])
def test_a_missing_or_bad_idempotency_key_is_422_naming_the_header(client, world, key):
    response = _redeem(client, world["a"]["person"], {"points": 1}, key=key)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]["headers"]


def test_keys_belong_to_their_caller(client, world, sign_in):
    person = world["a"]["person"]
    _redeem(client, person, {"points": 8})
    other_admin = sign_in("admin")
    response = _redeem(client, person, {"points": 8}, headers=other_admin)
    assert response.status_code == 201 and response.json["balance"] == 4


def test_an_overdraw_is_409_and_leaves_the_key_free(client, world):
    person = world["a"]["person"]
    response = _redeem(client, person, {"points": 21})
    assert response.status_code == 409
    assert "points" in response.json["errors"]
    _adjust(client, person, {"points": 1, "reason": "top up"})
    assert _redeem(client, person, {"points": 21}).status_code == 201


def test_a_hundred_sequential_redemptions_with_replays_spend_exactly_once_each(client, world):
    person = world["a"]["person"]
    _adjust(client, person, {"points": 80, "reason": "season bonus"})  # 100 in all
    for n in range(100):
        first = _redeem(client, person, {"points": 1}, key=f"r-{n}")
        assert first.status_code == 201, first.json
        replay = _redeem(client, person, {"points": 1}, key=f"r-{n}")
        assert replay.json == first.json
    assert first.json["balance"] == 0
    assert _redeem(client, person, {"points": 1}, key="r-100").status_code == 409
    assert ledger.ledger_sum(session=db.session, person_id=person) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 0, "reason": "x"}, "points"),
        ({"points": "5", "reason": "x"}, "points"),
        ({"points": 5}, "reason"),
        ({"points": 5, "reason": ""}, "reason"),
        ({"points": 5, "reason": "x", "extra": 1}, "extra"),
        ({"points": 10**7, "reason": "x"}, "points"),
    ],
)
def test_bad_adjustments_are_422_with_field_messages(client, world, body, field):
    response = _adjust(client, world["a"]["person"], body)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]


def test_a_debit_adjustment_never_overdraws(client, world):
    response = _adjust(client, world["a"]["person"], {"points": -21, "reason": "fix"})
    assert response.status_code == 409
    ok = _adjust(client, world["a"]["person"], {"points": -20, "reason": "fix"}, key="a-2")
    assert ok.status_code == 201 and ok.json["balance"] == 0


# --- reversals -----------------------------------------------------------------------------


def test_a_reversal_is_201_once_and_then_409(client, world):
    person = world["a"]["person"]
    spent = _redeem(client, person, {"points": 5}).json["entry"]
    url = f"{API}/points-entries/{spent['id']}/reversal"
    response = client.post(url, json={"reason": "not handed out"})
    assert response.status_code == 201
    assert response.json["entry"]["reverses_entry_id"] == spent["id"]
    assert response.json["balance"] == 20
    again = client.post(url, json={"reason": "again"})
    assert again.status_code == 409 and "entry_id" in again.json["errors"]


def test_earned_points_are_not_reversed_but_hours_corrected(client, world):
    person = world["a"]["person"]
    earned = client.get(f"{API}/people/{person}/points").json["entries"][0]
    response = client.post(f"{API}/points-entries/{earned['id']}/reversal", json={"reason": "x"})
    assert response.status_code == 409
    assert "correct the hours" in response.json["errors"]["entry_id"][0]


def test_a_reversal_needs_a_reason_and_an_entry(client, world):
    assert client.post(f"{API}/points-entries/1/reversal", json={}).status_code == 422
    missing = client.post(f"{API}/points-entries/{2**31 - 1}/reversal", json={"reason": "x"})
    assert missing.status_code == 404


# --- hours corrections ---------------------------------------------------------------------


def test_an_hours_correction_answers_with_both_entries(client, world):
    url = f"{API}/assignments/{world['a']['assignment']}/hours-correction"
    response = client.post(url, json={"minutes": 90, "reason": "left at 10:30"})
    assert response.status_code == 201
    body = response.json
    assert body["hours_entry"]["minutes"] == -30 and body["hours_entry"]["kind"] == "correction"
    assert body["points_entry"]["points"] == -5
    assert (body["minutes"], body["balance"], body["shortfall"]) == (90, 15, 0)
    again = client.post(url, json={"minutes": 90, "reason": "same"})
    assert again.status_code == 422 and "minutes" in again.json["errors"]


def test_an_hours_correction_beyond_the_balance_names_the_shortfall(client, world):
    person = world["a"]["person"]
    _redeem(client, person, {"points": 18})
    url = f"{API}/assignments/{world['a']['assignment']}/hours-correction"
    body = client.post(url, json={"minutes": 0, "reason": "did not come"}).json
    assert (body["shortfall"], body["points_entry"]["points"], body["balance"]) == (18, -2, 0)
    assert "shortfall" in body["points_entry"]["reason"]
    assert client.get(f"{API}/people/{person}/hours").json["minutes"] == 0


def test_an_uncredited_assignment_is_not_corrected(client, world):
    assignment = AssignmentFactory(status="confirmed")
    db.session.commit()
    response = client.post(
        f"{API}/assignments/{assignment.id}/hours-correction", json={"minutes": 5, "reason": "x"}
    )
    assert response.status_code == 409 and "assignment_id" in response.json["errors"]


@pytest.mark.parametrize(
    "body", [{"minutes": -1, "reason": "x"}, {"minutes": 10**6, "reason": "x"}, {"minutes": 5}]
)
def test_bad_hours_corrections_are_422(client, world, body):
    url = f"{API}/assignments/{world['a']['assignment']}/hours-correction"
    assert client.post(url, json=body).status_code == 422


def test_organization_staff_correct_their_own_assignments_only(client, world, sign_in):
    staff = sign_in("org_staff", scopes=[ScopeSpec(organization_id=world["a"]["organization"])])
    body = {"minutes": 60, "reason": "register says 1 h"}
    mine = client.post(
        f"{API}/assignments/{world['a']['assignment']}/hours-correction", json=body, headers=staff
    )
    assert mine.status_code == 201
    other = client.post(
        f"{API}/assignments/{world['b']['assignment']}/hours-correction", json=body, headers=staff
    )
    assert other.status_code == 404


# --- access --------------------------------------------------------------------------------


def test_a_person_sees_their_own_ledgers_only(client, world, sign_in):
    me = sign_in("person", person_id=world["a"]["person"])
    points = client.get(f"{API}/me/points", headers=me)
    assert points.status_code == 200 and points.json["balance"] == 20
    assert client.get(f"{API}/me/hours", headers=me).json["minutes"] == 120
    for path in ("points", "hours"):
        other = client.get(f"{API}/people/{world['b']['person']}/{path}", headers=me)
        assert other.status_code == 403
    assert _redeem(client, world["a"]["person"], {"points": 1}, headers=me).status_code == 403


def test_a_coordinator_reaches_their_communities_only(client, world, sign_in):
    coordinator = sign_in("coordinator", scopes=[ScopeSpec(community_id=world["a"]["community"])])
    inside, outside = world["a"]["person"], world["b"]["person"]
    assert client.get(f"{API}/people/{inside}/points", headers=coordinator).status_code == 200
    assert client.get(f"{API}/people/{outside}/points", headers=coordinator).status_code == 404
    assert client.get(f"{API}/people/{outside}/hours", headers=coordinator).status_code == 404
    refused = _redeem(client, outside, {"points": 1}, headers=coordinator)
    assert refused.status_code == 404
    assert ledger.balance(session=db.session, person_id=outside) == 20
    spent = _redeem(client, outside, {"points": 1}, key="admin-key").json["entry"]
    reversal = client.post(
        f"{API}/points-entries/{spent['id']}/reversal", json={"reason": "x"}, headers=coordinator
    )
    assert reversal.status_code == 404

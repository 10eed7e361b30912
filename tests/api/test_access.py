"""Object-level access: staff views, privileged fields, scopes, exports and attendance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import db
from services.auth import ScopeSpec
from tests.factories import (
    AssignmentFactory,
    CommunityFactory,
    NeedFactory,
    OrganizationFactory,
    PersonFactory,
    PersonSkillFactory,
    PositionFactory,
    ShiftFactory,
    SkillFactory,
)

PEOPLE = "/api/v1/people"


@pytest.fixture
def world(app):
    """Community A served by organization A, whose need has one shift; B elsewhere."""
    a, b = CommunityFactory(street="Beijing Road"), CommunityFactory(street="Other Road")
    org_a, org_b = OrganizationFactory(), OrganizationFactory()
    org_a.communities.append(a)
    org_b.communities.append(b)
    need = NeedFactory(organization_id=org_a.id, community_id=a.id)
    shift = ShiftFactory(need=need)
    position = PositionFactory(shift=shift)
    on_shift = PersonFactory(community_id=a.id, phone="13800000001")
    assignment = AssignmentFactory(person=on_shift, position=position, status="confirmed")
    idle = PersonFactory(community_id=a.id, phone="13800000002")
    elsewhere = PersonFactory(community_id=b.id)
    db.session.commit()
    return {
        "a": a,
        "b": b,
        "org_a": org_a,
        "org_b": org_b,
        "need": need,
        "shift": shift,
        "on_shift": on_shift,
        "idle": idle,
        "elsewhere": elsewhere,
        "assignment": assignment,
    }


@pytest.fixture
def coordinator(sign_in, world):
    return sign_in("coordinator", scopes=[ScopeSpec(community_id=world["a"].id)])


@pytest.fixture
def staff(sign_in, world):
    return sign_in("org_staff", scopes=[ScopeSpec(organization_id=world["org_a"].id)])


def _consent(client, headers, granted):
    url = "/api/v1/me/consents/share_contact_with_organizations"
    assert client.put(url, json={"granted": granted}, headers=headers).status_code == 200


def test_org_staff_see_only_the_staff_view_of_people_on_their_shifts(client, staff, world):
    listed = client.get(PEOPLE, headers=staff).json
    assert listed == [
        {
            "id": world["on_shift"].id,
            "name": world["on_shift"].name,
            "role": "volunteer",
            "phone": None,
        }
    ]
    one = client.get(f"{PEOPLE}/{world['on_shift'].id}", headers=staff).json
    assert set(one) == {"id", "name", "role", "phone"}
    assert client.get(f"{PEOPLE}/{world['idle'].id}", headers=staff).status_code == 404
    assert client.get(f"{PEOPLE}/{world['on_shift'].id}/skills", headers=staff).status_code == 403


def test_org_staff_cannot_filter_people_by_what_they_may_not_see(client, staff, world):
    query = {"community_id": world["a"].id, "language": "yue", "q": "Person"}
    response = client.get(PEOPLE, query_string=query, headers=staff)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"community_id", "language"}
    by_name = client.get(PEOPLE, query_string={"q": world["on_shift"].name}, headers=staff)
    assert [p["id"] for p in by_name.json] == [world["on_shift"].id]


def test_the_phone_is_shared_only_while_consent_stands(client, sign_in, staff, world):
    person = world["on_shift"]
    mine = sign_in("person", person_id=person.id)
    _consent(client, mine, True)
    assert client.get(f"{PEOPLE}/{person.id}", headers=staff).json["phone"] == "13800000001"
    assert client.get(PEOPLE, headers=staff).json[0]["phone"] == "13800000001"
    _consent(client, mine, False)
    assert client.get(f"{PEOPLE}/{person.id}", headers=staff).json["phone"] is None


def test_staff_lose_sight_of_a_person_whose_seat_is_cancelled(client, staff, world):
    url = f"/api/v1/assignments/{world['assignment'].id}"
    assert client.patch(url, json={"status": "cancelled"}, headers=staff).status_code == 200
    assert client.get(PEOPLE, headers=staff).json == []


def test_staff_do_not_see_people_on_unpublished_proposals(client, staff, world):
    world["assignment"].status = "proposed"
    db.session.commit()
    assert client.get(PEOPLE, headers=staff).json == []


def test_a_person_setting_privileged_fields_gets_422_naming_each(client, sign_in, world):
    person = world["idle"]
    headers = sign_in("person", person_id=person.id)
    body = {
        "role": "social_worker",
        "active": False,
        "background_checked": True,
        "external_id": "x",
        "community_id": world["b"].id,
        "name": "New name",
    }
    response = client.patch(f"{PEOPLE}/{person.id}", json=body, headers=headers)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {
        "role",
        "active",
        "background_checked",
        "external_id",
        "community_id",
    }
    db.session.refresh(person)
    assert person.name != "New name" and person.active
    fine = client.patch(f"{PEOPLE}/{person.id}", json={"name": "New name"}, headers=headers)
    assert fine.status_code == 200 and fine.json["name"] == "New name"


def test_a_person_sees_and_edits_only_themself(client, sign_in, world):
    me, other = world["idle"], world["on_shift"]
    headers = sign_in("person", person_id=me.id)
    assert [p["id"] for p in client.get(PEOPLE, headers=headers).json] == [me.id]
    assert client.get(f"{PEOPLE}/{other.id}", headers=headers).status_code == 404
    patch = client.patch(f"{PEOPLE}/{other.id}", json={"name": "x"}, headers=headers)
    assert patch.status_code == 404
    assert client.delete(f"{PEOPLE}/{me.id}", headers=headers).status_code == 403


def test_a_person_sets_skill_levels_unverified_and_cannot_verify(client, sign_in, world):
    me = world["idle"]
    skill = SkillFactory()
    db.session.commit()
    headers = sign_in("person", person_id=me.id)
    url = f"{PEOPLE}/{me.id}/skills"
    sneaky = {"code": skill.code, "level": 5, "verified_by": "me", "verified_at": "2026-01-01"}
    rejected = client.post(url, json=sneaky, headers=headers)
    assert rejected.status_code == 422
    assert {"verified_by", "verified_at"} <= set(rejected.json["errors"]["json"])
    added = client.post(url, json={"code": skill.code, "level": 5}, headers=headers)
    assert added.status_code == 201 and added.json["verified_at"] is None
    verify = client.post(f"{url}/{skill.code}/verify", json={"verified_by": "me"}, headers=headers)
    assert verify.status_code == 403


def test_a_social_worker_verifies_skills_of_their_community_only(client, sign_in, world):
    worker = PersonFactory(community_id=world["a"].id, role="social_worker")
    skill = SkillFactory()
    PersonSkillFactory(person=world["idle"], skill=skill)
    PersonSkillFactory(person=world["elsewhere"], skill=skill)
    db.session.commit()
    headers = sign_in("person", person_id=worker.id)
    body = {"verified_by": "social worker"}
    ok = client.post(
        f"{PEOPLE}/{world['idle'].id}/skills/{skill.code}/verify", json=body, headers=headers
    )
    assert ok.status_code == 200 and ok.json["verified_at"] is not None
    far = client.post(
        f"{PEOPLE}/{world['elsewhere'].id}/skills/{skill.code}/verify", json=body, headers=headers
    )
    assert far.status_code == 403


def test_a_coordinator_creates_people_only_in_their_communities(client, coordinator, world):
    outside = client.post(
        PEOPLE,
        json={"name": "X", "role": "volunteer", "community_id": world["b"].id},
        headers=coordinator,
    )
    assert outside.status_code == 422 and "community_id" in outside.json["errors"]
    nowhere = client.post(PEOPLE, json={"name": "X", "role": "volunteer"}, headers=coordinator)
    assert nowhere.status_code == 422 and "community_id" in nowhere.json["errors"]
    inside = client.post(
        PEOPLE,
        json={"name": "X", "role": "volunteer", "community_id": world["a"].id},
        headers=coordinator,
    )
    assert inside.status_code == 201
    moved = client.patch(
        f"{PEOPLE}/{inside.json['id']}", json={"community_id": world["b"].id}, headers=coordinator
    )
    assert moved.status_code == 422 and "community_id" in moved.json["errors"]


def test_a_coordinators_lists_hold_only_their_communities(client, coordinator, world):
    people = {p["id"] for p in client.get(PEOPLE, headers=coordinator).json}
    assert people == {world["on_shift"].id, world["idle"].id}
    NeedFactory(organization_id=world["org_b"].id, community_id=world["b"].id)
    db.session.commit()
    needs = client.get("/api/v1/needs", headers=coordinator).json
    assert [n["id"] for n in needs] == [world["need"].id]


def test_needs_are_created_only_in_reach(client, coordinator, staff, world):
    body = {
        "organization_id": world["org_b"].id,
        "kind": "elderly_visit",
        "title": "T",
        "community_id": world["b"].id,
        "shifts": [],
    }
    by_coordinator = client.post("/api/v1/needs", json=body, headers=coordinator)
    assert by_coordinator.status_code == 422 and "community_id" in by_coordinator.json["errors"]
    by_staff = client.post("/api/v1/needs", json=body, headers=staff)
    assert by_staff.status_code == 422 and "organization_id" in by_staff.json["errors"]
    elsewhere = body | {"organization_id": world["org_a"].id}
    by_staff = client.post("/api/v1/needs", json=elsewhere, headers=staff)
    assert by_staff.status_code == 422 and set(by_staff.json["errors"]) == {"community_id"}
    inside = elsewhere | {"community_id": world["a"].id}
    assert client.post("/api/v1/needs", json=inside, headers=staff).status_code == 201


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, 403),
        ({"community": "a"}, 200),
        ({"community": "b"}, 403),
        ({"street": "Beijing Road"}, 200),
        ({"street": "Other Road"}, 403),
    ],
)
def test_problem_export_is_limited_to_the_coordinators_scope(
    client, coordinator, world, query, expected
):
    args = {"week": "2026-W49"} | {
        k: (world[v].id if k == "community" else v) for k, v in query.items()
    }
    response = client.get("/api/v1/problems", query_string=args, headers=coordinator)
    assert response.status_code == expected


def test_problem_export_is_not_for_staff_or_people(client, sign_in, staff, world):
    args = {"week": "2026-W49", "community": world["a"].id}
    assert client.get("/api/v1/problems", query_string=args, headers=staff).status_code == 403
    assert client.get("/api/v1/problems", query_string={"week": "2026-W49"}).status_code == 200


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": "completed"}, 200),
        ({"status": "no_show"}, 200),
        ({"status": "cancelled"}, 200),
        ({"status": "offered"}, 403),
        ({"pinned": True}, 403),
        ({"status": "completed", "pinned": True}, 403),
    ],
)
def test_org_staff_only_record_attendance(client, staff, world, change, expected):
    # Attendance is recorded once the shift is over.
    shift = world["shift"]
    shift.starts_at = datetime.now(UTC) - timedelta(days=1)
    shift.ends_at = shift.starts_at + timedelta(hours=2)
    db.session.commit()
    url = f"/api/v1/assignments/{world['assignment'].id}"
    assert client.patch(url, json=change, headers=staff).status_code == expected


def test_org_staff_cannot_touch_other_organizations_assignments(client, staff, world):
    other_need = NeedFactory(organization_id=world["org_b"].id, community_id=world["b"].id)
    other = AssignmentFactory(
        person=world["elsewhere"], position=PositionFactory(shift=ShiftFactory(need=other_need))
    )
    db.session.commit()
    url = f"/api/v1/assignments/{other.id}"
    assert client.patch(url, json={"status": "cancelled"}, headers=staff).status_code == 404
    listed = client.get("/api/v1/assignments", headers=staff).json
    assert [a["id"] for a in listed] == [world["assignment"].id]


def test_people_export_is_forced_to_the_coordinators_communities(client, coordinator, world):
    text = client.get(f"{PEOPLE}/export", headers=coordinator).get_data(as_text=True)
    assert world["idle"].name in text and world["elsewhere"].name not in text
    everyone = client.get(f"{PEOPLE}/export").get_data(as_text=True)
    assert world["elsewhere"].name in everyone


def test_runs_scope_must_be_in_reach(client, coordinator, world):
    def queue(scope):
        return client.post(
            "/api/v1/runs", json={"scope": scope, "week": "2026-W49"}, headers=coordinator
        ).status_code

    assert queue(f"community:{world['a'].id}") == 202
    assert queue("street:Beijing Road") == 202
    assert queue(f"community:{world['b'].id}") == 403
    assert queue("street:Other Road") == 403
    assert queue("all") == 403
    scopes = {r["scope"] for r in client.get("/api/v1/runs", headers=coordinator).json}
    assert scopes == {f"community:{world['a'].id}", "street:Beijing Road"}


def test_coordinators_change_only_their_communities_of_an_organization(client, coordinator, world):
    url = f"/api/v1/organizations/{world['org_a'].id}"
    grab = client.patch(
        url, json={"community_ids": [world["a"].id, world["b"].id]}, headers=coordinator
    )
    assert grab.status_code == 422 and "community_ids" in grab.json["errors"]
    assert client.patch(url, json={"community_ids": []}, headers=coordinator).status_code == 200
    other = f"/api/v1/organizations/{world['org_b'].id}"
    assert (
        client.patch(other, json={"kind": "social_organization"}, headers=coordinator).status_code
        == 404
    )


def test_staff_do_not_list_unpublished_proposals(client, staff, world):
    world["assignment"].status = "proposed"
    db.session.commit()
    assert client.get("/api/v1/assignments", headers=staff).json == []


def test_staff_cannot_place_people_or_delete_seats(client, staff, world):
    body = {
        "person_id": world["assignment"].person_id,
        "position_id": world["assignment"].position_id,
    }
    assert client.post("/api/v1/assignments", json=body, headers=staff).status_code == 403
    url = f"/api/v1/assignments/{world['assignment'].id}"
    assert client.delete(url, headers=staff).status_code == 403


def test_a_coordinator_cannot_answer_for_the_person(client, coordinator, world):
    world["assignment"].status = "offered"
    db.session.commit()
    url = f"/api/v1/assignments/{world['assignment'].id}"
    response = client.patch(url, json={"status": "confirmed"}, headers=coordinator)
    assert response.status_code == 422 and "status" in response.json["errors"]


def test_staff_do_not_see_why_someone_declined(client, staff, world):
    world["assignment"].decline_reason = "家里有事"
    db.session.commit()
    listed = client.get("/api/v1/assignments", headers=staff).json
    assert listed and all(a["decline_reason"] is None for a in listed)
    one = client.get(f"/api/v1/assignments/{world['assignment'].id}", headers=staff).json
    assert one["decline_reason"] is None and one["status"] == world["assignment"].status

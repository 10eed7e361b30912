"""A person's skills over the API: add by code, change, verify, remove; duplicates and errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory


def offending(response) -> set[str]:
    """The field names an error body blames, wherever the location nesting puts them."""
    names = set()
    for key, value in response.json.get("errors", {}).items():
        names.update(value if key in ("json", "query") and isinstance(value, dict) else [key])
    return names


@pytest.fixture
def person(session):
    person = PersonFactory()
    SkillFactory(code="first_aid", name_zh="急救", name_en="First aid", category="care")
    SkillFactory(code="it_help", name_zh="电脑帮助", name_en="IT help")
    session.commit()
    return person


def url(person, code=None):
    base = f"/api/v1/people/{person.id}/skills"
    return base if code is None else f"{base}/{code}"


def test_add_list_get_change_remove(client, person):
    added = client.post(
        url(person), json={"code": "first_aid", "level": 3, "expires_on": "2027-06-30"}
    )
    assert added.status_code == 201, added.json
    assert added.json == {
        "code": "first_aid",
        "name_zh": "急救",
        "name_en": "First aid",
        "category": "care",
        "level": 3,
        "verified_by": None,
        "verified_at": None,
        "expires_on": "2027-06-30",
    }
    assert client.post(url(person), json={"code": "it_help", "level": 1}).status_code == 201
    assert [s["code"] for s in client.get(url(person)).json] == ["first_aid", "it_help"]
    assert client.get(url(person, "it_help")).json["level"] == 1

    changed = client.patch(url(person, "first_aid"), json={"expires_on": None})
    assert changed.status_code == 200 and changed.json["expires_on"] is None

    summary = client.get(f"/api/v1/people/{person.id}").json["skills"]
    assert {s["code"]: s["level"] for s in summary} == {"first_aid": 3, "it_help": 1}

    assert client.delete(url(person, "it_help")).status_code == 204
    assert client.get(url(person, "it_help")).status_code == 404
    assert [s["code"] for s in client.get(url(person)).json] == ["first_aid"]


def test_verify_records_who_and_when(client, person):
    client.post(url(person), json={"code": "first_aid", "level": 3})
    before = datetime.now(UTC)
    verified = client.post(url(person, "first_aid") + "/verify", json={"verified_by": "王社工"})
    assert verified.status_code == 200
    assert verified.json["verified_by"] == "王社工"
    assert datetime.fromisoformat(verified.json["verified_at"]) >= before.replace(microsecond=0)
    summary = client.get(f"/api/v1/people/{person.id}").json["skills"]
    assert summary[0]["verified"] is True


def test_verification_cannot_be_set_when_adding_or_changing(client, person):
    response = client.post(
        url(person), json={"code": "first_aid", "level": 3, "verified_by": "myself"}
    )
    assert response.status_code == 422 and "verified_by" in offending(response)
    client.post(url(person), json={"code": "first_aid", "level": 3})
    response = client.patch(url(person, "first_aid"), json={"verified_at": "2026-01-01T00:00:00Z"})
    assert response.status_code == 422 and "verified_at" in offending(response)


def test_changing_the_level_clears_verification(client, person):
    client.post(url(person), json={"code": "first_aid", "level": 3})
    client.post(url(person, "first_aid") + "/verify", json={"verified_by": "王社工"})
    same = client.patch(url(person, "first_aid"), json={"level": 3})
    assert same.json["verified_by"] == "王社工"
    # A verifier vouched for the certificate until its expiry: a new date needs a new check.
    later = client.patch(url(person, "first_aid"), json={"expires_on": "2028-01-01"})
    assert later.json["verified_by"] is None
    client.post(url(person, "first_aid") + "/verify", json={"verified_by": "王社工"})
    changed = client.patch(url(person, "first_aid"), json={"level": 4})
    assert changed.status_code == 200
    assert changed.json["level"] == 4
    assert changed.json["verified_by"] is None and changed.json["verified_at"] is None


def test_duplicate_skill_is_409(client, person):
    assert client.post(url(person), json={"code": "first_aid", "level": 2}).status_code == 201
    response = client.post(url(person), json={"code": "first_aid", "level": 5})
    assert response.status_code == 409
    assert "already has skill 'first_aid'" in response.json["message"]
    assert "code" in response.json["errors"]


def test_unknown_skill_code_is_422_naming_code(client, person):
    response = client.post(url(person), json={"code": "juggling", "level": 2})
    assert response.status_code == 422
    assert response.json["errors"] == {"code": ["no skill with code 'juggling'"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "first_aid", "level": 0}, "level"),
        ({"code": "first_aid", "level": 6}, "level"),
        ({"code": "first_aid", "level": "3"}, "level"),
        ({"code": "first_aid", "level": 2.5}, "level"),
        ({"code": "first_aid"}, "level"),
        ({"level": 2}, "code"),
        ({"code": "first_aid", "level": 2, "expires_on": "31/12/2027"}, "expires_on"),
        ({"code": "first_aid", "level": 2, "note": "x"}, "note"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, person, body, field):
    response = client.post(url(person), json=body)
    assert response.status_code == 422, response.json
    assert field in offending(response)


def test_bad_patch_and_verify_are_422(client, person):
    client.post(url(person), json={"code": "first_aid", "level": 3})
    response = client.patch(url(person, "first_aid"), json={"level": 9})
    assert response.status_code == 422 and "level" in offending(response)
    response = client.patch(url(person, "first_aid"), json={"level": None})
    assert response.status_code == 422 and "level" in offending(response)
    response = client.post(url(person, "first_aid") + "/verify", json={})
    assert response.status_code == 422 and "verified_by" in offending(response)


def test_missing_person_or_skill_is_404(client, person, session):
    other = PersonSkillFactory()
    session.commit()
    missing = f"/api/v1/people/{person.id + 1000}/skills"
    assert client.get(missing).status_code == 404
    assert client.post(missing, json={"code": "first_aid", "level": 1}).status_code == 404
    # Another person's skill is not this person's.
    assert client.get(url(person, other.skill.code)).status_code == 404
    assert client.patch(url(person, "first_aid"), json={"level": 2}).status_code == 404
    assert client.delete(url(person, "first_aid")).status_code == 404
    assert (
        client.post(url(person, "first_aid") + "/verify", json={"verified_by": "x"}).status_code
        == 404
    )
    assert client.get(url(person, "no%00such")).status_code == 404

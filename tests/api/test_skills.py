"""The skill catalogue over the API: CRUD, filters, pagination, bad input, duplicates, in use."""

from __future__ import annotations

import json

import pytest

from tests.factories import PersonSkillFactory, PositionSkillFactory, SkillFactory

URL = "/api/v1/skills"


def offending(response) -> set[str]:
    """The field names an error body blames, wherever the location nesting puts them."""
    names = set()
    for key, value in response.json.get("errors", {}).items():
        names.update(value if key in ("json", "query") and isinstance(value, dict) else [key])
    return names


def test_create_read_update_delete(client):
    created = client.post(
        URL,
        json={"code": "first_aid", "name_zh": "急救", "name_en": "First aid", "category": "care"},
    )
    assert created.status_code == 201
    skill = created.json
    assert skill["code"] == "first_aid" and skill["category"] == "care"

    assert client.get(f"{URL}/{skill['id']}").json == skill
    patched = client.patch(f"{URL}/{skill['id']}", json={"name_en": "First aid (certified)"})
    assert patched.status_code == 200 and patched.json["name_en"] == "First aid (certified)"
    assert patched.json["code"] == "first_aid"

    assert client.delete(f"{URL}/{skill['id']}").status_code == 204
    assert client.get(f"{URL}/{skill['id']}").status_code == 404


def test_category_defaults_to_general(client):
    created = client.post(
        URL, json={"code": "cantonese_opera", "name_zh": "粤剧", "name_en": "Opera"}
    )
    assert created.json["category"] == "general"


def test_duplicate_code_is_409_with_a_readable_message(client, session):
    SkillFactory(code="first_aid")
    other = SkillFactory(code="tutoring")
    session.commit()
    response = client.post(
        URL, json={"code": "first_aid", "name_zh": "急救", "name_en": "First aid"}
    )
    assert response.status_code == 409
    assert response.json["message"] == "a skill with code 'first_aid' already exists"
    assert "code" in response.json["errors"]
    renamed = client.patch(f"{URL}/{other.id}", json={"code": "first_aid"})
    assert renamed.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "ab", "name_zh": "甲", "name_en": "A", "level": 3}, "level"),
        ({"code": "ab", "name_zh": "甲"}, "name_en"),
        ({"code": "First-Aid", "name_zh": "甲", "name_en": "A"}, "code"),
        ({"code": "a", "name_zh": "甲", "name_en": "A"}, "code"),
        ({"code": "a" * 65, "name_zh": "甲", "name_en": "A"}, "code"),
        ({"code": 12, "name_zh": "甲", "name_en": "A"}, "code"),
        ({"code": "ab", "name_zh": "甲", "name_en": "A", "category": ""}, "category"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, body, field):
    response = client.post(URL, json=body)
    assert response.status_code == 422, response.json
    assert field in offending(response)


def test_filters_by_category_and_text(client, session):
    SkillFactory(code="first_aid", name_en="First aid", name_zh="急救", category="care")
    SkillFactory(code="elder_care", name_en="Elder care", name_zh="长者照护", category="care")
    SkillFactory(
        code="tutoring_math", name_en="Maths tutoring", name_zh="数学辅导", category="education"
    )
    session.commit()

    def codes(**query):
        response = client.get(URL, query_string=query)
        assert response.status_code == 200
        return [s["code"] for s in response.json]

    assert codes(category="care") == ["elder_care", "first_aid"]
    assert codes(q="AID") == ["first_aid"]
    assert codes(q="辅导") == ["tutoring_math"]
    assert codes(q="care", category="education") == []


def test_pagination(client, session):
    for code in ("aa", "bb", "cc"):
        SkillFactory(code=code)
    session.commit()
    response = client.get(URL, query_string={"page": 1, "page_size": 2})
    assert [s["code"] for s in response.json] == ["aa", "bb"]
    assert json.loads(response.headers["X-Pagination"])["total_pages"] == 2


def test_deleting_a_skill_people_hold_is_409(client, session):
    held = PersonSkillFactory()
    session.commit()
    response = client.delete(f"{URL}/{held.skill_id}")
    assert response.status_code == 409
    assert "in use" in response.json["message"] and "people" in response.json["message"]
    assert client.get(f"{URL}/{held.skill_id}").status_code == 200


def test_deleting_a_skill_positions_require_is_409(client, session):
    required = PositionSkillFactory()
    session.commit()
    response = client.delete(f"{URL}/{required.skill_id}")
    assert response.status_code == 409
    assert "positions" in response.json["message"]


def test_missing_skill_is_404(client):
    assert client.get(f"{URL}/1").status_code == 404
    assert client.patch(f"{URL}/1", json={"name_en": "x"}).status_code == 404
    assert client.delete(f"{URL}/1").status_code == 404

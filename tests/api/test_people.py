"""People over the API: CRUD, every list filter, pagination and bad input."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest

from tests.factories import (
    AssignmentFactory,
    AvailabilityExceptionFactory,
    AvailabilityWindowFactory,
    CommunityFactory,
    OrganizationFactory,
    PersonFactory,
    PersonSkillFactory,
    SkillFactory,
)

URL = "/api/v1/people"
MON, SUN = 0, 6


def offending(response) -> set[str]:
    """The field names an error body blames, wherever the location nesting puts them."""
    names = set()
    for key, value in response.json.get("errors", {}).items():
        names.update(value if key in ("json", "query") and isinstance(value, dict) else [key])
    return names


def names(client, **query) -> list[str]:
    response = client.get(URL, query_string={"page_size": 100, **query})
    assert response.status_code == 200, response.json
    return sorted(p["name"] for p in response.json)


def test_create_read_update_delete(client, session):
    community = CommunityFactory()
    organization = OrganizationFactory()
    session.commit()
    body = {
        "external_id": "gz-0001",
        "role": "volunteer",
        "name": "陈大文",
        "phone": "13800000000",
        "community_id": community.id,
        "lat": 23.13,
        "lon": 113.27,
        "languages": ["yue", "cmn", "hak"],
        "max_travel_km": 3.5,
        "max_minutes_per_week": 240,
        "max_shifts_per_day": 1,
        "background_checked": True,
        "background_checked_on": "2026-03-01",
        "preferred_kinds": ["elderly_visit", "opera"],
        "preferred_organization_ids": [organization.id],
    }
    created = client.post(URL, json=body)
    assert created.status_code == 201, created.json
    person = created.json
    assert {k: person[k] for k in body} == body
    assert person["active"] is True and person["skills"] == []

    assert client.get(f"{URL}/{person['id']}").json == person

    patched = client.patch(
        f"{URL}/{person['id']}", json={"active": False, "community_id": None, "languages": ["nan"]}
    )
    assert patched.status_code == 200
    assert patched.json["active"] is False and patched.json["community_id"] is None
    assert patched.json["languages"] == ["nan"] and patched.json["name"] == "陈大文"

    assert client.delete(f"{URL}/{person['id']}").status_code == 204
    assert client.get(f"{URL}/{person['id']}").status_code == 404


def test_minimal_person_gets_defaults(client):
    created = client.post(URL, json={"role": "resident_activist", "name": "李姨"})
    assert created.status_code == 201
    assert created.json["languages"] == [] and created.json["preferred_kinds"] == []
    assert created.json["active"] is True and created.json["background_checked"] is False


def test_output_includes_a_skill_summary(client, session):
    person = PersonFactory()
    PersonSkillFactory(
        person=person, skill=SkillFactory(code="first_aid"), level=4, expires_on=date(2027, 1, 1)
    )
    session.commit()
    (summary,) = client.get(f"{URL}/{person.id}").json["skills"]
    assert summary == {
        "code": "first_aid",
        "level": 4,
        "verified": False,
        "expires_on": "2027-01-01",
    }


def test_deleting_a_person_removes_their_skills_and_availability(client, session):
    held = PersonSkillFactory()
    AvailabilityWindowFactory(person=held.person)
    AvailabilityExceptionFactory(person=held.person)
    session.commit()
    assert client.delete(f"{URL}/{held.person_id}").status_code == 204
    assert client.get(f"/api/v1/skills/{held.skill_id}").status_code == 200
    assert client.delete(f"/api/v1/skills/{held.skill_id}").status_code == 204


def test_a_person_with_assignment_records_cannot_be_deleted(client, session):
    assignment = AssignmentFactory()
    session.commit()
    response = client.delete(f"{URL}/{assignment.person_id}")
    assert response.status_code == 409
    assert "assignment records" in response.json["message"]
    assert client.get(f"{URL}/{assignment.person_id}").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "volunteer", "name": "A", "age": 70}, "age"),
        ({"role": "volunteer"}, "name"),
        ({"name": "A"}, "role"),
        ({"role": "boss", "name": "A"}, "role"),
        ({"role": "volunteer", "name": "A", "languages": ["zh"]}, "languages"),
        ({"role": "volunteer", "name": "A", "languages": "yue"}, "languages"),
        ({"role": "volunteer", "name": "A", "languages": ["yue", "yue"]}, "languages"),
        ({"role": "volunteer", "name": "A", "preferred_kinds": ["karaoke"]}, "preferred_kinds"),
        ({"role": "volunteer", "name": "A", "max_travel_km": -1}, "max_travel_km"),
        (
            {"role": "volunteer", "name": "A", "max_minutes_per_week": "lots"},
            "max_minutes_per_week",
        ),
        ({"role": "volunteer", "name": "A", "max_minutes_per_week": 20000}, "max_minutes_per_week"),
        ({"role": "volunteer", "name": "A", "max_shifts_per_day": 1.5}, "max_shifts_per_day"),
        ({"role": "volunteer", "name": "A", "lat": 95, "lon": 113}, "lat"),
        ({"role": "volunteer", "name": "A", "lat": 23.1}, "lon"),
        (
            {"role": "volunteer", "name": "A", "background_checked_on": "yesterday"},
            "background_checked_on",
        ),
        ({"role": "volunteer", "name": "A", "active": "perhaps"}, "active"),
        ({"role": "volunteer", "name": "A", "community_id": "one"}, "community_id"),
        ({"role": "volunteer", "name": "A", "community_id": 2**40}, "community_id"),
        ({"role": "volunteer", "name": "A", "phone": "1" * 41}, "phone"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, body, field):
    response = client.post(URL, json=body)
    assert response.status_code == 422, response.json
    assert field in offending(response)


def test_unknown_references_are_422_naming_the_field(client):
    response = client.post(
        URL,
        json={
            "role": "volunteer",
            "name": "A",
            "community_id": 77,
            "preferred_organization_ids": [5],
        },
    )
    assert response.status_code == 422
    assert response.json["errors"] == {
        "community_id": ["no community with id 77"],
        "preferred_organization_ids": ["no organization with id 5"],
    }


def test_patch_may_move_one_coordinate_but_not_drop_one(client, session):
    person = PersonFactory(lat=23.13, lon=113.27)
    session.commit()
    moved = client.patch(f"{URL}/{person.id}", json={"lat": 23.2})
    assert moved.status_code == 200 and moved.json["lat"] == 23.2
    dropped = client.patch(f"{URL}/{person.id}", json={"lon": None})
    assert dropped.status_code == 422
    assert "lon" in dropped.json["errors"]
    both = client.patch(f"{URL}/{person.id}", json={"lat": None, "lon": None})
    assert both.status_code == 200 and both.json["lat"] is None


def test_unknown_community_on_patch_is_422(client, session):
    person = PersonFactory()
    session.commit()
    response = client.patch(f"{URL}/{person.id}", json={"community_id": 12345})
    assert response.status_code == 422
    assert "community_id" in response.json["errors"]


def test_duplicate_external_id_is_409(client, session):
    PersonFactory(external_id="gz-7")
    session.commit()
    response = client.post(URL, json={"role": "volunteer", "name": "A", "external_id": "gz-7"})
    assert response.status_code == 409
    assert "external_id" in response.json["errors"]


def test_missing_person_is_404(client):
    assert client.get(f"{URL}/{10**25}").status_code == 404
    assert client.get(f"{URL}/{10**25}/skills").status_code == 404
    assert client.get(f"{URL}/3").status_code == 404
    assert client.patch(f"{URL}/3", json={"name": "x"}).status_code == 404
    assert client.delete(f"{URL}/3").status_code == 404


# --- filters ------------------------------------------------------------------------------


def test_filter_by_community_role_active_and_name(client, session):
    a, b = CommunityFactory(), CommunityFactory()
    PersonFactory(name="Chan Tai Man", community_id=a.id, role="volunteer")
    PersonFactory(name="Wong Siu Ming", community_id=a.id, role="social_worker")
    PersonFactory(name="Li Na", community_id=b.id, role="volunteer", active=False)
    session.commit()
    assert names(client, community_id=a.id) == ["Chan Tai Man", "Wong Siu Ming"]
    assert names(client, role="volunteer") == ["Chan Tai Man", "Li Na"]
    assert names(client, active="false") == ["Li Na"]
    assert names(client, active="true", role="volunteer") == ["Chan Tai Man"]
    assert names(client, q="MAN") == ["Chan Tai Man"]
    assert client.get(URL, query_string={"role": "chief"}).status_code == 422


def test_filter_by_language(client, session):
    PersonFactory(name="Cantonese speaker", languages=["yue"])
    PersonFactory(name="Bilingual", languages=["cmn", "yue"])
    PersonFactory(name="Teochew speaker", languages=["nan", "cmn"])
    PersonFactory(name="Nobody", languages=[])
    session.commit()
    assert names(client, language="yue") == ["Bilingual", "Cantonese speaker"]
    assert names(client, language="nan") == ["Teochew speaker"]
    assert names(client, language="en") == []
    response = client.get(URL, query_string={"language": "klingon"})
    assert response.status_code == 422 and "language" in offending(response)


def test_filter_by_skill_min_level_and_expiry(client, session):
    first_aid = SkillFactory(code="first_aid")
    other = SkillFactory(code="it_help")
    PersonSkillFactory(person=PersonFactory(name="Level 2"), skill=first_aid, level=2)
    PersonSkillFactory(person=PersonFactory(name="Level 4"), skill=first_aid, level=4)
    PersonSkillFactory(
        person=PersonFactory(name="Expired"),
        skill=first_aid,
        level=5,
        expires_on=date.today() - timedelta(days=3),
    )
    PersonSkillFactory(
        person=PersonFactory(name="Still valid"),
        skill=first_aid,
        level=5,
        expires_on=date.today() + timedelta(days=30),
    )
    PersonSkillFactory(person=PersonFactory(name="Other skill"), skill=other, level=5)
    session.commit()
    assert names(client, skill="first_aid") == ["Level 2", "Level 4", "Still valid"]
    assert names(client, skill="first_aid", min_level=3) == ["Level 4", "Still valid"]
    assert names(client, skill="first_aid", min_level=5) == ["Still valid"]
    assert names(client, skill="no_such_skill") == []
    for query, field in [
        ({"skill": "first_aid", "min_level": 6}, "min_level"),
        ({"skill": "first_aid", "min_level": 0}, "min_level"),
        ({"min_level": 3}, "skill"),
        ({"skill": "First Aid"}, "skill"),
    ]:
        response = client.get(URL, query_string=query)
        assert response.status_code == 422, query
        assert field in offending(response), query


def test_pagination_with_header(client, session):
    for n in range(7):
        PersonFactory(name=f"P{n}")
    session.commit()
    response = client.get(URL, query_string={"page": 3, "page_size": 3})
    assert [p["name"] for p in response.json] == ["P6"]
    header = json.loads(response.headers["X-Pagination"])
    assert header == {
        "total": 7,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 3,
        "previous_page": 2,
    }


# --- the availability filter --------------------------------------------------------------


def window(person, weekday, start, end, **kwargs):
    return AvailabilityWindowFactory(
        person=person, weekday=weekday, start_time=time(*start), end_time=time(*end), **kwargs
    )


def free(client, start: str, end: str, **query) -> list[str]:
    return names(client, available_from=start, available_to=end, **query)


def test_filter_by_availability_for_the_whole_window(client, session):
    morning = PersonFactory(name="Morning")
    window(morning, MON, (9, 0), (12, 0))
    split = PersonFactory(name="Split")
    window(split, MON, (9, 0), (10, 0))
    window(split, MON, (10, 30), (12, 0))
    touching = PersonFactory(name="Touching")
    window(touching, MON, (9, 0), (10, 0))
    window(touching, MON, (10, 0), (12, 0))
    window(PersonFactory(name="Tuesday"), 1, (9, 0), (12, 0))
    PersonFactory(name="Never")
    session.commit()
    # Monday 30 November 2026, 09:30-11:30 in Shanghai.
    assert free(client, "2026-11-30T09:30:00+08:00", "2026-11-30T11:30:00+08:00") == [
        "Morning",
        "Touching",
    ]
    # The same instants written in UTC.
    assert free(client, "2026-11-30T01:30:00Z", "2026-11-30T03:30:00Z") == ["Morning", "Touching"]
    assert free(client, "2026-11-30T11:00:00+08:00", "2026-11-30T12:30:00+08:00") == []


def test_availability_filter_honours_exceptions(client, session):
    away = PersonFactory(name="Away")
    window(away, MON, (9, 0), (17, 0))
    AvailabilityExceptionFactory(
        person=away,
        kind="unavailable",
        starts_at=datetime.fromisoformat("2026-11-30T12:00:00+08:00"),
        ends_at=datetime.fromisoformat("2026-11-30T13:00:00+08:00"),
    )
    extra = PersonFactory(name="Extra")
    AvailabilityExceptionFactory(
        person=extra,
        kind="available",
        starts_at=datetime.fromisoformat("2026-11-30T08:00:00+08:00"),
        ends_at=datetime.fromisoformat("2026-11-30T18:00:00+08:00"),
    )
    session.commit()
    assert free(client, "2026-11-30T11:00:00+08:00", "2026-11-30T14:00:00+08:00") == ["Extra"]
    assert free(client, "2026-11-30T09:00:00+08:00", "2026-11-30T12:00:00+08:00") == [
        "Away",
        "Extra",
    ]


def test_availability_filter_follows_overnight_windows_across_the_week(client, session):
    night = PersonFactory(name="Night owl")
    window(night, SUN, (22, 0), (2, 0))
    until = PersonFactory(name="Ended")
    window(until, SUN, (22, 0), (2, 0), valid_until=date(2026, 11, 29))
    session.commit()
    # Sunday 6 December 23:00 to Monday 7 December 01:30.
    assert free(client, "2026-12-06T23:00:00+08:00", "2026-12-07T01:30:00+08:00") == ["Night owl"]
    # Monday 30 November 00:30-01:00: covered by the Sunday 29 November night (still valid).
    assert free(client, "2026-11-30T00:30:00+08:00", "2026-11-30T01:00:00+08:00") == [
        "Ended",
        "Night owl",
    ]


def test_availability_filter_combines_with_others_and_paginates(client, session):
    community = CommunityFactory()
    for n in range(5):
        person = PersonFactory(name=f"Free {n}", community_id=community.id)
        window(person, MON, (8, 0), (20, 0))
    window(PersonFactory(name="Elsewhere"), MON, (8, 0), (20, 0))
    busy = PersonFactory(name="Busy", community_id=community.id)
    window(busy, MON, (8, 0), (9, 0))
    session.commit()
    query = {
        "available_from": "2026-11-30T10:00:00+08:00",
        "available_to": "2026-11-30T12:00:00+08:00",
        "community_id": community.id,
        "page_size": 2,
        "page": 3,
    }
    response = client.get(URL, query_string=query)
    assert response.status_code == 200
    assert [p["name"] for p in response.json] == ["Free 4"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 5
    response = client.get(URL, query_string={**query, "page": 1})
    assert [p["name"] for p in response.json] == ["Free 0", "Free 1"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"available_from": "2026-11-30T10:00:00+08:00"}, "available_to"),
        ({"available_to": "2026-11-30T10:00:00+08:00"}, "available_from"),
        (
            {"available_from": "2026-11-30T10:00:00", "available_to": "2026-11-30T11:00:00+08:00"},
            "available_from",
        ),
        (
            {
                "available_from": "2026-11-30T10:00:00+08:00",
                "available_to": "2026-11-30T09:00:00+08:00",
            },
            "available_to",
        ),
        (
            {
                "available_from": "2026-11-30T10:00:00+08:00",
                "available_to": "2027-03-01T09:00:00+08:00",
            },
            "available_to",
        ),
        ({"available_from": "soon", "available_to": "later"}, "available_from"),
    ],
)
def test_bad_availability_filter_is_422_naming_the_field(client, query, field):
    response = client.get(URL, query_string=query)
    assert response.status_code == 422, response.json
    assert field in offending(response)

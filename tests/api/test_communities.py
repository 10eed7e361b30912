"""Communities over the API: CRUD, filters, pagination, bad input, and deletion with people."""

from __future__ import annotations

import json

import pytest

from models import Need, Organization, Person
from tests.factories import CommunityFactory, NeedFactory, OrganizationFactory, PersonFactory

URL = "/api/v1/communities"


def offending(response) -> set[str]:
    """The field names an error body blames, wherever the location nesting puts them."""
    errors = response.json.get("errors", {})
    names = set()
    for key, value in errors.items():
        if key in ("json", "query") and isinstance(value, dict):
            names.update(value)
        else:
            names.add(key)
    return names


def test_create_read_update_delete(client):
    body = {
        "district": "越秀区",
        "street": "北京街",
        "name": "大南路社区",
        "lat": 23.12,
        "lon": 113.27,
    }
    created = client.post(URL, json=body)
    assert created.status_code == 201
    community = created.json
    assert community["name"] == "大南路社区" and community["id"] > 0

    got = client.get(f"{URL}/{community['id']}")
    assert got.status_code == 200 and got.json == community

    patched = client.patch(f"{URL}/{community['id']}", json={"name": "仰忠社区", "lat": None})
    assert patched.status_code == 200
    assert patched.json["name"] == "仰忠社区" and patched.json["lat"] is None
    assert patched.json["street"] == "北京街"

    assert client.delete(f"{URL}/{community['id']}").status_code == 204
    assert client.get(f"{URL}/{community['id']}").status_code == 404


def test_missing_community_is_404_everywhere(client):
    for method in (client.get, client.delete):
        assert method(f"{URL}/999").status_code == 404
    response = client.patch(f"{URL}/999", json={"name": "x"})
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_huge_id_is_404_not_a_database_error(client):
    assert client.get(f"{URL}/{10**25}").status_code == 404
    assert client.delete(f"{URL}/{2**31}").status_code == 404


def test_filters_by_district_street_and_name(client, session):
    CommunityFactory(district="Yuexiu", street="Beijing", name="Danan Road")
    CommunityFactory(district="Yuexiu", street="Dadong", name="Dongshan")
    CommunityFactory(district="Haizhu", street="Beijing", name="Road 100%")
    session.commit()

    def names(**query):
        response = client.get(URL, query_string=query)
        assert response.status_code == 200
        return sorted(c["name"] for c in response.json)

    assert names(district="Yuexiu") == ["Danan Road", "Dongshan"]
    assert names(street="Beijing") == ["Danan Road", "Road 100%"]
    assert names(district="Yuexiu", street="Beijing") == ["Danan Road"]
    assert names(q="road") == ["Danan Road", "Road 100%"]
    assert names(q="100%") == ["Road 100%"]  # LIKE wildcards are taken literally
    assert names(q="_") == []


def test_pagination_with_header(client, session):
    for n in range(5):
        CommunityFactory(name=f"C{n}")
    session.commit()
    response = client.get(URL, query_string={"page": 2, "page_size": 2})
    assert response.status_code == 200
    assert [c["name"] for c in response.json] == ["C2", "C3"]
    header = json.loads(response.headers["X-Pagination"])
    assert header["total"] == 5 and header["total_pages"] == 3 and header["page"] == 2
    past_the_end = client.get(URL, query_string={"page": 10**12, "page_size": 2})
    assert past_the_end.status_code == 200 and past_the_end.json == []
    assert client.get(URL, query_string={"page_size": 0}).status_code == 422
    assert client.get(URL, query_string={"page": "x"}).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"district": "Yuexiu", "street": "S", "name": "N", "colour": "red"}, "colour"),
        ({"district": "Yuexiu", "street": "S"}, "name"),
        ({"district": 5, "street": "S", "name": "N"}, "district"),
        ({"district": "Yuexiu", "street": "S", "name": "N", "lat": 91, "lon": 0}, "lat"),
        ({"district": "Yuexiu", "street": "S", "name": "N", "lat": 0, "lon": "east"}, "lon"),
        ({"district": "", "street": "S", "name": "N"}, "district"),
        ({"district": "Yuexiu", "street": "S", "name": "x" * 121}, "name"),
        ({"district": "Yuexiu", "street": "S", "name": "bad\x00name"}, "name"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, body, field):
    response = client.post(URL, json=body)
    assert response.status_code == 422, response.json
    assert field in offending(response)


def test_patch_rejects_null_for_required_field(client, session):
    community = CommunityFactory()
    session.commit()
    response = client.patch(f"{URL}/{community.id}", json={"name": None})
    assert response.status_code == 422
    assert "name" in offending(response)


def test_duplicate_community_is_409(client):
    body = {"district": "Yuexiu", "street": "Beijing", "name": "Danan"}
    assert client.post(URL, json=body).status_code == 201
    response = client.post(URL, json=body)
    assert response.status_code == 409
    assert "already exists" in response.json["message"]
    other = client.post(URL, json={**body, "name": "Other"}).json
    clash = client.patch(f"{URL}/{other['id']}", json={"name": "Danan"})
    assert clash.status_code == 409


def test_deleting_a_community_keeps_its_people_without_a_community(client, session):
    community = CommunityFactory()
    person = PersonFactory(community_id=community.id)
    need = NeedFactory(community_id=community.id)
    organization = OrganizationFactory()
    organization.communities.append(community)
    session.commit()
    person_id, need_id, organization_id = person.id, need.id, organization.id

    assert client.delete(f"{URL}/{community.id}").status_code == 204

    session.expire_all()
    assert session.get(Person, person_id).community_id is None
    assert client.get(f"/api/v1/people/{person_id}").json["community_id"] is None
    assert session.get(Need, need_id).community_id is None
    assert session.get(Organization, organization_id).communities == []

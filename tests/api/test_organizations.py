"""Organizations over the API: CRUD with served communities, filters, pagination, bad input."""

from __future__ import annotations

import json

import pytest

from tests.factories import CommunityFactory, NeedFactory, OrganizationFactory

URL = "/api/v1/organizations"


def offending(response) -> set[str]:
    """The field names an error body blames, wherever the location nesting puts them."""
    names = set()
    for key, value in response.json.get("errors", {}).items():
        names.update(value if key in ("json", "query") and isinstance(value, dict) else [key])
    return names


def test_create_read_update_delete_with_communities(client, session):
    a, b = CommunityFactory(), CommunityFactory()
    session.commit()
    created = client.post(
        URL,
        json={
            "name": "越秀社工服务站",
            "kind": "social_work_organization",
            "contact_phone": "020-83000000",
            "community_ids": [b.id, a.id],
        },
    )
    assert created.status_code == 201, created.json
    organization = created.json
    assert organization["community_ids"] == sorted([a.id, b.id])

    assert client.get(f"{URL}/{organization['id']}").json == organization

    patched = client.patch(f"{URL}/{organization['id']}", json={"community_ids": [a.id]})
    assert patched.status_code == 200
    assert patched.json["community_ids"] == [a.id]
    assert patched.json["name"] == "越秀社工服务站"

    renamed = client.patch(f"{URL}/{organization['id']}", json={"kind": "volunteer_team"})
    assert renamed.json["kind"] == "volunteer_team" and renamed.json["community_ids"] == [a.id]

    assert client.delete(f"{URL}/{organization['id']}").status_code == 204
    assert client.get(f"{URL}/{organization['id']}").status_code == 404
    # The communities it served are still there.
    assert client.get(f"/api/v1/communities/{a.id}").status_code == 200


def test_community_ids_default_to_none_served(client):
    created = client.post(URL, json={"name": "River team", "kind": "volunteer_team"})
    assert created.status_code == 201
    assert created.json["community_ids"] == []


def test_filters_by_kind_community_and_name(client, session):
    a, b = CommunityFactory(), CommunityFactory()
    first = OrganizationFactory(name="Sunshine Station", kind="social_work_organization")
    first.communities.append(a)
    second = OrganizationFactory(name="River Guardians", kind="volunteer_team")
    second.communities.extend([a, b])
    OrganizationFactory(name="Danan Residents' Committee", kind="residents_committee")
    session.commit()

    def names(**query):
        response = client.get(URL, query_string=query)
        assert response.status_code == 200, response.json
        return sorted(o["name"] for o in response.json)

    assert names(kind="volunteer_team") == ["River Guardians"]
    assert names(community_id=a.id) == ["River Guardians", "Sunshine Station"]
    assert names(community_id=b.id) == ["River Guardians"]
    assert names(community_id=b.id, kind="social_work_organization") == []
    assert names(q="station") == ["Sunshine Station"]
    assert client.get(URL, query_string={"kind": "club"}).status_code == 422


def test_pagination(client, session):
    for n in range(3):
        OrganizationFactory(name=f"Org {n}")
    session.commit()
    response = client.get(URL, query_string={"page": 2, "page_size": 2})
    assert [o["name"] for o in response.json] == ["Org 2"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "kind": "volunteer_team", "members": 3}, "members"),
        ({"kind": "volunteer_team"}, "name"),
        ({"name": "A", "kind": "club"}, "kind"),
        ({"name": "A", "kind": "volunteer_team", "community_ids": "1"}, "community_ids"),
        ({"name": "A", "kind": "volunteer_team", "community_ids": [0]}, "community_ids"),
        ({"name": "A", "kind": "volunteer_team", "community_ids": [2**40]}, "community_ids"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, body, field):
    response = client.post(URL, json=body)
    assert response.status_code == 422, response.json
    assert field in offending(response)


def test_unknown_community_is_422_naming_community_ids(client, session):
    community = CommunityFactory()
    session.commit()
    response = client.post(
        URL, json={"name": "A", "kind": "volunteer_team", "community_ids": [community.id, 999]}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"community_ids": ["no community with id 999"]}


def test_duplicate_name_is_409(client):
    body = {"name": "Sunshine", "kind": "social_organization"}
    assert client.post(URL, json=body).status_code == 201
    response = client.post(URL, json=body)
    assert response.status_code == 409
    assert "already exists" in response.json["message"]


def test_organization_with_needs_cannot_be_deleted(client, session):
    need = NeedFactory()
    session.commit()
    response = client.delete(f"{URL}/{need.organization_id}")
    assert response.status_code == 409
    assert "needs" in response.json["message"]


def test_missing_organization_is_404(client):
    assert client.get(f"{URL}/5").status_code == 404
    assert client.patch(f"{URL}/5", json={"name": "x"}).status_code == 404
    assert client.delete(f"{URL}/5").status_code == 404

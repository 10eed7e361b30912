"""The OpenAPI document is served, valid, and covers every resource."""

import re

from openapi_spec_validator import validate

# Flask writes <int(max=2147483647):id>; OpenAPI writes {id}.
CONVERTER = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")


def test_openapi_document_is_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.json)


def test_every_api_route_is_documented(app, client):
    documented = set(client.get("/api/v1/openapi.json").json["paths"])
    routes = {
        CONVERTER.sub(r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and "openapi" not in rule.rule
        and not rule.rule.startswith("/api/v1/docs")
    }
    assert routes <= documented, routes - documented


def test_docs_page_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()


def test_nul_characters_are_refused_with_422_anywhere(client):
    body = {"district": "Yuexiu", "street": "Dongshan\x00", "name": "x"}
    response = client.post("/api/v1/communities", json=body)
    assert response.status_code == 422
    assert "street" in str(response.json["errors"])
    listed = client.get("/api/v1/audit-events?action=a%00b")
    assert listed.status_code == 422


def test_security_is_documented_and_public_routes_say_so(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert "security" not in spec["paths"]["/api/v1/people"]["get"]  # the global rule applies

"""The service answers and reports its database."""


def test_health_reports_database(client, database_url):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == ("postgresql" if "postgres" in database_url else "sqlite")


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["code"] == 404

"""Phone numbers never reach the logs, whatever the request does (created, refused, clashing)."""

from __future__ import annotations

import logging

PHONE = "13912345678"


def test_phone_numbers_never_reach_the_logs(client, sign_in, caplog):
    caplog.set_level(logging.DEBUG)
    headers = sign_in("admin")
    person = {"external_id": "GZ-LOG-1", "role": "volunteer", "name": "林晓", "phone": PHONE}
    created = client.post("/api/v1/people", json=person, headers=headers)
    assert created.status_code == 201
    # A clash on the unique external id, a bad value, an unknown field, a bad CSV row.
    assert client.post("/api/v1/people", json=person, headers=headers).status_code == 409
    assert (
        client.post(
            "/api/v1/people", json=person | {"external_id": "GZ-LOG-2", "lat": 999}, headers=headers
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/people",
            json=person | {"external_id": "GZ-LOG-3", "mobile": PHONE},
            headers=headers,
        ).status_code
        == 422
    )
    csv_text = f"external_id,name,role,phone\nGZ-LOG-4,陈,astronaut,{PHONE}\n"
    client.post("/api/v1/people/import", data=csv_text, content_type="text/csv", headers=headers)
    client.patch(f"/api/v1/people/{created.json['id']}", json={"phone": PHONE}, headers=headers)
    client.get(f"/api/v1/people?q={PHONE}", headers=headers)
    assert caplog.records, "the requests should have logged something (or the capture is broken)"
    assert PHONE not in caplog.text


def test_database_errors_are_described_without_row_values(app, database_url):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from api.errors import describe_db_error
    from models import db

    # A CHECK violation: PostgreSQL's message quotes the whole failing row, phone included.
    with pytest.raises(IntegrityError) as caught:
        db.session.execute(
            text(
                "INSERT INTO people (role, name, phone, languages, background_checked, "
                "preferred_kinds, preferred_organization_ids, active, created_at, updated_at) "
                "VALUES ('astronaut', 'x', :phone, '[]', false, '[]', '[]', true, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"phone": PHONE},
        )
    db.session.rollback()
    if "postgres" in database_url:
        assert PHONE in str(caught.value.orig)  # the raw message would leak it
    described = describe_db_error(caught.value)
    assert PHONE not in described and "ck_people_role" in described

"""A person's availability over the API: windows, exceptions and the expanded view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.errors import Invalid
from services.person_availability import resolve_horizon
from tests.factories import PersonFactory


def offending(response) -> set[str]:
    """The field names an error body blames, wherever the location nesting puts them."""
    names = set()
    for key, value in response.json.get("errors", {}).items():
        names.update(value if key in ("json", "query") and isinstance(value, dict) else [key])
    return names


@pytest.fixture
def person(session):
    person = PersonFactory()
    session.commit()
    return person


def base(person) -> str:
    return f"/api/v1/people/{person.id}/availability"


# --- weekly windows -----------------------------------------------------------------------


def test_window_create_list_get_patch_delete(client, person):
    windows = base(person) + "/windows"
    created = client.post(windows, json={"weekday": 0, "start_time": "09:00", "end_time": "12:30"})
    assert created.status_code == 201, created.json
    window = created.json
    assert window == {
        "id": window["id"],
        "person_id": person.id,
        "weekday": 0,
        "start_time": "09:00",
        "end_time": "12:30",
        "valid_from": None,
        "valid_until": None,
    }
    assert client.get(windows).json == [window]
    assert client.get(f"{windows}/{window['id']}").json == window

    patched = client.patch(
        f"{windows}/{window['id']}", json={"end_time": "13:00", "valid_from": "2026-12-01"}
    )
    assert patched.status_code == 200
    assert patched.json["end_time"] == "13:00" and patched.json["valid_from"] == "2026-12-01"
    assert patched.json["start_time"] == "09:00"

    assert client.delete(f"{windows}/{window['id']}").status_code == 204
    assert client.get(windows).json == []
    assert client.get(f"{windows}/{window['id']}").status_code == 404


def test_overnight_window_is_accepted(client, person):
    response = client.post(
        base(person) + "/windows", json={"weekday": 6, "start_time": "22:00", "end_time": "02:00"}
    )
    assert response.status_code == 201
    assert response.json["end_time"] == "02:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weekday": 7, "start_time": "09:00", "end_time": "12:00"}, "weekday"),
        ({"weekday": -1, "start_time": "09:00", "end_time": "12:00"}, "weekday"),
        ({"weekday": "Monday", "start_time": "09:00", "end_time": "12:00"}, "weekday"),
        ({"weekday": 0, "start_time": "9am", "end_time": "12:00"}, "start_time"),
        ({"weekday": 0, "start_time": "09:00", "end_time": "24:00"}, "end_time"),
        ({"weekday": 0, "start_time": "09:00"}, "end_time"),
        ({"weekday": 0, "start_time": "09:00", "end_time": "12:00", "hours": 3}, "hours"),
        (
            {
                "weekday": 0,
                "start_time": "09:00",
                "end_time": "12:00",
                "valid_from": "2026-12-10",
                "valid_until": "2026-12-01",
            },
            "valid_until",
        ),
        (
            {"weekday": 0, "start_time": "09:00", "end_time": "12:00", "valid_from": "soon"},
            "valid_from",
        ),
    ],
)
def test_bad_window_is_422_naming_the_field(client, person, body, field):
    response = client.post(base(person) + "/windows", json=body)
    assert response.status_code == 422, response.json
    assert field in offending(response)


def test_patch_checks_validity_against_stored_dates(client, person):
    windows = base(person) + "/windows"
    window = client.post(
        windows,
        json={"weekday": 0, "start_time": "09:00", "end_time": "12:00", "valid_from": "2026-12-10"},
    ).json
    response = client.patch(f"{windows}/{window['id']}", json={"valid_until": "2026-12-01"})
    assert response.status_code == 422
    assert response.json["errors"] == {"valid_until": ["must be on or after valid_from"]}


def test_windows_of_another_person_are_not_found(client, person, session):
    other = PersonFactory()
    session.commit()
    window = client.post(
        base(other) + "/windows", json={"weekday": 0, "start_time": "09:00", "end_time": "12:00"}
    ).json
    url = f"{base(person)}/windows/{window['id']}"
    assert client.get(url).status_code == 404
    assert client.patch(url, json={"weekday": 1}).status_code == 404
    assert client.delete(url).status_code == 404


def test_huge_ids_are_404(client, person):
    assert client.get(f"/api/v1/people/{10**25}/availability").status_code == 404
    assert client.get(f"{base(person)}/windows/{10**25}").status_code == 404
    assert client.delete(f"{base(person)}/exceptions/{10**25}").status_code == 404


def test_missing_person_is_404(client):
    assert client.get("/api/v1/people/404/availability/windows").status_code == 404
    assert client.get("/api/v1/people/404/availability/exceptions").status_code == 404
    assert client.get("/api/v1/people/404/availability").status_code == 404
    response = client.post(
        "/api/v1/people/404/availability/windows",
        json={"weekday": 0, "start_time": "09:00", "end_time": "12:00"},
    )
    assert response.status_code == 404


# --- dated exceptions ---------------------------------------------------------------------


def test_exception_create_list_get_patch_delete(client, person):
    exceptions = base(person) + "/exceptions"
    created = client.post(
        exceptions,
        json={
            "kind": "unavailable",
            "starts_at": "2026-12-01T09:00:00+08:00",
            "ends_at": "2026-12-01T18:00:00+08:00",
            "note": "复诊",
        },
    )
    assert created.status_code == 201, created.json
    exception = created.json
    assert exception["kind"] == "unavailable" and exception["note"] == "复诊"
    assert datetime.fromisoformat(exception["starts_at"]) == datetime(2026, 12, 1, 1, tzinfo=UTC)
    assert client.get(exceptions).json == [exception]
    assert client.get(f"{exceptions}/{exception['id']}").json == exception

    patched = client.patch(
        f"{exceptions}/{exception['id']}",
        json={"kind": "available", "ends_at": "2026-12-01T12:00:00Z"},
    )
    assert patched.status_code == 200
    assert patched.json["kind"] == "available"
    assert datetime.fromisoformat(patched.json["ends_at"]) == datetime(2026, 12, 1, 12, tzinfo=UTC)

    assert client.delete(f"{exceptions}/{exception['id']}").status_code == 204
    assert client.get(f"{exceptions}/{exception['id']}").status_code == 404


NINE, TEN = "2026-12-01T09:00:00+08:00", "2026-12-01T10:00:00+08:00"


def exception_body(**changes):
    return {"kind": "unavailable", "starts_at": NINE, "ends_at": TEN, **changes}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (exception_body(kind="holiday"), "kind"),
        (exception_body(starts_at="2026-12-01T09:00:00"), "starts_at"),
        (exception_body(ends_at="2026-12-01T08:00:00+08:00"), "ends_at"),
        (exception_body(ends_at=NINE), "ends_at"),
        ({"kind": "unavailable", "starts_at": NINE}, "ends_at"),
        (exception_body(starts_at=12), "starts_at"),
        (exception_body(starts_at="0001-01-01T00:00:00+08:00"), "starts_at"),
        (exception_body(note="x" * 201), "note"),
        (exception_body(reason="x"), "reason"),
    ],
)
def test_bad_exception_is_422_naming_the_field(client, person, body, field):
    response = client.post(base(person) + "/exceptions", json=body)
    assert response.status_code == 422, response.json
    assert field in offending(response)


def test_exception_patch_checks_order_against_stored_times(client, person):
    exceptions = base(person) + "/exceptions"
    exception = client.post(
        exceptions,
        json={
            "kind": "unavailable",
            "starts_at": "2026-12-01T09:00:00+08:00",
            "ends_at": "2026-12-01T10:00:00+08:00",
        },
    ).json
    response = client.patch(
        f"{exceptions}/{exception['id']}", json={"starts_at": "2026-12-01T11:00:00+08:00"}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"ends_at": ["must be after starts_at"]}


# --- the expanded view --------------------------------------------------------------------


def test_expanded_availability_in_the_configured_timezone(client, person):
    windows = base(person) + "/windows"
    client.post(windows, json={"weekday": 0, "start_time": "09:00", "end_time": "12:00"})
    client.post(windows, json={"weekday": 0, "start_time": "12:00", "end_time": "17:00"})
    client.post(windows, json={"weekday": 6, "start_time": "22:00", "end_time": "02:00"})
    client.post(
        base(person) + "/exceptions",
        json={
            "kind": "unavailable",
            "starts_at": "2026-11-30T04:00:00Z",  # Monday 12:00-13:00 in Shanghai
            "ends_at": "2026-11-30T05:00:00Z",
        },
    )
    client.post(
        base(person) + "/exceptions",
        json={
            "kind": "available",
            "starts_at": "2026-12-02T19:00:00+08:00",
            "ends_at": "2026-12-02T21:00:00+08:00",
        },
    )
    response = client.get(
        base(person),
        query_string={"start": "2026-11-30T00:00:00+08:00", "end": "2026-12-07T12:00:00+08:00"},
    )
    assert response.status_code == 200, response.json
    assert response.json["timezone"] == "Asia/Shanghai"
    assert response.json["start"] == "2026-11-30T00:00:00+08:00"
    assert [(i["start"], i["end"]) for i in response.json["intervals"]] == [
        ("2026-11-30T00:00:00+08:00", "2026-11-30T02:00:00+08:00"),
        ("2026-11-30T09:00:00+08:00", "2026-11-30T12:00:00+08:00"),
        ("2026-11-30T13:00:00+08:00", "2026-11-30T17:00:00+08:00"),
        ("2026-12-02T19:00:00+08:00", "2026-12-02T21:00:00+08:00"),
        ("2026-12-06T22:00:00+08:00", "2026-12-07T02:00:00+08:00"),
        ("2026-12-07T09:00:00+08:00", "2026-12-07T12:00:00+08:00"),
    ]


def test_horizon_given_in_utc_is_answered_in_local_time(client, person):
    client.post(
        base(person) + "/windows", json={"weekday": 0, "start_time": "09:00", "end_time": "10:00"}
    )
    response = client.get(
        base(person),
        query_string={"start": "2026-11-29T16:00:00Z", "end": "2026-11-30T16:00:00Z"},
    )
    assert response.json["start"] == "2026-11-30T00:00:00+08:00"
    assert response.json["intervals"] == [
        {"start": "2026-11-30T09:00:00+08:00", "end": "2026-11-30T10:00:00+08:00"}
    ]


def test_default_horizon_is_the_coming_seven_days(client, person):
    for weekday in range(7):
        client.post(
            base(person) + "/windows",
            json={"weekday": weekday, "start_time": "00:00", "end_time": "00:00"},
        )
    response = client.get(base(person))
    assert response.status_code == 200
    start = datetime.fromisoformat(response.json["start"])
    end = datetime.fromisoformat(response.json["end"])
    assert end - start == timedelta(days=7)
    assert abs(start - datetime.now(UTC)) < timedelta(minutes=1)
    assert start.utcoffset() == timedelta(hours=8)
    assert [(i["start"], i["end"]) for i in response.json["intervals"]] == [
        (response.json["start"], response.json["end"])
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-12-01T00:00:00+08:00", "end": "2027-02-02T00:00:00+08:00"}, "end"),
        ({"start": "2026-12-01T00:00:00+08:00", "end": "2026-11-30T00:00:00+08:00"}, "end"),
        ({"start": "2026-12-01T00:00:00", "end": "2026-12-02T00:00:00+08:00"}, "start"),
        ({"start": "tomorrow"}, "start"),
        ({"end": "2020-01-01T00:00:00+08:00"}, "end"),
    ],
)
def test_bad_horizon_is_422_naming_the_field(client, person, query, field):
    response = client.get(base(person), query_string=query)
    assert response.status_code == 422, response.json
    assert field in offending(response)


def test_horizon_of_exactly_62_days_is_allowed(client, person):
    response = client.get(
        base(person),
        query_string={"start": "2026-12-01T00:00:00+08:00", "end": "2027-02-01T00:00:00+08:00"},
    )
    assert response.status_code == 200


def test_resolve_horizon_defaults():
    now = datetime(2026, 11, 30, 1, 2, 3, 456, tzinfo=UTC)
    assert resolve_horizon(None, None, now=now) == (
        now.replace(microsecond=0),
        now.replace(microsecond=0) + timedelta(days=7),
    )
    start = datetime(2026, 12, 1, tzinfo=UTC)
    assert resolve_horizon(start, None) == (start, start + timedelta(days=7))
    with pytest.raises(Invalid) as raised:
        resolve_horizon(start, start + timedelta(days=63))
    assert "end" in raised.value.errors

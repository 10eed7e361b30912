"""The personal iCal feed and my notification settings over HTTP."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import icalendar
import pytest

from models import db
from models.db import utcnow
from tests.factories import AssignmentFactory, PersonFactory, PositionFactory, ShiftFactory

FEED = "/api/v1/me/calendar-feed"


@pytest.fixture
def person(app):
    return PersonFactory()


@pytest.fixture
def me(sign_in, person):
    return sign_in("person", person_id=person.id)


def _seat(person, status, starts_in, title, *, cancelled=False):
    start = utcnow().replace(microsecond=0) + starts_in
    shift = ShiftFactory(
        starts_at=start, ends_at=start + timedelta(hours=2), need__title=title, cancelled=cancelled
    )
    return AssignmentFactory(person=person, position=PositionFactory(shift=shift), status=status)


def _feed_path(response) -> str:
    return urlsplit(response.json["url"]).path


def test_feed_lists_offered_and_confirmed_seats_in_range(client, anonymous_client, person, me):
    offered = _seat(person, "offered", timedelta(days=2), "Tutoring")
    confirmed = _seat(person, "confirmed", timedelta(days=-10), "River clean-up")
    _seat(person, "declined", timedelta(days=3), "Declined one")
    _seat(person, "confirmed", timedelta(days=120), "Too far ahead")
    _seat(person, "confirmed", timedelta(days=-40), "Too long ago")
    _seat(person, "confirmed", timedelta(days=4), "Cancelled shift", cancelled=True)
    _seat(PersonFactory(), "confirmed", timedelta(days=2), "Someone else's")
    db.session.commit()

    created = client.post(FEED, headers=me)
    assert created.status_code == 201
    assert created.json["url"].endswith(f"/api/v1/calendar/{created.json['token']}.ics")

    response = anonymous_client.get(_feed_path(created))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Tutoring", "River clean-up"}
    assert str(events["Tutoring"]["UID"]) == f"assignment-{offered.id}@linkage"
    assert str(events["Tutoring"]["STATUS"]) == "TENTATIVE"
    assert str(events["River clean-up"]["STATUS"]) == "CONFIRMED"
    assert events["River clean-up"].decoded("DTSTART") == confirmed.shift.starts_at


def test_rotating_the_feed_kills_the_old_url_and_delete_revokes(client, anonymous_client, me):
    first = _feed_path(client.post(FEED, headers=me))
    second = _feed_path(client.post(FEED, headers=me))
    assert first != second
    assert anonymous_client.get(first).status_code == 404
    assert anonymous_client.get(second).status_code == 200

    assert client.delete(FEED, headers=me).status_code == 204
    assert anonymous_client.get(second).status_code == 404


def test_unknown_token_is_404(anonymous_client):
    assert anonymous_client.get("/api/v1/calendar/not-a-token.ics").status_code == 404
    assert anonymous_client.get("/api/v1/calendar/" + "x" * 500 + ".ics").status_code == 404


def test_feed_of_an_erased_person_is_gone(client, anonymous_client, person, me):
    path = _feed_path(client.post(FEED, headers=me))
    person.erased_at = utcnow()
    db.session.commit()
    assert anonymous_client.get(path).status_code == 404


def test_only_people_have_feeds_and_settings(client, anonymous_client):
    for method, path in [
        ("post", FEED),
        ("delete", FEED),
        ("get", "/api/v1/me/contact"),
        ("get", "/api/v1/me/notification-preferences"),
    ]:
        assert getattr(client, method)(path).status_code == 403  # the admin of `client`
        assert getattr(anonymous_client, method)(path).status_code == 401


def test_contact_round_trip_and_validation(client, me):
    assert client.get("/api/v1/me/contact", headers=me).json == {"email": None}
    response = client.put("/api/v1/me/contact", json={"email": "li@example.org"}, headers=me)
    assert response.status_code == 200
    assert client.get("/api/v1/me/contact", headers=me).json == {"email": "li@example.org"}

    bad = client.put("/api/v1/me/contact", json={"email": "not an address"}, headers=me)
    assert bad.status_code == 422
    assert "email" in bad.json["errors"]["json"]
    assert client.put("/api/v1/me/contact", json={}, headers=me).status_code == 422
    assert client.put("/api/v1/me/contact", json={"email": None}, headers=me).json == {
        "email": None
    }


def test_preferences_round_trip_and_validation(client, me):
    path = "/api/v1/me/notification-preferences"
    assert client.get(path, headers=me).json["email"] == {
        "offer": True,
        "reminder": True,
        "cancellation": True,
        "star": True,
    }
    response = client.put(path, json={"email": {"reminder": False}}, headers=me)
    assert response.status_code == 200
    assert response.json["email"]["reminder"] is False
    assert response.json["webhook"]["reminder"] is True

    for body in (
        {"sms": {"offer": False}},
        {"email": {"birthday": False}},
        {"email": {"offer": "no"}},
    ):
        assert client.put(path, json=body, headers=me).status_code == 422

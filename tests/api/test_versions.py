"""Versions of needs, shifts, positions and people: ETag, If-Match, and 409 for stale edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from models import Need, db
from services import needs as needs_service
from tests.factories import NeedFactory, PersonFactory, PositionFactory, ShiftFactory, SkillFactory


def _need():
    return f"/api/v1/needs/{NeedFactory().id}", {"title": "a new title"}


def _shift():
    shift = ShiftFactory()
    return f"/api/v1/shifts/{shift.id}", {
        "ends_at": (shift.ends_at + timedelta(hours=1)).isoformat()
    }


def _position():
    return f"/api/v1/positions/{PositionFactory().id}", {"label": "a new label"}


def _person():
    return f"/api/v1/people/{PersonFactory().id}", {"name": "A New Name"}


KINDS = pytest.mark.parametrize("make", [_need, _shift, _position, _person])


@KINDS
def test_get_and_patch_carry_the_version_and_its_etag(client, session, make):
    url, change = make()
    session.commit()
    got = client.get(url)
    changed = client.patch(url, json=change)
    assert got.status_code == 200 and changed.status_code == 200, changed.json
    assert (got.json["version"], got.headers["ETag"]) == (1, '"1"')
    assert (changed.json["version"], changed.headers["ETag"]) == (2, '"2"')


@KINDS
def test_a_patch_against_the_current_version_applies(client, session, make):
    url, change = make()
    session.commit()
    by_header = client.patch(url, json=change, headers={"If-Match": '"1"'})
    # The same values again change nothing, so the version stays at 2.
    by_body = client.patch(url, json={**change, "version": 2})
    assert by_header.status_code == 200, by_header.json
    assert by_body.status_code == 200, by_body.json
    assert (by_header.json["version"], by_body.headers["ETag"]) == (2, '"2"')


@KINDS
def test_a_stale_if_match_is_409(client, session, make):
    url, change = make()
    session.commit()
    assert client.patch(url, json=change).status_code == 200
    stale = client.patch(url, json=change, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.json["errors"] == {"version": ["stale: current is 2"]}
    assert client.get(url).json["version"] == 2


@KINDS
def test_a_stale_body_version_is_409(client, session, make):
    url, change = make()
    session.commit()
    assert client.patch(url, json=change).status_code == 200
    stale = client.patch(url, json={**change, "version": 1})
    assert stale.status_code == 409
    assert stale.json["errors"] == {"version": ["stale: current is 2"]}


def test_a_malformed_if_match_is_422(client, session):
    url, change = _need()
    session.commit()
    response = client.patch(url, json=change, headers={"If-Match": "yesterday"})
    assert response.status_code == 422
    assert "If-Match" in response.json["errors"]


def test_if_match_and_body_must_agree(client, session):
    url, change = _need()
    session.commit()
    response = client.patch(url, json={**change, "version": 1}, headers={"If-Match": '"2"'})
    assert response.status_code == 422
    assert "version" in response.json["errors"]


def test_a_bad_body_version_is_422(client, session):
    url, change = _need()
    session.commit()
    for bad in (0, "1", 1.5, None):
        response = client.patch(url, json={**change, "version": bad})
        assert response.status_code == 422, bad


def test_changing_only_a_positions_skills_bumps_its_version(client, session):
    SkillFactory(code="first_aid")
    url, _change = _position()
    session.commit()
    changed = client.patch(url, json={"skills": {"first_aid": 2}})
    assert changed.status_code == 200, changed.json
    assert changed.json["version"] == 2


def test_a_concurrent_commit_between_read_and_write_is_409(client, session, monkeypatch):
    need = NeedFactory()
    session.commit()
    need_id = need.id
    real = needs_service.check_version

    def someone_else_commits_first(obj, expected, **kwargs):
        real(obj, expected, **kwargs)
        # Bumps the row behind the ORM's back: the loaded object still says version 1.
        db.session.execute(
            update(Need).where(Need.id == need_id).values(version=Need.version + 1),
            execution_options={"synchronize_session": False},
        )

    monkeypatch.setattr(needs_service, "check_version", someone_else_commits_first)
    response = client.patch(f"/api/v1/needs/{need_id}", json={"title": "mine"})
    assert response.status_code == 409
    assert "version" in response.json["errors"]
    monkeypatch.undo()
    assert client.get(f"/api/v1/needs/{need_id}").json["title"] != "mine"

"""People answer offers; confirmed seats become fixed and declines forbidden in later runs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Assignment, db
from services import runs
from services.mappers import person_key, position_key, shift_key
from tests.scenarios import WEEK, small_week

TZ = "Asia/Shanghai"
SETTINGS = runs.RunSettings(timezone=TZ, workers=1)


@pytest.fixture
def offered(app):
    """A published run: two of three volunteers offered the two seats of one shift."""
    scene = small_week(people=3, count=2, min_count=1)
    run = runs.queue_run(
        session=db.session, scope=scene["scope"], week=WEEK, timezone=TZ, time_limit_s=5
    )
    runs.take_run(session=db.session, run_id=run.id)
    runs.solve_run(session=db.session, run_id=run.id, settings=SETTINGS)
    runs.publish_run(session=db.session, run_id=run.id, actor=None)
    scene["offers"] = db.session.scalars(
        select(Assignment).where(Assignment.status == "offered")
    ).all()
    return scene


def _as(sign_in, assignment):
    return sign_in("person", person_id=assignment.person_id)


def _later_problem(scene):
    run = runs.queue_run(session=db.session, scope=scene["scope"], week=WEEK, timezone=TZ)
    return runs.build_run_problem(session=db.session, run=run, settings=SETTINGS)


def test_my_assignments_lists_only_my_offers(client, sign_in, offered):
    mine = offered["offers"][0]
    listed = client.get("/api/v1/me/assignments", headers=_as(sign_in, mine)).json
    assert [a["id"] for a in listed] == [mine.id]
    assert listed[0]["status"] == "offered" and "person_id" not in listed[0]


def test_accept_makes_the_seat_fixed_in_later_problems(client, sign_in, offered):
    offer = offered["offers"][0]
    response = client.post(f"/api/v1/me/assignments/{offer.id}/accept", headers=_as(sign_in, offer))
    assert response.status_code == 200 and response.json["status"] == "confirmed"
    fixed = _later_problem(offered)["fixed"]
    assert {
        "person_id": person_key(offer.person_id),
        "position_id": position_key(offer.position_id),
    } in fixed


def test_decline_with_reason_forbids_the_shift_in_later_problems(client, sign_in, offered):
    offer = offered["offers"][0]
    response = client.post(
        f"/api/v1/me/assignments/{offer.id}/decline",
        json={"reason": "家里有事"},
        headers=_as(sign_in, offer),
    )
    assert response.status_code == 200 and response.json["decline_reason"] == "家里有事"
    forbidden = _later_problem(offered)["forbidden"]
    assert {
        "person_id": person_key(offer.person_id),
        "shift_id": shift_key(offer.shift_id),
    } in forbidden


def test_answering_twice_is_409(client, sign_in, offered):
    offer = offered["offers"][0]
    headers = _as(sign_in, offer)
    client.post(f"/api/v1/me/assignments/{offer.id}/accept", headers=headers)
    again = client.post(f"/api/v1/me/assignments/{offer.id}/decline", json={}, headers=headers)
    assert again.status_code == 409


def test_someone_elses_offer_is_404(client, sign_in, offered):
    mine, theirs = offered["offers"]
    response = client.post(f"/api/v1/me/assignments/{theirs.id}/accept", headers=_as(sign_in, mine))
    assert response.status_code == 404
    assert db.session.get(Assignment, theirs.id).status == "offered"


def test_an_offer_on_a_cancelled_shift_cannot_be_accepted(client, sign_in, offered):
    offer = offered["offers"][0]
    offer.shift.cancelled = True
    db.session.commit()
    response = client.post(f"/api/v1/me/assignments/{offer.id}/accept", headers=_as(sign_in, offer))
    assert response.status_code == 409

"""50 simultaneous bookings of one person onto overlapping shifts: exactly one may win."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from models import Assignment
from models.assignment import ACTIVE_STATUSES
from tests.factories import WEEK_START, NeedFactory, PersonFactory, PositionFactory, ShiftFactory
from tests.process.burst import TIMEOUT_S, burst, server_errors, statuses

# One worker runs them all (with --dist loadgroup): one server per database, not one per worker.
pytestmark = pytest.mark.xdist_group("process")

REQUESTS = 50
ROUNDS = 3


def _overlapping_positions(live, round_: int) -> tuple[int, list[int]]:
    """A new person and one seat on each of 50 shifts that all overlap one another."""
    # Each round in its own week, so no round can clash with an earlier one's bookings.
    start = WEEK_START + timedelta(weeks=10 + round_)
    with live.session() as session:
        person = PersonFactory()
        need = NeedFactory()
        positions = [
            PositionFactory(
                count=1,
                shift=ShiftFactory(
                    need=need,
                    starts_at=start + timedelta(minutes=i),
                    ends_at=start + timedelta(hours=2, minutes=i),
                ),
            )
            for i in range(REQUESTS)
        ]
        session.commit()
        return person.id, [p.id for p in positions]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_of_many_overlapping_bookings_wins(live, round_):
    person_id, position_ids = _overlapping_positions(live, round_)

    def book(i: int) -> requests.Response:
        return requests.post(
            f"{live.api}/assignments",
            json={"person_id": person_id, "position_id": position_ids[i]},
            headers=live.headers,
            timeout=TIMEOUT_S,
        )

    responses = burst(REQUESTS, book)

    assert server_errors(responses) == []
    assert statuses(responses) == {201: 1, 409: REQUESTS - 1}
    generic = "the change conflicts with existing data"
    for refused in (r.json() for r in responses if r.status_code == 409):
        # A readable reason naming the clash, not the bare integrity-error answer.
        assert refused["message"] != generic and refused.get("errors"), refused
    [won] = [r.json() for r in responses if r.status_code == 201]
    with live.session() as session:
        rows = session.execute(
            select(Assignment.id, Assignment.status).where(Assignment.person_id == person_id)
        ).all()
        active = session.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.person_id == person_id, Assignment.status.in_(ACTIVE_STATUSES))
        )
    assert rows == [(won["id"], won["status"])]
    assert active == 1

"""100 simultaneous redemptions of 10 points against a balance of 50: never overspent."""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import func, select

from models import IdempotencyKey, PointsEntry
from services import ledger
from tests.factories import PersonFactory
from tests.process.burst import TIMEOUT_S, burst, server_errors, statuses

# One worker runs them all (with --dist loadgroup): one server per database, not one per worker.
pytestmark = pytest.mark.xdist_group("process")

REQUESTS = 100
BALANCE = 50
PRICE = 10


def _person_with_points(live) -> int:
    with live.session() as session:
        person = PersonFactory()
        session.commit()
        ledger.adjust(
            session=session,
            person_id=person.id,
            points=BALANCE,
            reason="opening balance",
            actor=None,
        )
        return person.id


def test_concurrent_redemptions_never_overspend(live):
    person_id = _person_with_points(live)
    url = f"{live.api}/people/{person_id}/points/redemptions"
    keys = [str(uuid.uuid4()) for _ in range(REQUESTS)]
    body = {"points": PRICE, "reason": "bus card top-up"}

    def redeem(i: int) -> requests.Response:
        headers = {**live.headers, "Idempotency-Key": keys[i]}
        return requests.post(url, json=body, headers=headers, timeout=TIMEOUT_S)

    responses = burst(REQUESTS, redeem)

    assert server_errors(responses) == []
    assert statuses(responses) == {201: BALANCE // PRICE, 409: REQUESTS - BALANCE // PRICE}
    won = {keys[i]: r.json() for i, r in enumerate(responses) if r.status_code == 201}
    assert sorted(answer["balance"] for answer in won.values()) == [0, 10, 20, 30, 40]

    # A retry of a spent key gets its first answer again and spends nothing.
    key, first = next(iter(won.items()))
    retry = requests.post(
        url, json=body, headers={**live.headers, "Idempotency-Key": key}, timeout=TIMEOUT_S
    )
    assert (retry.status_code, retry.json()) == (201, first)

    with live.session() as session:
        balance = ledger.balance(session=session, person_id=person_id)
        total = ledger.ledger_sum(session=session, person_id=person_id)
        redeemed = session.scalars(
            select(PointsEntry.points).where(
                PointsEntry.person_id == person_id, PointsEntry.kind == "redeem"
            )
        ).all()
        stored_keys = session.scalar(
            select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key.in_(keys))
        )
    assert balance == total == 0
    assert redeemed == [-PRICE] * (BALANCE // PRICE)
    # Only the writes that happened keep their key: a refused one may be tried again.
    assert stored_keys == BALANCE // PRICE

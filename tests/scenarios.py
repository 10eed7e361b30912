"""Small database scenes shared by service and API tests."""

from __future__ import annotations

from datetime import time, timedelta

from models import db
from tests.factories import (
    WEEK_START,
    AvailabilityWindowFactory,
    CommunityFactory,
    NeedFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

WEEK = "2026-W49"  # WEEK_START is its Monday 09:00 in Asia/Shanghai


def small_week(*, people: int = 3, count: int = 2, min_count: int = 2, priority: int = 4) -> dict:
    """`people` volunteers free Monday 09:00-17:00 and one 10:00-12:00 shift needing `count`."""
    community = CommunityFactory()
    persons = [PersonFactory(community_id=community.id) for _ in range(people)]
    for person in persons:
        AvailabilityWindowFactory(person=person, weekday=0, start_time=time(9), end_time=time(17))
    need = NeedFactory(community_id=community.id, priority=priority)
    shift = ShiftFactory(
        need=need,
        starts_at=WEEK_START + timedelta(hours=1),
        ends_at=WEEK_START + timedelta(hours=3),
    )
    position = PositionFactory(shift=shift, count=count, min_count=min_count)
    db.session.commit()
    return {
        "community": community,
        "scope": f"community:{community.id}",
        "people": persons,
        "need": need,
        "shift": shift,
        "position": position,
    }

"""Pins and forbids: one per (kind, person, target), listed only where both ends are in reach."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import MatchingOverride, db
from services import overrides
from services.errors import NotFound
from services.permissions import Reach
from tests.factories import CommunityFactory, NeedFactory, PositionFactory, ShiftFactory
from tests.scenarios import small_week


def _coordinator_of(community_id: int) -> Reach:
    return Reach(
        community_ids=frozenset({community_id}), organization_ids=frozenset(), role="coordinator"
    )


@pytest.fixture
def week(app):
    found = small_week()
    other = CommunityFactory()
    elsewhere = ShiftFactory(need=NeedFactory(community_id=other.id))
    found["other"] = other
    found["elsewhere_shift"] = elsewhere
    found["elsewhere_position"] = PositionFactory(shift=elsewhere)
    db.session.commit()
    return found


def _count() -> int:
    return db.session.scalar(select(func.count(MatchingOverride.id)))


def test_the_same_pin_or_forbid_twice_is_one_override(week):
    reach = _coordinator_of(week["community"].id)
    person = week["people"][0]
    pin = {"kind": "pin", "person_id": person.id, "position_id": week["position"].id}
    forbid = {"kind": "forbid", "person_id": person.id, "shift_id": week["shift"].id}
    first = overrides.create_override(session=db.session, actor=None, reach=reach, **pin)
    again = overrides.create_override(session=db.session, actor=None, reach=reach, **pin)
    banned = overrides.create_override(session=db.session, actor=None, reach=reach, **forbid)
    assert again.id == first.id and banned.id != first.id
    assert _count() == 2
    # Removing the pin once leaves no copy of it in force.
    overrides.delete_override(session=db.session, override_id=first.id, actor=None, reach=reach)
    assert [o.kind for o in overrides.list_overrides(session=db.session)] == ["forbid"]


def test_overrides_pointing_outside_the_coordinators_communities_are_not_listed(week):
    reach = _coordinator_of(week["community"].id)
    person = week["people"][0]
    # An administrator pinned and forbade the coordinator's person on another community's shift.
    outside = [
        overrides.create_override(
            session=db.session,
            kind="pin",
            person_id=person.id,
            position_id=week["elsewhere_position"].id,
            actor=None,
        ),
        overrides.create_override(
            session=db.session,
            kind="forbid",
            person_id=person.id,
            shift_id=week["elsewhere_shift"].id,
            actor=None,
        ),
    ]
    inside = overrides.create_override(
        session=db.session,
        kind="forbid",
        person_id=person.id,
        shift_id=week["shift"].id,
        actor=None,
        reach=reach,
    )
    listed = overrides.list_overrides(session=db.session, reach=reach)
    assert [o.id for o in listed] == [inside.id]
    everything = overrides.list_overrides(session=db.session, reach=None)
    assert [o.id for o in everything] == [outside[0].id, outside[1].id, inside.id]
    # What is not listed cannot be removed either, and the other way round.
    with pytest.raises(NotFound):
        overrides.delete_override(
            session=db.session, override_id=outside[0].id, actor=None, reach=reach
        )

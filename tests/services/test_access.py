"""Reach-aware filters of the services: None is unrestricted, each role sees its own."""

from __future__ import annotations

from models import db
from services import needs, people
from services.permissions import NOTHING, Reach
from tests.factories import CommunityFactory, NeedFactory, OrganizationFactory, PersonFactory


def _names(found):
    return sorted(p.name for p in found[0])


def test_lists_without_reach_are_unrestricted_and_with_reach_are_scoped(session):
    a, b = CommunityFactory(), CommunityFactory()
    org_a, org_b = OrganizationFactory(), OrganizationFactory()
    mine = PersonFactory(name="mine", community_id=a.id)
    PersonFactory(name="theirs", community_id=b.id)
    need_a = NeedFactory(organization_id=org_a.id, community_id=b.id)
    need_b = NeedFactory(organization_id=org_b.id, community_id=a.id)
    db.session.commit()

    def listed(reach):
        return _names(
            people.list_people(
                session=session, offset=0, limit=None, timezone="Asia/Shanghai", reach=reach
            )
        )

    def need_ids(reach):
        return [n.id for n in needs.list_needs(session=session, filters={}, reach=reach)[0]]

    coordinator = Reach(frozenset({a.id}), frozenset(), role="coordinator")
    staff = Reach(frozenset({b.id}), frozenset({org_a.id}), role="org_staff")
    person = Reach(NOTHING, NOTHING, person_id=mine.id, role="person")
    assert listed(None) == ["mine", "theirs"]
    assert listed(coordinator) == ["mine"]
    assert listed(person) == ["mine"]
    # Staff see nobody who holds no seat on their shifts.
    assert listed(staff) == []
    assert need_ids(None) == [need_a.id, need_b.id]
    # Coordinators follow the need's community; staff its organization.
    assert need_ids(coordinator) == [need_b.id]
    assert need_ids(staff) == [need_a.id]
    assert need_ids(person) == []

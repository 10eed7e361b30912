"""Scopes: what coordinators, organization staff and people reach."""

from __future__ import annotations

from models import db
from services import auth
from services.auth import ScopeSpec
from services.permissions import reach_of
from tests.factories import CommunityFactory, OrganizationFactory, PersonFactory

HASHER = auth.password_hasher("cheap")


def _user(username, role, scopes=(), person_id=None):
    return auth.create_user(
        session=db.session,
        hasher=HASHER,
        username=username,
        password="long enough pw",
        role=role,
        scopes=scopes,
        person_id=person_id,
    )


def test_admin_reaches_everything(app):
    reach = reach_of(session=db.session, user=_user("root", "admin"))
    assert reach.has_community(12345) and reach.has_organization(999)


def test_coordinator_reaches_communities_by_id_and_street(app):
    a = CommunityFactory(street="Dongshan")
    b = CommunityFactory(street="Dongshan")
    c = CommunityFactory(street="Beijing Road")
    d = CommunityFactory(street="Huale")
    org = OrganizationFactory(communities=[d])
    other = OrganizationFactory(communities=[c])
    coordinator = _user(
        "coord", "coordinator", [ScopeSpec(street="Dongshan"), ScopeSpec(community_id=d.id)]
    )
    reach = reach_of(session=db.session, user=coordinator)
    assert reach.community_ids == {a.id, b.id, d.id}
    assert reach.has_organization(org.id) and not reach.has_organization(other.id)


def test_org_staff_reach_their_organizations_and_served_communities(app):
    served = CommunityFactory()
    elsewhere = CommunityFactory()
    org = OrganizationFactory(communities=[served])
    staff = _user("staff", "org_staff", [ScopeSpec(organization_id=org.id)])
    reach = reach_of(session=db.session, user=staff)
    assert reach.organization_ids == {org.id}
    assert reach.has_community(served.id) and not reach.has_community(elsewhere.id)


def test_person_reaches_only_themself(app):
    person = PersonFactory()
    reach = reach_of(session=db.session, user=_user("vol", "person", person_id=person.id))
    assert reach.person_id == person.id
    assert not reach.has_community(person.community_id) and not reach.has_organization(1)


def test_coordinator_does_not_reach_an_organization_serving_other_communities_too(app):
    mine, theirs = CommunityFactory(), CommunityFactory()
    shared = OrganizationFactory(communities=[mine, theirs])
    own = OrganizationFactory(communities=[mine])
    coordinator = _user("coord", "coordinator", [ScopeSpec(community_id=mine.id)])
    reach = reach_of(session=db.session, user=coordinator)
    assert reach.has_organization(own.id) and not reach.has_organization(shared.id)

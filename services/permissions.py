"""Who may act where: the communities and organizations in an account's scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Community, User, UserScope, organization_communities


@dataclass(frozen=True, slots=True)
class Reach:
    """What an account reaches; `None` means everything (administrators)."""

    community_ids: frozenset[int] | None
    organization_ids: frozenset[int] | None
    person_id: int | None = None
    # Which rule applies to needs and people: coordinators by community, staff by organization.
    role: str | None = None

    def has_community(self, community_id: int | None) -> bool:
        return self.community_ids is None or community_id in self.community_ids

    def has_organization(self, organization_id: int | None) -> bool:
        return self.organization_ids is None or organization_id in self.organization_ids


NOTHING = frozenset[int]()


def reach_of(*, session: Session, user: User) -> Reach:
    """The communities and organizations a user may act in.

    Coordinators reach the communities they are scoped to (directly or by street) and the
    organizations serving them; organization staff reach their organizations and the
    communities those serve; a person reaches only themself.
    """
    if user.role == "admin":
        return Reach(None, None, role="admin")
    if user.role == "person":
        return Reach(NOTHING, NOTHING, person_id=user.person_id, role="person")
    scopes = session.scalars(select(UserScope).where(UserScope.user_id == user.id)).all()
    if user.role == "coordinator":
        ids = {s.community_id for s in scopes if s.community_id is not None}
        streets = [s.street for s in scopes if s.street is not None]
        if streets:
            ids |= set(session.scalars(select(Community.id).where(Community.street.in_(streets))))
        communities = frozenset(ids)
        # Only organizations that serve nothing but the coordinator's communities: editing one
        # (or scoping staff to it) must not reach into another coordinator's community.
        served = select(organization_communities.c.organization_id)
        organizations = frozenset(
            session.scalars(
                served.where(organization_communities.c.community_id.in_(communities)).except_(
                    served.where(organization_communities.c.community_id.not_in(communities))
                )
            )
        )
        return Reach(communities, organizations, role="coordinator")
    organizations = frozenset(s.organization_id for s in scopes if s.organization_id is not None)
    communities = frozenset(
        session.scalars(
            select(organization_communities.c.community_id).where(
                organization_communities.c.organization_id.in_(organizations)
            )
        )
    )
    return Reach(communities, organizations, role=user.role)

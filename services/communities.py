"""Communities (社区): create, read, update, delete and list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Community
from services.errors import Conflict, NotFound
from services.queries import lookup, page_of


def get_community(*, session: Session, community_id: int) -> Community:
    community = lookup(session, Community, community_id)
    if community is None:
        raise NotFound(f"community {community_id} not found")
    return community


def list_communities(
    *,
    session: Session,
    offset: int,
    limit: int | None,
    district: str | None = None,
    street: str | None = None,
    q: str | None = None,
) -> tuple[Sequence[Community], int]:
    """Communities matching every filter given, ordered by id."""
    stmt = select(Community).order_by(Community.id)
    if district is not None:
        stmt = stmt.where(Community.district == district)
    if street is not None:
        stmt = stmt.where(Community.street == street)
    if q:
        stmt = stmt.where(Community.name.icontains(q, autoescape=True))
    return page_of(session, stmt, offset=offset, limit=limit)


def _check_unique(session: Session, community: Community) -> None:
    clash = session.scalar(
        select(Community.id).where(
            Community.district == community.district,
            Community.street == community.street,
            Community.name == community.name,
            Community.id != community.id if community.id else True,
        )
    )
    if clash is not None:
        raise Conflict(
            f"community {community.name!r} already exists in {community.district}, "
            f"{community.street} (id {clash})",
            errors={"name": ["already exists in this district and street"]},
        )


def create_community(*, session: Session, data: dict[str, Any]) -> Community:
    community = Community(**data)
    _check_unique(session, community)
    session.add(community)
    session.commit()
    return community


def update_community(*, session: Session, community_id: int, data: dict[str, Any]) -> Community:
    community = get_community(session=session, community_id=community_id)
    for name, value in data.items():
        setattr(community, name, value)
    with session.no_autoflush:
        _check_unique(session, community)
    session.commit()
    return community


def delete_community(*, session: Session, community_id: int) -> None:
    """Delete a community; its people and needs keep existing with no community (SET NULL)."""
    community = get_community(session=session, community_id=community_id)
    session.delete(community)
    session.commit()

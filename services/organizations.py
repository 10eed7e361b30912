"""Organizations and the communities they serve: create, read, update, delete and list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Community, Need, Organization
from services.errors import Conflict, Invalid, NotFound
from services.queries import lookup, page_of


def get_organization(*, session: Session, organization_id: int) -> Organization:
    organization = lookup(session, Organization, organization_id)
    if organization is None:
        raise NotFound(f"organization {organization_id} not found")
    return organization


def list_organizations(
    *,
    session: Session,
    offset: int,
    limit: int | None,
    kind: str | None = None,
    community_id: int | None = None,
    q: str | None = None,
) -> tuple[Sequence[Organization], int]:
    """Organizations matching every filter given, ordered by id."""
    stmt = (
        select(Organization)
        .options(selectinload(Organization.communities))
        .order_by(Organization.id)
    )
    if kind is not None:
        stmt = stmt.where(Organization.kind == kind)
    if community_id is not None:
        stmt = stmt.where(Organization.communities.any(Community.id == community_id))
    if q:
        stmt = stmt.where(Organization.name.icontains(q, autoescape=True))
    return page_of(session, stmt, offset=offset, limit=limit)


def _communities(session: Session, ids: Iterable[int]) -> list[Community]:
    wanted = list(dict.fromkeys(ids))
    found = {c.id: c for c in session.scalars(select(Community).where(Community.id.in_(wanted)))}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Invalid(
            "unknown community",
            errors={"community_ids": [f"no community with id {i}" for i in missing]},
        )
    return [found[i] for i in wanted]


def _check_name(session: Session, name: str, own_id: int | None) -> None:
    stmt = select(Organization.id).where(Organization.name == name)
    if own_id is not None:
        stmt = stmt.where(Organization.id != own_id)
    clash = session.scalar(stmt)
    if clash is not None:
        raise Conflict(
            f"an organization named {name!r} already exists (id {clash})",
            errors={"name": ["already used by another organization"]},
        )


def create_organization(*, session: Session, data: dict[str, Any]) -> Organization:
    data = dict(data)
    community_ids = data.pop("community_ids", [])
    _check_name(session, data["name"], None)
    organization = Organization(**data)
    organization.communities = _communities(session, community_ids)
    session.add(organization)
    session.commit()
    return organization


def update_organization(
    *, session: Session, organization_id: int, data: dict[str, Any]
) -> Organization:
    organization = get_organization(session=session, organization_id=organization_id)
    data = dict(data)
    if "name" in data:
        _check_name(session, data["name"], organization.id)
    if "community_ids" in data:
        organization.communities = _communities(session, data.pop("community_ids"))
    for name, value in data.items():
        setattr(organization, name, value)
    session.commit()
    return organization


def delete_organization(*, session: Session, organization_id: int) -> None:
    """Delete an organization that has posted no needs (needs keep their organization)."""
    organization = get_organization(session=session, organization_id=organization_id)
    needs = session.scalar(select(Need.id).where(Need.organization_id == organization_id).limit(1))
    if needs is not None:
        raise Conflict(
            f"organization {organization_id} has posted needs; delete or move them first",
            errors={"organization_id": ["has posted needs"]},
        )
    session.delete(organization)
    session.commit()

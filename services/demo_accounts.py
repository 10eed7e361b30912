"""Sign-in accounts for the demo: one per role, so that every page can be tried at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Assignment, Community, Organization, Person, User
from services import auth
from services.auth import PasswordHasher, ScopeSpec
from services.errors import Conflict

ACCOUNT_NAMES = ("demo-coordinator", "demo-staff", "demo-volunteer")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    acts_for: str


def create_demo_accounts(
    *, session: Session, hasher: PasswordHasher, password: str
) -> list[DemoAccount]:
    """A coordinator of the first community's street, staff of the first organization, and
    the volunteer who holds the first seat of the latest run (else the first person)."""
    if session.scalar(select(User.id).where(User.username.in_(ACCOUNT_NAMES))) is not None:
        raise Conflict("the demo accounts exist already (seed a fresh demo database)")
    community = session.scalars(select(Community).order_by(Community.id)).first()
    organization = session.scalars(select(Organization).order_by(Organization.id)).first()
    # Someone with a seat in the latest run, so that publishing it gives them an offer to answer.
    volunteer = (
        session.scalars(
            select(Person)
            .join(Assignment, Assignment.person_id == Person.id)
            .where(Person.active.is_(True))
            .order_by(Assignment.matching_run_id.desc(), Assignment.id)
        ).first()
        or session.scalars(select(Person).order_by(Person.id)).first()
    )
    if community is None or organization is None or volunteer is None:
        raise Conflict("seed the demo first (linkage seed-demo)")
    plans = [
        ("demo-coordinator", "coordinator", None, [ScopeSpec(street=community.street)]),
        ("demo-staff", "org_staff", None, [ScopeSpec(organization_id=organization.id)]),
        ("demo-volunteer", "person", volunteer.id, []),
    ]
    for username, role, person_id, scopes in plans:
        auth.add_user(
            session=session,
            hasher=hasher,
            username=username,
            password=password,
            role=role,
            person_id=person_id,
            scopes=scopes,
        )
    session.commit()  # all three or none
    return [
        DemoAccount("demo-coordinator", "coordinator", f"street {community.street}"),
        DemoAccount("demo-staff", "org_staff", organization.name),
        DemoAccount("demo-volunteer", "person", volunteer.name),
    ]

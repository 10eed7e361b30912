"""Account administration: creation by staff, approval of self-registrations, listing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from models import Person, User, UserScope
from services import audit, auth, people
from services.access import person_condition, person_in_reach
from services.errors import Conflict, Invalid, NotFound, ServiceError
from services.permissions import reach_of

# What each staff role may create: admins anything, coordinators the accounts they look after.
CREATABLE_ROLES = {
    "admin": ("admin", "coordinator", "org_staff", "person"),
    "coordinator": ("org_staff", "person"),
}


def create_account(
    *,
    session: Session,
    hasher: PasswordHasher,
    actor: User,
    username: str,
    password: str,
    role: str,
    person_id: int | None = None,
    scopes: Iterable[auth.ScopeSpec] = (),
) -> User:
    """An account created by staff is active at once."""
    if role not in CREATABLE_ROLES.get(actor.role, ()):
        raise Invalid("role not allowed", errors={"role": [f"a {actor.role} cannot create {role}"]})
    scopes = list(scopes)
    if actor.role != "admin":
        _check_within_reach(session, actor, person_id, scopes)
    return auth.create_user(
        session=session,
        hasher=hasher,
        username=username,
        password=password,
        role=role,
        person_id=person_id,
        scopes=scopes,
        actor=actor,
    )


def approve_user(*, session: Session, user_id: int, actor: User) -> User:
    """Activate a pending account and its person, so the person can be matched."""
    user = session.get(User, user_id)
    if user is None or not _user_in_reach(session, actor, user):
        raise NotFound(f"no user {user_id}")
    if user.status != "pending":
        raise Conflict(f"account is {user.status}, not pending")
    user.status = "active"
    if user.person_id is not None:
        person = session.get(Person, user.person_id)
        if person is not None:
            person.active = True
    audit.record(session=session, actor=actor, action="user.approve", subject=user)
    session.commit()
    return user


def _check_within_reach(
    session: Session, actor: User, person_id: int | None, scopes: list[auth.ScopeSpec]
) -> None:
    """Coordinators create accounts only for their people and their communities' organizations."""
    reach = reach_of(session=session, user=actor)
    errors: dict[str, list[str]] = {}
    if person_id is not None and not person_in_reach(
        session=session, reach=reach, person_id=person_id
    ):
        errors["person_id"] = [f"no person with id {person_id} in your communities"]
    for scope in scopes:
        if scope.organization_id is None or not reach.has_organization(scope.organization_id):
            errors["scopes"] = ["only organizations serving your communities"]
    if errors:
        raise Invalid("outside your reach", errors=errors)


def list_users(*, session: Session, actor: User) -> list[User]:
    """Accounts the actor may see: all for admins, person and staff accounts for coordinators."""
    query = select(User).order_by(User.id)
    if actor.role != "admin":
        reach = reach_of(session=session, user=actor)
        yours = or_(
            User.person_id.in_(select(Person.id).where(person_condition(reach))),
            exists().where(
                UserScope.user_id == User.id,
                UserScope.organization_id.in_(reach.organization_ids or ()),
            ),
        )
        query = query.where(User.role.in_(CREATABLE_ROLES.get(actor.role, ())), yours)
    return list(session.scalars(query))


def _user_in_reach(session: Session, actor: User, user: User) -> bool:
    """Coordinators look after the accounts of their people only."""
    if actor.role == "admin":
        return True
    if user.person_id is None:
        return False
    reach = reach_of(session=session, user=actor)
    return person_in_reach(session=session, reach=reach, person_id=user.person_id)


def register_person(
    *,
    session: Session,
    hasher: PasswordHasher,
    username: str,
    password: str,
    person: dict[str, Any],
) -> User:
    """Self-registration: an inactive person and a pending account, written together.

    A coordinator approves the account (`approve_user`) before the person can sign in or be
    matched; nothing is written when any check fails.
    """
    people.check_references(session, person, None)
    new = Person(**person, active=False)
    session.add(new)
    session.flush()
    try:
        user = auth.add_user(
            session=session,
            hasher=hasher,
            username=username,
            password=password,
            role="person",
            person_id=new.id,
            status="pending",
        )
    except ServiceError:
        session.rollback()
        raise
    session.commit()
    return user

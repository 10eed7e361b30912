"""Account administration: creation by staff, approval of self-registrations, listing."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Person, User
from services import audit, auth
from services.errors import Conflict, Invalid, NotFound

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
    if user is None:
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


def list_users(*, session: Session, actor: User) -> list[User]:
    """Accounts the actor may see: all for admins, person and staff accounts for coordinators."""
    query = select(User).order_by(User.id)
    if actor.role != "admin":
        query = query.where(User.role.in_(CREATABLE_ROLES.get(actor.role, ())))
    return list(session.scalars(query))

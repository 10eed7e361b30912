"""Accounts: password hashing, login, opaque bearer tokens, revocation."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import AuthToken, Person, User, UserScope
from models.account import USER_ROLES
from models.db import utcnow
from services import audit
from services.errors import Conflict, Invalid, NotFound

# RFC 9106's low-memory profile (argon2id, t=3, 64 MiB, p=4) is above OWASP's minimum
# (argon2id, 19 MiB, t=2, p=1); the cheapest profile exists for test suites only.
HASH_PROFILES = {
    "production": profiles.RFC_9106_LOW_MEMORY,
    "cheap": profiles.CHEAPEST,
}
TOKEN_BYTES = 32
MIN_PASSWORD_LENGTH = 10


def password_hasher(profile: str = "production") -> PasswordHasher:
    """The argon2id hasher of a named profile."""
    return PasswordHasher.from_parameters(HASH_PROFILES[profile])


def token_digest(token: str) -> str:
    """Tokens are stored only as SHA-256 digests: a leaked table grants nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ScopeSpec:
    community_id: int | None = None
    street: str | None = None
    organization_id: int | None = None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "weak password",
            errors={"password": [f"use at least {MIN_PASSWORD_LENGTH} characters"]},
        )


def create_user(
    *,
    session: Session,
    hasher: PasswordHasher,
    username: str,
    password: str,
    role: str,
    person_id: int | None = None,
    scopes: Iterable[ScopeSpec] = (),
    status: str = "active",
    actor: User | None = None,
) -> User:
    """Create an account; a `person` account must name the Person it acts for."""
    user = add_user(
        session=session,
        hasher=hasher,
        username=username,
        password=password,
        role=role,
        person_id=person_id,
        scopes=scopes,
        status=status,
        actor=actor,
    )
    session.commit()
    return user


def add_user(
    *,
    session: Session,
    hasher: PasswordHasher,
    username: str,
    password: str,
    role: str,
    person_id: int | None = None,
    scopes: Iterable[ScopeSpec] = (),
    status: str = "active",
    actor: User | None = None,
) -> User:
    """`create_user` without the commit, for a use case that writes more with it."""
    if role not in USER_ROLES:
        raise Invalid("unknown role", errors={"role": [f"one of {', '.join(USER_ROLES)}"]})
    if (role == "person") != (person_id is not None):
        raise Invalid(
            "person link", errors={"person_id": ["required for, and only for, role person"]}
        )
    if person_id is not None and session.get(Person, person_id) is None:
        raise Invalid("unknown person", errors={"person_id": [f"no person {person_id}"]})
    if (
        person_id is not None
        and session.scalar(select(User.id).where(User.person_id == person_id)) is not None
    ):
        raise Conflict("person has an account", errors={"person_id": ["already has an account"]})
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username taken", errors={"username": ["already taken"]})
    user = User(
        username=username,
        password_hash=hasher.hash(password),
        role=role,
        status=status,
        person_id=person_id,
        scopes=[UserScope(**asdict(scope)) for scope in scopes],
    )
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="user.create",
        subject=user,
        details={"role": role, "status": status},
    )
    return user


_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of the hasher's own cost, checked for unknown usernames: both paths take as long."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash(secrets.token_hex(16))
    return _dummy_hashes[key]


def login(
    *, session: Session, hasher: PasswordHasher, username: str, password: str, ttl: timedelta
) -> tuple[str, AuthToken]:
    """Check the password and issue a new token; returns (plaintext token, stored row)."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        hasher.verify(user.password_hash if user else _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Invalid("login failed", errors={"password": ["wrong username or password"]})
    if user.status != "active":
        raise Conflict(f"account is {user.status}", errors={"username": [f"account {user.status}"]})
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = AuthToken(user_id=user.id, token_hash=token_digest(token), expires_at=utcnow() + ttl)
    session.add(row)
    session.commit()
    return token, row


def authenticate(*, session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active user a live token belongs to, or None."""
    now = now or utcnow()
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.status == "active" else None


def logout(*, session: Session, token: str) -> None:
    """Revoke one token (idempotent)."""
    session.execute(
        update(AuthToken)
        .where(AuthToken.token_hash == token_digest(token), AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()


def revoke_all_tokens(*, session: Session, user_id: int) -> int:
    """Revoke every live token of a user; flushes only (the caller's use case commits)."""
    result = session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def change_password(
    *, session: Session, hasher: PasswordHasher, user: User, old_password: str, new_password: str
) -> None:
    """Change a password after checking the old one; every token of the user is revoked."""
    try:
        hasher.verify(user.password_hash, old_password)
    except (VerificationError, InvalidHashError):
        raise Invalid("wrong password", errors={"old_password": ["wrong password"]}) from None
    _check_password(new_password)
    user.password_hash = hasher.hash(new_password)
    user.password_changed_at = utcnow()
    revoke_all_tokens(session=session, user_id=user.id)
    audit.record(session=session, actor=user, action="user.password_change", subject=user)
    session.commit()


def change_role(*, session: Session, user_id: int, role: str, actor: User) -> User:
    """Give a user another role; their tokens are revoked so old rights end at once."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    if role not in USER_ROLES or role == "person":
        raise Invalid("bad role", errors={"role": ["admin, coordinator or org_staff"]})
    if user.role == "person":
        raise Conflict("person accounts keep their role", errors={"role": ["cannot change"]})
    previous = user.role
    user.role = role
    revoke_all_tokens(session=session, user_id=user.id)
    audit.record(
        session=session,
        actor=actor,
        action="user.role_change",
        subject=user,
        details={"from": previous, "to": role},
    )
    session.commit()
    return user

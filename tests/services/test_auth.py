"""Accounts: hashing profiles, login, token expiry, logout and revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import Type

from models import AuditEvent, User, db
from models.db import utcnow
from services import auth
from services.errors import Conflict, Invalid
from tests.factories import PersonFactory

CHEAP = auth.password_hasher("cheap")
TTL = timedelta(hours=1)
PASSWORD = "correct horse battery"


def _user(session, **kwargs) -> User:
    defaults = {"username": "coord", "password": PASSWORD, "role": "coordinator"}
    return auth.create_user(session=session, hasher=CHEAP, **(defaults | kwargs))


def _login(session, username: str = "coord", password: str = PASSWORD) -> tuple[str, object]:
    return auth.login(session=session, hasher=CHEAP, username=username, password=password, ttl=TTL)


def test_production_profile_meets_owasp_minimum():
    hasher = auth.password_hasher("production")
    assert hasher.type is Type.ID
    # OWASP: argon2id with at least 19 MiB memory and 2 iterations (or more memory, fewer passes).
    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2
    assert hasher.verify(hasher.hash(PASSWORD), PASSWORD)


def test_password_stored_only_as_argon2id_hash(session):
    user = _user(session)
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")


def test_login_issues_token_that_authenticates(session):
    user = _user(session)
    token, row = _login(session)
    assert token not in row.token_hash
    assert auth.authenticate(session=session, token=token).id == user.id


def test_wrong_password_and_unknown_user_fail_alike(session):
    _user(session)
    with pytest.raises(Invalid) as wrong:
        _login(session, "coord", "nope-nope-nope")
    with pytest.raises(Invalid) as unknown:
        _login(session, "ghost", PASSWORD)
    assert wrong.value.errors == unknown.value.errors


def test_token_expires(session):
    _user(session)
    token, _ = _login(session)
    later = utcnow() + TTL + timedelta(seconds=1)
    assert auth.authenticate(session=session, token=token, now=later) is None


def test_logout_revokes_only_that_token(session):
    _user(session)
    first, _ = _login(session)
    second, _ = _login(session)
    auth.logout(session=session, token=first)
    auth.logout(session=session, token=first)  # idempotent
    assert auth.authenticate(session=session, token=first) is None
    assert auth.authenticate(session=session, token=second) is not None


def test_password_change_revokes_every_token(session):
    user = _user(session)
    token, _ = _login(session)
    auth.change_password(
        session=session,
        hasher=CHEAP,
        user=user,
        old_password=PASSWORD,
        new_password="a much newer secret",
    )
    assert auth.authenticate(session=session, token=token) is None


def test_role_change_revokes_every_token_and_is_audited(session):
    admin = _user(session, username="admin", role="admin")
    user = _user(session)
    token, _ = _login(session)
    auth.change_role(session=session, user_id=user.id, role="org_staff", actor=admin)
    assert auth.authenticate(session=session, token=token) is None
    event = db.session.query(AuditEvent).filter_by(action="user.role_change").one()
    assert event.actor_user_id == admin.id
    assert event.details == {"from": "coordinator", "to": "org_staff"}


def test_pending_account_cannot_log_in(session):
    person = PersonFactory()
    _user(session, username="vol", role="person", person_id=person.id, status="pending")
    with pytest.raises(Conflict):
        _login(session, "vol", PASSWORD)


def test_person_account_must_link_a_person(session):
    with pytest.raises(Invalid) as error:
        _user(session, username="vol", role="person")
    assert "person_id" in error.value.errors


def test_duplicate_username_conflicts(session):
    _user(session)
    with pytest.raises(Conflict):
        _user(session)


def test_audit_log_refuses_updates_and_deletes(session):
    _user(session)
    event = db.session.query(AuditEvent).first()
    event.action = "tampered"
    with pytest.raises(Exception, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.query(AuditEvent).first())
    with pytest.raises(Exception, match="append-only"):
        db.session.commit()
    db.session.rollback()

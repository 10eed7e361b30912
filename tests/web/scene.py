"""A small community for the page tests: an offered seat, its person, a coordinator."""

from __future__ import annotations

from models import db
from services import auth
from services.auth import ScopeSpec
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    CommunityFactory,
    NeedFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

PASSWORD = "web test password 1"
WEEK = "2026-W49"  # WEEK_START (Monday 2026-11-30 09:00 in Shanghai) lies in it


def add_web_user(username: str, role: str, *, person_id=None, scopes=()) -> None:
    """An account with the page tests' password (a cheap hash: tests sign in often)."""
    auth.create_user(
        session=db.session,
        hasher=auth.password_hasher("cheap"),
        username=username,
        password=PASSWORD,
        role=role,
        person_id=person_id,
        scopes=list(scopes),
    )


def build_scene() -> dict:
    """One need of priority 5 with a two-seat shift; one seat offered to a signed-up person."""
    community = CommunityFactory()
    need = NeedFactory(community_id=community.id, priority=5, title="Home visit Wang")
    shift = ShiftFactory(need=need, starts_at=WEEK_START, ends_at=WEEK_START.replace(hour=3))
    position = PositionFactory(shift=shift, count=2)
    person = PersonFactory(community_id=community.id)
    offer = AssignmentFactory(person=person, position=position, status="offered")
    other_community = CommunityFactory()
    hidden_need = NeedFactory(community_id=other_community.id, title="Elsewhere desk")
    PositionFactory(shift=ShiftFactory(need=hidden_need, starts_at=WEEK_START), count=1)
    db.session.commit()
    add_web_user("volunteer", "person", person_id=person.id)
    add_web_user("coordinator", "coordinator", scopes=[ScopeSpec(community_id=community.id)])
    return {
        "offer_id": offer.id,
        "shift_id": shift.id,
        "person_id": person.id,
        "hidden_need": hidden_need.title,
        "need": need.title,
    }

"""The skill catalogue and the skills people hold (level 1-5, verification, expiry)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Person, PersonSkill, PositionSkill, Skill, User
from services import audit
from services.errors import Conflict, Invalid, NotFound
from services.queries import lookup, page_of

_CODE = re.compile(r"[a-z0-9_]{2,64}")


def get_skill(*, session: Session, skill_id: int) -> Skill:
    skill = lookup(session, Skill, skill_id)
    if skill is None:
        raise NotFound(f"skill {skill_id} not found")
    return skill


def list_skills(
    *,
    session: Session,
    offset: int,
    limit: int | None,
    category: str | None = None,
    q: str | None = None,
) -> tuple[Sequence[Skill], int]:
    """Skills matching every filter given (`q` searches code and both names), ordered by code."""
    stmt = select(Skill).order_by(Skill.code)
    if category is not None:
        stmt = stmt.where(Skill.category == category)
    if q:
        stmt = stmt.where(
            or_(
                Skill.code.icontains(q, autoescape=True),
                Skill.name_en.icontains(q, autoescape=True),
                Skill.name_zh.icontains(q, autoescape=True),
            )
        )
    return page_of(session, stmt, offset=offset, limit=limit)


def _check_code(session: Session, code: str, own_id: int | None) -> None:
    stmt = select(Skill.id).where(Skill.code == code)
    if own_id is not None:
        stmt = stmt.where(Skill.id != own_id)
    if session.scalar(stmt) is not None:
        raise Conflict(
            f"a skill with code {code!r} already exists",
            errors={"code": [f"{code!r} is already in the catalogue"]},
        )


def create_skill(*, session: Session, data: dict[str, Any]) -> Skill:
    _check_code(session, data["code"], None)
    skill = Skill(**data)
    session.add(skill)
    session.commit()
    return skill


def update_skill(*, session: Session, skill_id: int, data: dict[str, Any]) -> Skill:
    skill = get_skill(session=session, skill_id=skill_id)
    if "code" in data:
        _check_code(session, data["code"], skill.id)
    for name, value in data.items():
        setattr(skill, name, value)
    session.commit()
    return skill


def delete_skill(*, session: Session, skill_id: int) -> None:
    """Delete a catalogue entry that nobody holds and no position requires."""
    skill = get_skill(session=session, skill_id=skill_id)
    holders = session.scalar(
        select(PersonSkill.id).where(PersonSkill.skill_id == skill_id).limit(1)
    )
    if holders is not None:
        raise Conflict(
            f"skill {skill.code!r} is in use: people hold it; remove it from them first",
            errors={"skill_id": ["held by people"]},
        )
    required = session.scalar(
        select(PositionSkill.id).where(PositionSkill.skill_id == skill_id).limit(1)
    )
    if required is not None:
        raise Conflict(
            f"skill {skill.code!r} is in use: positions require it",
            errors={"skill_id": ["required by positions"]},
        )
    session.delete(skill)
    session.commit()


# --- a person's skills --------------------------------------------------------------------


def _person(session: Session, person_id: int) -> Person:
    person = lookup(session, Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def list_person_skills(*, session: Session, person_id: int) -> Sequence[PersonSkill]:
    _person(session, person_id)
    return session.scalars(
        select(PersonSkill)
        .join(PersonSkill.skill)
        .where(PersonSkill.person_id == person_id)
        .order_by(Skill.code)
    ).all()


def get_person_skill(*, session: Session, person_id: int, code: str) -> PersonSkill:
    _person(session, person_id)
    # A code that cannot exist is simply not held (and may not reach the database: NUL bytes).
    if not _CODE.fullmatch(code):
        raise NotFound(f"person {person_id} has no skill {code!r}")
    held = session.scalar(
        select(PersonSkill)
        .join(PersonSkill.skill)
        .where(PersonSkill.person_id == person_id, Skill.code == code)
    )
    if held is None:
        raise NotFound(f"person {person_id} has no skill {code!r}")
    return held


def add_person_skill(
    *, session: Session, person_id: int, data: dict[str, Any], commit: bool = True
) -> PersonSkill:
    """Give a person a catalogue skill (by code); verification is a separate step.

    `commit=False` leaves the transaction open for a caller that saves more with it."""
    person = _person(session, person_id)
    data = dict(data)
    code = data.pop("code")
    skill = session.scalar(select(Skill).where(Skill.code == code))
    if skill is None:
        raise Invalid("unknown skill", errors={"code": [f"no skill with code {code!r}"]})
    duplicate = session.scalar(
        select(PersonSkill.id).where(
            PersonSkill.person_id == person.id, PersonSkill.skill_id == skill.id
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"person {person_id} already has skill {code!r}; change its level instead",
            errors={"code": ["already held by this person"]},
        )
    held = PersonSkill(person=person, skill=skill, **data)
    session.add(held)
    if commit:
        session.commit()
    return held


def update_person_skill(
    *, session: Session, person_id: int, code: str, data: dict[str, Any], commit: bool = True
) -> PersonSkill:
    """Change level or expiry; either change undoes the verification (a verifier vouched for
    that level until that date, not for another)."""
    held = get_person_skill(session=session, person_id=person_id, code=code)
    if any(name in data and data[name] != getattr(held, name) for name in ("level", "expires_on")):
        held.verified_by = None
        held.verified_at = None
    for name, value in data.items():
        setattr(held, name, value)
    if commit:
        session.commit()
    return held


def verify_person_skill(
    *, session: Session, person_id: int, code: str, verified_by: str, actor: User | None = None
) -> PersonSkill:
    """Record who verified the skill at its current level; audited (a sensitive action)."""
    held = get_person_skill(session=session, person_id=person_id, code=code)
    held.verified_by = verified_by
    held.verified_at = datetime.now(UTC)
    audit.record(
        session=session,
        actor=actor,
        action="skill.verify",
        subject=held,
        details={"person_id": person_id, "code": code, "level": held.level},
    )
    session.commit()
    return held


def remove_person_skill(
    *, session: Session, person_id: int, code: str, commit: bool = True
) -> None:
    held = get_person_skill(session=session, person_id=person_id, code=code)
    session.delete(held)
    if commit:
        session.commit()

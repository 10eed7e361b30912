"""People: create, read, update, delete, and the list with the filters coordinators need."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, exists, or_, select
from sqlalchemy.orm import Session, selectinload, undefer

from models import Assignment, Community, Organization, Person, PersonSkill, Skill, User
from services import audit
from services.access import person_condition
from services.errors import Conflict, Invalid, NotFound
from services.permissions import Reach
from services.person_availability import free_throughout, may_cover
from services.queries import lookup, page_of
from services.versions import check_version

# Languages a person may speak, as ISO 639 codes (639-3 for the Chinese languages, whose
# 639-1 code "zh" would not tell Mandarin from Cantonese).
LANGUAGES = {
    "cmn": "Mandarin (普通话)",
    "yue": "Cantonese (粤语)",
    "hak": "Hakka (客家话)",
    "nan": "Min Nan, incl. Teochew and Hokkien (闽南语/潮汕话)",
    "wuu": "Wu, incl. Shanghainese (吴语)",
    "csl": "Chinese Sign Language (中国手语)",
    "en": "English",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
}


# What a person's page shows, loaded up front: skills with their catalogue entry, and hours.
PERSON_PAGE = (
    selectinload(Person.skills).selectinload(PersonSkill.skill),
    undefer(Person.recorded_minutes),
)


def get_person(*, session: Session, person_id: int) -> Person:
    person = lookup(session, Person, person_id, options=PERSON_PAGE)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def list_people(
    *,
    session: Session,
    offset: int,
    limit: int | None,
    timezone: str,
    today: date | None = None,
    community_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    language: str | None = None,
    skill: str | None = None,
    min_level: int | None = None,
    available_from: datetime | None = None,
    available_to: datetime | None = None,
    reach: Reach | None = None,
) -> tuple[Sequence[Person], int]:
    """People matching every filter given, ordered by id.

    `skill` (a code) counts only if not expired as of `today` (default: today in `timezone`)
    and held at `min_level` or more. `available_from`/`available_to`: free for the whole window.
    `reach`: only the people the caller may see (None: everyone).
    """
    conditions = [person_condition(reach)]
    if community_id is not None:
        conditions.append(Person.community_id == community_id)
    if role is not None:
        conditions.append(Person.role == role)
    if active is not None:
        conditions.append(Person.active.is_(active))
    if q:
        conditions.append(Person.name.icontains(q, autoescape=True))
    if language is not None:
        # Codes are validated [a-z]{2,3}, and JSON text quotes each one, so this matches an
        # element exactly, on SQLite and PostgreSQL alike.
        conditions.append(cast(Person.languages, String).contains(f'"{language}"'))
    if skill is not None:
        today = today or datetime.now(ZoneInfo(timezone)).date()
        conditions.append(
            exists().where(
                PersonSkill.person_id == Person.id,
                PersonSkill.skill_id == Skill.id,
                Skill.code == skill,
                PersonSkill.level >= (min_level or 1),
                or_(PersonSkill.expires_on.is_(None), PersonSkill.expires_on >= today),
            )
        )
    stmt = select(Person).options(*PERSON_PAGE).where(*conditions).order_by(Person.id)
    if available_from is None or available_to is None:
        return page_of(session, stmt, offset=offset, limit=limit)

    # Free for a window needs the expansion: prefilter in SQL, expand the candidates, then page.
    candidates = session.scalars(
        select(Person.id)
        .where(*conditions, may_cover(Person.id, available_from, timezone))
        .order_by(Person.id)
    ).all()
    free = free_throughout(session, candidates, available_from, available_to, timezone)
    ids = [i for i in candidates if i in free]
    chosen = ids[offset : None if limit is None else offset + limit]
    if not chosen:
        return [], len(ids)
    return session.scalars(stmt.where(Person.id.in_(chosen))).all(), len(ids)


def check_references(session: Session, data: dict[str, Any], own_id: int | None) -> None:
    """Unknown community or organizations -> Invalid; an external id in use -> Conflict."""
    errors: dict[str, list[str]] = {}
    community_id = data.get("community_id")
    if community_id is not None and lookup(session, Community, community_id) is None:
        errors["community_id"] = [f"no community with id {community_id}"]
    organization_ids = data.get("preferred_organization_ids") or []
    if organization_ids:
        known = set(
            session.scalars(select(Organization.id).where(Organization.id.in_(organization_ids)))
        )
        missing = [i for i in organization_ids if i not in known]
        if missing:
            errors["preferred_organization_ids"] = [f"no organization with id {i}" for i in missing]
    if errors:
        raise Invalid("unknown reference", errors=errors)
    external_id = data.get("external_id")
    if external_id is not None:
        stmt = select(Person.id).where(Person.external_id == external_id)
        if own_id is not None:
            stmt = stmt.where(Person.id != own_id)
        clash = session.scalar(stmt)
        if clash is not None:
            raise Conflict(
                f"external id {external_id!r} already belongs to person {clash}",
                errors={"external_id": ["already used by another person"]},
            )


def create_person(*, session: Session, data: dict[str, Any]) -> Person:
    check_references(session, data, None)
    person = Person(**data)
    session.add(person)
    session.commit()
    return person


# Changes that grant rights (a social worker verifies skills) or gate tasks: audited.
AUDITED_FIELDS = ("role", "background_checked", "background_checked_on", "active")


def update_person(
    *,
    session: Session,
    person_id: int,
    data: dict[str, Any],
    actor: User | None = None,
    expected_version: int | None = None,
    commit: bool = True,
) -> Person:
    """Change a person's fields (audited where rights change); `commit=False` leaves the
    transaction open for a caller that saves more with it."""
    person = get_person(session=session, person_id=person_id)
    check_version(person, expected_version, what="person")
    if person.erased_at is not None:
        raise Conflict(
            f"person {person_id} was erased: the row is a pseudonym for hour records",
            errors={"person_id": ["erased"]},
        )
    check_references(session, data, person.id)
    lat, lon = data.get("lat", person.lat), data.get("lon", person.lon)
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise Invalid("incomplete location", errors={missing: ["give lat and lon together"]})
    changed = {
        name: {"from": _plain(getattr(person, name)), "to": _plain(data[name])}
        for name in AUDITED_FIELDS
        if name in data and data[name] != getattr(person, name)
    }
    for name, value in data.items():
        setattr(person, name, value)
    if changed:
        audit.record(
            session=session, actor=actor, action="person.change", subject=person, details=changed
        )
    if commit:
        session.commit()
    return person


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def delete_person(*, session: Session, person_id: int) -> None:
    """Delete a person with their skills and availability; never one with assignments.

    Service records are kept for years (DOMAIN.md): a person with assignments is deactivated
    or has their personal data erased instead, which keeps the hours under a pseudonym.
    """
    person = get_person(session=session, person_id=person_id)
    assigned = session.scalar(
        select(Assignment.id).where(Assignment.person_id == person_id).limit(1)
    )
    if assigned is not None:
        raise Conflict(
            f"person {person_id} has assignment records, which must be kept; set active to "
            "false, or erase their personal data (POST /api/v1/privacy/people/<id>/erase)",
            errors={"person_id": ["has assignment records"]},
        )
    if session.scalar(select(User.id).where(User.person_id == person_id)) is not None:
        raise Conflict(
            f"person {person_id} has an account; erase their personal data instead "
            "(DELETE /api/v1/me or POST /api/v1/privacy/people/<id>/erase)",
            errors={"person_id": ["has an account"]},
        )
    session.delete(person)
    session.commit()


CONTACT_PURPOSE = "share_contact_with_organizations"


def staff_view(*, session: Session, person: Person) -> dict[str, Any]:
    """What organization staff see of a person on their shifts: name, role, and the phone
    only while the person consents to share their contact with organizations."""
    from services.personal_data import has_consent

    shared = has_consent(session=session, person_id=person.id, purpose=CONTACT_PURPOSE)
    return {
        "id": person.id,
        "name": person.name,
        "role": person.role,
        "phone": person.phone if shared else None,
    }

"""Personal-data rights: export of everything about a person, erasure, consent records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models import (
    Assignment,
    AvailabilityException,
    AvailabilityWindow,
    Consent,
    HoursEntry,
    MatchingOverride,
    MatchingRun,
    Person,
    PersonSkill,
    PointsEntry,
    Shift,
    User,
)
from models.account import CONSENT_PURPOSES
from models.db import utcnow
from services import audit, ledger, notifications
from services.auth import revoke_all_tokens
from services.errors import Invalid, NotFound

ERASED_NAME = "erased"
UNUSABLE_PASSWORD = "!erased"  # never a valid argon2 hash: no password can match it


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    return person


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _row(obj: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {column: _iso(getattr(obj, column)) for column in columns}


def current_consents(*, session: Session, person_id: int) -> dict[str, dict[str, Any]]:
    """The consent in force per purpose (absent: never asked, so not given)."""
    rows = session.scalars(
        select(Consent).where(Consent.person_id == person_id).order_by(Consent.recorded_at)
    )
    state = {purpose: {"granted": False, "recorded_at": None} for purpose in CONSENT_PURPOSES}
    for row in rows:
        state[row.purpose] = {"granted": row.granted, "recorded_at": row.recorded_at}
    return state


def has_consent(*, session: Session, person_id: int, purpose: str) -> bool:
    return current_consents(session=session, person_id=person_id)[purpose]["granted"]


def record_consent(
    *, session: Session, person_id: int, purpose: str, granted: bool, actor: User | None
) -> Consent:
    """Grant or withdraw consent for a purpose; the newest record is the one in force."""
    if purpose not in CONSENT_PURPOSES:
        raise Invalid(
            "unknown purpose", errors={"purpose": [f"one of {', '.join(CONSENT_PURPOSES)}"]}
        )
    _person(session, person_id)
    consent = Consent(person_id=person_id, purpose=purpose, granted=granted, recorded_at=utcnow())
    session.add(consent)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="consent.record",
        subject=consent,
        details={"purpose": purpose, "granted": granted},
    )
    session.commit()
    return consent


PROFILE_COLUMNS = (
    "id",
    "external_id",
    "role",
    "name",
    "phone",
    "community_id",
    "lat",
    "lon",
    "languages",
    "max_travel_km",
    "max_minutes_per_week",
    "max_shifts_per_day",
    "background_checked",
    "background_checked_on",
    "preferred_kinds",
    "preferred_organization_ids",
    "active",
    "created_at",
    "updated_at",
)


def export_person_data(*, session: Session, person_id: int, actor: User | None) -> dict[str, Any]:
    """Everything Linkage holds about a person, as JSON-ready data; the export is audited."""
    person = _person(session, person_id)
    assignments = session.scalars(
        select(Assignment).where(Assignment.person_id == person_id).order_by(Assignment.id)
    )
    account = session.scalar(select(User).where(User.person_id == person_id))
    consents = session.scalars(
        select(Consent).where(Consent.person_id == person_id).order_by(Consent.recorded_at)
    )
    data = {
        "profile": _row(person, PROFILE_COLUMNS),
        "account": _row(account, ("username", "role", "status", "created_at")) if account else None,
        "skills": [
            {"code": s.skill.code, **_row(s, ("level", "verified_by", "verified_at", "expires_on"))}
            for s in person.skills
        ],
        "availability": {
            "windows": [
                _row(w, ("weekday", "start_time", "end_time", "valid_from", "valid_until"))
                for w in person.windows
            ],
            "exceptions": [
                _row(e, ("kind", "starts_at", "ends_at", "note")) for e in person.exceptions
            ],
        },
        "assignments": [
            {
                **_row(
                    a,
                    (
                        "id",
                        "position_id",
                        "shift_id",
                        "status",
                        "source",
                        "created_at",
                        "responded_at",
                        "decline_reason",
                    ),
                ),
                "starts_at": _iso(a.shift.starts_at),
                "ends_at": _iso(a.shift.ends_at),
                "need": a.shift.need.title,
            }
            for a in assignments
        ],
        "consents": [_row(c, ("purpose", "granted", "recorded_at")) for c in consents],
        "hours": [
            _row(h, ("assignment_id", "kind", "minutes", "reason", "created_at"))
            for h in session.scalars(
                select(HoursEntry).where(HoursEntry.person_id == person_id).order_by(HoursEntry.id)
            )
        ],
        "points": {
            "balance": ledger.balance(session=session, person_id=person_id),
            "entries": [
                _row(p, ("assignment_id", "kind", "points", "reason", "created_at"))
                for p in session.scalars(
                    select(PointsEntry)
                    .where(PointsEntry.person_id == person_id)
                    .order_by(PointsEntry.id)
                )
            ],
        },
    }
    audit.record(session=session, actor=actor, action="person.export", subject=person)
    session.commit()
    return data


def _redact_stored_problems(session: Session, person_id: int) -> None:
    """Stored matching problems keep a copy of each person's record: blank the erased one's.

    The record stays (the run's solution still names the pseudonym) but says nothing about
    the person: no location, languages, skills, availability, limits or preferences.
    """
    key = f"p{person_id}"
    for run in session.scalars(select(MatchingRun).where(MatchingRun.problem.is_not(None))):
        people = run.problem.get("people", [])
        if not any(p.get("id") == key for p in people):
            continue
        run.problem = {
            **run.problem,
            "people": [{**p, **ERASED_RECORD} if p.get("id") == key else p for p in people],
        }


ERASED_RECORD = {
    "skills": {},
    "languages": [],
    "location": None,
    "max_travel_km": None,
    "max_minutes": None,
    "max_shifts_per_day": None,
    "availability": [],
    "background_checked": False,
    "preferences": {"kinds": [], "organizations": []},
}


def erase_person(*, session: Session, person_id: int, actor: User | None) -> Person:
    """Remove a person's personal data, keeping the row as a pseudonym for hour records.

    Assignments (the service record, retained by law) stay, pointing at the pseudonym;
    skills, availability and consents go; the account is disabled and its tokens revoked.
    Idempotent: erasing twice changes nothing more and is audited once.
    """
    person = _person(session, person_id)
    if person.erased_at is not None:
        return person
    for column in (
        "external_id",
        "phone",
        "lat",
        "lon",
        "max_travel_km",
        "max_minutes_per_week",
        "max_shifts_per_day",
        "background_checked_on",
    ):
        setattr(person, column, None)
    person.name = f"{ERASED_NAME}-{person.id}"
    person.languages = []
    person.preferred_kinds = []
    person.preferred_organization_ids = []
    person.background_checked = False
    person.active = False
    person.erased_at = utcnow()
    for model in (PersonSkill, AvailabilityWindow, AvailabilityException, Consent):
        session.execute(delete(model).where(model.person_id == person_id))
    # E-mail address, notification settings, calendar feeds and queued messages go too.
    notifications.forget_person(session=session, person_id=person_id)
    # Future seats are given up (someone else must be found); past records stay.
    future_shifts = select(Shift.id).where(Shift.starts_at > utcnow())
    session.execute(
        update(Assignment)
        .where(
            Assignment.person_id == person_id,
            Assignment.status.in_(("proposed", "offered", "confirmed")),
            Assignment.shift_id.in_(future_shifts),
        )
        .values(status="cancelled")
    )
    session.execute(
        update(Assignment).where(Assignment.person_id == person_id).values(decline_reason=None)
    )
    account = session.scalar(select(User).where(User.person_id == person_id))
    if account is not None:
        account.username = f"{ERASED_NAME}-{account.id}"
        account.password_hash = UNUSABLE_PASSWORD
        account.status = "disabled"
        revoke_all_tokens(session=session, user_id=account.id)
    session.execute(
        update(MatchingOverride).where(MatchingOverride.person_id == person_id).values(note=None)
    )
    _redact_stored_problems(session, person_id)
    session.expire(person, ["skills", "windows", "exceptions"])
    audit.record(session=session, actor=actor, action="person.erase", subject=person)
    session.commit()
    return person

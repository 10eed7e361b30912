"""Personal-data rights: export everything, erase without a trace, consent records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import JSON, String, Text, select

from models import Assignment, AuditEvent, Person, User, db
from models.db import utcnow
from services import auth, personal_data
from services.errors import Invalid
from tests.factories import (
    AssignmentFactory,
    AvailabilityExceptionFactory,
    AvailabilityWindowFactory,
    PersonFactory,
    PersonSkillFactory,
    PositionFactory,
    ShiftFactory,
)

MARKERS = {"name": "陈秀英-7Q3X", "phone": "13900139007", "external_id": "GZ-7Q3X-EXT"}


@pytest.fixture
def subject(session):
    person = PersonFactory(**MARKERS, languages=["yue"])
    PersonSkillFactory(person=person)
    AvailabilityWindowFactory(person=person)
    AvailabilityExceptionFactory(person=person, note="hospital visit 7Q3X")
    past = ShiftFactory(
        starts_at=utcnow() - timedelta(days=3), ends_at=utcnow() - timedelta(days=3, hours=-2)
    )
    future = ShiftFactory(
        starts_at=utcnow() + timedelta(days=3), ends_at=utcnow() + timedelta(days=3, hours=2)
    )
    AssignmentFactory(person=person, position=PositionFactory(shift=past), status="completed")
    AssignmentFactory(
        person=person,
        position=PositionFactory(shift=future),
        status="confirmed",
        decline_reason=None,
    )
    auth.create_user(
        session=session,
        hasher=auth.password_hasher("cheap"),
        username="chen7q3x",
        password="correct horse battery",
        role="person",
        person_id=person.id,
    )
    personal_data.record_consent(
        session=session, person_id=person.id, purpose="precise_location", granted=True, actor=None
    )
    session.commit()
    return person


def _text_values(session) -> list[str]:
    """Every text or JSON value in every table, as strings."""
    values = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            values.extend(str(v) for v in row if v is not None)
    return values


def test_export_holds_every_section(session, subject):
    data = personal_data.export_person_data(session=session, person_id=subject.id, actor=None)
    assert data["profile"]["phone"] == MARKERS["phone"]
    assert data["account"]["username"] == "chen7q3x"
    assert len(data["skills"]) == 1
    assert len(data["availability"]["windows"]) == 1
    assert len(data["availability"]["exceptions"]) == 1
    assert {a["status"] for a in data["assignments"]} == {"completed", "confirmed"}
    assert data["consents"][0]["purpose"] == "precise_location"
    # The completed seat was not credited in this scene: the ledgers are present and empty.
    assert data["hours"] == [] and data["points"] == {"balance": 0, "entries": []}


def test_erasure_leaves_no_personal_data_anywhere(session, subject):
    username = "chen7q3x"
    personal_data.erase_person(session=session, person_id=subject.id, actor=None)
    texts = _text_values(session)
    for marker in [*MARKERS.values(), username, "7Q3X"]:
        assert not any(marker in text for text in texts), marker


def test_erasure_keeps_service_record_under_pseudonym(session, subject):
    personal_data.erase_person(session=session, person_id=subject.id, actor=None)
    statuses = {
        a.status
        for a in session.scalars(select(Assignment).where(Assignment.person_id == subject.id))
    }
    # The past service stays; the future seat is given up.
    assert statuses == {"completed", "cancelled"}
    person = session.get(Person, subject.id)
    assert person.erased_at is not None and not person.active


def test_erasure_disables_account_and_tokens(session, subject):
    token, _ = auth.login(
        session=session,
        hasher=auth.password_hasher("cheap"),
        username="chen7q3x",
        password="correct horse battery",
        ttl=timedelta(hours=1),
    )
    personal_data.erase_person(session=session, person_id=subject.id, actor=None)
    assert auth.authenticate(session=session, token=token) is None
    account = session.scalar(select(User).where(User.person_id == subject.id))
    assert account.status == "disabled"


def test_erasure_is_idempotent_and_audited_once(session, subject):
    first = personal_data.erase_person(session=session, person_id=subject.id, actor=None)
    erased_at = first.erased_at
    second = personal_data.erase_person(session=session, person_id=subject.id, actor=None)
    assert second.erased_at == erased_at
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "person.erase")).all()
    assert len(events) == 1


def test_withdrawn_consent_is_in_force(session, subject):
    personal_data.record_consent(
        session=session, person_id=subject.id, purpose="precise_location", granted=False, actor=None
    )
    assert not personal_data.has_consent(
        session=session, person_id=subject.id, purpose="precise_location"
    )


def test_unknown_consent_purpose_is_invalid(session, subject):
    with pytest.raises(Invalid):
        personal_data.record_consent(
            session=session, person_id=subject.id, purpose="marketing", granted=True, actor=None
        )


def test_an_erased_person_cannot_be_edited_back(session, subject):
    from services import people
    from services.errors import Conflict

    personal_data.erase_person(session=session, person_id=subject.id, actor=None)
    with pytest.raises(Conflict):
        people.update_person(session=session, person_id=subject.id, data={"name": "again"})


def test_erasure_blanks_the_person_in_stored_matching_problems(session, subject):
    from models import MatchingRun

    record = {
        "id": f"p{subject.id}",
        "role": "volunteer",
        "location": {"lat": 23.1, "lon": 113.2},
        "availability": [["2026-11-30T09:00:00+08:00", "2026-11-30T12:00:00+08:00"]],
        "languages": ["yue"],
        "skills": {"first_aid": 3},
    }
    other = {"id": "p999999", "location": {"lat": 23.2, "lon": 113.3}}
    run = MatchingRun(scope="all", week="2026-W49", problem={"people": [record, other]})
    session.add(run)
    session.commit()
    personal_data.erase_person(session=session, person_id=subject.id, actor=None)
    erased, kept = session.get(MatchingRun, run.id).problem["people"]
    assert erased["location"] is None and erased["availability"] == [] and erased["skills"] == {}
    assert kept == other

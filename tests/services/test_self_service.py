"""A person's own saves (services.self_service): each is one transaction, whole or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import NotificationOptOut, Person, db
from services import notifications, people, self_service, skills
from services.errors import Conflict, Invalid
from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory


@pytest.fixture
def held(app):
    person = PersonFactory(name="Wang Fang")
    first_aid = SkillFactory(code="first_aid")
    cooking = SkillFactory(code="cooking")
    SkillFactory(code="driving")
    PersonSkillFactory(person=person, skill=first_aid, level=2)
    PersonSkillFactory(person=person, skill=cooking, level=1)
    db.session.commit()
    return person.id


def levels_of(person_id: int) -> dict[str, int]:
    db.session.expire_all()
    return {s.skill.code: s.level for s in db.session.get(Person, person_id).skills}


def test_a_refused_skill_add_undoes_the_whole_profile_save(held):
    version = db.session.get(Person, held).version
    with pytest.raises(Conflict):
        self_service.save_profile(
            session=db.session,
            person_id=held,
            actor=None,
            expected_version=version,
            data={"name": "Half Saved"},
            levels={"cooking": 4},
            remove=frozenset({"first_aid"}),
            add=("cooking", 3),  # already held (added meanwhile by another tab, say)
        )
    db.session.expire_all()
    person = db.session.get(Person, held)
    assert person.name == "Wang Fang" and person.version == version
    assert levels_of(held) == {"first_aid": 2, "cooking": 1}


def test_a_whole_profile_save_is_kept_and_bumps_the_version_once(held):
    version = db.session.get(Person, held).version
    self_service.save_profile(
        session=db.session,
        person_id=held,
        actor=None,
        expected_version=version,
        data={"name": "Wang Li"},
        levels={"cooking": 4},
        remove=frozenset({"first_aid"}),
        add=("driving", 3),
    )
    db.session.rollback()  # nothing left pending: it was committed
    person = db.session.get(Person, held)
    assert person.name == "Wang Li" and person.version == version + 1
    assert levels_of(held) == {"cooking": 4, "driving": 3}


def test_skill_and_person_changes_without_commit_wait_for_the_caller(held):
    skills.add_person_skill(
        session=db.session, person_id=held, data={"code": "driving", "level": 1}, commit=False
    )
    skills.update_person_skill(
        session=db.session, person_id=held, code="cooking", data={"level": 5}, commit=False
    )
    skills.remove_person_skill(session=db.session, person_id=held, code="first_aid", commit=False)
    people.update_person(session=db.session, person_id=held, data={"name": "X"}, commit=False)
    db.session.rollback()
    assert levels_of(held) == {"first_aid": 2, "cooking": 1}
    assert db.session.get(Person, held).name == "Wang Fang"
    # The default (the API's) still commits each call.
    skills.add_person_skill(
        session=db.session, person_id=held, data={"code": "driving", "level": 1}
    )
    db.session.rollback()
    assert levels_of(held) == {"first_aid": 2, "cooking": 1, "driving": 1}


def test_notification_choices_and_address_are_kept_together_or_not_at_all(app, monkeypatch):
    person_id = PersonFactory().id
    db.session.commit()
    changes = {"email": {"offer": False}, "webhook": {"star": False}}

    def refuse(**kwargs):
        raise Invalid("refused", errors={"email": ["refused"]})

    monkeypatch.setattr(notifications, "set_contact", refuse)
    with pytest.raises(Invalid):
        self_service.save_notifications(
            session=db.session, person_id=person_id, changes=changes, email="a@example.org"
        )
    assert db.session.scalars(select(NotificationOptOut)).all() == []
    monkeypatch.undo()

    self_service.save_notifications(
        session=db.session, person_id=person_id, changes=changes, email="a@example.org"
    )
    db.session.rollback()
    assert notifications.contact(session=db.session, person_id=person_id)["email"] == (
        "a@example.org"
    )
    opted_out = db.session.execute(
        select(NotificationOptOut.channel, NotificationOptOut.event)
    ).all()
    assert sorted(opted_out) == [("email", "offer"), ("webhook", "star")]


def test_notification_setters_without_commit_wait_for_the_caller(app):
    person_id = PersonFactory().id
    db.session.commit()
    notifications.set_preferences(
        session=db.session, person_id=person_id, changes={"email": {"offer": False}}, commit=False
    )
    notifications.set_contact(
        session=db.session, person_id=person_id, email="a@example.org", commit=False
    )
    db.session.rollback()
    assert db.session.scalars(select(NotificationOptOut)).all() == []
    assert notifications.contact(session=db.session, person_id=person_id)["email"] is None

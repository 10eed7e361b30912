"""factory_boy factories for the ORM models; they flush into the test's session."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from models import (
    Assignment,
    AvailabilityException,
    AvailabilityWindow,
    Community,
    Need,
    Organization,
    Person,
    PersonSkill,
    Position,
    PositionSkill,
    Shift,
    Skill,
    db,
)

# Monday 2026-11-30 09:00 in Asia/Shanghai: the first day of ISO week 2026-W49.
WEEK_START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class CommunityFactory(Base):
    class Meta:
        model = Community

    district = "Yuexiu"
    street = factory.Sequence(lambda n: f"Street {n}")
    name = factory.Sequence(lambda n: f"Community {n}")
    lat = 23.129
    lon = 113.264


class OrganizationFactory(Base):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    kind = "social_work_organization"


class SkillFactory(Base):
    class Meta:
        model = Skill

    code = factory.Sequence(lambda n: f"skill_{n}")
    name_zh = factory.Sequence(lambda n: f"技能{n}")
    name_en = factory.Sequence(lambda n: f"Skill {n}")
    category = "general"


class PersonFactory(Base):
    class Meta:
        model = Person

    external_id = factory.Sequence(lambda n: f"ext-{n}")
    role = "volunteer"
    name = factory.Sequence(lambda n: f"Person {n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    community_id = None
    lat = 23.13
    lon = 113.27
    languages = factory.LazyFunction(lambda: ["yue", "cmn"])
    max_travel_km = 5.0
    max_minutes_per_week = 600
    max_shifts_per_day = 2
    background_checked = False
    preferred_kinds = factory.LazyFunction(list)
    preferred_organization_ids = factory.LazyFunction(list)
    active = True


class PersonSkillFactory(Base):
    class Meta:
        model = PersonSkill

    person = factory.SubFactory(PersonFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3


class AvailabilityWindowFactory(Base):
    class Meta:
        model = AvailabilityWindow

    person = factory.SubFactory(PersonFactory)
    weekday = 0
    start_time = time(9, 0)
    end_time = time(17, 0)


class AvailabilityExceptionFactory(Base):
    class Meta:
        model = AvailabilityException

    person = factory.SubFactory(PersonFactory)
    kind = "unavailable"
    starts_at = WEEK_START
    ends_at = WEEK_START + timedelta(hours=4)


class NeedFactory(Base):
    class Meta:
        model = Need

    organization_id = factory.LazyFunction(lambda: OrganizationFactory().id)
    community_id = None
    kind = "elderly_visit"
    title = factory.Sequence(lambda n: f"Need {n}")
    description = ""
    lat = 23.131
    lon = 113.27
    priority = 3
    requires_background_check = False
    language = None
    points_tier = "ordinary"
    points_per_hour = 10


class ShiftFactory(Base):
    class Meta:
        model = Shift

    need = factory.SubFactory(NeedFactory)
    starts_at = factory.Sequence(lambda n: WEEK_START + timedelta(days=n % 7, hours=n // 7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))


class PositionFactory(Base):
    class Meta:
        model = Position

    shift = factory.SubFactory(ShiftFactory)
    need_id = factory.LazyAttribute(lambda o: o.shift.need_id)
    label = "volunteers"
    role = "volunteer"
    count = 2
    min_count = 1


class PositionSkillFactory(Base):
    class Meta:
        model = PositionSkill

    position = factory.SubFactory(PositionFactory)
    skill = factory.SubFactory(SkillFactory)
    min_level = 2


class AssignmentFactory(Base):
    class Meta:
        model = Assignment

    person = factory.SubFactory(PersonFactory)
    position = factory.SubFactory(PositionFactory)
    shift_id = factory.LazyAttribute(lambda o: o.position.shift_id)
    status = "proposed"
    source = "manual"

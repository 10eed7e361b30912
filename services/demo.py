"""A deterministic demo: a Guangzhou (Yuexiu) neighbourhood with people, needs and history."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import (
    Assignment,
    AttendanceRecord,
    AvailabilityException,
    AvailabilityWindow,
    Community,
    HoursEntry,
    Need,
    Organization,
    Person,
    PersonSkill,
    PointsEntry,
    Position,
    PositionSkill,
    Shift,
    Skill,
    StarAward,
    organization_communities,
)
from services import ledger
from services.attendance import shift_minutes
from services.errors import Conflict
from services.recurrence import expand_rule

SEED = 42
PEOPLE = 300

SKILLS = (
    # code, zh-CN, English, category
    ("elderly_care", "长者照护", "Elderly care", "care"),
    ("counseling", "心理辅导", "Counselling", "care"),
    ("legal_advice", "法律咨询", "Legal advice", "professional"),
    ("tutoring_math", "数学辅导", "Maths tutoring", "education"),
    ("tutoring_english", "英语辅导", "English tutoring", "education"),
    ("first_aid", "急救", "First aid", "safety"),
    ("it_help", "电脑与手机帮助", "IT help", "technology"),
    ("event_staff", "活动协助", "Event staff", "events"),
    ("cantonese_opera", "粤剧", "Cantonese opera", "culture"),
    ("photography", "摄影", "Photography", "culture"),
    ("music", "音乐演奏", "Music", "culture"),
    ("science_demo", "科普讲解", "Science demonstrations", "education"),
    ("handicraft", "手工制作", "Handicraft", "culture"),
    ("sign_language", "手语", "Sign language", "care"),
)

COMMUNITIES = (
    # street, community, centre
    ("北京街道", "盐运西社区", 23.1262, 113.2701),
    ("北京街道", "西湖社区", 23.1285, 113.2668),
    ("光塔街道", "光塔社区", 23.1248, 113.2627),
    ("农林街道", "东山口社区", 23.1321, 113.2855),
)

ORGANIZATIONS = (
    # name, kind, served communities (indexes)
    ("越秀区北京街家庭综合服务中心", "social_work_organization", (0, 1)),
    ("越秀区启明社会工作服务中心", "social_work_organization", (2, 3)),
    ("越秀区粤韵文化促进会", "social_organization", (0, 1, 2, 3)),
    ("盐运西社区居民委员会", "residents_committee", (0,)),
    ("越秀青年志愿服务队", "volunteer_team", (0, 1, 2, 3)),
    ("东濠涌护河志愿队", "volunteer_team", (0, 3)),
)

SURNAMES = "陈李黄张梁林何刘吴罗郑谢冯邓曾彭肖蔡潘麦关区卢叶"
GIVEN = "伟明华丽芳婷敏杰俊文强燕玲健辉娟海洁志思嘉欣颖浩宇子轩诗琪锦荣秀英"


@dataclass(frozen=True)
class _Pos:
    role: str
    count: int
    min_count: int = 1
    skills: tuple[tuple[str, int], ...] = ()
    label: str = ""


@dataclass(frozen=True)
class _Need:
    kind: str
    title: str
    organization: int
    community: int
    priority: int
    minutes: int
    positions: tuple[_Pos, ...]
    background_check: bool = False
    language: str | None = None
    # Recurring: an RRULE and the local start time; one-off: a day offset from next Monday.
    rule: str | None = None
    at: time = time(9, 0)
    day: int = 0
    tier: str = "ordinary"


_LEAD = _Pos("social_worker", 1, 1, (("counseling", 2),), "社工带队")
_PAIR = _Pos("volunteer", 2, 2, (("elderly_care", 2),), "探访志愿者")

NEEDS = (
    # Recurring needs.
    _Need(
        "elderly_visit",
        "独居长者探访（盐运西）",
        0,
        0,
        4,
        120,
        (_LEAD, _PAIR),
        True,
        "yue",
        "FREQ=WEEKLY;BYDAY=TU",
        time(9, 30),
        tier="skilled",
    ),
    _Need(
        "elderly_visit",
        "独居长者探访（西湖）",
        0,
        1,
        4,
        120,
        (_LEAD, _PAIR),
        True,
        "yue",
        "FREQ=WEEKLY;BYDAY=TH",
        time(14, 30),
        tier="skilled",
    ),
    _Need(
        "elderly_visit",
        "高龄长者上门关怀（光塔）",
        1,
        2,
        4,
        90,
        (_LEAD, _PAIR),
        True,
        "yue",
        "FREQ=WEEKLY;BYDAY=WE",
        time(10, 0),
        tier="skilled",
    ),
    _Need(
        "elderly_visit",
        "空巢长者探访（东山口）",
        1,
        3,
        3,
        120,
        (_LEAD, _PAIR),
        True,
        "yue",
        "FREQ=WEEKLY;BYDAY=FR",
        time(9, 30),
        tier="skilled",
    ),
    _Need(
        "elderly_visit",
        "周末长者陪伴",
        4,
        1,
        3,
        120,
        (_Pos("any", 2, 2, (("elderly_care", 2),), "陪伴志愿者"),),
        True,
        "yue",
        "FREQ=WEEKLY;BYDAY=SA",
        time(10, 0),
    ),
    _Need(
        "tutoring",
        "四点半课堂·数学辅导",
        0,
        0,
        3,
        90,
        (_Pos("volunteer", 3, 1, (("tutoring_math", 3),), "辅导志愿者"),),
        language="cmn",
        rule="FREQ=WEEKLY;BYDAY=MO,WE",
        at=time(16, 30),
    ),
    _Need(
        "tutoring",
        "周末英语角",
        4,
        1,
        2,
        120,
        (_Pos("volunteer", 2, 1, (("tutoring_english", 3),)),),
        rule="FREQ=WEEKLY;BYDAY=SA",
        at=time(9, 30),
    ),
    _Need(
        "tutoring",
        "初中数学周末辅导",
        1,
        2,
        3,
        120,
        (_Pos("volunteer", 2, 1, (("tutoring_math", 4),)),),
        language="cmn",
        rule="FREQ=WEEKLY;BYDAY=SU",
        at=time(14, 0),
        tier="skilled",
    ),
    _Need(
        "legal_desk",
        "社区法律咨询台",
        0,
        0,
        3,
        180,
        (_Pos("any", 1, 1, (("legal_advice", 3),), "法律顾问"),),
        language="cmn",
        rule="FREQ=WEEKLY;BYDAY=SA",
        at=time(9, 30),
        tier="skilled",
    ),
    _Need(
        "legal_desk",
        "夜间法律咨询",
        1,
        3,
        3,
        120,
        (_Pos("any", 1, 1, (("legal_advice", 3),)),),
        rule="FREQ=WEEKLY;BYDAY=WE",
        at=time(19, 0),
        tier="skilled",
    ),
    _Need(
        "counselling_desk",
        "心理咨询驿站",
        1,
        2,
        4,
        120,
        (
            _Pos("social_worker", 1, 1, (("counseling", 3),), "咨询社工"),
            _Pos("volunteer", 1, 1, (), "接待志愿者"),
        ),
        True,
        rule="FREQ=WEEKLY;BYDAY=TH",
        at=time(19, 0),
        tier="skilled",
    ),
    _Need(
        "counselling_desk",
        "长者情绪支持小组",
        0,
        1,
        3,
        90,
        (_Pos("social_worker", 1, 1, (("counseling", 3),)), _Pos("resident_activist", 1)),
        True,
        "yue",
        "FREQ=WEEKLY;BYDAY=TU",
        time(14, 30),
    ),
    _Need(
        "it_help",
        "长者智能手机课堂",
        4,
        0,
        3,
        90,
        (_Pos("any", 3, 2, (("it_help", 2),), "手机助教"),),
        language="yue",
        rule="FREQ=WEEKLY;BYDAY=FR",
        at=time(15, 0),
    ),
    _Need(
        "it_help",
        "周末电脑义修",
        4,
        3,
        2,
        120,
        (_Pos("any", 2, 1, (("it_help", 3),)),),
        rule="FREQ=WEEKLY;BYDAY=SU",
        at=time(10, 0),
    ),
    _Need(
        "river_cleanup",
        "东濠涌河道清洁",
        5,
        3,
        2,
        150,
        (_Pos("resident_activist", 1, 1, (), "组织骨干"), _Pos("any", 8, 4, (), "清洁志愿者")),
        rule="FREQ=WEEKLY;BYDAY=SU",
        at=time(8, 0),
    ),
    _Need(
        "opera",
        "粤剧私伙局",
        2,
        2,
        2,
        150,
        (_Pos("any", 4, 2, (("cantonese_opera", 3),), "唱腔伴奏"), _Pos("any", 1)),
        language="yue",
        rule="FREQ=WEEKLY;BYDAY=SA",
        at=time(15, 0),
    ),
    _Need(
        "flea_market",
        "社区跳蚤市场",
        3,
        0,
        2,
        180,
        (_Pos("resident_activist", 2, 1), _Pos("any", 4, 2, (("event_staff", 2),))),
        rule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        at=time(9, 0),
    ),
    _Need(
        "other",
        "长者饭堂助餐",
        3,
        0,
        3,
        90,
        (_Pos("any", 2, 1, (), "助餐志愿者"),),
        language="yue",
        rule="FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        at=time(11, 0),
    ),
    _Need(
        "concert",
        "社区周末音乐会",
        2,
        1,
        2,
        120,
        (_Pos("any", 4, 2, (("music", 3),), "演奏"), _Pos("any", 2, 1, (("event_staff", 1),))),
        rule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SU",
        at=time(19, 30),
    ),
    _Need(
        "science_festival",
        "科普小课堂",
        4,
        2,
        2,
        90,
        (_Pos("volunteer", 2, 1, (("science_demo", 3),)),),
        rule="FREQ=WEEKLY;BYDAY=SA",
        at=time(14, 0),
    ),
    # One-off needs, by day from next Monday.
    _Need(
        "flea_market",
        "冬季跳蚤市场",
        3,
        0,
        3,
        180,
        (_Pos("resident_activist", 2, 1), _Pos("any", 6, 3, (("event_staff", 2),))),
        day=5,
        at=time(9, 0),
    ),
    _Need(
        "concert",
        "迎新年社区音乐会",
        2,
        1,
        3,
        150,
        (_Pos("any", 6, 3, (("music", 3),)), _Pos("any", 3, 2, (("event_staff", 2),))),
        day=13,
        at=time(19, 0),
    ),
    _Need(
        "opera",
        "粤剧进社区专场演出",
        2,
        2,
        3,
        180,
        (_Pos("any", 6, 3, (("cantonese_opera", 4),)), _Pos("any", 3, 2, (("event_staff", 2),))),
        language="yue",
        day=6,
        at=time(14, 30),
    ),
    _Need(
        "science_festival",
        "越秀科普嘉年华",
        4,
        3,
        3,
        240,
        (
            _Pos("volunteer", 6, 3, (("science_demo", 3),)),
            _Pos("any", 4, 2, (("event_staff", 2),)),
            _Pos("any", 1, 1, (("first_aid", 2),), "急救员"),
        ),
        day=12,
        at=time(9, 30),
    ),
    _Need(
        "river_cleanup",
        "流花湖环保徒步清洁",
        5,
        1,
        2,
        180,
        (_Pos("any", 10, 5),),
        day=5,
        at=time(8, 30),
    ),
    _Need(
        "lantern_festival",
        "花灯制作工作坊",
        2,
        0,
        2,
        150,
        (_Pos("any", 4, 2, (("handicraft", 3),), "手工导师"),),
        day=10,
        at=time(14, 0),
    ),
    _Need(
        "lantern_festival",
        "元宵灯会筹备会",
        3,
        0,
        2,
        120,
        (_Pos("resident_activist", 3, 2), _Pos("social_worker", 1)),
        day=16,
        at=time(19, 0),
    ),
    _Need(
        "legal_desk",
        "法律进社区专场",
        0,
        1,
        3,
        180,
        (_Pos("any", 2, 1, (("legal_advice", 4),)),),
        day=3,
        at=time(14, 0),
        tier="skilled",
    ),
    _Need(
        "counselling_desk",
        "家庭关系讲座与咨询",
        1,
        3,
        3,
        120,
        (_Pos("social_worker", 1, 1, (("counseling", 3),)),),
        True,
        day=4,
        at=time(19, 0),
    ),
    _Need(
        "it_help",
        "反诈骗手机讲座",
        4,
        2,
        4,
        90,
        (_Pos("any", 2, 1, (("it_help", 2),)),),
        language="yue",
        day=2,
        at=time(10, 0),
    ),
    _Need(
        "elderly_visit",
        "冬至长者慰问",
        0,
        0,
        5,
        180,
        (
            _Pos("social_worker", 2, 1, (("elderly_care", 3),)),
            _Pos("volunteer", 4, 2, (("elderly_care", 2),)),
        ),
        True,
        "yue",
        day=8,
        at=time(9, 30),
        tier="hard_to_fill",
    ),
    _Need(
        "tutoring",
        "期末复习冲刺班",
        1,
        2,
        3,
        180,
        (_Pos("volunteer", 3, 1, (("tutoring_math", 4),)),),
        day=6,
        at=time(9, 0),
    ),
    _Need(
        "other",
        "社区献血动员",
        3,
        0,
        3,
        240,
        (_Pos("any", 2, 1, (("first_aid", 2),)), _Pos("any", 3, 1)),
        day=5,
        at=time(9, 0),
    ),
    _Need(
        "other",
        "社区活动摄影记录",
        4,
        1,
        1,
        180,
        (_Pos("any", 1, 1, (("photography", 3),)),),
        day=6,
        at=time(14, 30),
    ),
    _Need(
        "concert",
        "长者合唱团排练",
        2,
        1,
        2,
        120,
        (_Pos("any", 2, 1, (("music", 2),)),),
        language="yue",
        day=1,
        at=time(15, 0),
    ),
    _Need(
        "flea_market",
        "二手书集市",
        4,
        2,
        2,
        180,
        (_Pos("any", 4, 2, (("event_staff", 1),)),),
        day=12,
        at=time(10, 0),
    ),
    _Need(
        "river_cleanup", "东濠涌清洁日", 5, 3, 2, 150, (_Pos("any", 8, 4),), day=13, at=time(8, 0)
    ),
    _Need(
        "science_festival",
        "天文观测夜",
        4,
        1,
        2,
        120,
        (_Pos("volunteer", 3, 1, (("science_demo", 2),)),),
        day=3,
        at=time(19, 30),
    ),
    _Need(
        "opera",
        "粤剧票友交流会",
        2,
        0,
        1,
        120,
        (_Pos("any", 3, 1, (("cantonese_opera", 2),)),),
        language="yue",
        day=9,
        at=time(15, 0),
    ),
    _Need(
        "other",
        "社区消防安全宣传",
        3,
        0,
        3,
        120,
        (_Pos("any", 2, 1, (("first_aid", 3),)),),
        day=2,
        at=time(15, 0),
    ),
    _Need(
        "elderly_visit",
        "手语长者探访",
        1,
        3,
        3,
        120,
        (_Pos("any", 1, 1, (("sign_language", 3),)),),
        True,
        day=4,
        at=time(10, 0),
    ),
)

# Profiles: weekly windows (weekday, start, end) to choose from, languages and skills.
_PROFILE_SKILLS = {
    "retiree": ("elderly_care", "cantonese_opera", "handicraft", "first_aid", "music"),
    "worker": (
        "it_help",
        "legal_advice",
        "first_aid",
        "event_staff",
        "photography",
        "music",
        "tutoring_english",
    ),
    "student": (
        "tutoring_math",
        "tutoring_english",
        "event_staff",
        "science_demo",
        "photography",
        "it_help",
    ),
    "social_worker": ("counseling", "elderly_care", "legal_advice", "first_aid", "sign_language"),
}


@dataclass
class DemoSummary:
    communities: int
    organizations: int
    skills: int
    people: int
    needs: int
    shifts: int
    assignments: int


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def wipe_demo_data(*, session: Session) -> None:
    """Delete every community, organization, skill, person and need (and what hangs off them).

    Refused once the ledgers hold entries: they are the append-only legal record of service
    and the database keeps them; start from a fresh database instead.
    """
    if session.scalar(select(HoursEntry.id).limit(1)) or session.scalar(
        select(PointsEntry.id).limit(1)
    ):
        raise Conflict(
            "the hours and points ledgers hold entries, which are never deleted; "
            "seed a fresh database instead",
            errors={"reset": ["the ledgers are append-only"]},
        )
    for model in (
        AttendanceRecord,
        StarAward,
        Assignment,
        PositionSkill,
        Position,
        Shift,
        Need,
        AvailabilityException,
        AvailabilityWindow,
        PersonSkill,
        Person,
        Skill,
    ):
        session.execute(delete(model))
    session.execute(delete(organization_communities))
    session.execute(delete(Organization))
    session.execute(delete(Community))
    session.commit()


def seed_demo(
    *, session: Session, timezone: str, today: date | None = None, reset: bool = False
) -> DemoSummary:
    """Seed the demo; the same `today` always gives the same data on a fresh database.

    Without `reset`, refuses (Conflict) when people or skills exist; with it, wipes first.
    """
    if reset:
        wipe_demo_data(session=session)
    elif session.scalar(select(func.count()).select_from(Person)) or session.scalar(
        select(func.count()).select_from(Skill)
    ):
        raise Conflict(
            "the database already holds people or skills; use --reset to wipe them first",
            errors={"reset": ["data exists"]},
        )
    builder = _Builder(session, timezone, today or local_today(timezone))
    summary = builder.build()
    session.commit()
    return summary


class _Builder:
    def __init__(self, session: Session, timezone: str, today: date) -> None:
        self.session = session
        self.tz = ZoneInfo(timezone)
        self.timezone = timezone
        self.today = today
        self.rng = random.Random(SEED)
        self.next_monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
        self.assignments = 0
        self.shifts = 0
        self.one_off: dict[int, tuple[Shift, list[Position]]] = {}
        self.completed: list[Assignment] = []
        # Each person's booked times: the database refuses overlapping seats (migration 0007).
        self.booked: dict[int, list[tuple[datetime, datetime]]] = {}

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz)

    def build(self) -> DemoSummary:
        self.skills = {
            code: Skill(code=code, name_zh=zh, name_en=en, category=cat)
            for code, zh, en, cat in SKILLS
        }
        self.communities = [
            Community(district="越秀区", street=street, name=name, lat=lat, lon=lon)
            for street, name, lat, lon in COMMUNITIES
        ]
        self.session.add_all([*self.skills.values(), *self.communities])
        self.organizations = []
        for name, kind, served in ORGANIZATIONS:
            organization = Organization(
                name=name, kind=kind, contact_phone=f"020-8{self.rng.randrange(10**6, 10**7)}"
            )
            organization.communities = [self.communities[i] for i in served]
            self.organizations.append(organization)
        self.session.add_all(self.organizations)
        self.session.flush()
        self.people = [self._person(i) for i in range(PEOPLE)]
        self.session.add_all(self.people)
        self.session.flush()
        self.needs = [self._need(spec) for spec in NEEDS]
        self.session.flush()
        for need, spec in zip(self.needs, NEEDS, strict=True):
            if spec.rule:
                self._past_service(need, spec)
        self._upcoming_answers()
        self.session.flush()
        self._record_past_service()
        return DemoSummary(
            communities=len(self.communities),
            organizations=len(self.organizations),
            skills=len(self.skills),
            people=len(self.people),
            needs=len(self.needs),
            shifts=self.shifts,
            assignments=self.assignments,
        )

    # --- people ---

    def _profile(self, index: int) -> tuple[str, str]:
        """(role, profile): ~10% social workers, ~70% volunteers, ~20% resident activists."""
        share = index % 10
        if share == 0:
            return "social_worker", "social_worker"
        if share in (1, 2):
            return "resident_activist", "retiree" if self.rng.random() < 0.7 else "worker"
        r = self.rng.random()
        return "volunteer", "retiree" if r < 0.35 else "worker" if r < 0.75 else "student"

    def _person(self, index: int) -> Person:
        rng = self.rng
        role, profile = self._profile(index)
        community = self.communities[rng.randrange(len(self.communities))]
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        languages = self._languages(profile)
        checked = role == "social_worker" or rng.random() < 0.45
        person = Person(
            external_id=f"DEMO-{index + 1:04d}",
            role=role,
            name=name,
            phone=f"1{rng.choice((3, 5, 8))}{rng.randrange(10**8, 10**9)}",
            community_id=community.id,
            lat=round(community.lat + rng.uniform(-0.006, 0.006), 4),
            lon=round(community.lon + rng.uniform(-0.006, 0.006), 4),
            languages=languages,
            max_travel_km=rng.choice((2.0, 3.0, 5.0, 8.0)),
            max_minutes_per_week=rng.choice((240, 360, 480, 600)),
            max_shifts_per_day=rng.choice((1, 2, 2)),
            background_checked=checked,
            background_checked_on=self.today - timedelta(days=rng.randrange(30, 700))
            if checked
            else None,
            preferred_kinds=sorted(
                rng.sample(
                    (
                        "elderly_visit",
                        "tutoring",
                        "it_help",
                        "opera",
                        "river_cleanup",
                        "concert",
                        "flea_market",
                        "science_festival",
                    ),
                    rng.choice((0, 1, 2)),
                )
            ),
            preferred_organization_ids=[],
            active=rng.random() > 0.03,
        )
        if rng.random() < 0.2:
            person.preferred_organization_ids = [
                self.organizations[rng.randrange(len(self.organizations))].id
            ]
        person.windows = [
            AvailabilityWindow(weekday=d, start_time=a, end_time=b)
            for d, a, b in self._windows(profile)
        ]
        person.skills = self._skills(profile)
        return person

    def _languages(self, profile: str) -> list[str]:
        rng = self.rng
        yue = {"retiree": 0.92, "worker": 0.6, "student": 0.5, "social_worker": 0.8}[profile]
        cmn = {"retiree": 0.55, "worker": 0.95, "student": 1.0, "social_worker": 1.0}[profile]
        languages = [code for code, p in (("yue", yue), ("cmn", cmn)) if rng.random() < p]
        if profile in ("student", "worker") and rng.random() < 0.2:
            languages.append("en")
        return languages or ["yue"]

    def _windows(self, profile: str) -> list[tuple[int, time, time]]:
        rng = self.rng
        windows: list[tuple[int, time, time]] = []
        if profile == "retiree":
            for day in sorted(rng.sample(range(5), rng.randint(3, 5))):
                windows.append((day, time(8, 30), time(12, 0)))
                if rng.random() < 0.6:
                    windows.append((day, time(14, 0), time(17, 30)))
            if rng.random() < 0.4:
                windows.append((5, time(8, 0), time(12, 0)))
        elif profile == "worker":
            for day in sorted(rng.sample(range(5), rng.randint(1, 3))):
                windows.append((day, time(18, 30), time(21, 30)))
            for day in (5, 6):
                if rng.random() < 0.7:
                    windows.append((day, time(8, 0), time(18, 0)))
            if rng.random() < 0.3:
                windows.append((5, time(18, 0), time(22, 0)))
        elif profile == "student":
            windows.append((5, time(9, 0), time(18, 0)))
            if rng.random() < 0.8:
                windows.append((6, time(8, 0), time(18, 0)))
            if rng.random() < 0.3:
                windows.append((rng.choice((0, 2)), time(16, 0), time(18, 30)))
        else:
            for day in range(5):
                windows.append((day, time(9, 0), time(18, 0)))
            if rng.random() < 0.5:
                windows.append((5, time(9, 0), time(17, 0)))
            if rng.random() < 0.5:
                windows.append((rng.choice((2, 3)), time(18, 0), time(21, 30)))
        return windows

    def _skills(self, profile: str) -> list[PersonSkill]:
        rng = self.rng
        pool = _PROFILE_SKILLS[profile]
        chosen = rng.sample(pool, rng.randint(1, min(3, len(pool))))
        if profile == "social_worker" and "counseling" not in chosen:
            chosen.append("counseling")
        skills = []
        for code in chosen:
            level = (
                rng.choice((2, 3, 3, 4, 4, 5))
                if profile == "social_worker"
                else rng.choice((1, 2, 2, 3, 3, 4, 5))
            )
            skill = PersonSkill(skill=self.skills[code], level=level)
            if code == "first_aid":
                # First-aid certificates lapse: some of them already have.
                skill.expires_on = self.today + timedelta(days=rng.randrange(-200, 500))
            skills.append(skill)
        return skills

    # --- needs ---

    def _need(self, spec: _Need) -> Need:
        community = self.communities[spec.community]
        rng = self.rng
        need = Need(
            organization_id=self.organizations[spec.organization].id,
            community_id=community.id,
            kind=spec.kind,
            title=spec.title,
            description=f"{spec.title}（{community.name}）",
            lat=round(community.lat + rng.uniform(-0.003, 0.003), 4),
            lon=round(community.lon + rng.uniform(-0.003, 0.003), 4),
            priority=spec.priority,
            requires_background_check=spec.background_check,
            language=spec.language,
            points_tier=spec.tier,
            points_per_hour=10,
        )
        self.session.add(need)
        self.session.flush()
        if spec.rule:
            # Started four weeks ago, so past occurrences exist for history.
            first = self.next_monday - timedelta(days=35)
            need.recurrence_rule = spec.rule
            need.recurrence_start = self.local(first, spec.at).astimezone(UTC)
            need.recurrence_minutes = spec.minutes
            self._positions(need, None, spec)
        else:
            start = self.local(self.next_monday + timedelta(days=spec.day), spec.at)
            shift = Shift(
                need_id=need.id, starts_at=start, ends_at=start + timedelta(minutes=spec.minutes)
            )
            self.session.add(shift)
            self.shifts += 1
            self.one_off[need.id] = (shift, self._positions(need, shift, spec))
        return need

    def _positions(self, need: Need, shift: Shift | None, spec: _Need) -> list[Position]:
        positions = []
        for pos in spec.positions:
            position = Position(
                need_id=need.id,
                shift=shift,
                label=pos.label,
                role=pos.role,
                count=pos.count,
                min_count=pos.min_count,
            )
            position.requirements = [
                PositionSkill(skill=self.skills[code], min_level=level)
                for code, level in pos.skills
            ]
            self.session.add(position)
            positions.append(position)
        return positions

    # --- history and answers ---

    def _past_service(self, need: Need, spec: _Need) -> None:
        """Shifts of the last three weeks up to yesterday, served by a few regulars."""
        start = self.local(self.next_monday - timedelta(days=28), time())
        end = self.local(self.today, time())
        assert need.recurrence_rule and need.recurrence_start and need.recurrence_minutes
        occurrences = expand_rule(
            need.recurrence_rule,
            dtstart=need.recurrence_start,
            minutes=need.recurrence_minutes,
            timezone=self.timezone,
            start=start,
            end=end,
        )
        if not occurrences:
            return
        # Regulars fit the first occurrence; weekly needs repeat on that weekday and time.
        regulars = {
            i: self._eligible(spec.positions[i], need, *occurrences[0], limit=4)
            for i in range(len(spec.positions))
        }
        for begin, finish in occurrences:
            shift = Shift(need_id=need.id, starts_at=begin, ends_at=finish, generated=True)
            self.session.add(shift)
            self.shifts += 1
            used: set[int] = set()
            for i, position in enumerate(self._positions(need, shift, spec)):
                pool = [
                    p for p in regulars[i] if p.id not in used and self._unbooked(p, begin, finish)
                ]
                for person in pool[: position.min_count]:
                    used.add(person.id)
                    self._assign(person, position, shift, "completed")

    def _upcoming_answers(self) -> None:
        """Confirmed seats and declines on next week's one-off shifts, one per person, so that
        the confirmed seats never clash with each other."""
        answered: set[int] = set()
        upcoming = [
            (need, spec)
            for need, spec in zip(self.needs, NEEDS, strict=True)
            if not spec.rule and spec.day < 7
        ]
        for k, (need, spec) in enumerate(upcoming):
            shift, positions = self.one_off[need.id]
            candidates = self._eligible(
                spec.positions[0], need, shift.starts_at, shift.ends_at, limit=2, exclude=answered
            )
            if k % 2 == 0 and candidates:
                self._assign(candidates[0], positions[0], shift, "confirmed")
                answered.add(candidates[0].id)
            if k % 3 == 0 and len(candidates) > 1:
                self._assign(candidates[1], positions[0], shift, "declined")
                answered.add(candidates[1].id)

    def _record_past_service(self) -> None:
        """Past service goes through the ledgers like real service: hours, points, stars."""
        for assignment in self.completed:
            self.session.add(
                AttendanceRecord(
                    assignment_id=assignment.id,
                    person_id=assignment.person_id,
                    outcome="completed",
                    minutes=shift_minutes(assignment.shift),
                    recorded_at=assignment.shift.ends_at,
                    created_at=assignment.shift.ends_at,
                    updated_at=assignment.shift.ends_at,
                )
            )
            ledger.record_completion(
                session=self.session, assignment=assignment, minutes=None, actor=None
            )

    def _unbooked(self, person: Person, begin: datetime, finish: datetime) -> bool:
        """Whether the person holds no seat overlapping [begin, finish)."""
        seats = self.booked.get(person.id, [])
        return all(finish <= start or end <= begin for start, end in seats)

    def _assign(self, person: Person, position: Position, shift: Shift, status: str) -> None:
        if status in ("confirmed", "completed"):
            self.booked.setdefault(person.id, []).append((shift.starts_at, shift.ends_at))
        stamp = shift.ends_at if status == "completed" else shift.starts_at - timedelta(days=3)
        assignment = Assignment(
            person=person,
            position=position,
            shift=shift,
            status=status,
            source="manual",
            created_at=stamp,
            updated_at=stamp,
            responded_at=stamp,
        )
        self.session.add(assignment)
        if status == "completed":
            self.completed.append(assignment)
        self.assignments += 1

    def _eligible(
        self,
        pos: _Pos,
        need: Need,
        begin: datetime,
        finish: datetime,
        *,
        limit: int,
        exclude: set[int] = frozenset(),  # type: ignore[assignment]
    ) -> list[Person]:
        """The first `limit` people who pass the matching rules for a position at that time."""
        begin, finish = begin.astimezone(self.tz), finish.astimezone(self.tz)
        found = []
        for person in self.people:
            if person.id in exclude or not person.active:
                continue
            if pos.role != "any" and person.role != pos.role:
                continue
            levels = {
                s.skill.code: s.level
                for s in person.skills
                if s.expires_on is None or s.expires_on >= self.today
            }
            if any(levels.get(code, 0) < level for code, level in pos.skills):
                continue
            if need.requires_background_check and not person.background_checked:
                continue
            if need.language and need.language not in person.languages:
                continue
            if not self._free(person, begin, finish):
                continue
            if _km(person.lat, person.lon, need.lat, need.lon) > (person.max_travel_km or 1e9):
                continue
            found.append(person)
            if len(found) == limit:
                break
        return found

    @staticmethod
    def _free(person: Person, begin: datetime, finish: datetime) -> bool:
        """A weekly window of the person covers the shift (shifts here end on their day)."""
        day = begin.weekday()
        return finish.date() == begin.date() and any(
            w.weekday == day
            and w.start_time <= begin.time()
            and (w.end_time >= finish.time() or w.end_time <= w.start_time)
            for w in person.windows
        )


def _km(lat1, lon1, lat2, lon2) -> float:
    if None in (lat1, lon1, lat2, lon2):
        return 0.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return round(2 * 6371.0 * math.asin(math.sqrt(a)), 1)

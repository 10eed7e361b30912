"""The demo seed: realistic mix, deterministic, refuses to overwrite, exports a real problem."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, time

import pytest
from sqlalchemy import func, select

from matching.io import load_problem
from models import (
    Assignment,
    AttendanceRecord,
    HoursEntry,
    Need,
    Organization,
    Person,
    PointsAccount,
    PointsEntry,
    Skill,
)
from models.need import NEED_KINDS
from services.demo import seed_demo
from services.errors import Conflict
from services.problems import export_problem
from tests.factories import PersonFactory

TZ = "Asia/Shanghai"
TODAY = date(2026, 11, 26)  # a Thursday: the coming week is 2026-W49
COMING_WEEK = "2026-W49"


def seed(session, **kwargs):
    return seed_demo(session=session, timezone=TZ, today=TODAY, **kwargs)


def renumbered(problem: dict) -> str:
    """The problem as JSON with ids counted from 1 per kind: sequences differ between runs."""
    text = json.dumps(problem, sort_keys=True, ensure_ascii=False)
    ids = re.findall(r'"([psqro])(\d+)"', text)
    low = {kind: min(int(n) for k, n in ids if k == kind) for kind, _ in ids}
    return re.sub(r'"([psqro])(\d+)"', lambda m: f'"{m[1]}{int(m[2]) - low[m[1]] + 1}"', text)


def test_people_mix_roles_languages_and_time_patterns(session):
    summary = seed(session)

    people = session.scalars(select(Person)).all()
    assert summary.people == len(people) == 300
    roles = Counter(p.role for p in people)
    assert roles == {"social_worker": 30, "volunteer": 210, "resident_activist": 60}
    languages = Counter(code for p in people for code in p.languages)
    assert languages["yue"] > 150 and languages["cmn"] > 150
    assert any(p.languages == ["yue"] for p in people)  # Cantonese-only elders exist
    assert len({p.name for p in people}) > 200
    assert all(23.11 < p.lat < 23.145 and 113.25 < p.lon < 113.295 for p in people)

    def windows(person):
        return {(w.weekday, w.start_time, w.end_time) for w in person.windows}

    weekday_mornings = [p for p in people if any(d < 5 and a <= time(9) for d, a, _ in windows(p))]
    weekend_only = [p for p in people if windows(p) and all(d >= 5 for d, _, _ in windows(p))]
    evenings = [p for p in people if any(d < 5 and a >= time(18) for d, a, _ in windows(p))]
    assert len(weekday_mornings) > 50 and len(weekend_only) > 20 and len(evenings) > 30


def test_catalogue_organizations_and_needs(session):
    seed(session)

    skills = session.scalars(select(Skill)).all()
    assert {"elderly_care", "counseling", "legal_advice", "first_aid", "cantonese_opera"} <= {
        s.code for s in skills
    }
    assert all(s.name_zh and s.name_en for s in skills)
    kinds = {o.kind for o in session.scalars(select(Organization))}
    assert kinds == {
        "social_work_organization",
        "social_organization",
        "residents_committee",
        "volunteer_team",
    }
    needs = session.scalars(select(Need)).all()
    assert 38 <= len(needs) <= 45
    assert {n.kind for n in needs} == set(NEED_KINDS)
    recurring = [n for n in needs if n.recurrence_rule]
    assert 10 <= len(recurring) < len(needs)
    visits = [n for n in needs if n.kind == "elderly_visit" and n.recurrence_rule]
    assert all(n.requires_background_check and n.language == "yue" for n in visits)


def test_coming_week_exports_a_real_problem(session):
    seed(session)

    problem = export_problem(session=session, week=COMING_WEEK, timezone=TZ)

    loaded = load_problem(problem)
    assert len(loaded.people) > 250
    assert len(loaded.shifts) >= 25
    assert len({s.kind for s in loaded.shifts}) >= 8
    assert sum(1 for p in loaded.people if p.availability) > 250
    assert loaded.fixed and loaded.forbidden and loaded.history
    assert any(p.recent_minutes > 0 for p in loaded.people)
    roles = {q.role for s in loaded.shifts for q in s.positions}
    assert {"social_worker", "volunteer", "resident_activist", "any"} <= roles


@pytest.mark.slow
def test_seed_is_deterministic(session, wipe_database):
    seed(session)
    first = export_problem(session=session, week=COMING_WEEK, timezone=TZ)

    wipe_database()
    seed(session)
    second = export_problem(session=session, week=COMING_WEEK, timezone=TZ)

    assert renumbered(first) == renumbered(second)
    assert first["people"] and first["shifts"] and first["history"]


def test_refuses_when_people_exist_and_reset_wipes_before_any_service(session):
    PersonFactory.create_batch(3)
    session.commit()

    with pytest.raises(Conflict) as caught:
        seed(session)
    summary = seed(session, reset=True)

    assert "reset" in caught.value.errors
    assert summary.people == session.scalar(select(func.count()).select_from(Person)) == 300


def test_reset_never_deletes_recorded_service(session):
    seed(session)
    entries = session.scalar(select(func.count()).select_from(HoursEntry))

    with pytest.raises(Conflict) as caught:
        seed(session, reset=True)

    assert "append-only" in caught.value.errors["reset"][0]
    session.rollback()
    assert entries > 0
    assert session.scalar(select(func.count()).select_from(HoursEntry)) == entries
    assert session.scalar(select(func.count()).select_from(Person)) == 300


def test_past_service_is_in_the_ledgers(session):
    seed(session)

    completed = session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.status == "completed")
    )
    credited = session.scalar(
        select(func.count()).select_from(HoursEntry).where(HoursEntry.kind == "service")
    )
    records = session.scalar(select(func.count()).select_from(AttendanceRecord))
    balances = session.scalar(select(func.sum(PointsAccount.balance)))
    earned = session.scalar(select(func.sum(PointsEntry.points)))

    assert completed > 0 and credited == completed == records
    assert balances == earned > 0


def test_seed_demo_command(app, session):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-demo", "--today", "2026-11-26"])
    again = runner.invoke(args=["seed-demo", "--today", "2026-11-26"])

    assert first.exit_code == 0, first.output
    assert "seeded 300 people" in first.output
    assert again.exit_code != 0
    assert "--reset" in again.output
    assert "Traceback" not in again.output


def test_demo_accounts_open_each_roles_pages(app, session):
    """One account per role, scoped to the demo's data, created all at once and only once."""
    from api.cli.data import demo_accounts_command
    from models import User
    from services import auth
    from services.demo_accounts import create_demo_accounts

    runner = app.test_cli_runner()
    env = {"LINKAGE_NEW_USER_PASSWORD": "demo password 1"}
    early = runner.invoke(demo_accounts_command, [], env=env)
    assert early.exit_code != 0 and "seed the demo first" in early.output
    seed(session)
    result = runner.invoke(demo_accounts_command, [], env=env)
    assert result.exit_code == 0, result.output
    users = {u.username: u for u in session.scalars(select(User))}
    assert users["demo-volunteer"].person_id is not None
    assert [s.street for s in users["demo-coordinator"].scopes] != [None]
    assert users["demo-staff"].scopes[0].organization_id is not None
    client = app.test_client()
    for username, landing in (
        ("demo-coordinator", "/board"),
        ("demo-staff", "/needs"),
        ("demo-volunteer", "/my-shifts"),
    ):
        page = client.get("/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        signed = client.post(
            "/sign-in",
            data={"username": username, "password": "demo password 1", "csrf_token": token},
        )
        assert signed.status_code == 302 and signed.location == landing
        assert client.get(landing).status_code == 200
        client.post("/sign-out", data={"csrf_token": csrf(client)})
    again = runner.invoke(demo_accounts_command, [], env=env)
    assert again.exit_code != 0 and "exist already" in again.output
    with pytest.raises(Conflict):
        create_demo_accounts(session=session, hasher=auth.password_hasher("cheap"), password="x")


def csrf(client) -> str:
    page = client.get("/my-shifts").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

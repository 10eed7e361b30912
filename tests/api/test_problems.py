"""GET /api/v1/problems: the week's problem file, with errors naming the bad argument."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from matching.io import load_problem
from tests.factories import (
    AssignmentFactory,
    CommunityFactory,
    NeedFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

MONDAY = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # 2026-11-30 00:00 in Shanghai


def test_problem_of_a_week_loads_in_the_matching_engine(client, session):
    position = PositionFactory(shift=ShiftFactory(starts_at=MONDAY + timedelta(hours=9)))
    person = PersonFactory()
    AssignmentFactory(person=person, position=position, status="confirmed")
    session.commit()

    response = client.get("/api/v1/problems?week=2026-W49")

    assert response.status_code == 200
    problem = load_problem(response.json)
    assert problem.horizon_start.isoformat() == "2026-11-30T00:00:00+08:00"
    assert [s.id for s in problem.shifts] == [f"s{position.shift_id}"]
    assert [(f.person_id, f.position_id) for f in problem.fixed] == [
        (f"p{person.id}", f"q{position.id}")
    ]


def test_problem_of_one_community(client, session):
    here, there = CommunityFactory(), CommunityFactory()
    mine = PositionFactory(
        shift=ShiftFactory(need=NeedFactory(community_id=here.id), starts_at=MONDAY)
    )
    PositionFactory(shift=ShiftFactory(need=NeedFactory(community_id=there.id), starts_at=MONDAY))
    PersonFactory(community_id=there.id)
    session.commit()

    response = client.get(f"/api/v1/problems?week=2026-W49&community={here.id}")

    assert response.status_code == 200
    assert [s["id"] for s in response.json["shifts"]] == [f"s{mine.shift_id}"]
    assert response.json["people"] == []


def test_bad_week_is_422_naming_week(client):
    for query in ("week=2026-W60", "week=next", "week="):
        response = client.get(f"/api/v1/problems?{query}")
        assert response.status_code == 422, query
        assert "week" in str(response.json["errors"]), query


def test_missing_week_is_422(client):
    response = client.get("/api/v1/problems")

    assert response.status_code == 422
    assert "week" in str(response.json["errors"])


def test_unknown_community_is_404(client):
    response = client.get("/api/v1/problems?week=2026-W49&community=4242")

    assert response.status_code == 404
    assert "community" in response.json["errors"]


def test_bad_community_is_422(client):
    response = client.get("/api/v1/problems?week=2026-W49&community=abc")

    assert response.status_code == 422
    assert "community" in str(response.json["errors"])


def test_export_problem_command(app, session, tmp_path):
    position = PositionFactory(shift=ShiftFactory(starts_at=MONDAY + timedelta(hours=9)))
    session.commit()
    out = tmp_path / "problem.json"
    runner = app.test_cli_runner()

    to_file = runner.invoke(args=["export-problem", "--week", "2026-W49", "-o", str(out)])
    to_stdout = runner.invoke(args=["export-problem", "--week", "2026-W49"])

    assert to_file.exit_code == 0, to_file.output
    problem = load_problem(json.loads(out.read_text(encoding="utf-8")))
    assert [s.id for s in problem.shifts] == [f"s{position.shift_id}"]
    assert json.loads(to_stdout.output)["version"] == 1


def test_export_problem_command_errors_are_messages(app):
    runner = app.test_cli_runner()

    bad_week = runner.invoke(args=["export-problem", "--week", "2026-W99"])
    no_community = runner.invoke(args=["export-problem", "--week", "2026-W49", "--community", "77"])

    assert bad_week.exit_code != 0 and "week" in bad_week.output
    assert no_community.exit_code != 0 and "community 77" in no_community.output
    assert "Traceback" not in bad_week.output + no_community.output

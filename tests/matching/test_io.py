"""Problem/solution files: every kind of bad input is named by record and field; round trips."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from matching.domain import (
    Assignment,
    FairnessSummary,
    Objective,
    Solution,
    Stats,
    Unfilled,
    Weights,
)
from matching.io import (
    ProblemFormatError,
    dump_json,
    load_problem,
    problem_to_dict,
    solution_from_dict,
    solution_to_dict,
)
from tests.builders import minimal_problem_dict


def _errors_of(data: Any) -> list[str]:
    with pytest.raises(ProblemFormatError) as info:
        load_problem(data)
    return info.value.errors


def _with(path: str, value: Any) -> dict[str, Any]:
    """The minimal problem with one field set (`path` like "shifts.0.positions.0.count");
    `value` of `...` deletes the field."""
    data = copy.deepcopy(minimal_problem_dict())
    *parents, last = path.split(".")
    target: Any = data
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is ...:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


def test_minimal_problem_loads_with_defaults() -> None:
    problem = load_problem(minimal_problem_dict())
    assert problem.weights == Weights()
    person = problem.people[0]
    assert (person.points, person.recent_minutes, person.max_minutes) == (0, 0, None)
    position = problem.shifts[0].positions[0]
    assert position.min_count == 1  # absent min_count means 1
    assert position.shift_id == "s1"
    assert problem.shifts[0].requires_background_check is False
    assert problem.shifts[0].language is None
    assert (problem.fixed, problem.forbidden, problem.history) == ((), (), ())


def test_min_count_above_count_is_named_like_the_spec_example() -> None:
    errors = _errors_of(_with("shifts.0.positions.0.min_count", 3))
    assert errors == ['shifts[0] (id "s1").positions[0].min_count: must be <= count (3 > 2)']


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("version", 2, "version: must be 1"),
        ("version", True, "version: must be 1"),
        ("version", "1", "version: must be 1"),
        ("timezone", "Mars/Olympus", "timezone: unknown IANA time zone"),
        ("timezone", ..., "problem.timezone: is required"),
        ("horizon.end", "2026-11-29T00:00:00+08:00", "horizon: end must be after start"),
        ("horizon.start", "2026-11-30T00:00:00", "horizon.start: time needs a UTC offset"),
        ("people.0.role", "boss", 'people[0] (id "p1").role: must be one of'),
        ("people.0.skills", {"elderly_care": 6}, 'people[0] (id "p1").skills.elderly_care: must'),
        ("people.0.skills", {"elderly_care": 0}, 'people[0] (id "p1").skills.elderly_care: must'),
        ("people.0.skills", {"elderly_care": 2.5}, "skills.elderly_care: must be an integer"),
        ("people.0.skills", {"elderly_care": True}, "skills.elderly_care: must be an integer"),
        ("people.0.max_minutes", True, 'people[0] (id "p1").max_minutes: must be an integer'),
        ("people.0.max_minutes", -1, 'people[0] (id "p1").max_minutes: must be >= 0'),
        ("people.0.max_travel_km", "far", "max_travel_km: must be a finite number"),
        ("people.0.max_travel_km", float("nan"), "max_travel_km: must be a finite number"),
        ("people.0.max_shifts_per_day", 1.5, "max_shifts_per_day: must be an integer"),
        ("people.0.points", False, 'people[0] (id "p1").points: must be an integer'),
        ("people.0.background_checked", 1, "background_checked: must be true or false"),
        ("people.0.max_minute", 30, 'people[0] (id "p1").max_minute: unknown field'),
        ("people.0.location", {"lat": 91, "lon": 0}, "location.lat: must be in -90..90"),
        ("people.0.location", {"lat": 23}, "location.lon: is required"),
        ("people.0.languages", "yue", "languages: must be a list"),
        ("people.0.availability.0", ["2026-11-30T09:00:00+08:00"], "availability[0]: must be"),
        (
            "people.0.availability.0",
            ["2026-11-30T09:00:00", "2026-11-30T10:00:00+08:00"],
            "availability[0].start: time needs a UTC offset",
        ),
        (
            "people.0.availability.0",
            ["2026-11-30T10:00:00+08:00", "2026-11-30T10:00:00+08:00"],
            "availability[0]: end must be after start",
        ),
        ("people.0.availability.0", ["yesterday", "today"], "availability[0].start: not an ISO"),
        ("people.0.preferences", {"kind": ["x"]}, "preferences.kind: unknown field"),
        ("people.0.id", ..., "people[0].id: is required"),
        ("shifts.0.end", "2026-11-30T13:00:00+08:00", 'shifts[0] (id "s1"): end must be after'),
        ("shifts.0.start", "2026-11-30T14:00:30+08:00", "start: must be on a whole minute"),
        ("shifts.0.start", "2026-11-30T14:00:00", 'shifts[0] (id "s1").start: time needs a'),
        ("shifts.0.priority", 0, 'shifts[0] (id "s1").priority: must be in 1..5'),
        ("shifts.0.priority", 6, 'shifts[0] (id "s1").priority: must be in 1..5'),
        ("shifts.0.priority", ..., 'shifts[0] (id "s1").priority: is required'),
        ("shifts.0.language", 5, 'shifts[0] (id "s1").language: must be a non-empty string'),
        ("shifts.0.positions", [], 'shifts[0] (id "s1").positions: must list at least one'),
        ("shifts.0.positions.0.role", "mayor", "positions[0].role: must be one of"),
        ("shifts.0.positions.0.count", 0, "positions[0].count: must be >= 1"),
        ("shifts.0.positions.0.count", True, "positions[0].count: must be an integer"),
        ("shifts.0.positions.0.min_count", 0, "positions[0].min_count: must be >= 1"),
        ("shifts.0.positions.0.skills", {"legal": 9}, "positions[0].skills.legal: must be in"),
        ("shifts.0.positions.0.cnt", 2, "positions[0].cnt: unknown field"),
        ("weights", {"coverage": 1000, "fairnes": 5}, "weights.fairnes: unknown field"),
        ("weights", {"points_cap": 0}, "weights.points_cap: must be > 0"),
        ("weights", {"skill": True}, "weights.skill: must be a finite number"),
        ("weights", {"skill": "20"}, "weights.skill: must be a finite number"),
        ("travel_buffer_minutes", -5, "travel_buffer_minutes: must be >= 0"),
        ("extra", 1, "problem.extra: unknown field"),
        ("fixed", [{"person_id": "p9", "position_id": "s1/vol"}], "fixed[0].person_id: unknown"),
        ("fixed", [{"person_id": "p1", "position_id": "s9/x"}], "fixed[0].position_id: unknown"),
        ("forbidden", [{"person_id": "p1", "shift_id": "s9"}], "forbidden[0].shift_id: unknown"),
        ("forbidden", [{"person_id": "p1"}], "forbidden[0].shift_id: is required"),
        (
            "history",
            [{"person_id": "p7", "request_id": "r1", "count": 2}],
            'history[0].person_id: unknown person "p7"',
        ),
        ("history", [{"person_id": "p1", "request_id": "r1", "count": 0}], "count: must be >= 1"),
    ],
)
def test_bad_input_is_named_by_record_and_field(path: str, value: Any, expected: str) -> None:
    errors = _errors_of(_with(path, value))
    assert any(expected in e for e in errors), errors


def test_duplicate_ids_are_rejected_for_people_shifts_and_positions() -> None:
    data = minimal_problem_dict()
    data["people"].append(copy.deepcopy(data["people"][0]))
    second = copy.deepcopy(data["shifts"][0])
    data["shifts"].append(second)
    errors = _errors_of(data)
    assert 'people[1] (id "p1").id: duplicate person id "p1" (first at people[0] (id "p1"))' in (
        errors
    )
    assert any(e.startswith('shifts[1] (id "s1").id: duplicate shift id') for e in errors)
    assert any("positions[0].id: duplicate position id" in e for e in errors)


def test_position_ids_are_unique_across_shifts() -> None:
    data = minimal_problem_dict()
    other = copy.deepcopy(data["shifts"][0])
    other["id"] = "s2"  # its position keeps the id "s1/vol"
    data["shifts"].append(other)
    errors = _errors_of(data)
    assert errors == [
        'shifts[1] (id "s2").positions[0].id: duplicate position id "s1/vol" '
        '(first at shifts[0] (id "s1").positions[0])'
    ]


def test_duplicate_pairs_are_rejected() -> None:
    data = minimal_problem_dict()
    data["forbidden"] = [{"person_id": "p1", "shift_id": "s1"}] * 2
    data["history"] = [{"person_id": "p1", "request_id": "r1", "count": 1}] * 2
    errors = _errors_of(data)
    assert any(e.startswith("forbidden[1]: duplicate pair") for e in errors)
    assert any(e.startswith("history[1]: duplicate history") for e in errors)


def test_all_errors_are_collected_not_just_the_first() -> None:
    data = _with("people.0.max_minute", 3)
    data["shifts"][0]["priority"] = 9
    data["version"] = 3
    errors = _errors_of(data)
    assert len(errors) == 3
    with pytest.raises(ProblemFormatError, match="3 error"):
        load_problem(data)


def test_a_broken_record_does_not_make_its_references_unknown() -> None:
    data = _with("people.0.role", "boss")
    data["fixed"] = [{"person_id": "p1", "position_id": "s1/vol"}]
    assert len(_errors_of(data)) == 1


def test_history_may_name_a_request_without_shifts_this_week() -> None:
    data = _with("history", [{"person_id": "p1", "request_id": "r-old", "count": 4}])
    assert load_problem(data).history[0].request_id == "r-old"


def test_preferences_map_to_person_fields() -> None:
    data = _with("people.0.preferences", {"kinds": ["tutoring"], "organizations": ["o1"]})
    person = load_problem(data).people[0]
    assert person.preferred_kinds == ("tutoring",)
    assert person.preferred_organizations == ("o1",)


def test_nulls_mean_no_limit() -> None:
    data = _with("people.0.max_travel_km", None)
    data["people"][0]["location"] = None
    data["shifts"][0]["location"] = None
    problem = load_problem(data)
    assert problem.people[0].max_travel_km is None
    assert problem.people[0].location is None


def test_weights_defaults_and_decimals() -> None:
    problem = load_problem(_with("weights", {"fairness": 7.0, "skill": 0.5, "distance": -1.5}))
    assert problem.weights.fairness == 7 and isinstance(problem.weights.fairness, int)
    assert (problem.weights.skill, problem.weights.distance) == (0.5, -1.5)
    assert problem.weights.coverage == 1000  # missing weights keep their defaults
    assert load_problem(_with("weights", {"points_cap": 2.5})).weights.points_cap == 2.5
    assert load_problem(_with("weights", {"skill": 0.25})).weights.skill == 0.25


def test_utc_z_suffix_is_an_offset() -> None:
    data = _with("shifts.0.start", "2026-11-30T06:00:00Z")
    assert load_problem(data).shifts[0].start.utcoffset() is not None


def test_every_source_kind_loads(tmp_path: Path) -> None:
    data = minimal_problem_dict()
    text = json.dumps(data)
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    expected = load_problem(data)
    for source in (text, text.encode(), path, io.StringIO(text)):
        assert load_problem(source) == expected


def test_invalid_json_is_a_format_error() -> None:
    with pytest.raises(ProblemFormatError, match="not valid JSON"):
        load_problem("{")


def test_a_non_object_is_a_format_error() -> None:
    assert _errors_of("[]") == ["problem: must be an object, got []"]


def test_problem_round_trips_through_dict_and_json(tmp_path: Path) -> None:
    data = minimal_problem_dict()
    data["fixed"] = [{"person_id": "p1", "position_id": "s1/vol"}]
    data["forbidden"] = [{"person_id": "p1", "shift_id": "s1"}]
    data["history"] = [{"person_id": "p1", "request_id": "r1", "count": 2}]
    data["people"][0]["preferences"] = {"kinds": ["elderly_visit"], "organizations": ["o1"]}
    data["weights"] = {"incentive": -3}
    problem = load_problem(data)
    assert load_problem(problem_to_dict(problem)) == problem
    path = tmp_path / "out.json"
    dump_json(problem, path)
    assert load_problem(path) == problem


def test_dump_json_keeps_non_ascii_text(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    dump_json({"name": "越秀区"}, path)
    assert "越秀区" in path.read_text(encoding="utf-8")
    buffer = io.StringIO()
    dump_json({"name": "越秀区"}, buffer)
    assert json.loads(buffer.getvalue()) == {"name": "越秀区"}


def _solution() -> Solution:
    return Solution(
        version=1,
        assignments=(Assignment("p1", "s1/vol", "s1"),),
        unfilled=(
            Unfilled(
                "s1/vol",
                1,
                {
                    "role": 3,
                    "skills": 2,
                    "availability": 2,
                    "background_check": 2,
                    "language": 1,
                    "distance": 1,
                    "not_forbidden": 1,
                    "free": 0,
                },
                "free",
            ),
        ),
        objective=Objective(
            total=12.5,
            terms={
                "coverage": 20.0,
                "skill": 0.0,
                "distance": -2.5,
                "preference": 0.0,
                "continuity": 0.0,
                "incentive": 0.0,
                "fairness": -5.0,
            },
        ),
        fairness=FairnessSummary(1, 2, 0.5, 0.5),
        stats=Stats("cp-sat", "OPTIMAL", 12.5, "cp-sat", 0.0, 0.4, 10, 20, {"seed": 3}),
    )


def test_solution_layout_matches_the_spec() -> None:
    data = solution_to_dict(_solution())
    assert list(data) == [
        "version",
        "assignments",
        "unfilled",
        "objective",
        "fairness",
        "stats",
    ]
    assert data["assignments"] == [{"person_id": "p1", "position_id": "s1/vol", "shift_id": "s1"}]
    assert list(data["unfilled"][0]["funnel"])[-1] == "free"
    assert data["stats"] == {
        "solver": "cp-sat",
        "status": "OPTIMAL",
        "bound": 12.5,
        "bound_source": "cp-sat",
        "gap": 0.0,
        "wall_seconds": 0.4,
        "variables": 10,
        "constraints": 20,
        "seed": 3,  # Stats.extra is merged into stats
    }


def test_solution_round_trips() -> None:
    solution = _solution()
    assert solution_from_dict(solution_to_dict(solution)) == solution
    assert solution_from_dict(json.dumps(solution_to_dict(solution))) == solution


def test_malformed_solution_is_a_format_error() -> None:
    with pytest.raises(ProblemFormatError, match="solution: malformed"):
        solution_from_dict({"version": 1})

"""The executable spec: each hard rule is caught on a violating case and allowed on its edge case;
each objective term is checked against arithmetic done by hand."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import pytest

from matching.domain import Assignment, Location, Person, Problem, Shift, Solution, Stats, Weights
from matching.explain import build_solution
from matching.validation import (
    check_assignments,
    compute_objective,
    fairness_summary,
    gini,
    jain,
    validate_solution,
)
from tests.builders import HERE, assign, at, make_person, make_position, make_problem, make_shift

ELSEWHERE = Location(HERE.lat + 0.02, HERE.lon)  # about 2.2 km north


def _rules(errors: list[str]) -> list[str]:
    """The 'rule N' prefixes of violation messages."""
    return [e.split(" (")[0] for e in errors]


def test_trivially_feasible() -> None:
    problem = make_problem([make_person("p1")], [make_shift("s1")])
    assert check_assignments(problem, [assign("p1", "s1/vol")]) == []
    assert check_assignments(problem, []) == []


# --- rules 1-7 on a single pair ---


@pytest.mark.parametrize(
    ("person", "shift", "rule"),
    [
        (
            make_person(role="volunteer"),
            make_shift(positions=(make_position(role="social_worker"),)),
            "rule 1",
        ),
        (
            make_person(skills={"care": 1}),
            make_shift(positions=(make_position(skills={"care": 2}),)),
            "rule 2",
        ),
        (
            make_person(availability=((at(0, 14), at(0, 15, 59)),)),
            make_shift(start=at(0, 14)),
            "rule 3",
        ),
        (
            make_person(background_checked=False),
            make_shift(requires_background_check=True),
            "rule 4",
        ),
        (make_person(languages=("cmn",)), make_shift(language="yue"), "rule 5"),
        (make_person(location=ELSEWHERE, max_travel_km=2), make_shift(location=HERE), "rule 6"),
    ],
)
def test_pair_rule_violations_are_named(person: Person, shift: Shift, rule: str) -> None:
    problem = make_problem([person], [shift])
    errors = check_assignments(problem, [assign(person.id, shift.positions[0].id)])
    assert _rules(errors) == [rule]
    assert (
        f'person "{person.id}"' in errors[0] and f'position "{shift.positions[0].id}"' in errors[0]
    )


@pytest.mark.parametrize(
    ("person", "shift"),
    [
        (make_person(role="volunteer"), make_shift(positions=(make_position(role="any"),))),
        (
            make_person(skills={"care": 2}),
            make_shift(positions=(make_position(skills={"care": 2}),)),
        ),
        (make_person(availability=((at(0, 14), at(0, 16)),)), make_shift(start=at(0, 14))),
        (make_person(background_checked=False), make_shift(requires_background_check=False)),
        (make_person(languages=("cmn",)), make_shift(language=None)),
        (make_person(location=ELSEWHERE, max_travel_km=2.2), make_shift(location=HERE)),
        (make_person(location=None, max_travel_km=0.1), make_shift(location=HERE)),
    ],
)
def test_pair_rule_edge_cases_are_allowed(person: Person, shift: Shift) -> None:
    problem = make_problem([person], [shift])
    assert check_assignments(problem, [assign(person.id, shift.positions[0].id)]) == []


def test_rule7_forbidden_pair() -> None:
    problem = make_problem([make_person("p1")], [make_shift("s1")], forbidden=(("p1", "s1"),))
    assert _rules(check_assignments(problem, [assign("p1", "s1/vol")])) == ["rule 7"]


def test_unknown_ids_wrong_shift_and_duplicates() -> None:
    problem = make_problem(
        [make_person("p1"), make_person("p2")],
        [make_shift("s1", positions=(make_position("s1/vol", count=2),))],
    )
    errors = check_assignments(
        problem,
        [
            assign("px", "s1/vol"),
            assign("p1", "s9/vol"),
            Assignment("p1", "s1/vol", "s2"),
            assign("p2", "s1/vol"),
            assign("p2", "s1/vol"),
        ],
    )
    assert any("unknown person" in e and '"px"' in e for e in errors)
    assert any("unknown position" in e and '"s9/vol"' in e for e in errors)
    assert any('shift_id "s2" but the position belongs to shift "s1"' in e for e in errors)
    assert any(e.startswith("assignments[4]") and "duplicate assignment" in e for e in errors)


# --- rule 8 ---


def test_rule8_one_position_per_shift() -> None:
    shift = make_shift("s1", positions=(make_position("s1/a"), make_position("s1/b")))
    problem = make_problem([make_person("p1")], [shift])
    errors = check_assignments(problem, [assign("p1", "s1/a"), assign("p1", "s1/b")])
    assert _rules(errors) == ["rule 8"]


# --- rule 9 ---


def _two_shifts(second_start: datetime, second_location: Location | None, **kw: Any) -> Problem:
    first = make_shift("s1", start=at(0, 14), end=at(0, 16), location=HERE)
    second = make_shift("s2", start=second_start, location=second_location)
    return make_problem([make_person("p1", **kw)], [first, second], travel_buffer_minutes=30)


BOTH = [assign("p1", "s1/vol"), assign("p1", "s2/vol")]


def test_rule9_overlap_is_a_violation() -> None:
    assert _rules(check_assignments(_two_shifts(at(0, 15, 59), HERE), BOTH)) == ["rule 9"]


def test_rule9_touching_at_the_same_place_is_allowed() -> None:
    assert check_assignments(_two_shifts(at(0, 16), HERE), BOTH) == []


def test_rule9_touching_at_different_places_breaks_the_travel_buffer() -> None:
    errors = check_assignments(_two_shifts(at(0, 16), ELSEWHERE), BOTH)
    assert _rules(errors) == ["rule 9"]
    assert "travel buffer" in errors[0]


def test_rule9_gap_of_exactly_the_buffer_is_allowed() -> None:
    assert check_assignments(_two_shifts(at(0, 16, 30), ELSEWHERE), BOTH) == []
    assert _rules(check_assignments(_two_shifts(at(0, 16, 29), ELSEWHERE), BOTH)) == ["rule 9"]


def test_rule9_no_buffer_when_a_location_is_missing() -> None:
    assert check_assignments(_two_shifts(at(0, 16), None), BOTH) == []


def test_rule9_order_of_assignments_does_not_matter() -> None:
    problem = _two_shifts(at(0, 16), ELSEWHERE)
    assert _rules(check_assignments(problem, BOTH[::-1])) == ["rule 9"]


# --- rule 10 ---


def test_rule10_exactly_max_minutes_is_allowed() -> None:
    # Two 2-hour shifts: 240 minutes.
    assert check_assignments(_two_shifts(at(1, 14), HERE, max_minutes=240), BOTH) == []
    errors = check_assignments(_two_shifts(at(1, 14), HERE, max_minutes=239), BOTH)
    assert _rules(errors) == ["rule 10"]


def test_rule10_shifts_per_day_counts_calendar_days_in_the_problem_timezone() -> None:
    # 23:30 UTC on Monday 2026-11-30 is 07:30 on Tuesday in Asia/Shanghai.
    late_utc = datetime.fromisoformat("2026-11-30T23:30:00+00:00")
    monday = make_shift("s1", start=at(0, 10), location=HERE)
    tuesday = make_shift("s2", start=at(1, 10), location=HERE)
    night = make_shift("s3", start=late_utc, location=HERE)
    person = make_person("p1", max_shifts_per_day=1)
    problem = make_problem([person], [monday, tuesday, night])
    # Monday 10:00 (+08) and 23:30Z Monday are different Shanghai days: allowed.
    assert check_assignments(problem, [assign("p1", "s1/vol"), assign("p1", "s3/vol")]) == []
    # Tuesday 10:00 (+08) and 23:30Z Monday are both Tuesday in Shanghai.
    errors = check_assignments(problem, [assign("p1", "s2/vol"), assign("p1", "s3/vol")])
    assert _rules(errors) == ["rule 10"]
    assert "2026-12-01" in errors[0]


def test_rule10_timezone_decides_the_day() -> None:
    late_utc = datetime.fromisoformat("2026-11-30T23:30:00+00:00")
    shifts = [make_shift("s1", start=at(0, 10)), make_shift("s3", start=late_utc)]
    pair = [assign("p1", "s1/vol"), assign("p1", "s3/vol")]
    person = make_person("p1", max_shifts_per_day=1)
    # In UTC, 10:00+08 Monday is 02:00Z Monday: both start on Monday.
    assert _rules(check_assignments(make_problem([person], shifts, timezone="UTC"), pair)) == [
        "rule 10"
    ]


# --- rule 11 ---


def test_rule11_count_and_min_count() -> None:
    people = [make_person(f"p{k}") for k in range(4)]
    shift = make_shift("s1", positions=(make_position("s1/vol", count=3, min_count=2),))
    problem = make_problem(people, [shift])
    seat = [assign(f"p{k}", "s1/vol") for k in range(4)]
    assert check_assignments(problem, []) == []  # none is allowed
    assert _rules(check_assignments(problem, seat[:1])) == ["rule 11"]  # 0 < 1 < min_count
    assert check_assignments(problem, seat[:2]) == []  # exactly min_count
    assert check_assignments(problem, seat[:3]) == []  # exactly count
    assert _rules(check_assignments(problem, seat)) == ["rule 11"]  # above count


# --- rule 12 ---


def test_rule12_fixed_pairs_must_be_present() -> None:
    problem = make_problem([make_person("p1")], [make_shift("s1")], fixed=(("p1", "s1/vol"),))
    assert _rules(check_assignments(problem, [])) == ["rule 12"]
    assert check_assignments(problem, [assign("p1", "s1/vol")]) == []


# --- objective, by hand ---


def _objective_case() -> Problem:
    person = make_person(
        "p1",
        skills={"care": 4},
        points=250,
        recent_minutes=60,
        preferred_kinds=("elderly_visit",),
    )
    idle = make_person("p2", recent_minutes=90)
    shift = make_shift(
        "s1",
        start=at(0, 14),
        end=at(0, 16),
        priority=3,
        kind="elderly_visit",
        request_id="r1",
        location=Location(HERE.lat + 2.0 / 111.19492664455873, HERE.lon),  # 2.0 km north
        positions=(make_position("s1/vol", skills={"care": 2}),),
    )
    return make_problem(
        [person, idle], [shift], history=(("p1", "r1", 3),), weights=Weights(incentive=3)
    )


def test_each_objective_term_by_hand() -> None:
    objective = compute_objective(_objective_case(), [assign("p1", "s1/vol")])
    # coverage   = 1000 * 2^(3-1)                          = 4000
    # skill      = 20 * (4 - 2)                            = 40
    # distance   = -10 * 2.0 km                            = -20
    # preference = 50 (elderly_visit is preferred)         = 50
    # continuity = 100 (history with r1)                   = 100
    # incentive  = 3 * floor(100 * 250 / 1000) * 120/60    = 3 * 25 * 2 = 150
    # fairness   = -5 * ((60+120)/60)^2 - 5 * (90/60)^2    = -45 - 11.25 = -56.25
    # total      = 4000 + 40 - 20 + 50 + 100 + 150 - 56.25 = 4263.75
    assert objective.terms == {
        "coverage": 4000.0,
        "skill": 40.0,
        "distance": -20.0,
        "preference": 50.0,
        "continuity": 100.0,
        "incentive": 150.0,
        "fairness": -56.25,
    }
    assert objective.total == 4263.75


def test_fairness_of_unassigned_people_is_a_constant_still_counted() -> None:
    problem = _objective_case()
    empty = compute_objective(problem, [])
    # -5 * (60/60)^2 - 5 * (90/60)^2 = -5 - 11.25
    assert empty.terms["fairness"] == -16.25
    assert empty.total == -16.25
    assigned = compute_objective(problem, [assign("p1", "s1/vol")])
    # Only p1's part moves: -45 instead of -5; p2 still adds -11.25.
    assert assigned.terms["fairness"] - empty.terms["fairness"] == -40.0


def test_incentive_caps_points_and_floors_the_level() -> None:
    shift = make_shift("s1", start=at(0, 9), end=at(0, 10, 30), location=None)  # 1.5 hours
    people = [make_person("rich", points=1500), make_person("odd", points=333)]
    weights = Weights(incentive=-2, fairness=0, coverage=0)
    problem = make_problem(people, [shift], weights=weights)
    # rich: -2 * floor(100 * min(1500, 1000) / 1000) * 1.5 = -2 * 100 * 1.5 = -300
    assert compute_objective(problem, [assign("rich", "s1/vol")]).terms["incentive"] == -300.0
    # odd: -2 * floor(100 * 333 / 1000) * 1.5 = -2 * 33 * 1.5 = -99
    assert compute_objective(problem, [assign("odd", "s1/vol")]).terms["incentive"] == -99.0


def test_decimal_weights_are_exact() -> None:
    # fairness 0.1 on 70 recent minutes: -0.1 * (70/60)^2 = -49/360, exactly.
    problem = make_problem(
        [make_person("p1", recent_minutes=70)], [], weights=Weights(fairness=0.1)
    )
    objective = compute_objective(problem, [])
    assert objective.terms["fairness"] == -49 / 360
    assert (objective.total * 36000).is_integer()  # a multiple of 1/36000, as promised


def test_distance_is_exact_in_tenths() -> None:
    # 0.3 km: -10 * 0.3 must be exactly -3, not -3.0000000000000004.
    shift = make_shift(location=Location(HERE.lat + 0.3 / 111.19492664455873, HERE.lon))
    problem = make_problem([make_person("p1")], [shift], weights=Weights(fairness=0))
    objective = compute_objective(problem, [assign("p1", "s1/vol")])
    assert objective.terms["distance"] == -3.0
    assert objective.total == 4000 - 3  # coverage 1000 * 2^(3-1) plus distance


def test_missing_location_means_no_distance_term() -> None:
    problem = make_problem([make_person("p1", location=None)], [make_shift()])
    assert compute_objective(problem, [assign("p1", "s1/vol")]).terms["distance"] == 0.0


# --- fairness summary ---


def test_gini_and_jain_by_hand() -> None:
    # minutes [0, 120]: Gini = mean |xi - xj| / (2 * mean) = (2 * 120 / 4) / (2 * 60) = 0.5;
    # Jain = 120^2 / (2 * 120^2) = 0.5.
    assert gini([0, 120]) == 0.5
    assert jain([0, 120]) == 0.5
    assert (gini([60, 60, 60]), jain([60, 60, 60])) == (0.0, 1.0)
    assert (gini([0, 0]), jain([0, 0])) == (0.0, 1.0)  # all zero: equal by definition
    assert (gini([]), jain([])) == (0.0, 1.0)


def test_fairness_summary_over_available_people() -> None:
    problem = _objective_case()
    summary = fairness_summary(problem, [assign("p1", "s1/vol")], {"p1", "p2"})
    assert summary.people_assigned == 1
    assert summary.people_available == 2
    assert (summary.gini_minutes, summary.jain_minutes) == (0.5, 0.5)


# --- the whole solution file ---


def _solved() -> tuple[Problem, Solution]:
    people = [make_person("p1"), make_person("p2", role="social_worker")]
    shifts = [
        make_shift("s1", positions=(make_position("s1/vol", count=2),)),
        make_shift(
            "s2", start=at(1, 9), positions=(make_position("s2/lead", role="social_worker"),)
        ),
    ]
    problem = make_problem(people, shifts)
    stats = Stats("test", "FEASIBLE", 9000.0, "test", None, 0.0)
    return problem, build_solution(problem, [assign("p1", "s1/vol")], stats)


def test_built_solution_is_valid() -> None:
    problem, solution = _solved()
    assert validate_solution(problem, solution) == []
    assert [(u.position_id, u.reason) for u in solution.unfilled] == [
        ("s1/vol", "objective"),
        ("s2/lead", "objective"),
    ]


def test_wrong_objective_is_caught() -> None:
    problem, solution = _solved()
    wrong = dataclasses.replace(
        solution,
        objective=dataclasses.replace(solution.objective, total=solution.objective.total + 1e-3),
    )
    assert any(e.startswith("objective.total") for e in validate_solution(problem, wrong))
    terms = {**solution.objective.terms, "skill": 1.0}
    wrong = dataclasses.replace(
        solution, objective=dataclasses.replace(solution.objective, terms=terms)
    )
    assert any(e.startswith("objective.terms.skill") for e in validate_solution(problem, wrong))


def test_gap_and_bound_are_checked() -> None:
    problem, solution = _solved()
    total = solution.objective.total
    bad_gap = dataclasses.replace(solution, stats=dataclasses.replace(solution.stats, gap=0.5))
    assert any(e.startswith("stats.gap") for e in validate_solution(problem, bad_gap))
    low = dataclasses.replace(
        solution, stats=dataclasses.replace(solution.stats, bound=total - 1, gap=-1 / max(1, total))
    )
    assert any("not an upper bound" in e for e in validate_solution(problem, low))
    no_bound = dataclasses.replace(
        solution, stats=dataclasses.replace(solution.stats, bound=None, gap=0.0)
    )
    assert any("stats.bound is null" in e for e in validate_solution(problem, no_bound))


def test_unfilled_entries_are_checked() -> None:
    problem, solution = _solved()
    first, second = solution.unfilled
    cases = {
        "not listed": (second,),
        "listed 2 times": (first, first, second),
        "missing 2 != 1": (dataclasses.replace(first, missing=2), second),
        "funnel": (dataclasses.replace(first, funnel={**first.funnel, "free": 7}), second),
        "reason 'min_count' != 'objective'": (
            first,
            dataclasses.replace(second, reason="min_count"),
        ),
    }
    for expected, unfilled in cases.items():
        errors = validate_solution(problem, dataclasses.replace(solution, unfilled=unfilled))
        assert any(expected in e for e in errors), (expected, errors)


def test_full_position_must_not_be_listed() -> None:
    problem, solution = _solved()
    full = make_problem(problem.people, problem.shifts[:1])
    stats = Stats("test", "FEASIBLE", None, None, None, 0.0)
    both = build_solution(full, [assign("p1", "s1/vol"), assign("p2", "s1/vol")], stats)
    assert validate_solution(full, both) == []
    listed = dataclasses.replace(both, unfilled=solution.unfilled[:1])
    assert any("is full but listed" in e for e in validate_solution(full, listed))


def test_assignments_at_other_offsets_compare_as_instants() -> None:
    # A shift given in UTC and one in +08:00 that touch: allowed at the same place.
    first = make_shift("s1", start=at(0, 14), end=at(0, 16))
    second = make_shift("s2", start=datetime.fromisoformat("2026-11-30T08:00:00+00:00"))
    problem = make_problem([make_person("p1")], [first, second])
    assert second.start == at(0, 16) and second.end - second.start == timedelta(hours=2)
    assert check_assignments(problem, BOTH) == []


def test_version_and_people_assigned_are_checked() -> None:
    problem, solution = _solved()
    assert any(
        e.startswith("version")
        for e in validate_solution(problem, dataclasses.replace(solution, version=2))
    )
    fairness = dataclasses.replace(solution.fairness, people_assigned=5)
    wrong = dataclasses.replace(solution, fairness=fairness)
    assert any(e.startswith("fairness.people_assigned") for e in validate_solution(problem, wrong))

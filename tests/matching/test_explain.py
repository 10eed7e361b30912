"""Why positions stay unfilled: each funnel stage can be the first to reach zero; min_count and
objective reasons; the built solution passes the validator."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from matching.domain import Assignment, Location, Person, Problem, Shift, Stats
from matching.eligibility import compute_eligibility
from matching.explain import build_solution, explain_unfilled, people_with_eligible_position
from matching.generate import generate_custom
from matching.validation import check_assignments, validate_solution
from tests.builders import HERE, assign, at, make_person, make_position, make_problem, make_shift

FAR = Location(HERE.lat + 0.1, HERE.lon)  # about 11 km north


def _shift(**overrides: Any) -> Shift:
    """A demanding shift: volunteer with care >= 2, background check, Cantonese."""
    position = make_position("s1/vol", role="volunteer", skills={"care": 2})
    values: dict[str, Any] = {
        "requires_background_check": True,
        "language": "yue",
        "positions": (position,),
    }
    values.update(overrides)
    return make_shift("s1", **values)


def _good(id: str = "p1", **overrides: Any) -> Person:
    values: dict[str, Any] = {"skills": {"care": 3}, "max_travel_km": 5}
    values.update(overrides)
    return make_person(id, **values)


@pytest.mark.parametrize(
    ("person", "stage"),
    [
        (_good(role="social_worker"), "role"),
        (_good(skills={"care": 1}), "skills"),
        (_good(availability=((at(0, 15), at(0, 20)),)), "availability"),
        (_good(background_checked=False), "background_check"),
        (_good(languages=("cmn",)), "language"),
        (_good(location=FAR), "distance"),
    ],
)
def test_each_rule_stage_can_be_the_first_zero(person: Person, stage: str) -> None:
    (unfilled,) = explain_unfilled(make_problem([person], [_shift()]), [])
    assert unfilled.reason == stage
    assert unfilled.missing == 1
    stages = list(unfilled.funnel)
    first_zero = stages.index(stage)
    assert all(unfilled.funnel[s] == 1 for s in stages[:first_zero])
    assert all(unfilled.funnel[s] == 0 for s in stages[first_zero:])


def test_not_forbidden_stage() -> None:
    problem = make_problem([_good()], [_shift()], forbidden=(("p1", "s1"),))
    (unfilled,) = explain_unfilled(problem, [])
    assert unfilled.reason == "not_forbidden"
    assert unfilled.funnel["distance"] == 1 and unfilled.funnel["not_forbidden"] == 0


def test_free_stage_when_the_only_candidate_is_busy_elsewhere() -> None:
    busy = make_shift("s0", start=at(0, 13), end=at(0, 15))  # overlaps s1 (14:00-16:00)
    problem = make_problem([_good()], [busy, _shift()])
    (unfilled,) = explain_unfilled(problem, [assign("p1", "s0/vol")])
    assert unfilled.position_id == "s1/vol"
    assert unfilled.funnel["not_forbidden"] == 1
    assert unfilled.funnel["free"] == 0
    assert unfilled.reason == "free"


def test_free_counts_the_travel_buffer() -> None:
    before = make_shift("s0", start=at(0, 12), end=at(0, 14), location=FAR)  # touches s1
    problem = make_problem([_good(max_travel_km=None)], [before, _shift()])
    (unfilled,) = explain_unfilled(problem, [assign("p1", "s0/vol")])
    assert unfilled.reason == "free"
    same_place = make_shift("s0", start=at(0, 12), end=at(0, 14))
    problem = make_problem([_good()], [same_place, _shift()])
    (unfilled,) = explain_unfilled(problem, [assign("p1", "s0/vol")])
    assert unfilled.reason == "objective"


def test_free_excludes_people_already_on_the_shift() -> None:
    shift = _shift(
        positions=(
            make_position("s1/a", role="volunteer"),
            make_position("s1/b", role="volunteer"),
        )
    )
    problem = make_problem([_good()], [shift])
    (unfilled,) = explain_unfilled(problem, [assign("p1", "s1/a")])
    assert (unfilled.position_id, unfilled.reason) == ("s1/b", "free")


@pytest.mark.parametrize(
    "limits",
    [
        {"max_minutes": 150},  # 120 held + 120 more > 150
        {"max_shifts_per_day": 1},  # both shifts start on Monday
    ],
)
def test_free_respects_workload_limits(limits: dict[str, int]) -> None:
    morning = make_shift("s0", start=at(0, 9), end=at(0, 11))
    problem = make_problem([_good(**limits)], [morning, _shift()])
    (unfilled,) = explain_unfilled(problem, [assign("p1", "s0/vol")])
    assert unfilled.reason == "free"


def test_min_count_when_free_people_cannot_reach_it() -> None:
    shift = _shift(positions=(make_position("s1/vol", role="volunteer", count=3, min_count=2),))
    problem = make_problem([_good()], [shift])
    (unfilled,) = explain_unfilled(problem, [])
    assert (unfilled.missing, unfilled.funnel["free"], unfilled.reason) == (3, 1, "min_count")


def test_objective_when_free_people_exist() -> None:
    shift = _shift(positions=(make_position("s1/vol", role="volunteer", count=3, min_count=2),))
    people = [_good("p1"), _good("p2"), _good("p3")]
    problem = make_problem(people, [shift])
    (unfilled,) = explain_unfilled(problem, [])
    assert (unfilled.funnel["free"], unfilled.reason) == (3, "objective")
    # Partly filled (already at min_count): one free person left, the seat is a choice.
    (unfilled,) = explain_unfilled(problem, [assign("p1", "s1/vol"), assign("p2", "s1/vol")])
    assert (unfilled.missing, unfilled.funnel["free"], unfilled.reason) == (1, 1, "objective")


def test_full_positions_are_not_listed() -> None:
    problem = make_problem([_good()], [_shift()])
    assert explain_unfilled(problem, [assign("p1", "s1/vol")]) == ()


def test_people_with_eligible_position() -> None:
    people = [_good("p1"), _good("p2", languages=("cmn",))]
    problem = make_problem(people, [_shift()])
    assert people_with_eligible_position(problem, compute_eligibility(problem)) == {"p1"}


def test_build_solution_sorts_and_fills_the_gap() -> None:
    people = [_good("p1"), _good("p2")]
    shift = _shift(positions=(make_position("s1/vol", role="volunteer", count=2),))
    problem = make_problem(people, [shift])
    stats = Stats("test", "OPTIMAL", 10_000.0, "test", None, 0.1)
    solution = build_solution(problem, [assign("p2", "s1/vol"), assign("p1", "s1/vol")], stats)
    assert [a.person_id for a in solution.assignments] == ["p1", "p2"]
    total = solution.objective.total
    assert solution.stats.gap == pytest.approx((10_000.0 - total) / 10_000.0)
    assert solution.unfilled == ()
    assert solution.fairness.people_assigned == 2
    assert validate_solution(problem, solution) == []


def _greedy(problem: Problem) -> list[Assignment]:
    """A simple feasible solution: fixed pairs, then candidates in order while rules hold."""
    eligibility = compute_eligibility(problem)
    chosen = [
        Assignment(f.person_id, f.position_id, eligibility.shift_of(f.position_id).id)
        for f in problem.fixed
    ]
    for shift in problem.shifts:
        for q in shift.positions:
            for pid in eligibility.candidates[q.id]:
                if sum(1 for a in chosen if a.position_id == q.id) >= q.count:
                    break
                trial = [*chosen, Assignment(pid, q.id, shift.id)]
                if not any(not e.startswith("rule 11") for e in check_assignments(problem, trial)):
                    chosen = trial
    mins = {q.id: q.min_count for s in problem.shifts for q in s.positions}
    filled = Counter(a.position_id for a in chosen)
    return [a for a in chosen if filled[a.position_id] >= mins[a.position_id]]


def test_built_solution_of_a_generated_problem_passes_the_validator() -> None:
    problem = generate_custom(150, 40, seed=2)
    assignments = _greedy(problem)
    assert check_assignments(problem, assignments) == []
    stats = Stats("greedy", "FEASIBLE", None, None, None, 0.0)
    solution = build_solution(problem, assignments, stats)
    # The validator recomputes every funnel plainly: explain.py must agree with it.
    assert validate_solution(problem, solution) == []
    reasons = Counter(u.reason for u in solution.unfilled)
    assert sum(reasons.values()) == len(solution.unfilled) > 0

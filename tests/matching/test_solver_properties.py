"""Property tests: valid solutions, brute-force optimality on tiny problems, bound and greedy."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import HealthCheck, assume, given, settings

from matching.domain import Assignment, Problem
from matching.solver import InfeasibleProblem, solve
from matching.validation import check_assignments, compute_objective, validate_solution
from tests.matching.conftest import deterministic_config
from tests.strategies import small_problems

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def eligible_pairs(problem: Problem) -> list[Assignment]:
    """Pairs that pass rules 1-7 (and are not fixed-dependent), judged by the validator alone."""
    return [
        Assignment(p.id, q.id, s.id)
        for p in problem.people
        for s in problem.shifts
        for q in s.positions
        if not check_assignments(problem, [Assignment(p.id, q.id, s.id)])
        or _only_min_count(problem, Assignment(p.id, q.id, s.id))
    ]


def _only_min_count(problem: Problem, pair: Assignment) -> bool:
    """A single pair may fail rule 11's min_count alone; it is still an eligible pair."""
    errors = check_assignments(problem, [pair])
    return all("min_count" in e for e in errors)


def brute_force_optimum(problem: Problem, pairs: list[Assignment]) -> float | None:
    """The best objective over every feasible subset of `pairs` (None if none is feasible)."""
    best = None
    for size in range(len(pairs) + 1):
        for subset in combinations(pairs, size):
            if not check_assignments(problem, list(subset)):
                total = compute_objective(problem, list(subset)).total
                best = total if best is None else max(best, total)
    return best


@SETTINGS
@given(small_problems())
def test_every_solution_passes_the_validator(problem: Problem) -> None:
    for solver in ("greedy", "cp-sat"):
        solution = solve(problem, deterministic_config(solver))
        assert validate_solution(problem, solution) == []
        assert (
            solution.stats.bound is None or solution.stats.bound >= solution.objective.total - 1e-6
        )


@SETTINGS
@given(small_problems(max_people=3, max_shifts=3))
def test_cp_sat_matches_brute_force_on_tiny_problems(problem: Problem) -> None:
    pairs = eligible_pairs(problem)
    assume(len(pairs) <= 10)
    best = brute_force_optimum(problem, pairs)
    assert best is not None  # the empty solution is feasible without fixed pairs
    solution = solve(problem, deterministic_config("cp-sat"))
    assert solution.objective.total == pytest.approx(best, abs=1e-6)
    assert solution.stats.status == "OPTIMAL"
    flow_bound = solve(problem, deterministic_config("greedy")).stats.bound
    assert flow_bound is None or flow_bound >= best - 1e-6


@SETTINGS
@given(small_problems())
def test_cp_sat_never_below_greedy_and_bound_holds(problem: Problem) -> None:
    greedy = solve(problem, deterministic_config("greedy"))
    cp_sat = solve(problem, deterministic_config("cp-sat"))
    assert cp_sat.objective.total >= greedy.objective.total - 1e-6
    for solution in (greedy, cp_sat):
        bound = solution.stats.bound
        # Without a flow bound (negative fairness weight) only CP-SAT's own bound remains.
        assert bound is not None or problem.weights.fairness < 0
        assert bound is None or bound >= cp_sat.objective.total - 1e-6


@settings(max_examples=20, deadline=None)
@given(small_problems(max_people=3, max_shifts=2))
def test_fixed_pairs_are_kept_or_reported_infeasible(problem: Problem) -> None:
    pairs = eligible_pairs(problem)
    assume(pairs)
    fixed = pairs[0]
    from dataclasses import replace

    from matching.domain import PersonPosition

    problem = replace(problem, fixed=(PersonPosition(fixed.person_id, fixed.position_id),))
    feasible = brute_force_optimum(problem, pairs) if len(pairs) <= 10 else None
    try:
        solution = solve(problem, deterministic_config("cp-sat"))
    except InfeasibleProblem:
        assert feasible is None
        return
    assert fixed in solution.assignments
    assert validate_solution(problem, solution) == []


def test_pruned_and_split_solve_stays_valid_with_a_true_bound() -> None:
    from matching.generate import generate_problem
    from matching.validation import compute_objective

    problem = generate_problem("S", seed=1)
    config = deterministic_config(
        "cp-sat", prune_above_pairs=0, candidates_per_position=2, time_limit_s=3.0
    )
    solution = solve(problem, config)
    assert validate_solution(problem, solution) == []
    extra = solution.stats.extra
    assert extra["pruned"] is True
    assert extra["pairs_kept"] < extra["pairs_eligible"]
    assert solution.stats.bound is not None
    assert solution.stats.bound >= compute_objective(problem, solution.assignments).total
    greedy = solve(problem, deterministic_config("greedy"))
    assert solution.objective.total >= greedy.objective.total - 1e-6


def test_independent_clusters_are_separate_components() -> None:
    from tests.builders import at, make_person, make_problem, make_shift

    crowd = [
        make_person("a", availability=((at(0, 8), at(0, 18)),)),
        make_person("b", availability=((at(2, 8), at(2, 18)),)),
    ]
    work = [make_shift("s1", start=at(0, 9)), make_shift("s2", start=at(2, 9))]
    solution = solve(make_problem(crowd, work), deterministic_config("cp-sat"))
    assert solution.stats.extra["components"] == 2
    assert solution.stats.status == "OPTIMAL"
    assert len(solution.assignments) == 2


def test_day_by_day_improvement_stays_valid() -> None:
    from matching.generate import generate_problem

    problem = generate_problem("S", seed=2)
    config = deterministic_config("cp-sat", lns_above_pairs=0, time_limit_s=3.0)
    solution = solve(problem, config)
    assert validate_solution(problem, solution) == []
    assert solution.stats.extra["day_neighbourhoods_solved"] > 0
    greedy = solve(problem, deterministic_config("greedy"))
    assert solution.objective.total >= greedy.objective.total - 1e-6


@SETTINGS
@given(small_problems())
def test_day_by_day_improvement_on_random_problems(problem: Problem) -> None:
    solution = solve(problem, deterministic_config("cp-sat", lns_above_pairs=0))
    assert validate_solution(problem, solution) == []


def test_day_split_into_small_neighbourhoods_stays_valid() -> None:
    from matching.generate import generate_problem

    problem = generate_problem("S", seed=2)
    config = deterministic_config("cp-sat", lns_above_pairs=0, lns_part_pairs=20, time_limit_s=3.0)
    solution = solve(problem, config)
    assert validate_solution(problem, solution) == []
    # Far more neighbourhoods than the seven days of the week.
    assert solution.stats.extra["day_neighbourhoods_solved"] > 7
    greedy = solve(problem, deterministic_config("greedy"))
    assert solution.objective.total >= greedy.objective.total - 1e-6


@SETTINGS
@given(small_problems())
def test_small_neighbourhoods_on_random_problems(problem: Problem) -> None:
    config = deterministic_config("cp-sat", lns_above_pairs=0, lns_part_pairs=1)
    solution = solve(problem, config)
    assert validate_solution(problem, solution) == []


def test_time_limit_covers_the_explanation() -> None:
    from matching.generate import generate_problem

    problem = generate_problem("S", seed=1)
    solution = solve(problem, deterministic_config("cp-sat", time_limit_s=1.0))
    assert solution.stats.wall_seconds < 1.0 + 0.3  # CP-SAT may overrun its limit slightly


def test_week_model_over_narrow_pairs_stays_valid() -> None:
    from matching.generate import generate_problem

    problem = generate_problem("S", seed=2)
    config = deterministic_config("cp-sat", lns_above_pairs=0, week_candidates=2, time_limit_s=3.0)
    solution = solve(problem, config)
    assert validate_solution(problem, solution) == []
    extra = solution.stats.extra
    assert 0 < extra["week_model_pairs"] < extra["pairs_kept"]
    greedy = solve(problem, deterministic_config("greedy"))
    assert solution.objective.total >= greedy.objective.total - 1e-6


def test_week_model_can_be_turned_off() -> None:
    from matching.generate import generate_problem

    problem = generate_problem("S", seed=2)
    config = deterministic_config("cp-sat", lns_above_pairs=0, week_candidates=0, time_limit_s=3.0)
    solution = solve(problem, config)
    assert "week_model_pairs" not in solution.stats.extra
    assert solution.stats.extra["day_neighbourhoods_solved"] > 0


@SETTINGS
@given(small_problems())
def test_week_model_on_random_problems(problem: Problem) -> None:
    config = deterministic_config("cp-sat", lns_above_pairs=0, week_candidates=1)
    solution = solve(problem, config)
    assert validate_solution(problem, solution) == []

"""The greedy baseline: priority order, marginal scores, min_count, and a valid generated run."""

from __future__ import annotations

from matching.generate import generate_problem
from tests.builders import at, make_person, make_position, make_problem, make_shift
from tests.matching.conftest import solve_valid


def test_greedy_serves_the_urgent_shift_first() -> None:
    urgent = make_shift("s1", priority=5)
    routine = make_shift("s2", priority=1)
    solution = solve_valid(make_problem([make_person()], [routine, urgent]), "greedy")
    assert solution.objective.terms["coverage"] == 16000


def test_greedy_leaves_a_min_count_group_empty_when_it_cannot_complete_it() -> None:
    event = make_shift("s1", positions=(make_position("s1/vol", count=5, min_count=3),))
    crowd = [make_person(f"p{k}") for k in range(2)]
    solution = solve_valid(make_problem(crowd, [event]), "greedy")
    assert solution.assignments == ()


def test_greedy_is_myopic_and_cp_sat_is_not() -> None:
    # The greedy gives the versatile person (who likes visits) the urgent visit that the
    # other person could take, then nobody skilled is left for the tutoring; CP-SAT staffs both.
    urgent = make_shift("s1", priority=5, positions=(make_position("s1/vol"),))
    other = make_shift(
        "s2",
        start=at(0, 14),
        priority=4,
        kind="tutoring",
        positions=(make_position("s2/vol", skills={"care": 3}),),
    )
    versatile = make_person("versatile", skills={"care": 5}, preferred_kinds=("elderly_visit",))
    specialist = make_person("specialist", availability=((at(0, 14), at(0, 16)),))
    problem = make_problem([versatile, specialist], [urgent, other])
    greedy = solve_valid(problem, "greedy")
    cp_sat = solve_valid(problem, "cp-sat")
    assert len(greedy.assignments) == 1
    assert len(cp_sat.assignments) == 2
    assert cp_sat.objective.total > greedy.objective.total


def test_greedy_reports_the_flow_bound_and_a_gap() -> None:
    problem = generate_problem("S", seed=0)
    solution = solve_valid(problem, "greedy")
    assert solution.stats.solver == "greedy"
    # The smaller of the flow bound and the Lagrangian bound started from its prices.
    assert solution.stats.bound_source in ("flow-relaxation", "lagrangian")
    assert solution.stats.bound is not None
    assert solution.stats.bound <= solution.stats.extra["flow_bound"]
    assert solution.stats.bound >= solution.objective.total

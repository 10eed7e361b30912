"""Linkage's re-planning extension: incumbent pairs and the stability weight."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matching.domain import TERM_NAMES, PersonPosition, Weights
from matching.io import ProblemFormatError, load_problem, problem_to_dict
from matching.validation import compute_objective
from tests.builders import assign, make_person, make_problem, make_shift


def _problem(**weights):
    people = [make_person("p1"), make_person("p2")]
    problem = make_problem(people, [make_shift("s1")], weights=Weights(**weights))
    return replace(problem, incumbents=(PersonPosition("p1", "s1/vol"),))


def test_spec_problems_keep_the_seven_terms():
    plain = make_problem([make_person("p1")], [make_shift("s1")])
    assert tuple(compute_objective(plain, [assign("p1", "s1/vol")]).terms) == TERM_NAMES
    assert "incumbents" not in problem_to_dict(plain)
    assert "stability" not in problem_to_dict(plain)["weights"]


def test_keeping_the_incumbent_earns_the_stability_weight():
    problem = _problem(stability=300)
    kept = compute_objective(problem, [assign("p1", "s1/vol")])
    moved = compute_objective(problem, [assign("p2", "s1/vol")])
    # By hand: both seats earn the same coverage and fairness; only p1 keeps the incumbent pair.
    assert kept.terms["stability"] == 300 and moved.terms["stability"] == 0
    assert kept.total - moved.total == pytest.approx(300)


def test_incumbents_round_trip_through_the_file():
    problem = _problem(stability=300)
    data = problem_to_dict(problem)
    assert data["incumbents"] == [{"person_id": "p1", "position_id": "s1/vol"}]
    assert load_problem(data) == problem


def test_incumbents_must_name_known_people_and_positions():
    data = problem_to_dict(_problem(stability=1))
    data["incumbents"].append({"person_id": "ghost", "position_id": "s1/vol"})
    with pytest.raises(ProblemFormatError, match="incumbents"):
        load_problem(data)


@pytest.mark.parametrize("solver", ["cp-sat", "greedy"])
def test_solvers_keep_the_incumbent_when_nothing_else_differs(solver):
    from matching.solver import SolverConfig, solve
    from matching.validation import validate_solution

    problem = replace(_problem(stability=300), incumbents=(PersonPosition("p2", "s1/vol"),))
    solution = solve(problem, SolverConfig(solver=solver, workers=1, time_limit_s=5))
    assert validate_solution(problem, solution) == []
    assert [a.person_id for a in solution.assignments] == ["p2"]
    assert solution.objective.terms["stability"] == 300
    assert solution.stats.bound is None or solution.stats.bound >= solution.objective.total - 1e-6


def test_stability_does_not_outweigh_a_more_urgent_seat():
    from matching.solver import SolverConfig, solve

    # p1 holds an offer on a priority-1 seat; a priority-5 seat at the same time needs someone.
    # Moving p1 there gains 1000 * (16 - 1) = 15000 > 300 of stability: p1 moves if alone.
    routine = make_shift("s1", priority=1)
    urgent = make_shift("s2", priority=5)
    problem = make_problem([make_person("p1")], [routine, urgent], weights=Weights(stability=300))
    problem = replace(problem, incumbents=(PersonPosition("p1", "s1/vol"),))
    solution = solve(problem, SolverConfig(workers=1, time_limit_s=5))
    assert [a.position_id for a in solution.assignments] == ["s2/vol"]

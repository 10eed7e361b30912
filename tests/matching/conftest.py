"""Fixtures for solver tests: a deterministic config and a solve-then-validate helper."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from matching.domain import Problem, Solution
from matching.solver import SolverConfig, solve
from matching.validation import validate_solution

SOLVERS = ("greedy", "cp-sat")


def deterministic_config(solver: str = "cp-sat", **overrides: object) -> SolverConfig:
    """One worker and a fixed seed; CP-SAT runs even where the warm start meets the bound."""
    values: dict[str, object] = {
        "solver": solver,
        "workers": 1,
        "seed": 0,
        "time_limit_s": 10.0,
        "skip_proven_components": False,
    }
    values.update(overrides)
    return SolverConfig(**values)  # type: ignore[arg-type]


def solve_valid(problem: Problem, solver: str = "cp-sat", **overrides: object) -> Solution:
    """Solve and assert the solution passes the solver-independent validator."""
    solution = solve(problem, deterministic_config(solver, **overrides))
    assert validate_solution(problem, solution) == []
    return solution


@pytest.fixture(params=SOLVERS)
def solver_name(request: pytest.FixtureRequest) -> str:
    """Each solver in turn."""
    return request.param


@pytest.fixture
def solved(solver_name: str) -> Callable[[Problem], Solution]:
    """Solve with the current solver and validate the result."""
    return lambda problem: solve_valid(problem, solver_name)


@pytest.fixture
def solved_cp_sat() -> Callable[[Problem], Solution]:
    """Solve with CP-SAT (deterministic) and validate the result."""
    return lambda problem: solve_valid(problem, "cp-sat")

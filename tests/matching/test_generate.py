"""Generated problems: deterministic per seed, of the named sizes, valid problem files."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from matching.domain import Assignment, Problem
from matching.eligibility import compute_eligibility
from matching.generate import SIZES, generate_custom, generate_problem, main
from matching.io import load_problem, problem_to_dict
from matching.validation import check_assignments


def test_same_seed_same_problem() -> None:
    assert generate_problem("S", seed=7) == generate_problem("S", seed=7)
    assert generate_problem("S", seed=7) != generate_problem("S", seed=8)


@pytest.mark.parametrize("size", ["S", "M"])
def test_sizes(size: str) -> None:
    problem = generate_problem(size, seed=1)
    assert (len(problem.people), len(problem.shifts)) == SIZES[size]


def test_large_size_is_declared() -> None:
    assert SIZES["L"] == (30_000, 8_000)


def test_generated_problem_is_a_valid_problem_file() -> None:
    problem = generate_problem("S", seed=4)
    data = problem_to_dict(problem)
    assert load_problem(json.loads(json.dumps(data))) == problem


def test_week_start_moves_the_horizon() -> None:
    problem = generate_problem("S", seed=1, week_start=date(2027, 1, 4))
    assert problem.horizon_start.date() == date(2027, 1, 4)
    assert all(problem.horizon_start <= s.start < problem.horizon_end for s in problem.shifts)


def _mix(problem: Problem) -> tuple[Counter[str], Counter[str]]:
    roles = Counter(p.role for p in problem.people)
    kinds = Counter(s.kind for s in problem.shifts)
    return roles, kinds


def test_realistic_mix() -> None:
    problem = generate_problem("M", seed=2)
    roles, kinds = _mix(problem)
    n = len(problem.people)
    assert 0.06 < roles["social_worker"] / n < 0.14
    assert 0.6 < roles["volunteer"] / n < 0.8
    assert 0.15 < roles["resident_activist"] / n < 0.25
    assert {"elderly_visit", "tutoring", "legal_desk", "counseling_desk", "it_help"} <= set(kinds)
    visits = [s for s in problem.shifts if s.kind == "elderly_visit"]
    assert all(s.requires_background_check and s.language == "yue" for s in visits)
    assert all(
        [(q.role, q.count, q.min_count) for q in s.positions]
        == [("social_worker", 1, 1), ("volunteer", 2, 2)]
        for s in visits
    )
    events = [s for s in problem.shifts if any(q.count >= 10 for q in s.positions)]
    assert events
    assert {s.priority for s in problem.shifts} == {1, 2, 3, 4, 5}
    assert problem.history and problem.forbidden and problem.fixed
    assert all(abs(p.location.lat - 23.13) < 0.2 for p in problem.people if p.location)
    speakers = Counter(code for p in problem.people for code in p.languages)
    assert speakers["yue"] > 0.4 * n and speakers["cmn"] > 0.6 * n


def test_some_positions_are_hard_to_fill() -> None:
    problem = generate_problem("M", seed=3)
    eligibility = compute_eligibility(problem)
    empty = [q for q, ids in eligibility.candidates.items() if not ids]
    short = [
        q.id
        for s in problem.shifts
        for q in s.positions
        if 0 < len(eligibility.candidates[q.id]) < q.count
    ]
    assert empty and short


def test_fixed_pairs_are_feasible_together() -> None:
    problem = generate_custom(1_000, 300, seed=5)
    positions = {q.id: s.id for s in problem.shifts for q in s.positions}
    fixed = [
        Assignment(f.person_id, f.position_id, positions[f.position_id]) for f in problem.fixed
    ]
    assert fixed
    assert check_assignments(problem, fixed) == []


def test_command_line_writes_a_problem_file(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    assert main(["--size", "S", "--seed", "1", "-o", str(out)]) == 0
    assert load_problem(out) == generate_problem("S", seed=1)
    custom = tmp_path / "c.json"
    assert main(["--people", "50", "--shifts", "10", "--seed", "2", "-o", str(custom)]) == 0
    assert len(load_problem(custom).shifts) == 10

"""`linkage solve`: files and stdin/stdout, progress on stderr, clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli.solve import EXIT_BAD_FILE, EXIT_INFEASIBLE, solve
from matching.io import load_problem, solution_from_dict
from matching.validation import validate_solution
from tests.builders import minimal_problem_dict

ARGS = ["--time-limit", "5", "--workers", "1"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def problem_file(tmp_path: Path) -> Path:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(minimal_problem_dict()), encoding="utf-8")
    return path


@pytest.mark.parametrize("solver", ["cp-sat", "greedy"])
def test_solves_a_file_into_a_file(
    runner: CliRunner, problem_file: Path, tmp_path: Path, solver: str
) -> None:
    out = tmp_path / "solution.json"
    result = runner.invoke(solve, [str(problem_file), "-o", str(out), "--solver", solver, *ARGS])
    assert result.exit_code == 0, result.output
    solution = solution_from_dict(json.loads(out.read_text(encoding="utf-8")))
    assert solution.stats.solver == solver
    assert validate_solution(load_problem(problem_file), solution) == []
    assert "objective" in result.stderr


def test_stdin_to_stdout(runner: CliRunner) -> None:
    result = runner.invoke(solve, ["--quiet", *ARGS], input=json.dumps(minimal_problem_dict()))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["assignments"] == [{"person_id": "p1", "position_id": "s1/vol", "shift_id": "s1"}]
    assert result.stderr == ""


def test_dash_means_stdin(runner: CliRunner) -> None:
    result = runner.invoke(solve, ["-", "-o", "-", *ARGS], input=json.dumps(minimal_problem_dict()))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["version"] == 1


def test_progress_line_shows_objective_bound_and_gap(runner: CliRunner, problem_file: Path) -> None:
    result = runner.invoke(solve, [str(problem_file), *ARGS])
    assert result.exit_code == 0
    assert "\r[" in result.stderr
    assert "bound" in result.stderr and "gap" in result.stderr


def test_bad_file_names_the_problem_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    data = minimal_problem_dict()
    data["shifts"][0]["positions"][0]["min_count"] = 5  # above count
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(solve, [str(path)])
    assert result.exit_code == EXIT_BAD_FILE
    assert "broken.json is not a valid problem file" in result.stderr
    assert "min_count" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_not_json_and_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(solve, ["-"], input="{not json")
    assert result.exit_code == EXIT_BAD_FILE
    assert "<stdin> is not a valid problem file" in result.stderr
    result = runner.invoke(solve, [str(tmp_path / "absent.json")])
    assert result.exit_code == EXIT_BAD_FILE
    assert "cannot read problem file" in result.stderr


def test_infeasible_fixed_pair_is_reported(runner: CliRunner) -> None:
    data = minimal_problem_dict()
    data["shifts"][0]["positions"][0]["role"] = "social_worker"
    data["fixed"] = [{"person_id": "p1", "position_id": "s1/vol"}]
    result = runner.invoke(solve, ["-", *ARGS], input=json.dumps(data))
    assert result.exit_code == EXIT_INFEASIBLE
    assert "no feasible solution" in result.stderr and "rule 1" in result.stderr

"""`linkage solve`: solve a problem file offline (click + matching only, no app context)."""

from __future__ import annotations

import sys
import time
from typing import IO, NoReturn

import click

from matching import solver as engine
from matching.io import ProblemFormatError, dump_json, load_problem

EXIT_BAD_FILE = 2
EXIT_INFEASIBLE = 3


class ProgressLine:
    """A single stderr line rewritten in place (\\r) at most every `every` seconds."""

    def __init__(self, stream: IO[str], every: float = 0.1) -> None:
        self.stream = stream
        self.every = every
        self.last = -1.0
        self.width = 0
        self.pending: str | None = None

    def __call__(self, objective: float, bound: float | None, elapsed: float) -> None:
        text = f"[{elapsed:7.1f}s] objective {objective:,.1f}"
        if bound is not None:
            gap = (bound - objective) / max(1.0, abs(bound))
            text += f"  bound {bound:,.1f}  gap {100 * gap:.3f}%"
        self.pending = text
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._write()

    def _write(self) -> None:
        if self.pending is None:
            return
        self.stream.write("\r" + self.pending.ljust(self.width))
        self.stream.flush()
        self.width = len(self.pending)
        self.pending = None

    def close(self) -> None:
        """Show the latest state and end the line."""
        self._write()
        if self.width:
            self.stream.write("\n")
            self.stream.flush()


def _read(problem: str) -> str:
    if problem == "-":
        return sys.stdin.read()
    with open(problem, encoding="utf-8") as fp:
        return fp.read()


@click.command("solve")
@click.argument(
    "problem", required=False, default="-", type=click.Path(dir_okay=False, allow_dash=True)
)
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Solution file ('-' for stdout).",
)
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=30.0, show_default=True)
@click.option(
    "--solver", type=click.Choice(["cp-sat", "greedy"]), default="cp-sat", show_default=True
)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress line on stderr.")
def solve(
    problem: str,
    output: str,
    time_limit: float,
    solver: str,
    workers: int,
    seed: int,
    quiet: bool,
) -> None:
    """Solve PROBLEM (a problem file, '-' or nothing for stdin) and write the solution file."""
    name = "<stdin>" if problem == "-" else problem
    try:
        parsed = load_problem(_read(problem))
    except OSError as error:
        _fail(f"cannot read problem file {name}: {error.strerror or error}", EXIT_BAD_FILE)
    except ProblemFormatError as error:
        lines = "\n".join(f"  - {e}" for e in error.errors)
        _fail(f"{name} is not a valid problem file:\n{lines}", EXIT_BAD_FILE)
    config = engine.SolverConfig(solver=solver, time_limit_s=time_limit, workers=workers, seed=seed)
    progress = None if quiet else ProgressLine(sys.stderr)
    try:
        solution = engine.solve(parsed, config, progress)
    except engine.InfeasibleProblem as error:
        _fail(f"{name} has no feasible solution: {error.reason}", EXIT_INFEASIBLE)
    finally:
        if progress is not None:
            progress.close()
    if output == "-":
        dump_json(solution, sys.stdout)
    else:
        dump_json(solution, output)
    stats = solution.stats
    gap = "n/a" if stats.gap is None else f"{100 * stats.gap:.3f}%"
    if not quiet:
        click.echo(
            f"{stats.status}: objective {solution.objective.total:,.2f}, gap {gap}, "
            f"{len(solution.assignments)} assignments, {len(solution.unfilled)} unfilled, "
            f"{stats.wall_seconds:.2f}s",
            err=True,
        )


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(code)

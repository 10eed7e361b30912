"""Probe what limits S's proof and M's gap (the measurements of docs/matching.md)."""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ortools.sat.python import cp_model  # noqa: E402

from matching import constraints, objective  # noqa: E402
from matching.candidates import PairTable, build_pair_table  # noqa: E402
from matching.eligibility import compute_eligibility  # noqa: E402
from matching.generate import generate_problem  # noqa: E402
from matching.greedy import greedy_schedule, repair  # noqa: E402
from matching.model import MatchingModel  # noqa: E402
from matching.relaxation import solve_flow  # noqa: E402
from matching.solver import SolverConfig, add_hint, build_model, solve  # noqa: E402

PORTFOLIO = ("max_lp", "default_lp")


def _table(size: str) -> PairTable:
    problem = generate_problem(size, seed=0)
    return build_pair_table(problem, compute_eligibility(problem))


def _spec(table: PairTable, value: float) -> float:
    """An engine value (1/36000 units, constant fairness excluded) in spec units."""
    return (value - table.constant_fairness()) / 36000


def _whole_solve(
    table: PairTable, hint: set[int], seconds: float, seed: int, **params: object
) -> tuple[str, float, float, float, set[int]]:
    """The whole model with `hint`: (status, wall s, objective, bound, pairs), spec units."""
    mm = build_model(table, list(range(table.pair_count)))
    add_hint(mm, hint)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = seed
    solver.parameters.subsolvers.extend(PORTFOLIO)
    for name, value in params.items():
        setattr(solver.parameters, name, value)
    status = solver.solve(mm.model)
    chosen = {i for i, var in mm.x.items() if solver.value(var)}
    return (
        solver.status_name(status),
        solver.wall_time,
        _spec(table, solver.objective_value * mm.unit),
        _spec(table, solver.best_objective_bound * mm.unit),
        chosen,
    )


def probe_hint(seeds: int) -> None:
    """S: the starts' values, and CP-SAT's proof time from the usual start against the optimum."""
    table = _table("S")
    greedy = greedy_schedule(table)
    flow = solve_flow(table)
    assert flow is not None
    start = repair(table, flow.pairs)
    status, _, best, _, optimum = _whole_solve(table, set(start.pairs), 30.0, 0)
    print("| S start | objective | below the optimum |")
    print("| --- | ---: | ---: |")
    for name, value in (("greedy", greedy.value()), ("flow, repaired", start.value())):
        spec = _spec(table, value)
        print(f"| {name} | {spec:,.1f} | {(best - spec) / best:.2%} |")
    print(f"| optimum ({status}) | {best:,.1f} | 0 |\n")
    times: dict[str, list[float]] = {"flow, repaired": [], "the optimum": []}
    for seed in range(1, seeds + 1):  # interleaved, so load changes hit both alike
        for name, hint in (("flow, repaired", set(start.pairs)), ("the optimum", optimum)):
            status, wall, *_ = _whole_solve(table, hint, 10.0, seed)
            times[name].append(wall if status == "OPTIMAL" else float("inf"))
    print(f"| S hint | CP-SAT proof s, seeds 1-{seeds} | median |")
    print("| --- | --- | ---: |")
    for name, walls in times.items():
        listed = ", ".join(f"{w:.2f}" for w in walls)
        print(f"| {name} | {listed} | {statistics.median(walls):.2f} |")
    print()


def probe_days(size: str, solve_seconds: float, day_seconds: float) -> None:
    """A day-by-day bound: each person's load priced at the marginal fairness cost of their load
    in our solution, each day a CP-SAT model; valid for any prices (weak duality)."""
    problem = generate_problem(size, seed=0)
    table = build_pair_table(problem, compute_eligibility(problem))
    solution = solve(problem, SolverConfig(time_limit_s=solve_seconds))
    pair_of = {(table.pair_person[i], table.pair_position[i]): i for i in range(table.pair_count)}
    load = [0] * len(table.people)
    for a in solution.assignments:
        i = pair_of[(table.person_index[a.person_id], table.position_index[a.position_id])]
        load[table.pair_person[i]] += table.shift_minutes[table.pair_shift[i]]
    cost = table.fairness
    # The cost's slope per minute at the person's load (the chord to a two-hour shift when
    # they hold none): any prices give a bound, these are a natural first guess.
    price = [
        cost.extra(recent, 120) // 120
        if m == 0
        else (cost.of(recent + m + 1) - cost.of(recent + m - 1)) // 2
        for m, recent in zip(load, table.person_recent, strict=True)
    ]
    bound = 0
    for p, pairs in enumerate(table.by_person):
        shifts = {table.pair_shift[i] for i in pairs}
        if not shifts:
            continue
        cap = table.people[p].max_minutes
        total = sum(table.shift_minutes[s] for s in shifts)
        loads = objective.achievable_loads(
            [table.shift_minutes[s] for s in shifts], total if cap is None else min(cap, total)
        )
        bound += max(price[p] * m - cost.extra(table.person_recent[p], m) for m in loads)
    days: dict[int, list[int]] = {}
    for i in range(table.pair_count):
        days.setdefault(table.shift_day[table.pair_shift[i]], []).append(i)
    print(
        f"{size}: our solution {solution.objective.total:,.1f} in {solve_seconds:g} s, bound "
        f"{solution.stats.bound:,.1f} ({solution.stats.bound_source})\n"
    )
    print(f"| {size} day | pairs | status | day gap | seconds |")
    print("| --- | ---: | --- | ---: | ---: |")
    took = 0.0
    for day, pairs in sorted(days.items()):
        mm = MatchingModel(table, pairs)
        constraints.add_all_rules(mm)
        minutes = [table.shift_minutes[table.pair_shift[i]] for i in pairs]
        weights = [
            table.pair_score[i] - price[table.pair_person[i]] * m
            for i, m in zip(pairs, minutes, strict=True)
        ]
        mm.model.maximize(cp_model.LinearExpr.weighted_sum([mm.x[i] for i in pairs], weights))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = day_seconds
        solver.parameters.num_workers = 2
        solver.parameters.subsolvers.extend(PORTFOLIO)
        status = solver.solve(mm.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            print(f"| {day} | {len(pairs):,} | {solver.status_name(status)} | - | - |")
            return
        took += solver.wall_time
        bound += solver.best_objective_bound
        gap = (solver.best_objective_bound - solver.objective_value) / max(
            1.0, abs(solver.best_objective_bound)
        )
        print(
            f"| {day} | {len(pairs):,} | {solver.status_name(status)} | {gap:.3%} | "
            f"{solver.wall_time:.1f} |"
        )
    print(
        f"\nDay-by-day bound at these prices: {_spec(table, bound):,.1f} ({took:.0f} s of CP-SAT)\n"
    )


def probe_whole(size: str, seconds: float) -> None:
    """The whole model without CP-SAT's presolve, fully linearized, started from our 20 s
    solution: how far the optimum is from it and from the bound."""
    problem = generate_problem(size, seed=0)
    table = build_pair_table(problem, compute_eligibility(problem))
    ours = solve(problem, SolverConfig(time_limit_s=20.0))
    pair_of = {(table.pair_person[i], table.pair_position[i]): i for i in range(table.pair_count)}
    hint = {
        pair_of[(table.person_index[a.person_id], table.position_index[a.position_id])]
        for a in ours.assignments
    }
    status, wall, value, bound, _ = _whole_solve(
        table, hint, seconds, 0, cp_model_presolve=False, linearization_level=2
    )
    print(
        f"{size}: ours in 20 s {ours.objective.total:,.1f}, bound {ours.stats.bound:,.1f} "
        f"({ours.stats.bound_source}); whole model, presolve off, {wall:.0f} s: {status}, "
        f"objective {value:,.1f}, its bound {bound:,.1f}\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("probe", choices=("hint", "days", "whole"))
    parser.add_argument("--size", default="M", help="days / whole: S, M or L (default M)")
    parser.add_argument("--seeds", type=int, default=6, help="hint: CP-SAT seeds per hint")
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="days: our solve's limit; whole: CP-SAT's limit"
    )
    parser.add_argument("--day-seconds", type=float, default=20.0, help="days: per-day limit")
    args = parser.parse_args(argv)
    if args.probe == "hint":
        probe_hint(args.seeds)
    elif args.probe == "days":
        probe_days(args.size, args.seconds, args.day_seconds)
    else:
        probe_whole(args.size, args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

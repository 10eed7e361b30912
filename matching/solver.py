"""Solve a problem: greedy and flow warm starts, CP-SAT per component, merged solution file."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from matching import constraints, objective
from matching.candidates import (
    InfeasibleProblem,
    PairTable,
    Pruning,
    build_pair_table,
    prune,
)
from matching.components import Component, split_components
from matching.domain import OBJECTIVE_SCALE, Assignment, Problem, Solution, Stats
from matching.eligibility import Eligibility, compute_eligibility
from matching.explain import build_solution
from matching.greedy import Schedule, fill, repair, start_with_fixed
from matching.lagrangian import LagrangianBound, lagrangian_bound
from matching.model import MatchingModel
from matching.relaxation import FlowRelaxation, solve_flow

__all__ = ["InfeasibleProblem", "Progress", "SolverConfig", "solve"]

# progress(objective, bound or None, elapsed seconds), objective and bound in spec units.
Progress = Callable[[float, float | None, float], None]


@dataclass(frozen=True, slots=True)
class SolverConfig:
    """How to solve.

    solver: "cp-sat" (greedy + flow warm start improved by CP-SAT) or "greedy".
    time_limit_s: wall-clock budget of the whole solve (CP-SAT searches in what is left).
    workers, seed: CP-SAT's num_workers and random_seed (workers=1 is deterministic).
    candidates_per_position: K, the best pairs kept per position when pruning.
    prune_above_pairs: prune only when there are more eligible pairs than this.
    flow_bound: compute the min-cost-flow bound (also gives the greedy solver a gap).
    skip_proven_components: leave a component to its warm start when that meets the flow bound.
    lns_above_pairs: a component with more kept pairs is improved by CP-SAT one calendar day
        at a time (the rest of the solution fixed) instead of as one model.
    whole_model_share: the part of a smaller component's time given to its whole model; if
        that does not prove it optimal, the day-by-day search uses the rest.
    whole_model_only_below: a component with fewer kept pairs gives all its time to its whole
        model: CP-SAT's `max_lp` worker can prove such models (S: 1,814 pairs, proven in
        1.8-3.1 s depending on the seed), where half the time and a day search came short.
    clique_paths_max_pairs: up to this many eligible pairs the flow bound also models each
        person-day's overlaps as a clique path (tighter, but a larger network to solve).
    lns_days: calendar days per neighbourhood of the day-by-day search.
    lns_part_pairs: each such window is split into neighbourhoods of consecutive shifts (by
        start time) of about this many pairs each (0: no split).
    whole_subsolvers: with two or more workers, the CP-SAT workers of a whole-component model
        (empty: CP-SAT's default portfolio). "max_lp" (full linearization with cuts) is what
        proves small components: the default two-worker portfolio has no such worker and its
        bound stalls (on S, 1.359 M against an optimum of 1.324 M after 120 s).
    day_subsolvers: the same for the models of the day-by-day search.
    week_candidates: before the day-by-day search, a large component is first solved as one
        whole-week model over a narrow set of its pairs: per position the best this many by
        score, plus the current solution's and the flow's pairs (0: no such model). Moving
        people between days is what the day search cannot do; on M this model reaches in
        about 10 s what the day search does not reach in 120 s (see docs/matching.md).
    week_share: the part of the time left that the week model may use.
    week_max_pairs: no week model when that narrow set is larger (its presolve alone would
        take the time).
    lagrangian_iterations: subgradient passes of the Lagrangian bound, started from the flow's
        seat prices (0: no Lagrangian bound). Passes after the first stop once the bound has
        used `lagrangian_share` of the time limit; a pass that would still run when
        `lagrangian_latest` of the time limit has elapsed since the start (projected from its
        pace) is dropped: on a loaded machine L then gets no Lagrangian bound rather than no
        search.
    lagrangian_share, lagrangian_latest: see `lagrangian_iterations`.
    lagrangian_step: the subgradient step as a share of the Polyak step.
    explain_reserve: the search stops this many times the eligibility stage's seconds (plus
        0.1 s) before the time limit, so that the explanation of unfilled positions (which
        scales like eligibility) still fits in `time_limit_s`.
    extra_params: further CP-SAT parameters by name.
    """

    solver: str = "cp-sat"
    time_limit_s: float = 30.0
    workers: int = 2
    seed: int = 0
    candidates_per_position: int = 10
    prune_above_pairs: int = 150_000
    flow_bound: bool = True
    skip_proven_components: bool = True
    lns_above_pairs: int = 20_000
    whole_model_share: float = 0.5
    whole_model_only_below: int = 5_000
    clique_paths_max_pairs: int = 10_000_000
    lns_days: int = 1
    lns_part_pairs: int = 2_500
    whole_subsolvers: tuple[str, ...] = ("max_lp", "default_lp")
    day_subsolvers: tuple[str, ...] = ()
    week_candidates: int = 4
    week_share: float = 0.6
    week_max_pairs: int = 20_000
    lagrangian_iterations: int = 3
    lagrangian_share: float = 0.1
    lagrangian_latest: float = 0.75
    lagrangian_step: float = 0.25
    explain_reserve: float = 1.25
    extra_params: dict[str, object] = field(default_factory=dict)


def solve(
    problem: Problem, config: SolverConfig | None = None, progress: Progress | None = None
) -> Solution:
    """Solve `problem` and return its solution file (objective, unfilled, fairness, stats).

    Raises `InfeasibleProblem` when the fixed pairs make every solution infeasible.
    """
    config = config or SolverConfig()
    if config.solver not in ("cp-sat", "greedy"):
        raise ValueError(f'unknown solver "{config.solver}" (use "cp-sat" or "greedy")')
    run = _Run(problem, config, progress)
    return run.solve()


class _Run:
    """The state of one solve: tables, warm starts, per-component results and timings."""

    def __init__(self, problem: Problem, config: SolverConfig, progress: Progress | None) -> None:
        self.problem = problem
        self.config = config
        self.progress = progress
        self.t0 = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.extra: dict[str, object] = {}

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def _timed(self, name: str, fn: Callable[[], object]) -> object:
        t = time.perf_counter()
        result = fn()
        self.timings[name] = round(time.perf_counter() - t, 4)
        return result

    def solve(self) -> Solution:
        eligibility: Eligibility = self._timed(
            "eligibility", lambda: compute_eligibility(self.problem)
        )
        table: PairTable = self._timed(
            "pair_table", lambda: build_pair_table(self.problem, eligibility)
        )
        self.table, self.eligibility = table, eligibility
        self.constant = -table.constant_fairness()
        self.extra.update(pairs_eligible=table.pair_count, people=len(table.people))
        greedy: Schedule = self._timed("greedy", lambda: _greedy(table))
        self._report(greedy.value(), None)
        flow = None
        if self.config.flow_bound or self.config.solver == "cp-sat":
            paths = table.pair_count <= self.config.clique_paths_max_pairs
            flow = self._timed("flow", lambda: solve_flow(table, clique_paths=paths))
        self.flow = flow
        self.lagrangian = None
        if flow is not None and self.config.lagrangian_iterations > 0:
            self.lagrangian = self._timed("lagrangian", lambda: self._lagrangian(greedy.value()))
        bound, source = None, None
        if flow is not None:
            bound, source = flow.value, "flow-relaxation"
            self.extra["flow_bound"] = self.to_units(flow.value)
        if self.lagrangian is not None:
            self.extra["lagrangian_bound"] = self.to_units(self.lagrangian.value)
            self.extra["lagrangian_iterations"] = self.lagrangian.iterations
            if self.lagrangian.value < flow.value:
                bound, source = self.lagrangian.value, "lagrangian"
        self._report(greedy.value(), bound)
        if self.config.solver == "greedy":
            self._require_complete(greedy)
            proven = bound is not None and bound <= greedy.value()
            status = "OPTIMAL" if proven else "FEASIBLE"
            stats = self._stats("greedy", status, greedy.value(), bound, source)
            return self._finish(greedy.pairs, stats)
        return self._solve_cp_sat(greedy, flow)

    def _lagrangian(self, target: int) -> LagrangianBound | None:
        """The Lagrangian bound from the flow's seat prices, within its share of the time."""
        config = self.config
        assert self.flow is not None
        now = time.perf_counter()
        return lagrangian_bound(
            self.table,
            self.flow.prices,
            target,
            deadline=now + config.lagrangian_share * config.time_limit_s,
            max_iterations=config.lagrangian_iterations,
            step_scale=config.lagrangian_step,
            abandon_at=self.t0 + config.lagrangian_latest * config.time_limit_s,
        )

    # --- CP-SAT ---

    def _solve_cp_sat(self, greedy: Schedule, flow: FlowRelaxation | None) -> Solution:
        table = self.table
        start = greedy
        if flow is not None:
            repaired = self._timed("repair", lambda: repair(table, flow.pairs))
            if repaired.value() > start.value() and _complete(repaired):
                start = repaired
        self.extra["start"] = "flow-repair" if start is not greedy else "greedy"
        # An incomplete start (a fixed position the greedy could not lift to min_count) is no
        # valid fallback: CP-SAT must then find a completion or prove there is none.
        k = (
            self.config.candidates_per_position
            if table.pair_count > self.config.prune_above_pairs
            else 0
        )
        pinned = set(start.pairs) | set(flow.pairs if flow else ())
        pruning: Pruning = self._timed("prune", lambda: prune(table, k, pinned))
        components: list[Component] = self._timed(
            "components", lambda: split_components(table, pruning.kept)
        )
        self.extra.update(
            pairs_kept=len(pruning.kept), pruned=pruning.pruned, components=len(components)
        )
        merger = _Merger(self, start, flow, pruning, components)
        merger.solve_all()
        status = "OPTIMAL" if merger.proven else "FEASIBLE"
        value = merger.value()
        bound = merger.bound()
        if bound is not None and bound <= value:
            status, bound = "OPTIMAL", value
        stats = self._stats("cp-sat", status, value, bound, merger.bound_source())
        return self._finish(
            merger.pairs(), stats, variables=merger.variables, cons=merger.constraints
        )

    # --- shared helpers ---

    def _require_complete(self, schedule: Schedule) -> None:
        if not _complete(schedule):
            raise InfeasibleProblem(
                "fixed pairs leave a position below min_count that could not be completed"
            )

    def to_units(self, value: int) -> float:
        """A variable-part value (1/36000 units) as a spec objective total."""
        return (value + self.constant) / OBJECTIVE_SCALE

    def _report(self, value: int, bound: int | None) -> None:
        if self.progress is not None:
            self.progress(
                self.to_units(value),
                None if bound is None else self.to_units(bound),
                self.elapsed(),
            )

    def _stats(
        self, solver: str, status: str, value: int, bound: int | None, source: str | None
    ) -> Stats:
        self._report(value, bound)
        self.extra["timings"] = self.timings
        self.extra["objective_scaled"] = value + self.constant
        return Stats(
            solver=solver,
            status=status,
            bound=None if bound is None else self.to_units(bound),
            bound_source=None if bound is None else source,
            gap=None,
            wall_seconds=0.0,
            extra=self.extra,
        )

    def _finish(
        self, pairs: set[int] | list[int], stats: Stats, variables: int = 0, cons: int = 0
    ) -> Solution:
        table = self.table
        assignments = [
            Assignment(
                table.people[table.pair_person[i]].id,
                table.positions[table.pair_position[i]].id,
                table.shifts[table.pair_shift[i]].id,
            )
            for i in pairs
        ]
        t = time.perf_counter()
        # The eligibility's own funnel narrows its index sets (distances only for forbidden
        # people): reuse it rather than recompute eligibility for the explanation.
        solution = build_solution(self.problem, assignments, stats, self.eligibility)
        self.timings["explain"] = round(time.perf_counter() - t, 4)
        final = dataclasses.replace(
            stats,
            gap=solution.stats.gap,
            wall_seconds=round(self.elapsed(), 4),
            variables=variables,
            constraints=cons,
        )
        return dataclasses.replace(solution, stats=final)


def _greedy(table: PairTable) -> Schedule:
    schedule = start_with_fixed(table)
    fill(schedule, table.by_position)  # an incomplete result is caught by _require_complete
    return schedule


def _complete(schedule: Schedule) -> bool:
    """Every position is empty or at least at min_count (fixed positions may fall short)."""
    table = schedule.table
    return all(
        staff == 0 or staff >= table.positions[q].min_count
        for q, staff in enumerate(schedule.staff)
    )


class _Merger:
    """Solves components one by one with CP-SAT and keeps, per component, the better of CP-SAT's
    solution and the warm start; tracks the merged value and bound."""

    def __init__(
        self,
        run: _Run,
        start: Schedule,
        flow: FlowRelaxation | None,
        pruning: Pruning,
        components: list[Component],
    ) -> None:
        self.run = run
        self.table = run.table
        self.start = start
        self.flow = flow
        self.pruning = pruning
        self.components = components
        self.chosen: list[list[int]] = []
        self.values: list[int] = []
        self.start_values: list[int] = []
        self.cp_bounds: list[int | None] = []
        self.optimal: list[bool] = []
        self.closed: list[bool] = []
        self.variables = 0
        self.constraints = 0
        self.proven = True
        self.search_seconds = 0.0
        self.build_seconds = 0.0
        self.skipped = 0
        self.model_values: list[int] = []

    # --- per component ---

    def solve_all(self) -> None:
        table, start = self.table, self.start
        incomplete = {
            q for q, staff in enumerate(start.staff) if 0 < staff < table.positions[q].min_count
        }
        self.infeasible: set[int] = set()
        for k, comp in enumerate(self.components):
            pairs = [i for i in comp.pairs if i in start.pairs]
            self.chosen.append(pairs)
            value = _value(table, pairs)
            if incomplete.intersection(comp.positions):
                self.infeasible.add(k)
            self.values.append(value)
            self.start_values.append(value)
            self.closed.append(
                not self.pruning.touched_people.intersection(comp.people)
                and not self.pruning.touched_positions.intersection(comp.positions)
            )
            self.cp_bounds.append(None)
            self.optimal.append(False)
            self.model_values.append(value)
        config = self.run.config
        remaining_pairs = sum(len(c.pairs) for c in self.components)
        # Leave time for the explanation (measured like eligibility, which it resembles).
        reserve = 0.1 + config.explain_reserve * self.run.timings.get("eligibility", 0.0)
        deadline = self.run.t0 + config.time_limit_s - reserve
        large = []
        weekless = []  # large components no whole model has seen: the week model's work
        for k, comp in enumerate(self.components):
            share = len(comp.pairs) / max(1, remaining_pairs)
            remaining_pairs -= len(comp.pairs)
            if k in self.infeasible:  # needs the whole model to find a feasible completion
                self._solve_component(k, comp, deadline, share)
                self.proven = self.proven and self.optimal[k] and self.closed[k]
                if not self.optimal[k]:
                    large.append(k)
                continue
            if config.skip_proven_components and self._already_optimal(k):
                self.optimal[k] = True
                self.skipped += 1
                continue
            if len(comp.pairs) > config.lns_above_pairs:
                large.append(k)  # solved last, by days, in the time the others leave
                weekless.append(k)
                remaining_pairs += len(comp.pairs)
                self.proven = False
                continue
            whole = len(comp.pairs) < config.whole_model_only_below
            part = 1.0 if whole else config.whole_model_share
            self._solve_component(k, comp, deadline, share * part)
            self.proven = self.proven and self.optimal[k] and self.closed[k]
            if not self.optimal[k]:
                large.append(k)  # not proven optimal: the day-by-day search may still improve it
        if large:
            self._improve_by_week(weekless, deadline)
            self._improve_by_day(large, deadline)
        self.run.extra.update(
            components_skipped_as_optimal=self.skipped,
            model_objective_scaled=sum(self.model_values) + self.run.constant,
            build_seconds=round(self.build_seconds, 4),
            search_seconds=round(self.search_seconds, 4),
        )

    def _improve_by_week(self, ks: list[int], deadline: float) -> None:
        """Large components: one whole-week CP-SAT model over a narrow set of their pairs.

        The day-by-day search keeps every other day fixed, so it cannot move a person's work
        to another day; the week model can, and over few pairs per position CP-SAT's `max_lp`
        worker solves it in seconds. Its solution keeps every rule (pairs outside the model
        are simply not assigned), so each component keeps the better of it and its current one.
        """
        config = self.run.config
        if config.week_candidates <= 0 or not ks:
            return
        table = self.table
        pool = {i for k in ks for i in self.components[k].pairs}
        current = {i for k in ks for i in self.chosen[k]}
        t = time.perf_counter()
        pinned = current | {i for i in (self.flow.pairs if self.flow else ()) if i in pool}
        # An upper estimate first, so that L skips the model without sorting 1.4 M pairs.
        most = len(pinned) + sum(
            min(config.week_candidates, len(table.by_position[q]))
            for k in ks
            for q in self.components[k].positions
        )
        if most > config.week_max_pairs:
            return
        narrow = [i for i in prune(table, config.week_candidates, pinned).kept if i in pool]
        if len(narrow) > config.week_max_pairs or len(narrow) == len(pool):
            return
        mm = build_model(table, narrow)
        add_hint(mm, current)
        self.build_seconds += time.perf_counter() - t
        variables, cons = mm.size()
        self.variables += variables
        self.constraints += cons
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = max(0.05, (deadline - time.perf_counter()) * config.week_share)
        _set_params(params, config, config.whole_subsolvers)
        t = time.perf_counter()
        status = solver.solve(mm.model)
        self.search_seconds += time.perf_counter() - t
        self.run.extra["week_model_pairs"] = len(narrow)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return
        solution = solver.response_proto.solution
        chosen = {i for i, var in mm.x.items() if solution[var.index]}
        for k in ks:
            pairs = [i for i in self.components[k].pairs if i in chosen]
            value = _value(table, pairs)
            if value > self.values[k]:
                self.chosen[k], self.values[k] = pairs, value
                self.model_values[k] = value
        self.run._report(self.value(), self.bound())

    def _improve_by_day(self, ks: list[int], deadline: float) -> None:
        """Large components: CP-SAT re-optimizes one calendar day at a time, the rest fixed.

        A whole-week model of a large component spends its time in presolve; a day is a
        fraction of the size, and fixing the other days keeps every rule exact (the people's
        minutes and shifts per day outside the day enter the model as `outside_*`).
        """
        table = self.table
        pool = [i for k in ks for i in self.components[k].pairs]
        current = {i for k in ks for i in self.chosen[k]}
        improver = _DayImprover(self, pool, current, others=set(range(len(self.values))) - set(ks))
        t = time.perf_counter()
        current = improver.run(deadline)
        self.search_seconds += time.perf_counter() - t - improver.build_seconds
        self.build_seconds += improver.build_seconds
        for k in ks:
            members = set(self.components[k].pairs)
            self.chosen[k] = [i for i in current if i in members]
            self.values[k] = _value(table, self.chosen[k])
            self.model_values[k] = self.values[k]
        self.variables += improver.largest[0]
        self.constraints += improver.largest[1]
        self.run.extra.update(
            day_neighbourhoods_solved=improver.solves,
            day_neighbourhoods_improved=improver.improvements,
        )

    def _flow_value(self, comp: Component) -> int | None:
        if self.flow is None:
            return None
        by_person = self.flow.value_by_person
        return sum(by_person.get(p, 0) for p in comp.people)

    def _already_optimal(self, k: int) -> bool:
        """The warm start meets the flow or Lagrangian bound on a component pruning left
        whole."""
        shares = [share(self.components[k]) for _, share, _ in self._bases()]
        return self.closed[k] and bool(shares) and self.values[k] >= min(shares)

    def _solve_component(self, k: int, comp: Component, deadline: float, share: float) -> None:
        """Build and solve one component in its `share` of the time left before `deadline`
        (model building counts against it)."""
        t = time.perf_counter()
        mm = build_model(self.table, comp.pairs)
        add_hint(mm, set(self.chosen[k]))
        self.build_seconds += time.perf_counter() - t
        variables, cons = mm.size()
        self.variables += variables
        self.constraints += cons
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = max(0.05, (deadline - time.perf_counter()) * share)
        _set_params(params, self.run.config, self.run.config.whole_subsolvers)
        callback = None
        if self.run.progress is not None:
            callback = _ProgressCallback(self, k, mm.unit)
        t = time.perf_counter()
        status = solver.solve(mm.model, callback)
        self.search_seconds += time.perf_counter() - t
        if status == cp_model.INFEASIBLE:
            raise InfeasibleProblem(
                "the fixed pairs and hard rules admit no solution (CP-SAT proved it infeasible)"
            )
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solution = solver.response_proto.solution
            pairs = [i for i, var in mm.x.items() if solution[var.index]]
            value = _value(self.table, pairs)
            if value >= self.values[k] or k in self.infeasible:
                self.chosen[k], self.values[k] = pairs, value
                self.model_values[k] = round(solver.objective_value) * mm.unit
                self.infeasible.discard(k)
            self.cp_bounds[k] = math.floor(solver.best_objective_bound + 1e-6) * mm.unit
            self.optimal[k] = status == cp_model.OPTIMAL and self.values[k] >= self.cp_bounds[k]
        if k in self.infeasible:
            raise InfeasibleProblem(
                "fixed pairs leave a position below min_count and no completion was found "
                "within the time limit"
            )
        self.run._report(self.value(), self.bound())

    # --- merged results ---

    def pairs(self) -> list[int]:
        return [i for group in self.chosen for i in group]

    def value(self) -> int:
        """The merged variable part: pairs outside every component are none (unassigned)."""
        return sum(self.values)

    def bound(self) -> int | None:
        """The smaller of the flow and Lagrangian bounds, each tightened on the components
        pruning left whole by the best bound known there (the other relaxation's share,
        CP-SAT's bound, a proven optimum).

        CP-SAT's bound covers only its own model; it is a bound of the full problem's component
        only when no eligible pair of that component was pruned.
        """
        return self._bound_and_source()[0]

    def _bound_and_source(self) -> tuple[int | None, str]:
        bases = self._bases()
        if not bases:
            if self.pruning.pruned or any(b is None for b in self.cp_bounds):
                return None, "cp-sat"
            return sum(b for b in self.cp_bounds if b is not None), "cp-sat"
        # Per closed component the smallest bound known, and what gave it.
        closed: dict[int, tuple[int, str]] = {}
        for k, comp in enumerate(self.components):
            if not self.closed[k]:
                continue
            options = [(share(comp), name) for _, share, name in bases]
            if self.cp_bounds[k] is not None:
                options.append((self.cp_bounds[k], "cp-sat"))
            if self.optimal[k]:
                options.append((self.values[k], "cp-sat"))
            closed[k] = min(options, key=lambda o: o[0])
        best_total, best_name = None, ""
        for value, share, name in bases:
            total = value
            for k, (best, _) in closed.items():
                total += best - share(self.components[k])
            if best_total is None or total < best_total:
                best_total, best_name = total, name
        names = {name for _, name in closed.values()}
        if len(closed) < len(self.components) or not closed:
            names.add(best_name)  # the relaxation still bounds the rest
        order = ("cp-sat", "lagrangian", "flow-relaxation")
        return best_total, "+".join(n for n in order if n in names)

    def _bases(self) -> list[tuple[int, Callable[[Component], int], str]]:
        """(value, share of a component, name) of each relaxation bound available."""
        bases: list[tuple[int, Callable[[Component], int], str]] = []
        if self.flow is not None:
            bases.append((self.flow.value, lambda c: self._flow_value(c) or 0, "flow-relaxation"))
        lag = self.run.lagrangian
        if lag is not None:
            count = [q.count for q in self.table.positions]

            def share(comp: Component) -> int:
                people = sum(lag.value_by_person.get(p, 0) for p in comp.people)
                return people + sum(lag.prices[q] * count[q] for q in comp.positions)

            bases.append((lag.value, share, "lagrangian"))
        return bases

    def bound_source(self) -> str:
        return self._bound_and_source()[1]


class _DayImprover:
    """Large-neighbourhood search by calendar day over a feasible set of pairs."""

    def __init__(
        self, merger: _Merger, pool: list[int], current: set[int], others: set[int]
    ) -> None:
        self.merger = merger
        self.others = others  # components outside the pool, for progress reports
        self.table = merger.table
        self.current = set(current)
        span = max(1, merger.run.config.lns_days)
        self.by_day: dict[object, list[int]] = {}
        for i in pool:
            window = self.table.shift_day[self.table.pair_shift[i]] // span
            self.by_day.setdefault(window, []).append(i)
        if merger.run.config.lns_part_pairs > 0:
            self.by_day = self._split(merger.run.config.lns_part_pairs)
        self.solves = 0
        self.improvements = 0
        self.build_seconds = 0.0
        self.largest = (0, 0)  # (variables, constraints) of the largest day model

    def _split(self, part_pairs: int) -> dict[object, list[int]]:
        """Each window cut into runs of consecutive shifts (by start; a shift stays whole) of
        about `part_pairs` pairs."""
        table = self.table
        out: dict[object, list[int]] = {}
        for n, pairs in enumerate(self.by_day.values()):
            parts = max(1, round(len(pairs) / part_pairs))
            size = -(-len(pairs) // parts)
            order = sorted(
                pairs, key=lambda i: (table.shift_start[table.pair_shift[i]], table.pair_shift[i])
            )
            part, count, last = 0, 0, None
            for i in order:
                shift = table.pair_shift[i]
                if count >= size and shift != last:
                    part, count = part + 1, 0
                out.setdefault((n, part), []).append(i)
                count, last = count + 1, shift
        return out

    def run(self, deadline: float) -> set[int]:
        """Cycle over the days (largest first) until the deadline; returns the best pairs."""
        days = sorted(self.by_day, key=lambda d: -len(self.by_day[d]))
        value = _value(self.table, list(self.current))
        while time.perf_counter() < deadline - 0.2:
            progress = False
            all_optimal = True
            for n, day in enumerate(days):
                left = deadline - time.perf_counter()
                if left < 0.2:
                    break
                improved, optimal, value = self._day(day, left / (len(days) - n), value)
                progress = progress or improved
                all_optimal = all_optimal and optimal
            if all_optimal and not progress:
                break  # every day is optimal given the others: a local optimum
        return self.current

    def _day(self, day: object, budget: float, value: int) -> tuple[bool, bool, int]:
        table = self.table
        inside = self.by_day[day]
        shifts = {table.pair_shift[i] for i in inside}
        outside = Schedule(table)
        for i in self.current:
            if table.pair_shift[i] not in shifts:
                outside.add(i)
        candidates = [i for i in inside if outside.conflict(i) is None]
        if not candidates:
            return False, True, value
        people = {table.pair_person[i] for i in candidates}
        minutes = {p: outside.load[p] for p in people if outside.load[p]}
        t = time.perf_counter()
        mm = build_model(table, candidates, minutes, dict(outside.day_count))
        kept = set(candidates)
        add_hint(mm, {i for i in self.current if i in kept})
        self.build_seconds += time.perf_counter() - t
        self.largest = max(self.largest, mm.size())
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = max(0.05, budget - (time.perf_counter() - t))
        _set_params(params, self.merger.run.config, self.merger.run.config.day_subsolvers)
        status = solver.solve(mm.model)
        self.solves += 1
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False, False, value
        solution = solver.response_proto.solution
        chosen = {i for i, var in mm.x.items() if solution[var.index]}
        trial = (self.current - set(inside)) | chosen
        trial_value = _value(table, list(trial))
        if trial_value > value:
            self.current, value = trial, trial_value
            self.improvements += 1
            merger = self.merger
            rest = sum(merger.values[k] for k in self.others)
            merger.run._report(value + rest, merger.bound())
            return True, status == cp_model.OPTIMAL, value
        return False, status == cp_model.OPTIMAL, value


class _ProgressCallback(cp_model.CpSolverSolutionCallback):
    """Reports the merged objective whenever CP-SAT improves the current component."""

    def __init__(self, merger: _Merger, k: int, unit: int) -> None:
        super().__init__()
        self.merger = merger
        self.k = k
        self.unit = unit

    def on_solution_callback(self) -> None:
        m = self.merger
        current = round(self.objective_value) * self.unit
        value = m.value() - m.values[self.k] + max(current, m.values[self.k])
        m.run._report(value, m.bound())


def build_model(
    table: PairTable,
    pairs: list[int],
    outside_minutes: dict[int, int] | None = None,
    outside_days: dict[tuple[int, int], int] | None = None,
) -> MatchingModel:
    """The CP-SAT model of `pairs`: every hard rule, the exact fairness cost, the objective.

    `outside_minutes` / `outside_days` describe what people hold outside the model (when it is
    a neighbourhood of a larger solution) so that rule 10 and fairness stay exact.
    """
    mm = MatchingModel(table, pairs, outside_minutes, outside_days)
    constraints.add_all_rules(mm)
    fairness_loads: dict[int, list[int]] = {}
    if not table.fairness.zero:
        for person in mm.by_person:
            minutes = [table.shift_minutes[s] for s in mm.person_shifts(person)]
            loads = objective.achievable_loads(minutes, mm.max_load(person))
            if len(loads) > 1:
                fairness_loads[person] = loads
    mm.unit = objective.objective_unit(mm, fairness_loads)
    for person, loads in fairness_loads.items():
        mm.fair[person] = objective.add_fairness_cost(mm, person, loads)
    objective.build_objective(mm)
    return mm


def _set_params(params: object, config: SolverConfig, subsolvers: tuple[str, ...]) -> None:
    """Workers, seed, the worker portfolio (with two or more workers) and `extra_params`."""
    params.num_workers = config.workers  # type: ignore[attr-defined]
    params.random_seed = config.seed  # type: ignore[attr-defined]
    if subsolvers and config.workers > 1:
        params.subsolvers.extend(subsolvers)  # type: ignore[attr-defined]
    for name, value in config.extra_params.items():
        setattr(params, name, value)


def add_hint(mm: MatchingModel, chosen: set[int]) -> None:
    """Hint every variable (CP-SAT keeps a warm start reliably only when it is complete)."""
    table = mm.table
    model = mm.model
    for i, var in mm.x.items():
        model.add_hint(var, i in chosen)
    staff: dict[int, int] = {}
    load: dict[int, int] = {}
    for i in chosen:
        q, p = table.pair_position[i], table.pair_person[i]
        staff[q] = staff.get(q, 0) + 1
        load[p] = load.get(p, 0) + table.shift_minutes[table.pair_shift[i]]
    for q, var in mm.active.items():
        model.add_hint(var, staff.get(q, 0) > 0)
    for p, var in mm.loads.items():
        model.add_hint(var, load.get(p, 0))
    for p, var in mm.fair.items():
        extra = table.fairness.extra(mm.recent(p), load.get(p, 0))
        model.add_hint(var, extra if p in mm.squares else extra // mm.unit)
    for p, var in mm.squares.items():
        model.add_hint(var, load.get(p, 0) ** 2)


def _value(table: PairTable, pairs: list[int]) -> int:
    """Scores minus extra fairness of `pairs` (1/36000 units, constant fairness excluded)."""
    load: dict[int, int] = {}
    total = 0
    for i in pairs:
        total += table.pair_score[i]
        p = table.pair_person[i]
        load[p] = load.get(p, 0) + table.shift_minutes[table.pair_shift[i]]
    return total - sum(table.fairness.extra(table.person_recent[p], m) for p, m in load.items())

"""Objective terms in integer units of 1/36000: one function per term, plus the CP-SAT wiring."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from matching.domain import OBJECTIVE_SCALE, Person, Position, Shift, Weights

if TYPE_CHECKING:
    from matching.model import MatchingModel

# Above this many breakpoints a person's convex cost is written as an exact product instead of
# chords: chords stay exact but their count would dominate the model.
MAX_FAIRNESS_BREAKPOINTS = 256


def scaled(value: float | int | Fraction) -> int:
    """`value` in units of 1/36000, rounded to the nearest unit (exact for spec-conforming data).

    Floats go through their shortest decimal repr so that 0.1 means one tenth, not its binary
    approximation.
    """
    exact = value if isinstance(value, Fraction) else Fraction(repr(value))
    return round(exact * OBJECTIVE_SCALE)


def _w(weight: float) -> Fraction:
    return Fraction(repr(float(weight)))


# --- per-assignment terms (each returns an int in 1/36000 units) ---


def coverage(weights: Weights, shift: Shift) -> int:
    """W.coverage * 2^(priority - 1)."""
    return scaled(_w(weights.coverage) * 2 ** (shift.priority - 1))


def skill(weights: Weights, person: Person, position: Position) -> int:
    """W.skill * the sum of levels above each required minimum."""
    surplus = sum(person.skills.get(name, 0) - level for name, level in position.skills.items())
    return scaled(_w(weights.skill) * surplus)


def distance(weights: Weights, km: float | None) -> int:
    """-W.distance * km (0 when a location is missing)."""
    if km is None:
        return 0
    return -scaled(_w(weights.distance) * Fraction(repr(float(km))))


def preference(weights: Weights, person: Person, shift: Shift) -> int:
    """W.preference when the shift's kind is one the person prefers."""
    return scaled(_w(weights.preference)) if shift.kind in person.preferred_kinds else 0


def continuity(weights: Weights, has_history: bool) -> int:
    """W.continuity when the person served the shift's request before."""
    return scaled(_w(weights.continuity)) if has_history else 0


def incentive_level(weights: Weights, person: Person) -> int:
    """inc(p) = floor(100 * min(points, points_cap) / points_cap) (0 for a zero cap)."""
    cap = _w(weights.points_cap)
    if cap <= 0:
        return 0
    return math.floor(100 * min(Fraction(person.points), cap) / cap)


def incentive(weights: Weights, person: Person, shift: Shift) -> int:
    """W.incentive * inc(p) * hours of the shift."""
    return incentive_for_level(weights, incentive_level(weights, person), shift.minutes)


def incentive_for_level(weights: Weights, level: int, minutes: int) -> int:
    """W.incentive * level * minutes / 60, for a precomputed inc(p) `level`."""
    if level == 0 or weights.incentive == 0:
        return 0
    return scaled(_w(weights.incentive) * level * Fraction(minutes, 60))


ASSIGNMENT_TERMS = ("coverage", "skill", "distance", "preference", "continuity", "incentive")


def assignment_terms(
    weights: Weights,
    person: Person,
    position: Position,
    shift: Shift,
    km: float | None,
    has_history: bool,
) -> dict[str, int]:
    """Every per-assignment term of (person, position, shift), keyed by term name."""
    return {
        "coverage": coverage(weights, shift),
        "skill": skill(weights, person, position),
        "distance": distance(weights, km),
        "preference": preference(weights, person, shift),
        "continuity": continuity(weights, has_history),
        "incentive": incentive(weights, person, shift),
    }


def assignment_score(
    weights: Weights,
    person: Person,
    position: Position,
    shift: Shift,
    km: float | None,
    has_history: bool,
) -> int:
    """The sum of the per-assignment terms, in 1/36000 units."""
    return sum(assignment_terms(weights, person, position, shift, km, has_history).values())


# --- the per-person fairness term ---


class FairnessCost:
    """W.fairness * (L/60)^2 in 1/36000 units, i.e. 10 * W.fairness * L^2 for L in minutes.

    A positive cost (the objective subtracts it). `of(L)` is exact whenever 10 * W.fairness is
    an integer, which the spec's "every term is a multiple of 1/36000" implies for integral L.
    """

    def __init__(self, weights: Weights) -> None:
        self.factor = _w(weights.fairness) * 10
        self.integral = self.factor.denominator == 1
        self.zero = self.factor == 0

    def of(self, load_minutes: int) -> int:
        """Cost of a total load (recent + assigned minutes)."""
        if self.integral:
            return int(self.factor) * load_minutes * load_minutes
        return round(self.factor * load_minutes * load_minutes)

    def extra(self, recent: int, assigned: int) -> int:
        """Cost added by `assigned` minutes on top of `recent` (0 when nothing is assigned)."""
        return self.of(recent + assigned) - self.of(recent)


# --- CP-SAT wiring ---


def achievable_loads(minutes: list[int], cap: int) -> list[int]:
    """Every subset sum of `minutes` (one per distinct shift) up to `cap`, sorted.

    The load a person can take is always one of these, so a convex cost interpolated between
    consecutive ones is exact at every load the model can reach.
    """
    minutes = [m for m in minutes if m > 0]
    if not minutes or cap <= 0:
        return [0]
    unit = 0
    for m in minutes:
        unit = math.gcd(unit, m)
    top = cap // unit
    mask = (1 << (top + 1)) - 1
    bits = 1
    for m in minutes:
        bits = (bits | (bits << (m // unit))) & mask
    text = bin(bits)[:1:-1]
    return [i * unit for i, c in enumerate(text) if c == "1"]


def add_fairness_cost(mm: MatchingModel, person: int, loads: list[int]) -> cp_model.IntVar:
    """The extra fairness cost of `person` as an IntVar bounded below by exact chords.

    Chords between consecutive achievable loads: for a convex cost, the maximum of the chords
    equals the cost at every breakpoint and the minimizing objective drives the variable onto
    it, so the term is exact, and the LP relaxation is the tightest convex one over those loads.
    Returns the cost variable (its hint is set by the caller).
    """
    table = mm.table
    cost = table.fairness
    recent = table.person_recent[person]
    load = mm.load(person)
    top = cost.extra(recent, loads[-1])
    var = mm.model.new_int_var(0, top, f"fair_{person}")
    if len(loads) > MAX_FAIRNESS_BREAKPOINTS and cost.integral:
        # Exact product instead: 10*W*(R+L)^2 - 10*W*R^2 = k*(L^2 + 2RL).
        square = mm.model.new_int_var(0, loads[-1] * loads[-1], f"sq_{person}")
        mm.model.add_multiplication_equality(square, [load, load])
        k = int(cost.factor)
        mm.model.add(var == k * square + 2 * k * recent * load)
        mm.squares[person] = square
        return var
    for a, b in zip(loads, loads[1:], strict=False):
        fa, fb = cost.extra(recent, a), cost.extra(recent, b)
        # var >= fa + (fb - fa) * (load - a) / (b - a), scaled by (b - a) to stay integral.
        mm.model.add((b - a) * var >= fa * (b - a) + (fb - fa) * (load - a))
    return var


def build_objective(mm: MatchingModel) -> None:
    """Maximize the per-assignment scores minus every person's extra fairness cost."""
    score = mm.table.pair_score
    variables = [*mm.x.values(), *mm.fair.values()]
    coefficients = [*(score[i] for i in mm.x), *(-1 for _ in mm.fair)]
    mm.model.maximize(cp_model.LinearExpr.weighted_sum(variables, coefficients))

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


def _times(unit: int | Fraction, amount: int) -> int:
    """unit * amount rounded to an integer (plain int arithmetic when the unit is integral)."""
    if isinstance(unit, int):
        return unit * amount
    return round(unit * amount)


class Units:
    """Each weight times 36000, precomputed once: ints where exact (the spec's promise), so
    scoring a pair is a few integer multiplications, not Fraction arithmetic."""

    def __init__(self, weights: Weights) -> None:
        self.weights = weights
        self.coverage = self._unit(weights.coverage, 1)
        self.skill = self._unit(weights.skill, 1)
        self.distance_per_tenth_km = self._unit(weights.distance, Fraction(1, 10))
        self.preference = scaled(_w(weights.preference))
        self.continuity = scaled(_w(weights.continuity))
        self.incentive_per_minute = self._unit(weights.incentive, Fraction(1, 60))
        self.stability = scaled(_w(weights.stability))

    @staticmethod
    def _unit(weight: float, per: Fraction | int) -> int | Fraction:
        exact = _w(weight) * per * OBJECTIVE_SCALE
        return int(exact) if exact.denominator == 1 else exact


# --- per-assignment terms (each returns an int in 1/36000 units) ---


def coverage(units: Units, shift: Shift) -> int:
    """W.coverage * 2^(priority - 1)."""
    return _times(units.coverage, 2 ** (shift.priority - 1))


def skill(units: Units, person: Person, position: Position) -> int:
    """W.skill * the sum of levels above each required minimum."""
    skills = person.skills
    surplus = sum(skills.get(name, 0) - level for name, level in position.skills.items())
    return _times(units.skill, surplus) if surplus else 0


def distance(units: Units, km: float | None) -> int:
    """-W.distance * km (0 when a location is missing); km carries one decimal."""
    if km is None:
        return 0
    return -_times(units.distance_per_tenth_km, round(km * 10))


def preference(units: Units, person: Person, shift: Shift) -> int:
    """W.preference when the shift's kind is one the person prefers."""
    return units.preference if shift.kind in person.preferred_kinds else 0


def continuity(units: Units, has_history: bool) -> int:
    """W.continuity when the person served the shift's request before."""
    return units.continuity if has_history else 0


def stability(units: Units, is_incumbent: bool) -> int:
    """W.stability when the pair keeps an incumbent (Linkage's re-planning extension)."""
    return units.stability if is_incumbent else 0


def incentive_level(weights: Weights, person: Person) -> int:
    """inc(p) = floor(100 * min(points, points_cap) / points_cap) (0 for a zero cap)."""
    cap = _w(weights.points_cap)
    if cap <= 0:
        return 0
    return math.floor(100 * min(Fraction(person.points), cap) / cap)


def incentive(units: Units, person: Person, shift: Shift) -> int:
    """W.incentive * inc(p) * hours of the shift."""
    level = incentive_level(units.weights, person)
    return incentive_for_level(units, level, shift.minutes)


def incentive_for_level(units: Units, level: int, minutes: int) -> int:
    """W.incentive * level * minutes / 60, for a precomputed inc(p) `level`."""
    if level == 0:
        return 0
    return _times(units.incentive_per_minute, level * minutes)


ASSIGNMENT_TERMS = (
    "coverage",
    "skill",
    "distance",
    "preference",
    "continuity",
    "incentive",
    "stability",
)


def assignment_terms(
    units: Units,
    person: Person,
    position: Position,
    shift: Shift,
    km: float | None,
    has_history: bool,
    is_incumbent: bool = False,
) -> dict[str, int]:
    """Every per-assignment term of (person, position, shift), keyed by term name."""
    return {
        "coverage": coverage(units, shift),
        "skill": skill(units, person, position),
        "distance": distance(units, km),
        "preference": preference(units, person, shift),
        "continuity": continuity(units, has_history),
        "incentive": incentive(units, person, shift),
        "stability": stability(units, is_incumbent),
    }


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
        self._k = int(self.factor) if self.integral else None

    def of(self, load_minutes: int) -> int:
        """Cost of a total load (recent + assigned minutes)."""
        if self._k is not None:
            return self._k * load_minutes * load_minutes
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


def fairness_values(mm: MatchingModel, person: int, loads: list[int]) -> list[int]:
    """The person's extra fairness cost at each achievable load (1/36000 units)."""
    cost, recent = mm.table.fairness, mm.recent(person)
    return [cost.extra(recent, a) for a in loads]


def uses_product(mm: MatchingModel, loads: list[int]) -> bool:
    """Whether the cost is written as an exact product rather than chords (see below)."""
    cost = mm.table.fairness
    concave = cost.factor < 0  # a negative weight: chords would no longer be exact
    return (concave or len(loads) > MAX_FAIRNESS_BREAKPOINTS) and cost.integral


def objective_unit(mm: MatchingModel, fairness_loads: dict[int, list[int]]) -> int:
    """The largest integer dividing every objective coefficient and fairness breakpoint.

    The model's objective is written in multiples of it (smaller numbers for CP-SAT's LP and
    cuts). On the generated instances every score is a multiple of 36000 and every fairness
    value of 9000; S was then proven a little sooner (median 2.96 s against 3.15 s over eight
    seeds, faster in seven), M's 20 s result did not change measurably.
    """
    unit = 0
    score = mm.table.pair_score
    for i in mm.x:
        unit = math.gcd(unit, score[i])
        if unit == 1:
            return 1
    for person, loads in fairness_loads.items():
        if uses_product(mm, loads):
            return 1
        for value in fairness_values(mm, person, loads):
            unit = math.gcd(unit, value)
        if unit == 1:
            return 1
    return unit or 1


def add_fairness_cost(mm: MatchingModel, person: int, loads: list[int]) -> cp_model.IntVar:
    """The extra fairness cost of `person` (in units of `mm.unit`) as an IntVar bounded below
    by exact chords.

    Chords between consecutive achievable loads: for a convex cost, the maximum of the chords
    equals the cost at every breakpoint and the minimizing objective drives the variable onto
    it, so the term is exact, and the LP relaxation is the tightest convex one over those loads.
    Returns the cost variable (its hint is set by the caller).
    """
    table = mm.table
    cost = table.fairness
    recent = mm.recent(person)
    load = mm.load(person)
    if uses_product(mm, loads):
        # Exact product instead: 10*W*(R+L)^2 - 10*W*R^2 = k*(L^2 + 2RL) (unit 1 then).
        top = cost.extra(recent, loads[-1])
        var = mm.model.new_int_var(min(0, top), max(0, top), f"fair_{person}")
        square = mm.model.new_int_var(0, loads[-1] * loads[-1], f"sq_{person}")
        mm.model.add_multiplication_equality(square, [load, load])
        k = int(cost.factor)
        mm.model.add(var == k * square + 2 * k * recent * load)
        mm.squares[person] = square
        return var
    values = [v // mm.unit for v in fairness_values(mm, person, loads)]
    top = values[-1]
    var = mm.model.new_int_var(min(0, top), max(0, top), f"fair_{person}")
    weighted_sum, add = cp_model.LinearExpr.weighted_sum, mm.model.add_linear_constraint
    pair = [var, load]
    for k in range(len(loads) - 1):
        a, b, fa, fb = loads[k], loads[k + 1], values[k], values[k + 1]
        # var >= fa + (fb - fa) * (load - a) / (b - a), times (b - a) to stay integral.
        add(weighted_sum(pair, [b - a, fa - fb]), fa * (b - a) - (fb - fa) * a, cp_model.INT_MAX)
    return var


def build_objective(mm: MatchingModel) -> None:
    """Maximize the per-assignment scores minus every person's extra fairness cost, in units
    of `mm.unit` (the model's objective times `mm.unit` is the engine's integer objective)."""
    score, unit = mm.table.pair_score, mm.unit
    variables = [*mm.x.values(), *mm.fair.values()]
    coefficients = [*(score[i] // unit for i in mm.x), *(-1 for _ in mm.fair)]
    mm.model.maximize(cp_model.LinearExpr.weighted_sum(variables, coefficients))

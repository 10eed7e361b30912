"""Solver-independent executable spec: hard rules 1-12, the objective and the solution file checks.

Everything here is written plainly from the contract (docs/problem-format.md) and shares no code
with eligibility.py or any solver module, so that a bug there cannot hide itself here.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from fractions import Fraction
from zoneinfo import ZoneInfo

from matching.domain import (
    FORMAT_VERSION,
    FUNNEL_STAGES,
    STABILITY,
    Assignment,
    FairnessSummary,
    Objective,
    Person,
    Position,
    Problem,
    Shift,
    Solution,
    Unfilled,
    km_between,
    term_names,
)

TOLERANCE = 1e-6
REASONS = (*FUNNEL_STAGES, "min_count", "objective")


# --- lookups ---


class _Index:
    """Plain id lookups for one problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.people = {p.id: p for p in problem.people}
        self.shifts = {s.id: s for s in problem.shifts}
        self.positions = {q.id: (s, q) for s in problem.shifts for q in s.positions}
        self.forbidden = {(f.person_id, f.shift_id) for f in problem.forbidden}
        self.history = {(h.person_id, h.request_id) for h in problem.history}
        self.incumbents = {(i.person_id, i.position_id) for i in problem.incumbents}
        self.zone = ZoneInfo(problem.timezone)

    def day(self, shift: Shift) -> date:
        """The calendar day a shift starts on, in the problem's time zone (rule 10)."""
        return shift.start.astimezone(self.zone).date()


# --- hard rules 1-7: one plain function each, returning a violation text or None ---


def _rule1_role(person: Person, shift: Shift, position: Position) -> str | None:
    if position.role == "any" or position.role == person.role:
        return None
    return f"rule 1 (role): position needs {position.role}, person is {person.role}"


def _rule2_skills(person: Person, shift: Shift, position: Position) -> str | None:
    for skill, needed in position.skills.items():
        held = person.skills.get(skill, 0)
        if held < needed:
            return f"rule 2 (skills): needs {skill} >= {needed}, person has {held}"
    return None


def _rule3_availability(person: Person, shift: Shift, position: Position) -> str | None:
    for start, end in person.availability:
        if start <= shift.start and shift.end <= end:
            return None
    return "rule 3 (availability): no availability interval contains the shift"


def _rule4_background_check(person: Person, shift: Shift, position: Position) -> str | None:
    if shift.requires_background_check and not person.background_checked:
        return "rule 4 (background check): shift requires a background check"
    return None


def _rule5_language(person: Person, shift: Shift, position: Position) -> str | None:
    if shift.language is not None and shift.language not in person.languages:
        return f"rule 5 (language): shift needs {shift.language}"
    return None


def _rule6_distance(person: Person, shift: Shift, position: Position) -> str | None:
    km = km_between(person.location, shift.location)
    if km is None or person.max_travel_km is None or km <= person.max_travel_km:
        return None
    return f"rule 6 (distance): {km} km > max_travel_km {person.max_travel_km}"


PAIR_RULES = (
    ("role", _rule1_role),
    ("skills", _rule2_skills),
    ("availability", _rule3_availability),
    ("background_check", _rule4_background_check),
    ("language", _rule5_language),
    ("distance", _rule6_distance),
)


def _pair_violations(index: _Index, person: Person, shift: Shift, position: Position) -> list[str]:
    out = [msg for _, rule in PAIR_RULES if (msg := rule(person, shift, position)) is not None]
    if (person.id, shift.id) in index.forbidden:
        out.append("rule 7 (forbidden): the pair is forbidden")
    return out


def is_eligible(index: _Index, person: Person, shift: Shift, position: Position) -> bool:
    """Rules 1-7 for one pair."""
    return not _pair_violations(index, person, shift, position)


# --- rules 8-12 over the whole solution ---


def _shifts_clash(index: _Index, a: Shift, b: Shift) -> str | None:
    """Rule 9 for two different shifts of one person: overlap, or too short a gap to travel."""
    if not (a.end <= b.start or b.end <= a.start):
        return "they overlap"
    km = km_between(a.location, b.location)
    if km is None or km == 0:
        return None
    first, second = (a, b) if a.end <= b.start else (b, a)
    gap = (second.start - first.end).total_seconds() / 60
    buffer = index.problem.travel_buffer_minutes
    if gap < buffer:
        return f"gap {gap:g} min < travel buffer {buffer} min over {km} km"
    return None


def _resolve(
    index: _Index, assignments: Sequence[Assignment]
) -> tuple[list[str], list[tuple[Person, Shift, Position]]]:
    """Unknown ids, wrong shift ids and duplicates; returns messages and the usable triples."""
    errors: list[str] = []
    triples: list[tuple[Person, Shift, Position]] = []
    seen: set[tuple[str, str]] = set()
    for k, a in enumerate(assignments):
        where = f'assignments[{k}] (person "{a.person_id}", position "{a.position_id}")'
        person = index.people.get(a.person_id)
        found = index.positions.get(a.position_id)
        if person is None:
            errors.append(f"{where}: unknown person")
        if found is None:
            errors.append(f"{where}: unknown position")
        if person is None or found is None:
            continue
        shift, position = found
        if a.shift_id != shift.id:
            errors.append(
                f'{where}: shift_id "{a.shift_id}" but the position belongs to shift "{shift.id}"'
            )
            continue
        if (person.id, position.id) in seen:
            errors.append(f"{where}: duplicate assignment")
            continue
        seen.add((person.id, position.id))
        triples.append((person, shift, position))
    return errors, triples


def check_assignments(problem: Problem, assignments: Sequence[Assignment]) -> list[str]:
    """Every hard-rule (1-12) violation of `assignments` as readable text; empty means feasible."""
    index = _Index(problem)
    errors, triples = _resolve(index, assignments)
    for person, shift, position in triples:
        for msg in _pair_violations(index, person, shift, position):
            errors.append(f'{msg} (person "{person.id}", position "{position.id}")')
    errors += _check_one_position_per_shift(triples)
    errors += _check_overlaps(index, triples)
    errors += _check_workload(index, triples)
    errors += _check_counts(problem, triples)
    errors += _check_fixed(problem, triples)
    return errors


def _check_one_position_per_shift(triples: list[tuple[Person, Shift, Position]]) -> list[str]:
    """Rule 8."""
    held = Counter((p.id, s.id) for p, s, _ in triples)
    return [
        f'rule 8 (one position per shift): person "{pid}" holds {n} positions on shift "{sid}"'
        for (pid, sid), n in held.items()
        if n > 1
    ]


def _shifts_by_person(triples: Iterable[tuple[Person, Shift, Position]]) -> dict[str, list[Shift]]:
    out: dict[str, list[Shift]] = defaultdict(list)
    for person, shift, _ in triples:
        out[person.id].append(shift)
    return out


def _check_overlaps(index: _Index, triples: list[tuple[Person, Shift, Position]]) -> list[str]:
    """Rule 9: every pair of different shifts of one person."""
    errors = []
    for pid, shifts in _shifts_by_person(triples).items():
        distinct = list({s.id: s for s in shifts}.values())
        for i, a in enumerate(distinct):
            for b in distinct[i + 1 :]:
                why = _shifts_clash(index, a, b)
                if why is not None:
                    errors.append(
                        f'rule 9 (overlap/travel): person "{pid}" on shifts "{a.id}" and '
                        f'"{b.id}": {why}'
                    )
    return errors


def _check_workload(index: _Index, triples: list[tuple[Person, Shift, Position]]) -> list[str]:
    """Rule 10: total minutes and shifts per calendar day in the problem's time zone."""
    errors = []
    for pid, shifts in _shifts_by_person(triples).items():
        person = index.people[pid]
        minutes = sum(s.minutes for s in shifts)
        if person.max_minutes is not None and minutes > person.max_minutes:
            errors.append(
                f'rule 10 (max_minutes): person "{pid}" has {minutes} min > {person.max_minutes}'
            )
        if person.max_shifts_per_day is None:
            continue
        per_day = Counter(index.day(s) for s in shifts)
        for day, n in sorted(per_day.items()):
            if n > person.max_shifts_per_day:
                errors.append(
                    f'rule 10 (max_shifts_per_day): person "{pid}" has {n} shifts starting on '
                    f"{day.isoformat()} > {person.max_shifts_per_day}"
                )
    return errors


def _check_counts(problem: Problem, triples: list[tuple[Person, Shift, Position]]) -> list[str]:
    """Rule 11: at most count, and none or at least min_count."""
    filled = Counter(q.id for _, _, q in triples)
    errors = []
    for shift in problem.shifts:
        for q in shift.positions:
            n = filled[q.id]
            if n > q.count:
                errors.append(f'rule 11 (count): position "{q.id}" has {n} people > {q.count}')
            elif 0 < n < q.min_count:
                errors.append(
                    f'rule 11 (min_count): position "{q.id}" has {n} people, fewer than '
                    f"min_count {q.min_count} (and more than none)"
                )
    return errors


def _check_fixed(problem: Problem, triples: list[tuple[Person, Shift, Position]]) -> list[str]:
    """Rule 12."""
    present = {(p.id, q.id) for p, _, q in triples}
    return [
        f'rule 12 (fixed): person "{f.person_id}" is not on fixed position "{f.position_id}"'
        for f in problem.fixed
        if (f.person_id, f.position_id) not in present
    ]


# --- objective ---


def exact(number: float) -> Fraction:
    """A weight or limit as the decimal it is written as (0.1 is one tenth, not the nearest
    binary fraction)."""
    return Fraction(repr(number)) if isinstance(number, float) else Fraction(number)


def _km_fraction(km: float) -> Fraction:
    """km is rounded to one decimal: take it as the exact decimal it stands for."""
    return Fraction(round(km * 10), 10)


def _incentive_level(person: Person, points_cap: Fraction) -> int:
    """inc(p) = floor(100 * min(points, cap) / cap)."""
    return math.floor(100 * min(Fraction(person.points), points_cap) / points_cap)


def assignment_terms(
    index: _Index, person: Person, shift: Shift, position: Position
) -> dict[str, Fraction]:
    """The per-assignment terms of the objective (exact)."""
    w = index.problem.weights
    km = km_between(person.location, shift.location)
    cap = exact(w.points_cap)
    skill_surplus = sum(person.skills.get(name, 0) - need for name, need in position.skills.items())
    return {
        "coverage": exact(w.coverage) * 2 ** (shift.priority - 1),
        "skill": exact(w.skill) * skill_surplus,
        "distance": -exact(w.distance) * _km_fraction(km) if km is not None else Fraction(0),
        "preference": exact(w.preference) if shift.kind in person.preferred_kinds else Fraction(0),
        "continuity": (
            exact(w.continuity) if (person.id, shift.request_id) in index.history else Fraction(0)
        ),
        "incentive": exact(w.incentive)
        * _incentive_level(person, cap)
        * Fraction(shift.minutes, 60),
        STABILITY: (
            exact(w.stability) if (person.id, position.id) in index.incumbents else Fraction(0)
        ),
    }


def fairness_term(problem: Problem, person: Person, assigned_minutes: int) -> Fraction:
    """-W.fairness * (L/60)^2 with L = recent_minutes + assigned minutes (exact)."""
    load = Fraction(person.recent_minutes + assigned_minutes, 60)
    return -exact(problem.weights.fairness) * load * load


def objective_fractions(problem: Problem, assignments: Sequence[Assignment]) -> dict[str, Fraction]:
    """Each objective term summed exactly; unknown ids are skipped (check_assignments names
    them).

    The same sums as adding up `assignment_terms` and `fairness_term` one by one, but each term
    is a weight times an integer sum (over a fixed denominator), so the integers are summed
    first and multiplied once (exact, and fast on large solutions).
    """
    index = _Index(problem)
    w = problem.weights
    cap = exact(w.points_cap)
    names = term_names(problem)
    coverage = skill = tenths = preference = continuity = incentive = stability = 0
    levels: dict[str, int] = {}
    minutes: Counter[str] = Counter()
    for a in assignments:
        person, found = index.people.get(a.person_id), index.positions.get(a.position_id)
        if person is None or found is None:
            continue
        shift, position = found
        coverage += 2 ** (shift.priority - 1)
        skill += sum(person.skills.get(name, 0) - need for name, need in position.skills.items())
        km = km_between(person.location, shift.location)
        if km is not None:
            tenths += round(km * 10)
        preference += shift.kind in person.preferred_kinds
        continuity += (person.id, shift.request_id) in index.history
        level = levels.get(person.id)
        if level is None:
            level = levels[person.id] = _incentive_level(person, cap)
        incentive += level * shift.minutes
        stability += (person.id, position.id) in index.incumbents
        minutes[person.id] += shift.minutes
    squares = sum((p.recent_minutes + minutes[p.id]) ** 2 for p in problem.people)
    terms = {
        "coverage": exact(w.coverage) * coverage,
        "skill": exact(w.skill) * skill,
        "distance": -exact(w.distance) * Fraction(tenths, 10),
        "preference": exact(w.preference) * preference,
        "continuity": exact(w.continuity) * continuity,
        "incentive": exact(w.incentive) * Fraction(incentive, 60),
        STABILITY: exact(w.stability) * stability,
        # every person, assigned or not: -W * (L/60)^2 summed
        "fairness": -exact(w.fairness) * Fraction(squares, 3600),
    }
    return {name: terms[name] for name in names}


def compute_objective(problem: Problem, assignments: Sequence[Assignment]) -> Objective:
    """The spec's objective of `assignments`: exact sums (Fraction) reported as floats."""
    terms = objective_fractions(problem, assignments)
    return Objective(
        total=float(sum(terms.values(), Fraction(0))),
        terms={name: float(value) for name, value in terms.items()},
    )


# --- fairness ---


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values; 0.0 for none or all zero (perfectly equal)."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return 2 * weighted / (n * total) - (n + 1) / n


def jain(values: Sequence[float]) -> float:
    """Jain's fairness index (sum x)^2 / (n * sum x^2); 1.0 for none or all zero (equal)."""
    n, squares = len(values), sum(x * x for x in values)
    if n == 0 or squares == 0:
        return 1.0
    return sum(values) ** 2 / (n * squares)


def fairness_summary(
    problem: Problem, assignments: Sequence[Assignment], people_available_ids: Iterable[str]
) -> FairnessSummary:
    """Gini and Jain of assigned minutes over `people_available_ids` (people with an eligible
    position), plus how many people got any assignment."""
    index = _Index(problem)
    minutes: Counter[str] = Counter()
    for a in assignments:
        found = index.positions.get(a.position_id)
        if a.person_id in index.people and found is not None:
            minutes[a.person_id] += found[0].minutes
    available = sorted(set(people_available_ids))
    values = [float(minutes[pid]) for pid in available]
    return FairnessSummary(
        people_assigned=len(minutes),
        people_available=len(available),
        gini_minutes=gini(values),
        jain_minutes=jain(values),
    )


# --- the unfilled funnel, recomputed plainly ---


def _could_join(index: _Index, person: Person, shift: Shift, own: list[Shift]) -> bool:
    """Rules 8-10 for adding `shift` to a person who already holds `own` (the rest of the
    solution)."""
    if any(s.id == shift.id for s in own):
        return False
    if any(_shifts_clash(index, s, shift) is not None for s in own):
        return False
    minutes = sum(s.minutes for s in own) + shift.minutes
    if person.max_minutes is not None and minutes > person.max_minutes:
        return False
    if person.max_shifts_per_day is not None:
        day = index.day(shift)
        if sum(1 for s in own if index.day(s) == day) + 1 > person.max_shifts_per_day:
            return False
    return True


def plain_funnel(
    index: _Index, shift: Shift, position: Position, own: dict[str, list[Shift]]
) -> dict[str, int]:
    """Cumulative counts of people passing rules 1..7, then `free` (rules 8-10 given `own`)."""
    counts = dict.fromkeys(FUNNEL_STAGES, 0)
    for person in index.problem.people:
        passed = True
        for stage, rule in PAIR_RULES:
            if rule(person, shift, position) is not None:
                passed = False
                break
            counts[stage] += 1
        if not passed or (person.id, shift.id) in index.forbidden:
            continue
        counts["not_forbidden"] += 1
        if _could_join(index, person, shift, own.get(person.id, [])):
            counts["free"] += 1
    return counts


def unfilled_reason(funnel: dict[str, int], assigned: int, position: Position) -> str:
    """The first funnel stage at 0; else min_count when the free people cannot reach min_count
    on an empty position; else objective."""
    for stage in FUNNEL_STAGES:
        if funnel[stage] == 0:
            return stage
    if assigned == 0 and funnel["free"] < position.min_count:
        return "min_count"
    return "objective"


# --- the whole solution file ---


def validate_solution(
    problem: Problem, solution: Solution, *, check_funnel: bool = True
) -> list[str]:
    """Every way `solution` breaks the contract for `problem`; empty means valid.

    Checks the version, hard rules 1-12, the objective (total and terms within 1e-6), the gap
    formula and bound, `fairness.people_assigned`, and the unfilled entries (one per short
    position, `missing`, and with `check_funnel` the funnel counts and reason recomputed from
    scratch). Gini and Jain are not recomputed: they need every person's eligibility.
    """
    errors = []
    if solution.version != FORMAT_VERSION:
        errors.append(f"version: must be {FORMAT_VERSION}, got {solution.version}")
    errors += check_assignments(problem, solution.assignments)
    assigned = len({a.person_id for a in solution.assignments})
    if solution.fairness.people_assigned != assigned:
        errors.append(
            f"fairness.people_assigned {solution.fairness.people_assigned} != {assigned} people "
            "with an assignment"
        )
    errors += _check_objective(problem, solution)
    errors += _check_gap(solution)
    errors += _check_unfilled(problem, solution, check_funnel)
    return errors


def _check_objective(problem: Problem, solution: Solution) -> list[str]:
    expected = compute_objective(problem, solution.assignments)
    errors = []
    if not math.isclose(solution.objective.total, expected.total, rel_tol=0, abs_tol=TOLERANCE):
        errors.append(f"objective.total {solution.objective.total} != recomputed {expected.total}")
    names = term_names(problem)
    if set(solution.objective.terms) != set(names):
        errors.append(f"objective.terms keys must be {', '.join(names)}")
    for name in names:
        got = solution.objective.terms.get(name)
        if got is not None and not math.isclose(
            got, expected.terms[name], rel_tol=0, abs_tol=TOLERANCE
        ):
            errors.append(f"objective.terms.{name} {got} != recomputed {expected.terms[name]}")
    return errors


def _check_gap(solution: Solution) -> list[str]:
    bound, gap, total = solution.stats.bound, solution.stats.gap, solution.objective.total
    if bound is None:
        return [] if gap is None else [f"stats.gap is {gap} but stats.bound is null"]
    errors = []
    if bound < total - TOLERANCE:
        errors.append(f"stats.bound {bound} is below objective.total {total}: not an upper bound")
    expected = (bound - total) / max(1.0, abs(bound))
    if gap is None or not math.isclose(gap, expected, rel_tol=0, abs_tol=TOLERANCE):
        errors.append(f"stats.gap {gap} != (bound - total) / max(1, |bound|) = {expected}")
    return errors


def _check_unfilled(problem: Problem, solution: Solution, check_funnel: bool) -> list[str]:
    index = _Index(problem)
    filled = Counter(a.position_id for a in solution.assignments)
    entries: dict[str, list[Unfilled]] = defaultdict(list)
    for u in solution.unfilled:
        entries[u.position_id].append(u)
    errors = [f'unfilled: unknown position "{q}"' for q in entries if q not in index.positions]
    errors += [
        f'unfilled: position "{q}" listed {len(v)} times' for q, v in entries.items() if len(v) > 1
    ]
    own = _own_shifts(index, solution.assignments)
    for shift in problem.shifts:
        for q in shift.positions:
            missing = q.count - filled[q.id]
            listed = entries.get(q.id)
            if missing <= 0:
                if listed:
                    errors.append(f'unfilled: position "{q.id}" is full but listed')
                continue
            if not listed:
                errors.append(f'unfilled: position "{q.id}" misses {missing} but is not listed')
                continue
            errors += _check_entry(
                index, shift, q, listed[0], missing, filled[q.id], own, check_funnel
            )
    return errors


def _own_shifts(index: _Index, assignments: Sequence[Assignment]) -> dict[str, list[Shift]]:
    own: dict[str, list[Shift]] = defaultdict(list)
    for a in assignments:
        found = index.positions.get(a.position_id)
        if found is not None:
            own[a.person_id].append(found[0])
    return own


def _check_entry(
    index: _Index,
    shift: Shift,
    position: Position,
    entry: Unfilled,
    missing: int,
    assigned: int,
    own: dict[str, list[Shift]],
    check_funnel: bool,
) -> list[str]:
    where = f'unfilled "{position.id}"'
    errors = []
    if entry.missing != missing:
        errors.append(f"{where}: missing {entry.missing} != {missing}")
    funnel = entry.funnel
    reason = entry.reason
    if list(funnel) != list(FUNNEL_STAGES):
        errors.append(f"{where}: funnel keys must be {', '.join(FUNNEL_STAGES)} in that order")
        return errors
    if reason not in REASONS:
        errors.append(f"{where}: unknown reason {reason!r}")
    if check_funnel:
        expected = plain_funnel(index, shift, position, own)
        if funnel != expected:
            errors.append(f"{where}: funnel {funnel} != recomputed {expected}")
        funnel = expected
    want = unfilled_reason(funnel, assigned, position)
    if reason != want:
        errors.append(f"{where}: reason {reason!r} != {want!r}")
    return errors

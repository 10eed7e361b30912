"""A coordinator's summary of a solution: fill by priority, unfilled positions and why, fairness."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from matching.domain import Problem, Solution

# Plain words for each reason, as a coordinator would read them.
REASON_TEXT = {
    "role": "nobody has the role",
    "skills": "nobody with the role has the skills",
    "availability": "nobody qualified is free then",
    "background_check": "nobody free has a background check",
    "language": "nobody free speaks the language",
    "distance": "everyone free lives too far",
    "not_forbidden": "everyone left declined or was blocked",
    "free": "everyone eligible is busy or at their limit",
    "min_count": "too few free people to make the shift viable",
    "objective": "free people exist, but adding them costs more than it gains",
}


@dataclass(frozen=True, slots=True)
class PriorityRow:
    priority: int
    needed: int
    filled: int

    @property
    def rate(self) -> float:
        return self.filled / self.needed if self.needed else 1.0


@dataclass(frozen=True, slots=True)
class UnfilledRow:
    position_id: str
    shift_id: str
    kind: str
    start: str
    priority: int
    missing: int
    reason: str
    explanation: str


@dataclass(frozen=True, slots=True)
class Summary:
    by_priority: tuple[PriorityRow, ...]
    unfilled: tuple[UnfilledRow, ...]
    people_assigned: int
    people_available: int
    gini_minutes: float
    jain_minutes: float
    objective: float
    bound: float | None
    gap: float | None
    status: str
    wall_seconds: float

    @property
    def priority_weighted_fill(self) -> float:
        """Filled seats over needed seats, each weighted 2^(priority-1) like coverage."""
        weight = {row.priority: 2 ** (row.priority - 1) for row in self.by_priority}
        needed = sum(weight[r.priority] * r.needed for r in self.by_priority)
        filled = sum(weight[r.priority] * r.filled for r in self.by_priority)
        return filled / needed if needed else 1.0


def summarize(problem: Problem, solution: Solution) -> Summary:
    """The figures a coordinator reviews before publishing, from a problem and its solution."""
    needed: Counter[int] = Counter()
    filled: Counter[int] = Counter()
    held = Counter(a.position_id for a in solution.assignments)
    where = {}
    for shift in problem.shifts:
        for position in shift.positions:
            where[position.id] = shift
            needed[shift.priority] += position.count
            filled[shift.priority] += min(held[position.id], position.count)
    unfilled = tuple(
        UnfilledRow(
            position_id=entry.position_id,
            shift_id=where[entry.position_id].id,
            kind=where[entry.position_id].kind,
            start=where[entry.position_id].start.isoformat(),
            priority=where[entry.position_id].priority,
            missing=entry.missing,
            reason=entry.reason,
            explanation=REASON_TEXT.get(entry.reason, entry.reason),
        )
        for entry in sorted(
            solution.unfilled,
            key=lambda u: (-where[u.position_id].priority, where[u.position_id].start),
        )
    )
    stats = solution.stats
    return Summary(
        by_priority=tuple(
            PriorityRow(p, needed[p], filled[p]) for p in sorted(needed, reverse=True)
        ),
        unfilled=unfilled,
        people_assigned=solution.fairness.people_assigned,
        people_available=solution.fairness.people_available,
        gini_minutes=solution.fairness.gini_minutes,
        jain_minutes=solution.fairness.jain_minutes,
        objective=solution.objective.total,
        bound=stats.bound,
        gap=stats.gap,
        status=stats.status,
        wall_seconds=stats.wall_seconds,
    )


def format_summary(summary: Summary, *, max_unfilled: int = 15) -> str:
    """The summary as a plain-text table for a terminal."""
    lines = ["priority  filled / needed   rate"]
    for row in summary.by_priority:
        lines.append(f"{row.priority:>8}  {row.filled:>6} / {row.needed:<6}  {row.rate:6.1%}")
    lines.append(f"priority-weighted fill: {summary.priority_weighted_fill:.1%}")
    gap = "n/a" if summary.gap is None else f"{summary.gap:.3%}"
    lines.append(
        f"objective {summary.objective:,.1f}  status {summary.status}  gap {gap}"
        f"  in {summary.wall_seconds:.1f} s"
    )
    lines.append(
        f"fairness: {summary.people_assigned} of {summary.people_available} available people"
        f" assigned; Gini {summary.gini_minutes:.3f}, Jain {summary.jain_minutes:.3f}"
    )
    if summary.unfilled:
        lines.append(f"unfilled positions ({len(summary.unfilled)}):")
        for row in summary.unfilled[:max_unfilled]:
            lines.append(
                f"  P{row.priority} {row.start[:16]} {row.kind:<16} {row.position_id:<10}"
                f" missing {row.missing}: {row.explanation}"
            )
        if len(summary.unfilled) > max_unfilled:
            lines.append(f"  ... and {len(summary.unfilled) - max_unfilled} more")
    return "\n".join(lines)

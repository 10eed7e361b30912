"""The coordinator's summary: fill by priority, unfilled reasons in words, fairness."""

from __future__ import annotations

from matching.domain import FUNNEL_STAGES
from matching.report import REASON_TEXT, format_summary, summarize
from matching.solver import SolverConfig, solve
from tests.builders import make_person, make_position, make_problem, make_shift


def _problem():
    urgent = make_shift("s1", priority=5, positions=(make_position("s1/vol", count=2),))
    # Needs Cantonese; nobody speaks it, so the funnel stops at "language".
    routine = make_shift(
        "s2", priority=1, language="yue", positions=(make_position("s2/vol", count=1),)
    )
    people = [make_person(f"p{i}", languages=("cmn",)) for i in range(3)]
    return make_problem(people, [urgent, routine])


def test_summary_counts_seats_by_priority_and_explains_unfilled():
    problem = _problem()
    solution = solve(problem, SolverConfig(solver="greedy"))
    summary = summarize(problem, solution)
    rows = {row.priority: (row.filled, row.needed) for row in summary.by_priority}
    assert rows == {5: (2, 2), 1: (0, 1)}
    # Weighted 16 per seat at priority 5 and 1 at priority 1: (2*16) / (2*16 + 1).
    assert abs(summary.priority_weighted_fill - 32 / 33) < 1e-9
    [unfilled] = summary.unfilled
    assert (unfilled.position_id, unfilled.reason) == ("s2/vol", "language")
    assert unfilled.explanation == REASON_TEXT["language"]
    text = format_summary(summary)
    assert "s2/vol" in text and REASON_TEXT["language"] in text


def test_every_reason_has_plain_words():
    assert set(REASON_TEXT) == {*FUNNEL_STAGES, "min_count", "objective"}

"""Hard rules through both solvers: trivially feasible, forced violation refused, edge allowed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from matching.domain import Location, Problem, Solution
from matching.solver import InfeasibleProblem, solve
from tests.builders import HERE, at, make_person, make_position, make_problem, make_shift
from tests.matching.conftest import deterministic_config

Solve = Callable[[Problem], Solution]
FAR = Location(HERE.lat + 0.05, HERE.lon)  # about 5.6 km north


def filled(solution: Solution) -> int:
    return len(solution.assignments)


def reasons(solution: Solution) -> set[str]:
    return {u.reason for u in solution.unfilled}


def test_trivially_feasible(solved: Solve) -> None:
    solution = solved(make_problem([make_person()], [make_shift()]))
    assert filled(solution) == 1
    assert solution.unfilled == ()


# --- rules 1-7 through the solver ---


@pytest.mark.parametrize(
    ("person", "position", "expected"),
    [
        ({"role": "volunteer"}, {"role": "social_worker"}, 0),
        ({"role": "volunteer"}, {"role": "volunteer"}, 1),
        ({"role": "social_worker"}, {"role": "any"}, 1),
        ({"skills": {"care": 1}}, {"skills": {"care": 2}}, 0),
        ({"skills": {"care": 2}}, {"skills": {"care": 2}}, 1),
    ],
)
def test_role_and_skills(solved: Solve, person: dict, position: dict, expected: int) -> None:
    shift = make_shift(positions=(make_position("s1/vol", **position),))
    assert filled(solved(make_problem([make_person(**person)], [shift]))) == expected


def test_availability_must_contain_the_shift(solved: Solve) -> None:
    exact = make_person("p1", availability=((at(0, 14), at(0, 16)),))
    short = make_person("p2", availability=((at(0, 14), at(0, 15, 59)),))
    split = make_person("p3", availability=((at(0, 14), at(0, 15)), (at(0, 15), at(0, 16))))
    problem = make_problem([short, split], [make_shift()])
    assert filled(solved(problem)) == 0
    assert reasons(solved(problem)) == {"availability"}
    assert filled(solved(make_problem([exact], [make_shift()]))) == 1


def test_background_check_and_language(solved: Solve) -> None:
    shift = make_shift(requires_background_check=True, language="yue")
    unchecked = make_person("p1", background_checked=False)
    mandarin = make_person("p2", languages=("cmn",))
    assert filled(solved(make_problem([unchecked, mandarin], [shift]))) == 0
    assert filled(solved(make_problem([make_person("p3")], [shift]))) == 1


def test_distance_up_to_max_travel_km(solved: Solve) -> None:
    shift = make_shift(location=FAR)
    km = 5.6  # haversine(HERE, FAR) rounded to 0.1
    assert filled(solved(make_problem([make_person(max_travel_km=km - 0.1)], [shift]))) == 0
    assert filled(solved(make_problem([make_person(max_travel_km=km)], [shift]))) == 1


def test_forbidden_pair_is_not_made(solved: Solve) -> None:
    problem = make_problem([make_person()], [make_shift()], forbidden=(("p1", "s1"),))
    solution = solved(problem)
    assert filled(solution) == 0
    assert reasons(solution) == {"not_forbidden"}


# --- rule 8 ---


def test_one_position_per_shift(solved: Solve) -> None:
    shift = make_shift(positions=(make_position("s1/a"), make_position("s1/b")))
    assert filled(solved(make_problem([make_person()], [shift]))) == 1
    two = make_problem([make_person("p1"), make_person("p2")], [shift])
    assert filled(solved(two)) == 2


# --- rule 9 ---


def two_shifts(gap_minutes: int, second_location: Location | None = HERE) -> list:
    first = make_shift("s1", start=at(0, 10), end=at(0, 12))
    start = at(0, 12) + timedelta(minutes=gap_minutes)
    second = make_shift("s2", start=start, end=start + timedelta(hours=2), location=second_location)
    return [first, second]


def test_overlapping_shifts_are_refused(solved: Solve) -> None:
    assert filled(solved(make_problem([make_person()], two_shifts(-1)))) == 1


def test_touching_shifts_at_the_same_place_are_allowed(solved: Solve) -> None:
    assert filled(solved(make_problem([make_person()], two_shifts(0)))) == 2


def test_travel_buffer_between_different_places(solved: Solve) -> None:
    assert filled(solved(make_problem([make_person()], two_shifts(0, FAR)))) == 1
    assert filled(solved(make_problem([make_person()], two_shifts(29, FAR)))) == 1
    assert filled(solved(make_problem([make_person()], two_shifts(30, FAR)))) == 2


def test_no_buffer_without_a_location(solved: Solve) -> None:
    # km(a, b) is undefined when a location is missing, so only overlap applies.
    assert filled(solved(make_problem([make_person()], two_shifts(0, None)))) == 2


def test_many_overlapping_shifts_take_a_maximum_chain(solved_cp_sat: Solve) -> None:
    # Shifts every hour, two hours long: at most every other one fits.
    work = [make_shift(f"s{k}", start=at(0, 8 + k), end=at(0, 10 + k)) for k in range(6)]
    assert filled(solved_cp_sat(make_problem([make_person()], work))) == 3


# --- rule 10 ---


def test_max_minutes_exactly_reached(solved: Solve) -> None:
    work = two_shifts(0)
    assert filled(solved(make_problem([make_person(max_minutes=240)], work))) == 2
    assert filled(solved(make_problem([make_person(max_minutes=239)], work))) == 1


def test_max_shifts_per_day_counts_calendar_days_in_the_problem_timezone(solved: Solve) -> None:
    # 23:00 Monday and 01:00 Tuesday in Shanghai: one UTC day, two local days.
    late = make_shift("s1", start=at(0, 23), end=at(0, 23, 30))
    early = make_shift("s2", start=at(1, 1), end=at(1, 1, 30))
    person = make_person(max_shifts_per_day=1)
    assert filled(solved(make_problem([person], [late, early]))) == 2
    # 07:00 and 09:00 Tuesday in Shanghai: two UTC days, one local day.
    morning = make_shift("s1", start=at(1, 7), end=at(1, 7, 30))
    later = make_shift("s2", start=at(1, 9), end=at(1, 9, 30))
    assert filled(solved(make_problem([person], [morning, later]))) == 1
    relaxed = make_person(max_shifts_per_day=2)
    assert filled(solved(make_problem([relaxed], [morning, later]))) == 2


# --- rule 11 ---


def test_count_caps_a_position(solved: Solve) -> None:
    shift = make_shift(positions=(make_position("s1/vol", count=2),))
    crowd = [make_person(f"p{k}") for k in range(3)]
    assert filled(solved(make_problem(crowd, [shift]))) == 2


def test_min_count_is_all_or_nothing(solved: Solve) -> None:
    shift = make_shift(positions=(make_position("s1/vol", count=3, min_count=3),))
    two = [make_person(f"p{k}") for k in range(2)]
    solution = solved(make_problem(two, [shift]))
    assert filled(solution) == 0
    assert reasons(solution) == {"min_count"}
    three = [make_person(f"p{k}") for k in range(3)]
    assert filled(solved(make_problem(three, [shift]))) == 3


def test_min_count_reached_exactly(solved: Solve) -> None:
    shift = make_shift(positions=(make_position("s1/vol", count=4, min_count=2),))
    two = [make_person(f"p{k}") for k in range(2)]
    assert filled(solved(make_problem(two, [shift]))) == 2


# --- rule 12 ---


def test_fixed_pair_is_kept_even_when_worse(solved: Solve) -> None:
    near, far = make_person("near"), make_person("far", location=FAR)
    problem = make_problem([near, far], [make_shift()], fixed=(("far", "s1/vol"),))
    solution = solved(problem)
    assert [(a.person_id, a.position_id) for a in solution.assignments] == [("far", "s1/vol")]


def test_fixed_pair_completes_its_min_count(solved: Solve) -> None:
    shift = make_shift(positions=(make_position("s1/vol", count=2, min_count=2),))
    crowd = [make_person("p1"), make_person("p2", recent_minutes=6000)]
    solution = solved(make_problem(crowd, [shift], fixed=(("p1", "s1/vol"),)))
    assert filled(solution) == 2


@pytest.mark.parametrize("solver", ["greedy", "cp-sat"])
def test_fixed_pair_breaking_a_rule_is_infeasible(solver: str) -> None:
    problem = make_problem(
        [make_person(role="volunteer")],
        [make_shift(positions=(make_position("s1/vol", role="social_worker"),))],
        fixed=(("p1", "s1/vol"),),
    )
    with pytest.raises(InfeasibleProblem, match="rule 1"):
        solve(problem, deterministic_config(solver))


@pytest.mark.parametrize("solver", ["greedy", "cp-sat"])
def test_clashing_fixed_pairs_are_infeasible(solver: str) -> None:
    problem = make_problem(
        [make_person()], two_shifts(-30), fixed=(("p1", "s1/vol"), ("p1", "s2/vol"))
    )
    with pytest.raises(InfeasibleProblem, match="overlap"):
        solve(problem, deterministic_config(solver))


def test_min_count_formulation_links_seats_to_the_active_position() -> None:
    from matching.candidates import build_pair_table
    from matching.eligibility import compute_eligibility
    from matching.solver import build_model
    from tests.builders import make_person, make_position, make_problem, make_shift

    people = [make_person(f"p{k}") for k in range(4)]
    shift = make_shift("s1", positions=(make_position("s1/v", count=3, min_count=2),))
    problem = make_problem(people, [shift])
    table = build_pair_table(problem, compute_eligibility(problem))
    mm = build_model(table, list(range(table.pair_count)))
    assert set(mm.active) == {0}
    # Linear, without enforcement literals, so that the LP relaxation sees them.
    linear = [c for c in mm.model.proto.constraints if len(c.linear.vars) > 0]
    assert linear
    assert all(not c.enforcement_literal for c in linear)
    # ... plus x => active for each of the four seat candidates.
    assert len(mm.model.proto.constraints) >= len(linear) + 4

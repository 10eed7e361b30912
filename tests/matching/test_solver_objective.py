"""Each objective term decides a tiny case; the solver's integer objective matches validation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from matching import objective
from matching.domain import OBJECTIVE_SCALE, Location, Problem, Solution, Weights
from matching.generate import generate_problem
from matching.validation import compute_objective
from tests.builders import HERE, at, make_person, make_position, make_problem, make_shift
from tests.matching.conftest import solve_valid

Solve = Callable[[Problem], Solution]


def one_seat(*people, **shift_overrides) -> Problem:
    return make_problem(list(people), [make_shift(**shift_overrides)])


def test_coverage_prefers_the_more_urgent_shift(solved: Solve) -> None:
    urgent = make_shift("s1", priority=5)
    routine = make_shift("s2", priority=1)  # same time: only one fits
    solution = solved(make_problem([make_person()], [routine, urgent]))
    assert solution.objective.terms["coverage"] == 1000 * 2**4


def test_skill_prefers_the_stronger_person(solved: Solve) -> None:
    shift = make_shift(positions=(make_position("s1/vol", skills={"care": 2}),))
    weak, strong = (
        make_person("weak", skills={"care": 2}),
        make_person("strong", skills={"care": 5}),
    )
    solution = solved(make_problem([weak, strong], [shift]))
    assert solution.objective.terms["skill"] == 20 * 3


def test_distance_prefers_the_nearer_person(solved: Solve) -> None:
    near = make_person("near", location=Location(HERE.lat + 0.01, HERE.lon))
    far = make_person("far", location=Location(HERE.lat + 0.03, HERE.lon))
    solution = solved(one_seat(far, near))
    assert solution.objective.terms["distance"] == pytest.approx(-10 * 1.1)


def test_preference_prefers_who_likes_the_kind(solved: Solve) -> None:
    keen = make_person("keen", preferred_kinds=("elderly_visit",))
    solution = solved(one_seat(make_person("other"), keen))
    assert solution.objective.terms["preference"] == 50


def test_continuity_prefers_who_served_the_request(solved: Solve) -> None:
    problem = make_problem(
        [make_person("new"), make_person("known")], [make_shift()], history=(("known", "r-s1", 2),)
    )
    assert solved(problem).objective.terms["continuity"] == 100


@pytest.mark.parametrize(("weight", "expected"), [(3, 3 * 100 * 2), (-3, -3 * 10 * 2)])
def test_incentive_follows_the_sign_of_its_weight(
    solved: Solve, weight: int, expected: float
) -> None:
    rich, poor = make_person("rich", points=1000), make_person("poor", points=100)
    problem = make_problem([rich, poor], [make_shift()], weights=Weights(incentive=weight))
    assert solved(problem).objective.terms["incentive"] == pytest.approx(expected)


def test_fairness_prefers_the_less_busy_person(solved: Solve) -> None:
    busy, idle = make_person("busy", recent_minutes=600), make_person("idle", recent_minutes=60)
    solution = solved(one_seat(busy, idle))
    # busy keeps 10 h, idle goes from 1 h to 3 h.
    assert solution.objective.terms["fairness"] == pytest.approx(-5 * (100 + 9))


def test_fairness_can_leave_a_seat_empty(solved: Solve) -> None:
    # A low-value seat for someone already at 40 hours costs more in fairness than it earns.
    tired = make_person(recent_minutes=2400)
    problem = make_problem([tired], [make_shift(priority=1)], weights=Weights(fairness=50))
    solution = solved(problem)
    assert solution.assignments == ()
    assert {u.reason for u in solution.unfilled} == {"objective"}


def test_fairness_spreads_two_shifts_over_two_people(solved_cp_sat: Solve) -> None:
    first = make_shift("s1", start=at(0, 9), end=at(0, 11))
    second = make_shift("s2", start=at(1, 9), end=at(1, 11))
    solution = solved_cp_sat(make_problem([make_person("a"), make_person("b")], [first, second]))
    assert len({a.person_id for a in solution.assignments}) == 2


def test_units_are_exact_integers() -> None:
    units = objective.Units(Weights())
    shift = make_shift(priority=3)
    assert objective.coverage(units, shift) == 1000 * 4 * OBJECTIVE_SCALE
    assert objective.distance(units, 1.3) == -10 * 13 * 3600
    assert objective.FairnessCost(Weights()).of(90) == 5 * 90 * 90 * 10  # 5 * 1.5h^2 * 36000


def test_achievable_loads_are_subset_sums() -> None:
    assert objective.achievable_loads([120, 180], 1000) == [0, 120, 180, 300]
    assert objective.achievable_loads([120, 180], 200) == [0, 120, 180]


@pytest.mark.parametrize("seed", [0, 1])
def test_integer_objective_matches_validation(seed: int) -> None:
    problem = generate_problem("S", seed=seed)
    solution = solve_valid(problem, "cp-sat", time_limit_s=3.0)
    expected = compute_objective(problem, solution.assignments).total
    extra = solution.stats.extra
    assert extra["objective_scaled"] / OBJECTIVE_SCALE == pytest.approx(expected, abs=1e-6)
    if solution.stats.status == "OPTIMAL":
        assert extra["model_objective_scaled"] / OBJECTIVE_SCALE == pytest.approx(
            expected, abs=1e-6
        )


def test_cp_sat_model_objective_is_exact_on_a_solved_case() -> None:
    crowd = [make_person(f"p{k}", recent_minutes=60 * k) for k in range(3)]
    work = [
        make_shift("s1", start=at(0, 9), end=at(0, 11)),
        make_shift("s2", start=at(0, 12), end=at(0, 15)),
        make_shift("s3", start=at(1, 9), end=at(1, 10, 30)),
    ]
    problem = make_problem(crowd, work)
    solution = solve_valid(problem, "cp-sat")
    assert solution.stats.status == "OPTIMAL"
    model_total = solution.stats.extra["model_objective_scaled"] / OBJECTIVE_SCALE
    assert model_total == pytest.approx(solution.objective.total, abs=1e-6)


def test_pair_table_scores_equal_the_term_functions() -> None:
    from matching.candidates import build_pair_table
    from matching.eligibility import compute_eligibility

    problem = generate_problem("S", seed=3)
    table = build_pair_table(problem, compute_eligibility(problem))
    units = objective.Units(problem.weights)
    history = {(h.person_id, h.request_id) for h in problem.history}
    for i in range(0, table.pair_count, 7):
        person = table.people[table.pair_person[i]]
        position = table.positions[table.pair_position[i]]
        shift = table.shifts[table.pair_shift[i]]
        km = table.eligibility.km.get((person.id, shift.id))
        linked = (person.id, shift.request_id) in history
        terms = objective.assignment_terms(units, person, position, shift, km, linked)
        assert table.pair_score[i] == sum(terms.values())


def test_models_are_written_in_the_largest_common_unit() -> None:
    """The unit is the gcd of every score and fairness breakpoint of the model (9000 on the
    generated S: scores are multiples of 36000); the model's objective times the unit is the
    engine's exact total, also where the unit falls to 1."""
    import math

    from matching.candidates import build_pair_table
    from matching.eligibility import compute_eligibility
    from matching.solver import build_model

    problem = generate_problem("S", seed=0)
    table = build_pair_table(problem, compute_eligibility(problem))
    mm = build_model(table, list(range(table.pair_count)))
    expected = 0
    for i in mm.x:
        expected = math.gcd(expected, table.pair_score[i])
    for person in mm.fair:
        minutes = [table.shift_minutes[s] for s in mm.person_shifts(person)]
        for load in objective.achievable_loads(minutes, mm.max_load(person)):
            expected = math.gcd(expected, table.fairness.extra(mm.recent(person), load))
    assert mm.unit == expected == 9000

    # Fairness 0.1 (one unit per squared minute), seven recent minutes per person and a
    # 61-minute shift: the fairness values 61 * (2R + 61) share no factor with the scores.
    crowd = [make_person(f"p{k}", recent_minutes=7 * k) for k in range(3)]
    work = [make_shift("s1", start=at(0, 9), end=at(0, 10, 1))]
    skewed = make_problem(crowd, work, weights=Weights(fairness=0.1))
    skewed_table = build_pair_table(skewed, compute_eligibility(skewed))
    assert build_model(skewed_table, list(range(skewed_table.pair_count))).unit == 1
    solution = solve_valid(skewed, "cp-sat")
    assert solution.stats.status == "OPTIMAL"
    model_total = solution.stats.extra["model_objective_scaled"] / OBJECTIVE_SCALE
    assert model_total == pytest.approx(solution.objective.total, abs=1e-6)

"""Hard rules 1-7: each filters as specified (edges included), the funnel, and the fast index
agrees with a naive people x positions reference."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.domain import Location, Problem, haversine_km
from matching.eligibility import _cell, _reach_cells, compute_eligibility
from matching.generate import generate_custom, generate_problem
from tests.builders import HERE, at, make_person, make_position, make_problem, make_shift


def _candidates(problem: Problem, position_id: str = "s1/vol") -> tuple[str, ...]:
    return compute_eligibility(problem).candidates[position_id]


def _north_of(location: Location, km: float) -> Location:
    """A point `km` north (one degree of latitude is 2*pi*6371/360 km)."""
    return Location(location.lat + km / 111.19492664455873, location.lon)


# --- rule 1: role ---


def test_role_must_match_unless_any() -> None:
    people = [make_person("sw", role="social_worker"), make_person("v", role="volunteer")]
    lead = make_shift(positions=(make_position("s1/vol", role="social_worker"),))
    assert _candidates(make_problem(people, [lead])) == ("sw",)
    anyone = make_shift(positions=(make_position("s1/vol", role="any"),))
    assert _candidates(make_problem(people, [anyone])) == ("sw", "v")


# --- rule 2: skills ---


def test_skills_need_every_required_level() -> None:
    people = [
        make_person("exact", skills={"care": 2, "yue": 3}),
        make_person("above", skills={"care": 5, "yue": 3}),
        make_person("below", skills={"care": 1, "yue": 3}),
        make_person("absent", skills={"yue": 5}),  # an expired skill is absent from the file
        make_person("none"),
    ]
    shift = make_shift(positions=(make_position("s1/vol", skills={"care": 2, "yue": 3}),))
    assert _candidates(make_problem(people, [shift])) == ("exact", "above")


# --- rule 3: availability ---


def test_availability_exactly_equal_to_the_shift_is_enough() -> None:
    person = make_person("p1", availability=((at(0, 14), at(0, 16)),))
    assert _candidates(make_problem([person], [make_shift(start=at(0, 14))])) == ("p1",)


def test_exceeding_an_interval_by_one_minute_is_not_available() -> None:
    early = make_person("early", availability=((at(0, 14, 1), at(0, 18)),))
    late = make_person("late", availability=((at(0, 12), at(0, 15, 59)),))
    problem = make_problem([early, late], [make_shift(start=at(0, 14))])
    assert _candidates(problem) == ()


def test_adjacent_intervals_are_not_merged() -> None:
    # The spec wants ONE interval containing the shift; 13:00-15:00 spans two touching ones.
    person = make_person("p1", availability=((at(0, 9), at(0, 14)), (at(0, 14), at(0, 18))))
    assert _candidates(make_problem([person], [make_shift(start=at(0, 13))])) == ()
    assert _candidates(make_problem([person], [make_shift(start=at(0, 14))])) == ("p1",)


def test_overlapping_and_unsorted_intervals() -> None:
    person = make_person(
        "p1", availability=((at(0, 13), at(0, 20)), (at(0, 8), at(0, 22)), (at(0, 9), at(0, 10)))
    )
    shift = make_shift(start=at(0, 20), end=at(0, 21, 30))
    assert _candidates(make_problem([person], [shift])) == ("p1",)


def test_shift_crossing_midnight() -> None:
    shift = make_shift(start=at(2, 22), end=at(3, 2))
    inside = make_person("in", availability=((at(2, 20), at(3, 6)),))
    split = make_person("split", availability=((at(2, 20), at(3, 0)), (at(3, 0), at(3, 6))))
    assert _candidates(make_problem([inside, split], [shift])) == ("in",)


def test_availability_compares_instants_across_offsets() -> None:
    # 06:00Z-08:00Z is 14:00-16:00 at +08:00.
    utc = datetime.fromisoformat("2026-11-30T06:00:00+00:00")
    person = make_person("p1", availability=((utc, utc + timedelta(hours=2)),))
    assert _candidates(make_problem([person], [make_shift(start=at(0, 14))])) == ("p1",)


# --- rules 4 and 5: background check, language ---


def test_background_check_only_when_required() -> None:
    people = [make_person("ok"), make_person("no", background_checked=False)]
    assert _candidates(make_problem(people, [make_shift()])) == ("ok", "no")
    checked = make_shift(requires_background_check=True)
    assert _candidates(make_problem(people, [checked])) == ("ok",)


def test_language_only_when_set() -> None:
    people = [make_person("yue", languages=("yue",)), make_person("cmn", languages=("cmn",))]
    assert _candidates(make_problem(people, [make_shift(language="yue")])) == ("yue",)
    assert _candidates(make_problem(people, [make_shift(language=None)])) == ("yue", "cmn")


# --- rule 6: distance ---


def test_distance_exactly_at_the_limit_after_rounding_passes() -> None:
    # 5.04 km rounds to 5.0 <= 5; 5.06 km rounds to 5.1 > 5.
    near = make_person("near", location=_north_of(HERE, 5.04), max_travel_km=5)
    far = make_person("far", location=_north_of(HERE, 5.06), max_travel_km=5)
    assert haversine_km(near.location, HERE) == 5.0  # type: ignore[arg-type]
    assert haversine_km(far.location, HERE) == 5.1  # type: ignore[arg-type]
    problem = make_problem([near, far], [make_shift()])
    assert _candidates(problem) == ("near",)
    assert compute_eligibility(problem).km == {("near", "s1"): 5.0}


def test_no_distance_rule_when_a_location_or_the_limit_is_missing() -> None:
    far = _north_of(HERE, 50)
    people = [
        make_person("nolimit", location=far, max_travel_km=None),
        make_person("nowhere", location=None, max_travel_km=1),
        make_person("limited", location=far, max_travel_km=1),
    ]
    problem = make_problem(people, [make_shift()])
    assert _candidates(problem) == ("nolimit", "nowhere")
    assert compute_eligibility(problem).km == {("nolimit", "s1"): 50.0, ("nowhere", "s1"): None}
    online = make_problem(people, [make_shift(location=None)])
    assert _candidates(online) == ("nolimit", "nowhere", "limited")


def test_large_travel_radius_beyond_the_grid() -> None:
    person = make_person("p1", location=_north_of(HERE, 300), max_travel_km=400)
    assert _candidates(make_problem([person], [make_shift()])) == ("p1",)


# --- rule 7: forbidden ---


def test_forbidden_pair_is_excluded_for_every_position_of_the_shift() -> None:
    shift = make_shift(positions=(make_position("s1/a"), make_position("s1/b")))
    other = make_shift("s2", start=at(1, 14))
    problem = make_problem([make_person("p1")], [shift, other], forbidden=(("p1", "s1"),))
    eligibility = compute_eligibility(problem)
    assert eligibility.candidates == {"s1/a": (), "s1/b": (), "s2/vol": ("p1",)}


# --- the funnel and helpers ---


def test_funnel_counts_cumulatively_in_rule_order() -> None:
    shift = make_shift(
        requires_background_check=True,
        language="yue",
        positions=(make_position("s1/vol", role="volunteer", skills={"care": 2}),),
    )
    far = _north_of(HERE, 10)
    skilled = {"care": 3}
    people = [
        make_person("wrong_role", role="social_worker", skills=skilled),
        make_person("no_skill"),
        make_person("busy", skills=skilled, availability=()),
        make_person("unchecked", skills=skilled, background_checked=False),
        make_person("cmn_only", skills=skilled, languages=("cmn",)),
        make_person("too_far", skills=skilled, location=far, max_travel_km=3),
        make_person("forbidden", skills=skilled),
        make_person("ok", skills=skilled),
        make_person(
            "busy_and_unchecked", skills=skilled, availability=(), background_checked=False
        ),
    ]
    problem = make_problem(people, [shift], forbidden=(("forbidden", "s1"),))
    eligibility = compute_eligibility(problem)
    assert eligibility.funnel("s1/vol") == {
        "role": 8,
        "skills": 7,
        "availability": 5,
        "background_check": 4,
        "language": 3,
        "distance": 2,
        "not_forbidden": 1,
    }
    assert eligibility.candidates["s1/vol"] == ("ok",)
    assert eligibility.pairs_count == 1


def test_positions_for_and_is_eligible() -> None:
    shifts = [make_shift("s1"), make_shift("s2", start=at(1, 9))]
    people = [make_person("p1"), make_person("p2", availability=((at(1, 8), at(1, 12)),))]
    eligibility = compute_eligibility(make_problem(people, shifts))
    assert eligibility.positions_for("p1") == ("s1/vol", "s2/vol")
    assert eligibility.positions_for("p2") == ("s2/vol",)
    assert eligibility.is_eligible("p2", "s2/vol")
    assert not eligibility.is_eligible("p2", "s1/vol")
    assert eligibility.shift_of("s2/vol").id == "s2"


# --- agreement with a naive reference ---


def _naive(
    problem: Problem,
) -> tuple[dict[str, tuple[str, ...]], dict[tuple[str, str], float | None]]:
    """Rules 1-7 written out for every person and every position."""
    forbidden = {(f.person_id, f.shift_id) for f in problem.forbidden}
    candidates: dict[str, tuple[str, ...]] = {}
    km: dict[tuple[str, str], float | None] = {}
    for s in problem.shifts:
        for q in s.positions:
            ids = []
            for p in problem.people:
                distance = None
                if p.location is not None and s.location is not None:
                    distance = haversine_km(p.location, s.location)
                if (
                    (q.role == "any" or q.role == p.role)
                    and all(p.skills.get(k, 0) >= v for k, v in q.skills.items())
                    and any(a <= s.start and s.end <= b for a, b in p.availability)
                    and (p.background_checked or not s.requires_background_check)
                    and (s.language is None or s.language in p.languages)
                    and (distance is None or p.max_travel_km is None or distance <= p.max_travel_km)
                    and (p.id, s.id) not in forbidden
                ):
                    ids.append(p.id)
                    km[(p.id, s.id)] = distance
            candidates[q.id] = tuple(ids)
    return candidates, km


def _naive_funnel(problem: Problem, position_id: str) -> dict[str, int]:
    """Stage counts by checking every person against rules 1..7 in order."""
    shift = next(s for s in problem.shifts if any(q.id == position_id for q in s.positions))
    q = next(q for q in shift.positions if q.id == position_id)
    forbidden = {(f.person_id, f.shift_id) for f in problem.forbidden}
    stages = {
        "role": lambda p: q.role == "any" or q.role == p.role,
        "skills": lambda p: all(p.skills.get(k, 0) >= v for k, v in q.skills.items()),
        "availability": lambda p: any(
            a <= shift.start and shift.end <= b for a, b in p.availability
        ),
        "background_check": lambda p: p.background_checked or not shift.requires_background_check,
        "language": lambda p: shift.language is None or shift.language in p.languages,
        "distance": lambda p: (
            p.location is None
            or shift.location is None
            or p.max_travel_km is None
            or haversine_km(p.location, shift.location) <= p.max_travel_km
        ),
        "not_forbidden": lambda p: (p.id, shift.id) not in forbidden,
    }
    counts = dict.fromkeys(stages, 0)
    for person in problem.people:
        for name, passes in stages.items():
            if not passes(person):
                break
            counts[name] += 1
    return counts


def _assert_matches_naive(problem: Problem) -> None:
    eligibility = compute_eligibility(problem)
    candidates, km = _naive(problem)
    assert eligibility.candidates == candidates
    assert eligibility.km == km
    assert eligibility.pairs_count == sum(len(v) for v in candidates.values())
    for position_id in candidates:
        assert eligibility.funnel(position_id) == _naive_funnel(problem, position_id)


def test_generated_small_problem_matches_naive_reference() -> None:
    _assert_matches_naive(generate_problem("S", seed=3))


def test_generated_custom_problem_matches_naive_reference() -> None:
    _assert_matches_naive(generate_custom(120, 60, seed=11))


def test_funnel_last_stage_equals_candidate_count_on_generated_problem() -> None:
    problem = generate_problem("S", seed=5)
    eligibility = compute_eligibility(problem)
    for shift in problem.shifts:
        for q in shift.positions:
            funnel = eligibility.funnel(q.id)
            values = list(funnel.values())
            assert values == sorted(values, reverse=True)
            assert funnel["not_forbidden"] == len(eligibility.candidates[q.id])


# Strategies are built once: building them inside the composite dominated the test's time.
_hours = st.integers(min_value=0, max_value=30)
_lengths = st.integers(1, 12)
_skill_maps = st.dictionaries(st.sampled_from("ab"), st.integers(1, 5), max_size=2)
_offsets = st.floats(-0.1, 0.1, allow_nan=False)
_places = st.none() | st.builds(
    lambda dlat, dlon: Location(HERE.lat + dlat, HERE.lon + dlon), _offsets, _offsets
)
_person_roles = st.sampled_from(["social_worker", "volunteer", "resident_activist"])
_position_roles = st.sampled_from(["any", "social_worker", "volunteer"])
_language_sets = st.lists(st.sampled_from(["yue", "cmn"]), max_size=2).map(tuple)
_limits = st.none() | st.sampled_from([0, 1, 2.5, 5, 8])
_intervals = st.lists(st.tuples(_hours, _lengths), max_size=3)
_languages = st.sampled_from([None, "yue", "cmn"])


@st.composite
def _random_problems(draw: st.DrawFn) -> Problem:
    """Small problems whose people and shifts sit near each other in time and place."""
    people = [
        make_person(
            f"p{k}",
            role=draw(_person_roles),
            skills=draw(_skill_maps),
            languages=draw(_language_sets),
            location=draw(_places),
            max_travel_km=draw(_limits),
            availability=tuple((at(0, a), at(0, a + n)) for a, n in draw(_intervals)),
            background_checked=draw(st.booleans()),
        )
        for k in range(draw(st.integers(0, 8)))
    ]
    shifts = []
    for k in range(draw(st.integers(1, 4))):
        a, length = draw(_hours), draw(st.integers(1, 6))
        positions = tuple(
            make_position(f"s{k}/q{j}", role=draw(_position_roles), skills=draw(_skill_maps))
            for j in range(draw(st.integers(1, 3)))
        )
        shifts.append(
            make_shift(
                f"s{k}",
                start=at(0, a),
                end=at(0, a + length),
                positions=positions,
                location=draw(_places),
                requires_background_check=draw(st.booleans()),
                language=draw(_languages),
            )
        )
    forbidden = {
        (
            people[draw(st.integers(0, len(people) - 1))].id,
            f"s{draw(st.integers(0, len(shifts) - 1))}",
        )
        for _ in range(draw(st.integers(0, 3) if people else st.just(0)))
    }
    return make_problem(people, shifts, forbidden=tuple(sorted(forbidden)))


@settings(max_examples=100, deadline=None)
@given(_random_problems())
def test_random_problems_match_naive_reference(problem: Problem) -> None:
    _assert_matches_naive(problem)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(-70, 70, allow_nan=False),
    st.floats(-170, 170, allow_nan=False),
    st.floats(0, 60, allow_nan=False),
    st.floats(-1, 1, allow_nan=False),
    st.floats(-1, 1, allow_nan=False),
)
def test_reach_cells_cover_every_point_in_reach(
    lat: float, lon: float, radius: float, dlat: float, dlon: float
) -> None:
    home = Location(lat, lon)
    scale = (radius + 1) / 111  # look around the edge of the disk
    point = Location(lat + dlat * scale, lon + dlon * scale / math.cos(math.radians(lat)))
    cells = _reach_cells(home, radius)
    if cells is not None and haversine_km(home, point) <= radius:
        assert _cell(point) in cells


_coordinates = st.tuples(st.floats(-60, 60, allow_nan=False), st.floats(-179, 179, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(_coordinates, _coordinates)
def test_km_equals_domain_haversine(a: tuple[float, float], b: tuple[float, float]) -> None:
    # The index inlines the haversine for speed; it must round exactly like the spec's km.
    first, second = Location(*a), Location(*b)
    problem = make_problem([make_person("p1", location=first)], [make_shift(location=second)])
    assert compute_eligibility(problem).km == {("p1", "s1"): haversine_km(first, second)}


def test_candidate_columns_match_candidates_and_km() -> None:
    from matching.generate import generate_problem

    problem = generate_problem("S", seed=3)
    eligibility = compute_eligibility(problem)
    index = {p.id: i for i, p in enumerate(problem.people)}
    km = eligibility.km
    for shift in problem.shifts:
        for position in shift.positions:
            people, kms = eligibility.candidate_columns(position.id)
            ids = eligibility.candidates[position.id]
            assert people == [index[pid] for pid in ids]
            assert kms == [km[(pid, shift.id)] for pid in ids]

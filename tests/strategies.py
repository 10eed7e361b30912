"""Hypothesis strategies for small random matching problems (few people, shifts and pairs)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st

from matching.domain import Location, Person, Problem, Shift, Weights
from tests.builders import HERE, at, make_person, make_position, make_problem, make_shift

ROLES = ("volunteer", "social_worker", "any")
NEAR = (HERE, Location(HERE.lat + 0.01, HERE.lon), None)  # same place, ~1.1 km away, unknown


@st.composite
def people(draw: st.DrawFn, n: int) -> list[Person]:
    """`n` people with random roles, skills, limits, recent load and points."""
    out = []
    for k in range(n):
        out.append(
            make_person(
                f"p{k}",
                role=draw(st.sampled_from(ROLES[:2])),
                skills={"care": draw(st.integers(1, 5))},
                location=draw(st.sampled_from(NEAR)),
                max_minutes=draw(st.sampled_from((None, 120, 180, 240))),
                max_shifts_per_day=draw(st.sampled_from((None, 1, 2))),
                recent_minutes=draw(st.sampled_from((0, 60, 240, 600))),
                points=draw(st.integers(0, 1200)),
                preferred_kinds=draw(st.sampled_from(((), ("elderly_visit",)))),
            )
        )
    return out


@st.composite
def shifts(draw: st.DrawFn, n: int) -> list[Shift]:
    """`n` shifts on one or two days, often overlapping or touching, with 1-2 positions."""
    out = []
    for k in range(n):
        day = draw(st.integers(0, 1))
        start = at(day, 9) + timedelta(minutes=30 * draw(st.integers(0, 8)))
        minutes = 60 * draw(st.integers(1, 3))
        positions = []
        for j in range(draw(st.integers(1, 2))):
            count = draw(st.integers(1, 3))
            positions.append(
                make_position(
                    f"s{k}/q{j}",
                    f"s{k}",
                    role=draw(st.sampled_from(("any", *ROLES))),
                    skills={"care": draw(st.integers(1, 2))},
                    count=count,
                    min_count=draw(st.integers(1, count)),
                )
            )
        out.append(
            make_shift(
                f"s{k}",
                start=start,
                end=start + timedelta(minutes=minutes),
                positions=tuple(positions),
                priority=draw(st.integers(1, 5)),
                location=draw(st.sampled_from(NEAR)),
                kind=draw(st.sampled_from(("elderly_visit", "tutoring"))),
            )
        )
    return out


@st.composite
def small_problems(draw: st.DrawFn, max_people: int = 4, max_shifts: int = 3) -> Problem:
    """A random small problem, sometimes with history, forbidden pairs and a travel buffer."""
    crowd = draw(people(draw(st.integers(1, max_people))))
    work = draw(shifts(draw(st.integers(1, max_shifts))))
    history = tuple(
        (p.id, s.request_id, 1) for p in crowd for s in work if draw(st.booleans()) and p.id == "p0"
    )
    forbidden = (("p1", "s0"),) if len(crowd) > 1 and draw(st.booleans()) else ()
    weights = Weights(
        fairness=draw(st.sampled_from((0, 5, 50, -5))),
        incentive=draw(st.sampled_from((0, 3, -3))),
        coverage=draw(st.sampled_from((1000, 100))),
    )
    return make_problem(
        crowd,
        work,
        history=history,
        forbidden=forbidden,
        weights=weights,
        travel_buffer_minutes=draw(st.sampled_from((0, 30))),
    )

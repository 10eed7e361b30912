"""What the run pages show: scopes to plan, a review with names, conflicts in words."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, joinedload

from models import Assignment, Community, MatchingRun, Person, Position, Shift
from models.person import Skill
from services import overrides, runs
from services.access import run_condition, unrestricted
from services.mappers import database_id
from services.permissions import Reach

HOUR_BINS = 8  # 0-1 h, 1-2 h, ... and "7 h or more"


@dataclass(frozen=True, slots=True)
class ScopeChoice:
    """A scope a caller may plan: `kind` is all, community or street; `name` is for people."""

    value: str
    kind: str
    name: str


def scope_choices(*, session: Session, reach: Reach | None) -> list[ScopeChoice]:
    """The scopes a caller may queue runs for: all (admins), their communities and streets."""
    rows = session.execute(
        select(Community.id, Community.name, Community.street).order_by(
            Community.street, Community.name, Community.id
        )
    ).all()
    choices = [ScopeChoice("all", "all", "")] if unrestricted(reach) else []
    streets: dict[str, list[int]] = defaultdict(list)
    for cid, _name, street in rows:
        streets[street].append(cid)
    for street, ids in streets.items():
        if unrestricted(reach) or all(reach.has_community(i) for i in ids):
            choices.append(ScopeChoice(f"street:{street}", "street", street))
    for cid, name, _street in rows:
        if unrestricted(reach) or reach.has_community(cid):
            choices.append(ScopeChoice(f"community:{cid}", "community", name))
    return choices


def scope_names(*, session: Session, scopes: set[str]) -> dict[str, ScopeChoice]:
    """A choice (kind and name) for each scope string, for labels in lists."""
    ids = {int(s.split(":", 1)[1]) for s in scopes if re.fullmatch(r"community:\d+", s)}
    names = dict(
        session.execute(select(Community.id, Community.name).where(Community.id.in_(ids))).all()
    )
    found = {}
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        if kind == "community" and rest.isdigit():
            found[scope] = ScopeChoice(scope, kind, names.get(int(rest), rest))
        else:
            found[scope] = ScopeChoice(scope, kind, rest)
    return found


def runs_in_reach(*, session: Session, reach: Reach | None, limit: int = 50) -> list[MatchingRun]:
    """The newest runs whose scope the caller reaches (without their large JSON columns)."""
    return list(
        session.scalars(
            select(MatchingRun)
            .options(defer(MatchingRun.problem), defer(MatchingRun.solution))
            .where(run_condition(session, reach))
            .order_by(MatchingRun.id.desc())
            .limit(limit)
        )
    )


# --- the review, with names ---------------------------------------------------------------


@dataclass(slots=True)
class Seat:
    """One person on one position of a shift, named for the page."""

    person_id: int
    person: str
    position_id: int
    position: str
    shift_id: int
    shift: str
    starts_at: datetime | None
    ends_at: datetime | None
    assignment_id: int | None = None
    pinned: bool = False
    forbidden: bool = False


@dataclass(slots=True)
class UnfilledPosition:
    position_id: int
    shift_id: int
    shift: str
    position: str
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    missing: int
    count: int
    min_count: int
    reason: str
    role: str
    skills: list[tuple[str, str, int]]  # (name_zh, name_en, level)
    language: str | None
    funnel: dict[str, int]


@dataclass(slots=True)
class Review:
    run: MatchingRun
    by_priority: list[dict[str, int]]
    priority_weighted_fill: float
    unfilled: list[UnfilledPosition]
    fairness: dict[str, Any]
    hours: list[dict[str, Any]]  # hours-per-person bins: label range and people
    objective: dict[str, Any]
    stats: dict[str, Any]
    added: list[Seat] = field(default_factory=list)
    removed: list[Seat] = field(default_factory=list)
    moved: list[tuple[Seat, Seat]] = field(default_factory=list)
    kept: int = 0
    proposals: list[Seat] = field(default_factory=list)


class _Names:
    """People, positions and shifts by id, loaded once for a page."""

    def __init__(self, session: Session, person_ids: set[int], position_ids: set[int]) -> None:
        self.people = dict(
            session.execute(
                select(Person.id, Person.name).where(Person.id.in_(person_ids or {-1}))
            ).all()
        )
        self.positions = {
            p.id: p
            for p in session.scalars(
                select(Position)
                .options(joinedload(Position.shift).joinedload(Shift.need))
                .where(Position.id.in_(position_ids or {-1}))
            )
        }

    def seat(self, person_id: int, position_id: int, **extra: Any) -> Seat:
        position = self.positions.get(position_id)
        shift = position.shift if position is not None else None
        return Seat(
            person_id=person_id,
            person=self.people.get(person_id, f"#{person_id}"),
            position_id=position_id,
            position=position.label if position is not None else "",
            shift_id=shift.id if shift is not None else 0,
            shift=shift.need.title if shift is not None else f"#{position_id}",
            starts_at=shift.starts_at if shift is not None else None,
            ends_at=shift.ends_at if shift is not None else None,
            **extra,
        )


def _hour_bins(problem: dict[str, Any], solution: dict[str, Any]) -> list[dict[str, Any]]:
    """People with any availability, by hours planned for them this week (0-1 h, 1-2 h, ...)."""
    minutes_of = {}
    for shift in problem["shifts"]:
        start = datetime.fromisoformat(shift["start"])
        end = datetime.fromisoformat(shift["end"])
        minutes_of[shift["id"]] = (end - start).total_seconds() / 60
    planned: Counter[str] = Counter()
    for a in solution["assignments"]:
        planned[a["person_id"]] += minutes_of.get(a["shift_id"], 0)
    counted = [p["id"] for p in problem["people"] if p.get("availability")]
    bins = Counter(min(int(planned[p] // 60), HOUR_BINS - 1) for p in counted)
    top = max(bins.values(), default=0)
    return [
        {
            "from": i,
            "to": None if i == HOUR_BINS - 1 else i + 1,
            "people": bins.get(i, 0),
            "share": bins.get(i, 0) / top if top else 0.0,
        }
        for i in range(HOUR_BINS)
    ]


def _unfilled(session: Session, run: MatchingRun, rows: list[dict[str, Any]]) -> list:
    positions = {q["id"]: (s, q) for s in run.problem["shifts"] for q in s["positions"]}
    codes = {code for s, q in positions.values() for code in q.get("skills", {})}
    skill_names = {
        code: (zh, en)
        for code, zh, en in session.execute(
            select(Skill.code, Skill.name_zh, Skill.name_en).where(Skill.code.in_(codes or {""}))
        )
    }
    ids = {database_id(r["position_id"], "q") for r in rows}
    names = _Names(session, set(), ids)
    found = []
    for row in rows:
        shift, position = positions[row["position_id"]]
        seat = names.seat(0, database_id(row["position_id"], "q"))
        found.append(
            UnfilledPosition(
                position_id=seat.position_id,
                shift_id=database_id(shift["id"], "s"),
                shift=seat.shift,
                position=seat.position,
                starts_at=seat.starts_at,
                ends_at=seat.ends_at,
                priority=row["priority"],
                missing=row["missing"],
                count=position["count"],
                min_count=position.get("min_count", 1),
                reason=row["reason"],
                role=position["role"],
                skills=[
                    (*skill_names.get(code, (code, code)), level)
                    for code, level in sorted(position.get("skills", {}).items())
                ],
                language=shift.get("language"),
                funnel=row["funnel"],
            )
        )
    return found


def review(*, session: Session, run_id: int, reach: Reach | None) -> Review:
    """The review of a solved (or published) run, with the names a coordinator reads."""
    data = runs.review_run(session=session, run_id=run_id)
    run = runs.get_run(session=session, run_id=run_id)
    changes = data["changes"]
    proposals = session.scalars(
        select(Assignment)
        .where(Assignment.matching_run_id == run.id, Assignment.status == "proposed")
        .order_by(Assignment.starts_at, Assignment.id)
    ).all()
    pairs = [(c["person_id"], c["position_id"]) for k in ("added", "removed") for c in changes[k]]
    pairs += [(a.person_id, a.position_id) for a in proposals]
    names = _Names(session, {p for p, _ in pairs}, {q for _, q in pairs})
    in_force = overrides.list_overrides(session=session, reach=reach)
    pins = {(o.person_id, o.position_id) for o in in_force if o.kind == "pin"}
    forbids = {(o.person_id, o.shift_id) for o in in_force if o.kind == "forbid"}
    added = [names.seat(c["person_id"], c["position_id"]) for c in changes["added"]]
    removed = [names.seat(c["person_id"], c["position_id"]) for c in changes["removed"]]
    # A person who loses one seat and gains another has moved.
    moved = []
    for gone in list(removed):
        new = next((s for s in added if s.person_id == gone.person_id), None)
        if new is not None:
            moved.append((gone, new))
            removed.remove(gone)
            added.remove(new)
    seats = []
    for a in proposals:
        seat = names.seat(a.person_id, a.position_id, assignment_id=a.id)
        seat.pinned = (a.person_id, a.position_id) in pins
        seat.forbidden = (a.person_id, seat.shift_id) in forbids
        seats.append(seat)
    return Review(
        run=run,
        by_priority=data["by_priority"],
        priority_weighted_fill=data["priority_weighted_fill"],
        unfilled=_unfilled(session, run, data["unfilled"]),
        fairness=data["fairness"],
        hours=_hour_bins(run.problem, run.solution),
        objective=data["objective"],
        stats=data["stats"],
        added=added,
        removed=removed,
        moved=moved,
        kept=len(changes["kept"]),
        proposals=seats,
    )


def overrides_with_names(*, session: Session, reach: Reach | None) -> list[dict[str, Any]]:
    """Pins and forbids in the caller's reach, each with its person and shift named."""
    found = overrides.list_overrides(session=session, reach=reach)
    positions = {o.position_id for o in found if o.position_id}
    names = _Names(session, {o.person_id for o in found}, positions)
    shift_ids = {o.shift_id for o in found if o.shift_id}
    shifts = {
        s.id: s
        for s in session.scalars(
            select(Shift).options(joinedload(Shift.need)).where(Shift.id.in_(shift_ids or {-1}))
        )
    }
    rows = []
    for o in found:
        if o.kind == "pin":
            seat = names.seat(o.person_id, o.position_id)
        else:
            shift = shifts.get(o.shift_id)
            seat = Seat(
                person_id=o.person_id,
                person=names.people.get(o.person_id, f"#{o.person_id}"),
                position_id=0,
                position="",
                shift_id=o.shift_id or 0,
                shift=shift.need.title if shift else f"#{o.shift_id}",
                starts_at=shift.starts_at if shift else None,
                ends_at=shift.ends_at if shift else None,
            )
        rows.append({"override": o, "seat": seat})
    return rows


# --- publish conflicts in words -----------------------------------------------------------

_CONFLICTS = (
    (
        "inactive",
        re.compile(r"^person (?P<person>\d+) is no longer active \(position (?P<position>\d+)\)$"),
    ),
    ("cancelled", re.compile(r"^shift (?P<shift>\d+) was cancelled \(person (?P<person>\d+)\)$")),
    (
        "overlap",
        re.compile(
            r"^person (?P<person>\d+) on shift (?P<shift>\d+) overlaps assignment \d+ "
            r"\((?P<status>\w+), shift (?P<other>\d+), "
        ),
    ),
    (
        "full",
        re.compile(
            r"^position (?P<position>\d+) would hold (?P<held>\d+) of (?P<count>\d+) seats$"
        ),
    ),
)


def describe_conflicts(*, session: Session, conflicts: list[str]) -> list[dict[str, Any]]:
    """Each conflict of a refused publish as {kind, person, shift, other, ...} with names;
    kind "other" keeps the service's text."""
    parsed = []
    for text in conflicts:
        for kind, pattern in _CONFLICTS:
            match = pattern.match(text)
            if match:
                parsed.append({"kind": kind, **match.groupdict(), "text": text})
                break
        else:
            parsed.append({"kind": "other", "text": text})
    people = {int(c["person"]) for c in parsed if c.get("person")}
    shift_ids = {int(c[k]) for c in parsed for k in ("shift", "other") if c.get(k)}
    positions = {int(c["position"]) for c in parsed if c.get("position")}
    names = _Names(session, people, positions)
    shifts = {
        s.id: s
        for s in session.scalars(
            select(Shift).options(joinedload(Shift.need)).where(Shift.id.in_(shift_ids or {-1}))
        )
    }
    for c in parsed:
        if c.get("person"):
            c["person"] = names.people.get(int(c["person"]), f"#{c['person']}")
        for key in ("shift", "other"):
            if c.get(key):
                shift = shifts.get(int(c[key]))
                c[key] = shift.need.title if shift else f"#{c[key]}"
                c[key + "_at"] = shift.starts_at if shift else None
        if c.get("position"):
            seat = names.seat(0, int(c["position"]))
            c["position"] = seat.shift + (f" · {seat.position}" if seat.position else "")
            c["position_at"] = seat.starts_at
    return parsed

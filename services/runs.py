"""Weekly matching runs: queue, claim, solve, review, publish and discard."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from matching import solver as engine
from matching.domain import Weights
from matching.io import ProblemFormatError, load_problem, solution_from_dict, solution_to_dict
from matching.report import summarize
from models import (
    Assignment,
    MatchingOverride,
    MatchingRun,
    Person,
    Position,
    RunClaim,
    Shift,
    User,
)
from models.assignment import BOOKED_STATUSES
from models.db import utcnow
from services import audit
from services.assignments import is_double_booking
from services.errors import Conflict, Invalid, NotFound
from services.mappers import database_id, person_key, position_key, shift_key
from services.problems import DEFAULT_TRAVEL_BUFFER_MINUTES, export_problem, parse_week
from services.queries import page_of
from services.reliability import DEFAULT_NO_SHOW_LIMIT
from services.run_progress import RunProgress

log = logging.getLogger(__name__)

_SCOPE = re.compile(r"^(all|community:(\d+)|street:(.{1,80}))$")
WEIGHT_NAMES = tuple(f.name for f in fields(Weights))
MAX_TIME_LIMIT_S = 600.0
Progress = Callable[[float, float | None, float], None]


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How runs are built and solved on this installation (from the app's configuration)."""

    timezone: str = "Asia/Shanghai"
    workers: int = 2
    seed: int = 0
    travel_buffer_minutes: int = DEFAULT_TRAVEL_BUFFER_MINUTES
    # Bonus for keeping an unanswered offer where it is when re-planning: above a priority-1
    # seat's coverage (1000), so people are moved only for something worth more.
    stability_weight: float = 2000.0
    # People with this many unexcused no-shows in 12 months are left out (0: nobody is).
    no_show_limit: int = DEFAULT_NO_SHOW_LIMIT


def parse_scope(scope: str, *, field: str = "scope") -> tuple[int | None, str | None]:
    """(community_id, street) of "all", "community:<id>" or "street:<name>"."""
    match = _SCOPE.match(scope.strip()) if isinstance(scope, str) else None
    if match is None:
        raise Invalid(
            "bad scope",
            errors={field: ['give "all", "community:<id>" or "street:<name>"']},
        )
    community = int(match.group(2)) if match.group(2) else None
    return community, match.group(3)


def _check_weights(weights: dict[str, Any]) -> dict[str, float]:
    errors = {
        f"weights.{name}": ["not a weight" if name not in WEIGHT_NAMES else "must be a number"]
        for name, value in weights.items()
        if name not in WEIGHT_NAMES or isinstance(value, bool) or not isinstance(value, int | float)
    }
    if "points_cap" in weights and not errors and weights["points_cap"] <= 0:
        errors["weights.points_cap"] = ["must be positive"]
    if errors:
        raise Invalid("bad weights", errors=errors)
    return {name: float(value) for name, value in weights.items()}


def _new_run(
    *,
    session: Session,
    scope: str,
    week: str,
    timezone: str,
    weights: dict[str, Any] | None,
    time_limit_s: float,
    kind: str,
    source: str,
    actor: User | None,
) -> MatchingRun:
    parse_scope(scope)
    parse_week(week, timezone=timezone)
    if not 0 < time_limit_s <= MAX_TIME_LIMIT_S:
        raise Invalid(
            "bad time limit", errors={"time_limit_s": [f"between 0 and {MAX_TIME_LIMIT_S}"]}
        )
    run = MatchingRun(
        scope=scope.strip(),
        week=week.strip(),
        kind=kind,
        source=source,
        weights=_check_weights(weights or {}),
        time_limit_s=time_limit_s,
        created_by_user_id=actor.id if actor else None,
    )
    session.add(run)
    session.flush()
    return run


def queue_run(
    *,
    session: Session,
    scope: str,
    week: str,
    timezone: str,
    weights: dict[str, Any] | None = None,
    time_limit_s: float = 30.0,
    kind: str = "weekly",
    source: str = "api",
    actor: User | None = None,
) -> MatchingRun:
    """Queue a run; the scheduler process or `linkage match run` solves it, never a request.

    One waiting run per scope and week: a second click (or a second coordinator) would only
    queue the same solve again behind the first. (A check, not a lock: two requests in the
    same instant on PostgreSQL may still queue two: the coordinator then publishes one and
    discards the other, as with any run.)
    """
    waiting = session.scalar(
        select(MatchingRun.id).where(
            MatchingRun.scope == scope.strip(),
            MatchingRun.week == week.strip(),
            MatchingRun.status.in_(("queued", "solving")),
        )
    )
    if waiting is not None:
        raise Conflict(
            f"run {waiting} of {scope.strip()} {week.strip()} is already queued or solving",
            errors={"week": [f"run {waiting} of this scope and week is waiting or solving"]},
        )
    run = _new_run(
        session=session,
        scope=scope,
        week=week,
        timezone=timezone,
        weights=weights,
        time_limit_s=time_limit_s,
        kind=kind,
        source=source,
        actor=actor,
    )
    session.commit()
    return run


def claim_run(
    *,
    session: Session,
    job_name: str,
    scope: str,
    week: str,
    timezone: str,
    time_limit_s: float = 30.0,
) -> MatchingRun | None:
    """Create the scheduled run of (job, week) exactly once; None when already claimed.

    The claim row and the run are written in one transaction, so a second scheduler (or a
    repeated trigger) hits the unique key and creates nothing.
    """
    run = _new_run(
        session=session,
        scope=scope,
        week=week,
        timezone=timezone,
        weights=None,
        time_limit_s=time_limit_s,
        kind="weekly",
        source="scheduler",
        actor=None,
    )
    session.add(RunClaim(job_name=job_name, period_key=week, run_id=run.id))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return run


def get_run(*, session: Session, run_id: int) -> MatchingRun:
    run = session.get(MatchingRun, run_id)
    if run is None:
        raise NotFound(f"no matching run {run_id}")
    return run


def take_run(*, session: Session, run_id: int) -> bool:
    """Move a queued run to `solving`; False when another worker took it first."""
    result = session.execute(
        update(MatchingRun)
        .where(MatchingRun.id == run_id, MatchingRun.status == "queued")
        .values(status="solving", started_at=utcnow())
    )
    session.commit()
    return result.rowcount == 1


def next_queued_run_id(*, session: Session) -> int | None:
    return session.scalar(
        select(MatchingRun.id)
        .where(MatchingRun.status == "queued")
        .order_by(MatchingRun.created_at, MatchingRun.id)
        .limit(1)
    )


def _apply_overrides(session: Session, problem: dict[str, Any]) -> None:
    """Coordinators' pins become fixed pairs, their forbids forbidden pairs."""
    people = {p["id"] for p in problem["people"]}
    shifts = {s["id"] for s in problem["shifts"]}
    positions = {q["id"]: s["id"] for s in problem["shifts"] for q in s["positions"]}
    fixed = {(f["person_id"], f["position_id"]) for f in problem["fixed"]}
    forbidden = {(f["person_id"], f["shift_id"]) for f in problem["forbidden"]}
    for override in session.scalars(select(MatchingOverride).order_by(MatchingOverride.id)):
        person = person_key(override.person_id)
        if person not in people:
            continue
        if override.kind == "pin" and position_key(override.position_id) in positions:
            fixed.add((person, position_key(override.position_id)))
        elif override.kind == "forbid" and shift_key(override.shift_id) in shifts:
            forbidden.add((person, shift_key(override.shift_id)))
    problem["fixed"] = [{"person_id": p, "position_id": q} for p, q in sorted(fixed)]
    problem["forbidden"] = [{"person_id": p, "shift_id": s} for p, s in sorted(forbidden)]


def build_run_problem(
    *, session: Session, run: MatchingRun, settings: RunSettings
) -> dict[str, Any]:
    """The problem file of a run: the scope's week, the coordinators' overrides, its weights."""
    community_id, street = parse_scope(run.scope)
    problem = export_problem(
        session=session,
        week=run.week,
        timezone=settings.timezone,
        community_id=community_id,
        street=street,
        travel_buffer_minutes=settings.travel_buffer_minutes,
        no_show_limit=settings.no_show_limit,
        # The week's occurrences of recurring needs are committed with the read transaction,
        # before the solve: they are the same whatever the run does with them.
        commit=False,
    )
    _apply_overrides(session, problem)
    incumbents = _open_offers(session, problem)
    if incumbents:
        problem["incumbents"] = incumbents
        problem["weights"] = {**problem.get("weights", {}), "stability": settings.stability_weight}
    problem["weights"] = {**problem.get("weights", {}), **run.weights}
    return problem


def _open_offers(session: Session, problem: dict[str, Any]) -> list[dict[str, str]]:
    """Unanswered offers on the problem's shifts: incumbents that re-planning prefers to keep."""
    shift_ids = [database_id(s["id"], "s") for s in problem["shifts"]] or [-1]
    people = {p["id"] for p in problem["people"]}
    rows = session.execute(
        select(Assignment.person_id, Assignment.position_id)
        .where(Assignment.status == "offered", Assignment.shift_id.in_(shift_ids))
        .order_by(Assignment.person_id, Assignment.position_id)
    )
    return [
        {"person_id": person_key(p), "position_id": position_key(q)}
        for p, q in rows
        if person_key(p) in people
    ]


def _write_proposals(session: Session, run: MatchingRun, assignments: list[dict]) -> None:
    """Replace earlier unpublished proposals of this scope and week by this run's."""
    earlier = select(MatchingRun.id).where(
        MatchingRun.scope == run.scope,
        MatchingRun.week == run.week,
        MatchingRun.id != run.id,
        MatchingRun.status == "solved",
    )
    session.execute(
        delete(Assignment).where(
            Assignment.status == "proposed", Assignment.matching_run_id.in_(earlier)
        )
    )
    session.execute(
        update(MatchingRun).where(MatchingRun.id.in_(earlier)).values(status="discarded")
    )
    standing = {
        (person_id, position_id)
        for person_id, position_id in session.execute(
            select(Assignment.person_id, Assignment.position_id).where(
                Assignment.status.in_(("offered", "confirmed", "completed")),
                Assignment.shift_id.in_(
                    {database_id(a["shift_id"], "s") for a in assignments} or {-1}
                ),
            )
        )
    }
    pinned = set(
        session.execute(
            select(MatchingOverride.person_id, MatchingOverride.position_id).where(
                MatchingOverride.kind == "pin"
            )
        ).all()
    )
    rows = []
    for a in assignments:
        key = (database_id(a["person_id"], "p"), database_id(a["position_id"], "q"))
        if key in standing:
            continue
        rows.append(
            Assignment(
                person_id=key[0],
                position_id=key[1],
                shift_id=database_id(a["shift_id"], "s"),
                status="proposed",
                source="auto",
                pinned=key in pinned,
                matching_run_id=run.id,
            )
        )
    session.add_all(rows)
    session.flush()


def solve_run(
    *,
    session: Session,
    run_id: int,
    settings: RunSettings,
    progress: Progress | None = None,
    record_progress: bool = False,
) -> MatchingRun:
    """Solve a taken (`solving`) run and store its problem, solution and proposals.

    With `record_progress` the solver's reports are also written to the run's `progress`
    (each in a transaction of its own). The week's generated shifts are committed before the
    solve, the result after it; a failure leaves the run `failed` with its reason and writes
    nothing else.
    """
    if record_progress:
        progress = RunProgress(bind=session.get_bind(), run_id=run_id, forward=progress)
    run = get_run(session=session, run_id=run_id)
    if run.status != "solving":
        raise Conflict(f"run {run_id} is {run.status}; take it first")
    try:
        problem_dict = build_run_problem(session=session, run=run, settings=settings)
        problem = load_problem(problem_dict)
        config = engine.SolverConfig(
            time_limit_s=run.time_limit_s, workers=settings.workers, seed=settings.seed
        )
        # A solve takes up to its time limit: end the transaction first (keeping the week's
        # generated shifts), so that it holds no lock meanwhile (on SQLite every transaction
        # holds the one write lock, and the run page polls), then write the result in a fresh
        # one if the run is still ours.
        session.commit()
        solution = engine.solve(problem, config, progress)
        run = get_run(session=session, run_id=run_id)
        if run.status != "solving":
            session.rollback()
            return run
        solution_dict = solution_to_dict(solution)
        run.problem = problem_dict
        run.solution = solution_dict
        _write_proposals(session, run, solution_dict["assignments"])
        run.status = "solved"
        run.finished_at = utcnow()
        session.commit()
    except (ProblemFormatError, engine.InfeasibleProblem, Invalid, IntegrityError) as error:
        _fail(session, run_id, _reason(error))
    except Exception as error:  # a bug must still leave the run failed, not stuck in solving
        log.exception("matching run %s failed", run_id)
        _fail(session, run_id, f"internal error: {type(error).__name__}")
    return get_run(session=session, run_id=run_id)


def _reason(error: Exception) -> str:
    if isinstance(error, ProblemFormatError):
        return "the exported problem is invalid: " + "; ".join(error.errors[:5])
    if isinstance(error, Invalid):
        return f"{error.message}: {error.errors}"
    if isinstance(error, IntegrityError):
        return "the week changed while solving (a seat was taken meanwhile); run it again"
    return str(error)


def _fail(session: Session, run_id: int, reason: str) -> None:
    session.rollback()
    session.execute(
        update(MatchingRun)
        .where(MatchingRun.id == run_id)
        .values(status="failed", error=reason[:2000], finished_at=utcnow())
    )
    session.commit()


def run_next(
    *,
    session: Session,
    settings: RunSettings,
    progress: Progress | None = None,
    record_progress: bool = False,
) -> MatchingRun | None:
    """Take and solve the oldest queued run, if any."""
    while (run_id := next_queued_run_id(session=session)) is not None:
        if take_run(session=session, run_id=run_id):
            return solve_run(
                session=session,
                run_id=run_id,
                settings=settings,
                progress=progress,
                record_progress=record_progress,
            )
    return None


def superseded_offers(*, session: Session, run: MatchingRun) -> list[Assignment]:
    """Open offers on the run's shifts that its solution no longer contains.

    Publishing withdraws them (they become `cancelled`): a re-plan moves people whose offer
    was not answered yet, while confirmed seats are fixed and never move.
    """
    shift_ids = [database_id(s["id"], "s") for s in run.problem["shifts"]]
    # Only people the run planned for: a seat held by someone outside its scope is not its own.
    planned = {database_id(p["id"], "p") for p in run.problem["people"]}
    kept = {
        (database_id(a["person_id"], "p"), database_id(a["position_id"], "q"))
        for a in run.solution["assignments"]
    }
    offers = session.scalars(
        select(Assignment).where(
            Assignment.status == "offered", Assignment.shift_id.in_(shift_ids or [-1])
        )
    )
    return [
        a for a in offers if a.person_id in planned and (a.person_id, a.position_id) not in kept
    ]


def publish_conflicts(*, session: Session, run: MatchingRun) -> list[str]:
    """Why the run's proposals cannot all become offers now (empty: they can)."""
    leaving = [a.id for a in superseded_offers(session=session, run=run)] or [-1]
    proposal = aliased(Assignment)
    other = aliased(Assignment)
    mine = aliased(Shift)
    proposals = select(proposal).where(
        proposal.matching_run_id == run.id, proposal.status == "proposed"
    )
    conflicts = []
    for a in session.scalars(
        proposals.join(Person, Person.id == proposal.person_id).where(Person.active.is_(False))
    ):
        conflicts.append(f"person {a.person_id} is no longer active (position {a.position_id})")
    for a in session.scalars(
        proposals.join(mine, mine.id == proposal.shift_id).where(mine.cancelled.is_(True))
    ):
        conflicts.append(f"shift {a.shift_id} was cancelled (person {a.person_id})")
    # The same rule as the database's (models/assignment.py BOOKED_STATUSES, half-open
    # times), so that a publish it would refuse is listed here first.
    clashes = session.execute(
        select(
            proposal.person_id,
            proposal.shift_id,
            other.id,
            other.shift_id,
            other.status,
            other.starts_at,
            other.ends_at,
        )
        .join(other, other.person_id == proposal.person_id)
        .where(
            proposal.matching_run_id == run.id,
            proposal.status == "proposed",
            other.status.in_(BOOKED_STATUSES),
            other.id.not_in(leaving),
            other.starts_at < proposal.ends_at,
            other.ends_at > proposal.starts_at,
        )
        .order_by(proposal.person_id, other.id)
    )
    for person_id, shift_id, other_id, other_shift, status, starts, ends in clashes:
        conflicts.append(
            f"person {person_id} on shift {shift_id} overlaps assignment {other_id} "
            f"({status}, shift {other_shift}, {starts.isoformat()} to {ends.isoformat()})"
        )
    conflicts.extend(_capacity_conflicts(session, run, leaving))
    return conflicts


def _capacity_conflicts(session: Session, run: MatchingRun, leaving: list[int]) -> list[str]:
    proposed = Counter(
        session.scalars(
            select(Assignment.position_id).where(
                Assignment.matching_run_id == run.id, Assignment.status == "proposed"
            )
        )
    )
    if not proposed:
        return []
    held = Counter(
        session.scalars(
            select(Assignment.position_id).where(
                Assignment.position_id.in_(proposed),
                Assignment.status.in_(("offered", "confirmed", "completed")),
                Assignment.id.not_in(leaving),
            )
        )
    )
    counts = dict(
        session.execute(select(Position.id, Position.count).where(Position.id.in_(proposed))).all()
    )
    return [
        f"position {position_id} would hold {held[position_id] + n} of {counts[position_id]} seats"
        for position_id, n in sorted(proposed.items())
        if held[position_id] + n > counts[position_id]
    ]


def publish_run(*, session: Session, run_id: int, actor: User | None) -> MatchingRun:
    """Offer every proposal of a solved run at once, or refuse (409, listed) and change nothing."""
    run = session.scalar(
        select(MatchingRun).where(MatchingRun.id == run_id).with_for_update()
    ) or get_run(session=session, run_id=run_id)
    if run.status != "solved":
        raise Conflict(f"run {run_id} is {run.status}; only a solved run can be published")
    _lock_people_and_positions(session, run)
    conflicts = publish_conflicts(session=session, run=run)
    if conflicts:
        raise Conflict(
            f"publishing run {run_id} would conflict {len(conflicts)} time(s); nothing changed",
            errors={"conflicts": conflicts},
        )
    try:
        withdrawn = [a.id for a in superseded_offers(session=session, run=run)]
        if withdrawn:
            session.execute(
                update(Assignment)
                .where(Assignment.id.in_(withdrawn))
                .values(status="cancelled", updated_at=utcnow())
            )
        offered = session.execute(
            update(Assignment)
            .where(Assignment.matching_run_id == run.id, Assignment.status == "proposed")
            .values(status="offered", updated_at=utcnow())
        ).rowcount
        run.status = "published"
        run.published_at = utcnow()
        audit.record(
            session=session,
            actor=actor,
            action="run.publish",
            subject=run,
            details={"offered": offered, "withdrawn": withdrawn},
        )
        session.commit()
    except IntegrityError as error:
        # The database refused an offer that double-books someone (a booking the checks
        # above could not see yet): nothing is written and the run stays solved.
        session.rollback()
        if not is_double_booking(error):
            raise
        raise _publish_refused(session, run_id) from None
    return run


def _publish_refused(session: Session, run_id: int) -> Conflict:
    run = get_run(session=session, run_id=run_id)
    conflicts = publish_conflicts(session=session, run=run) or [
        "a proposal overlaps a booking made concurrently; review the run and publish again"
    ]
    return Conflict(
        f"publishing run {run_id} would double-book {len(conflicts)} time(s); nothing changed",
        errors={"conflicts": conflicts},
    )


def _lock_people_and_positions(session: Session, run: MatchingRun) -> None:
    """Lock the rows a publish checks, in id order, so a concurrent booking or publish waits
    instead of passing the same checks (write skew). SQLite's BEGIN IMMEDIATE already
    serializes writers; on PostgreSQL these are row locks held until the commit."""
    seats = select(Assignment.person_id, Assignment.position_id).where(
        Assignment.matching_run_id == run.id, Assignment.status == "proposed"
    )
    people = sorted({p for p, _ in session.execute(seats)})
    positions = sorted({q for _, q in session.execute(seats)})
    if people:
        session.execute(
            select(Person.id).where(Person.id.in_(people)).order_by(Person.id).with_for_update()
        )
    if positions:
        session.execute(
            select(Position.id)
            .where(Position.id.in_(positions))
            .order_by(Position.id)
            .with_for_update()
        )


# A run being solved is left alone: the solver would write its proposals after the discard.
DISCARDABLE_STATUSES = ("queued", "solved", "failed")


def discard_run(*, session: Session, run_id: int, actor: User | None) -> MatchingRun:
    """Drop a run that was not published (queued, solved or failed), with its proposals."""
    run = get_run(session=session, run_id=run_id)
    if run.status == "discarded":
        return run
    # One conditional update, so that a run the scheduler takes meanwhile stays `solving`.
    taken = session.execute(
        update(MatchingRun)
        .where(MatchingRun.id == run_id, MatchingRun.status.in_(DISCARDABLE_STATUSES))
        .values(status="discarded")
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        session.rollback()
        run = get_run(session=session, run_id=run_id)
        raise Conflict(f"run {run_id} is {run.status} and cannot be discarded")
    session.execute(
        delete(Assignment).where(
            Assignment.matching_run_id == run.id, Assignment.status == "proposed"
        )
    )
    session.refresh(run)
    audit.record(session=session, actor=actor, action="run.discard", subject=run)
    session.commit()
    return run


def review_run(*, session: Session, run_id: int) -> dict[str, Any]:
    """What a coordinator reviews: fill by priority, unfilled with reasons, fairness, changes."""
    run = get_run(session=session, run_id=run_id)
    if run.problem is None or run.solution is None:
        raise Conflict(f"run {run_id} is {run.status}; there is nothing to review yet")
    problem = load_problem(run.problem)
    solution = solution_from_dict(run.solution)
    summary = summarize(problem, solution)
    funnels = {u.position_id: u.funnel for u in solution.unfilled}
    return {
        "run_id": run.id,
        "status": run.status,
        "by_priority": [
            {"priority": r.priority, "needed": r.needed, "filled": r.filled}
            for r in summary.by_priority
        ],
        "priority_weighted_fill": summary.priority_weighted_fill,
        "unfilled": [
            {**vars_of(row), "funnel": funnels[row.position_id]} for row in summary.unfilled
        ],
        "fairness": run.solution["fairness"],
        "objective": run.solution["objective"],
        "stats": run.solution["stats"],
        "changes": _changes(session, run),
    }


def vars_of(row: Any) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in fields(row)}


def _changes(session: Session, run: MatchingRun) -> dict[str, list[dict[str, int]]]:
    """The run's seats against what is already offered or confirmed on the same shifts.

    `removed` is exactly what publishing withdraws (superseded_offers): only offers of people
    the run planned for, never a seat of someone outside its scope.
    """
    shift_ids = {database_id(s["id"], "s") for s in run.problem["shifts"]} or {-1}
    published = set(
        session.execute(
            select(Assignment.person_id, Assignment.position_id).where(
                Assignment.shift_id.in_(shift_ids),
                Assignment.status.in_(("offered", "confirmed")),
            )
        ).all()
    )
    proposed = {
        (database_id(a["person_id"], "p"), database_id(a["position_id"], "q"))
        for a in run.solution["assignments"]
    }
    withdrawn = {(a.person_id, a.position_id) for a in superseded_offers(session=session, run=run)}
    return {
        "added": [{"person_id": p, "position_id": q} for p, q in sorted(proposed - published)],
        "removed": [{"person_id": p, "position_id": q} for p, q in sorted(withdrawn)],
        "kept": [{"person_id": p, "position_id": q} for p, q in sorted(proposed & published)],
    }


def list_runs(
    *,
    session: Session,
    offset: int,
    limit: int | None,
    scope: str | None = None,
    week: str | None = None,
    status: str | None = None,
) -> tuple[list[MatchingRun], int]:
    """Runs matching the filters, newest first."""
    stmt = select(MatchingRun).order_by(MatchingRun.id.desc())
    for column, value in (
        (MatchingRun.scope, scope),
        (MatchingRun.week, week),
        (MatchingRun.status, status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    found, total = page_of(session, stmt, offset=offset, limit=limit)
    return list(found), total

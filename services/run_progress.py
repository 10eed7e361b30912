"""Live progress of a solving run: the solver's reports stored on its row, apart from the solve."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import DBAPIError

from models import MatchingRun
from models.db import utcnow

log = logging.getLogger(__name__)

# At most one write a second: the page polls about as often, and a solve must not slow down.
PROGRESS_EVERY_S = 1.0
# How long a progress write may wait for a lock before it is skipped (the next report retries).
LOCK_WAIT_MS = 200

Progress = Callable[[float, float | None, float], None]


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


class RunProgress:
    """A solver progress callback that keeps the latest report on the run's row.

    Each write is its own short transaction on its own connection, never the solve's session:
    the solve commits its problem, solution and proposals all at once at the end, while the
    progress is visible to the run page at once. Writes are throttled to one per `every`
    seconds (the latest report wins); a write that would wait for a lock is skipped, and a
    failed write is only logged, so recording progress never slows or breaks a solve.
    """

    def __init__(
        self,
        *,
        bind: Engine,
        run_id: int,
        every: float = PROGRESS_EVERY_S,
        forward: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bind = bind
        self.run_id = run_id
        self.every = every
        self.forward = forward
        self.clock = clock
        self.last: float | None = None
        self.pending: dict[str, Any] | None = None
        self.writes = 0
        self.skipped = 0
        self._lock = threading.Lock()

    def __call__(self, objective: float, bound: float | None, elapsed: float) -> None:
        if self.forward is not None:
            self.forward(objective, bound, elapsed)
        report = {
            "objective": _number(objective),
            "bound": _number(bound),
            "elapsed_s": round(elapsed, 3),
            "at": utcnow().isoformat(),
        }
        # CP-SAT may report from its own threads: one writer at a time, the others just leave
        # their report for it.
        if not self._lock.acquire(blocking=False):
            self.pending = report
            return
        try:
            self.pending = report
            now = self.clock()
            if self.last is None or now - self.last >= self.every:
                self.last = now
                self.flush()
        finally:
            self._lock.release()

    def flush(self) -> bool:
        """Write the latest report now; False when there was none or it could not be written."""
        report = self.pending
        if report is None:
            return False
        try:
            written = write_progress(bind=self.bind, run_id=self.run_id, progress=report)
        except DBAPIError as error:
            log.debug("progress of run %s not written: %s", self.run_id, error)
            written = False
        if written:
            self.writes += 1
            if self.pending is report:
                self.pending = None
        else:
            self.skipped += 1
        return written


def write_progress(*, bind: Engine, run_id: int, progress: dict[str, Any]) -> bool:
    """Store `progress` on a solving run in a transaction of its own; False if not solving.

    Waits at most LOCK_WAIT_MS for a lock (raising the driver's error beyond that) and never
    for SQLite's write lock: a report that meets another writer is skipped, not queued behind
    it (the solve holds no transaction itself; see services.runs.solve_run).
    """
    with bind.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.driver_connection if sqlite else None
        if raw is not None:
            # Before BEGIN: the IMMEDIATE begin (models/db.py) is what waits for the lock.
            previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
            raw.execute("PRAGMA busy_timeout=0")
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'")
                result = conn.execute(
                    update(MatchingRun)
                    .where(MatchingRun.id == run_id, MatchingRun.status == "solving")
                    .values(progress=progress)
                )
        finally:
            if raw is not None:
                raw.execute(f"PRAGMA busy_timeout={int(previous)}")
    return result.rowcount == 1


def run_progress(run: MatchingRun, *, now: datetime | None = None) -> dict[str, Any]:
    """What the run page polls: status, objective, bound, gap and seconds elapsed."""
    progress = run.progress or {}
    objective, bound = progress.get("objective"), progress.get("bound")
    elapsed = progress.get("elapsed_s")
    if run.status == "solving" and run.started_at is not None:
        # The solver's clock stops at its last report; the page's keeps running.
        elapsed = max(elapsed or 0.0, ((now or utcnow()) - run.started_at).total_seconds())
    elif run.status in ("solved", "published") and run.solution is not None:
        stats = run.solution.get("stats", {})
        objective = run.solution.get("objective", {}).get("total", objective)
        bound = stats.get("bound", bound)
        elapsed = stats.get("wall_seconds", elapsed)
    gap = None
    if objective is not None and bound is not None:
        gap = max(0.0, (bound - objective) / max(1.0, abs(bound)))
    return {
        "id": run.id,
        "status": run.status,
        "objective": objective,
        "bound": bound,
        "gap": gap,
        "elapsed_s": None if elapsed is None else round(elapsed, 1),
        "time_limit_s": run.time_limit_s,
        "at": progress.get("at"),
        "done": run.status not in ("queued", "solving"),
    }

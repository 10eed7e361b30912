"""The coordinator's week board: shifts of a period in reach, with seats filled versus needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from models import Assignment, Position, Shift
from models.assignment import BOOKED_STATUSES
from services.access import shift_condition
from services.permissions import Reach


@dataclass(frozen=True, slots=True)
class BoardShift:
    shift: Shift
    needed: int
    filled: int

    @property
    def priority(self) -> int:
        return self.shift.need.priority


def week_board(
    *, session: Session, reach: Reach | None, start: datetime, end: datetime
) -> list[BoardShift]:
    """Uncancelled shifts starting in [start, end) within `reach`, soonest first."""
    needed = (
        select(Position.shift_id, func.sum(Position.count).label("n"))
        .where(Position.shift_id.is_not(None))
        .group_by(Position.shift_id)
        .subquery()
    )
    # Offered seats count as filled: they are held for the person until they answer.
    filled = (
        select(Assignment.shift_id, func.count(Assignment.id).label("n"))
        .where(Assignment.status.in_(BOOKED_STATUSES))
        .group_by(Assignment.shift_id)
        .subquery()
    )
    rows = session.execute(
        select(Shift, func.coalesce(needed.c.n, 0), func.coalesce(filled.c.n, 0))
        .outerjoin(needed, needed.c.shift_id == Shift.id)
        .outerjoin(filled, filled.c.shift_id == Shift.id)
        .options(joinedload(Shift.need))
        .where(
            Shift.starts_at >= start,
            Shift.starts_at < end,
            Shift.cancelled.is_(False),
            shift_condition(reach),
        )
        .order_by(Shift.starts_at, Shift.id)
    ).all()
    return [BoardShift(shift=s, needed=int(n), filled=int(f)) for s, n, f in rows]

"""Query helpers shared by the services: one page of rows, lookups of ids from URLs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
M = TypeVar("M")

# Ids are 32-bit in PostgreSQL, and SQLite's driver overflows past 64 bits: a larger id
# cannot name anything, so it is looked up as nothing.
MAX_ID = 2**31 - 1


def page_of(
    session: Session, stmt: Select[tuple[T]], *, offset: int, limit: int | None
) -> tuple[Sequence[T], int]:
    """`limit` rows of `stmt` (which must be ordered) from `offset`, and the total row count."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    # A page past the end needs no query (and a huge offset would overflow the database's int).
    if offset >= total:
        return [], total
    return session.scalars(stmt.offset(offset).limit(limit)).unique().all(), total


def lookup(session: Session, model: type[M], ident: int, options: Any = ()) -> M | None:
    """`session.get` for an id that may be out of any database's range."""
    return session.get(model, ident, options=options) if 0 < ident <= MAX_ID else None

"""Optimistic locking of edits: a change made against an older version is refused."""

from __future__ import annotations

from typing import Protocol

from services.errors import Conflict


class Versioned(Protocol):
    id: int
    version: int


def check_version(obj: Versioned, expected: int | None, *, what: str) -> None:
    """Conflict unless `expected` (when given) is the object's current version.

    The check names the stale edit early; the ORM's version_id_col catches an edit committed
    between this check and our own flush (StaleDataError, also a 409).
    """
    if expected is not None and expected != obj.version:
        raise Conflict(
            f"{what} {obj.id} was changed since version {expected} (now {obj.version}); "
            "reload it and apply the change again",
            errors={"version": [f"stale: current is {obj.version}"]},
        )

"""Shared pieces of the reports: local-date periods, fairness figures and CSV that Excel opens."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from matching.validation import gini, jain
from services.errors import Invalid

# Fairness reports expand everyone's availability over the period: a year is plenty.
MAX_FAIRNESS_DAYS = 366
# Hours reports are sums in SQL; funders ask for up to a few years at once.
MAX_HOURS_DAYS = 3660
# Dates a report can mean; beyond them the conversion to UTC instants would overflow.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


@dataclass(frozen=True, slots=True)
class Period:
    """Local dates [first, after) and the aware instants [start, end) they cover."""

    first: date
    after: date
    start: datetime
    end: datetime


def parse_period(
    first: date | None,
    after: date | None,
    *,
    timezone: str,
    max_days: int,
    required: bool = True,
) -> Period | None:
    """The period from local date `first` (included) to `after` (excluded), in `timezone`.

    Both dates are required unless `required` is false, in which case neither or both may be
    given (None: no period). Errors name the query fields `from` and `to`.
    """
    if first is None and after is None and not required:
        return None
    errors: dict[str, list[str]] = {}
    if first is None:
        errors["from"] = ["give the first day, e.g. 2026-11-01"]
    if after is None:
        errors["to"] = ["give the day after the last, e.g. 2026-12-01"]
    if errors:
        raise Invalid("incomplete period", errors=errors)
    assert first is not None and after is not None
    for field, day in (("from", first), ("to", after)):
        if not FIRST_DAY <= day <= LAST_DAY:
            errors[field] = [f"must be between {FIRST_DAY} and {LAST_DAY}"]
    if errors:
        raise Invalid("date out of range", errors=errors)
    if after <= first:
        raise Invalid("empty period", errors={"to": ["must be after from (to is excluded)"]})
    if (after - first).days > max_days:
        raise Invalid(
            "period too long", errors={"to": [f"the period may span at most {max_days} days"]}
        )
    tz = ZoneInfo(timezone)
    return Period(
        first=first,
        after=after,
        start=datetime.combine(first, time(), tzinfo=tz),
        end=datetime.combine(after, time(), tzinfo=tz),
    )


def week_period(start: datetime, end: datetime) -> Period:
    """The period of an ISO week given by its aware Monday 00:00 bounds."""
    return Period(first=start.date(), after=end.date(), start=start, end=end)


def spread(values: Sequence[int]) -> dict[str, float | None]:
    """Gini and Jain of minutes (the matching engine's formulas); both null when nobody counts."""
    if not values:
        return {"gini": None, "jain": None}
    floats = [float(v) for v in values]
    return {"gini": gini(floats), "jain": jain(floats)}


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark: without it Excel reads Chinese names as GBK."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")

"""Small interval algebra over aware datetimes: merge, subtract, clip."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

Interval = tuple[datetime, datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union; touching intervals join, since a person free 9-12 and 12-17 is free 9-17."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """`intervals` minus every hole, both given in any order; returns a merged sorted list."""
    result = merge(intervals)
    for hole_start, hole_end in merge(holes):
        kept: list[Interval] = []
        for start, end in result:
            if hole_end <= start or end <= hole_start:
                kept.append((start, end))
                continue
            if start < hole_start:
                kept.append((start, hole_start))
            if hole_end < end:
                kept.append((hole_end, end))
        result = kept
    return result


def clip(intervals: Iterable[Interval], lower: datetime, upper: datetime) -> list[Interval]:
    """The parts of `intervals` that lie inside [lower, upper)."""
    return [
        (max(start, lower), min(end, upper))
        for start, end in intervals
        if end > lower and start < upper
    ]


def whole_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes from `start` to `end` (a shift's length, a check-in to check-out)."""
    return int((end - start) // timedelta(minutes=1))

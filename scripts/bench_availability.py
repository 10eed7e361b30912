"""Benchmark: expanding weekly availability of a district's people over one week.

Runs the service's expansion and, side by side in the same run, the first version that built
one dateutil rrule per window, and reports both medians and their ratio.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from unittest import mock

from dateutil.rrule import WEEKLY, rrule

from services import availability
from services.availability import DatedException, WeeklyWindow, expand_availability

WINDOWS = [
    WeeklyWindow(0, clock(9), clock(12)),
    WeeklyWindow(2, clock(14), clock(18)),
    WeeklyWindow(5, clock(9), clock(17)),
    WeeklyWindow(6, clock(22), clock(2)),  # overnight into Monday
]
HOLE = DatedException(
    "unavailable", datetime(2026, 12, 5, 2, tzinfo=UTC), datetime(2026, 12, 5, 4, tzinfo=UTC)
)
START = datetime(2026, 11, 29, 16, tzinfo=UTC)  # Monday 00:00 in Asia/Shanghai
END = datetime(2026, 12, 6, 16, tzinfo=UTC)


def rrule_occurrences(window, first_day, last_day, tz):
    """The first version: one dateutil rrule per window."""
    first = max(first_day, window.valid_from) if window.valid_from else first_day
    last = min(last_day, window.valid_until) if window.valid_until else last_day
    if last < first:
        return
    days = rrule(
        WEEKLY,
        byweekday=window.weekday,
        dtstart=datetime.combine(first, clock()),
        until=datetime.combine(last, clock()),
    )
    overnight = window.end <= window.start
    for day in days:
        start = datetime.combine(day.date(), window.start, tzinfo=tz)
        end_day = day.date() + timedelta(days=1) if overnight else day.date()
        yield start, datetime.combine(end_day, window.end, tzinfo=tz)


def expand_all(people: int) -> float:
    began = time.perf_counter()
    for _ in range(people):
        expand_availability(WINDOWS, [HOLE], start=START, end=END, timezone="Asia/Shanghai")
    return time.perf_counter() - began


def median_of(run: Callable[[], float], repeat: int) -> tuple[float, list[float]]:
    times = [run() for _ in range(repeat)]
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    now, now_runs = median_of(lambda: expand_all(args.people), args.repeat)
    with mock.patch.object(availability, "_window_occurrences", rrule_occurrences):
        before, before_runs = median_of(lambda: expand_all(args.people), args.repeat)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"{args.people} people x {len(WINDOWS)} weekly windows + 1 exception, one week")
    print("| expansion | median s | runs |\n| --- | ---: | --- |")
    for name, median, runs in (
        ("rrule per window (before)", before, before_runs),
        ("weekly date stepping (now)", now, now_runs),
    ):
        print(f"| {name} | {median:.2f} | {', '.join(f'{t:.2f}' for t in runs)} |")
    print(f"speed-up: {before / now:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

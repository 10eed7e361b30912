"""Expansion of weekly windows and dated exceptions into intervals, and the interval algebra."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.availability import DatedException, WeeklyWindow, expand_availability
from services.intervals import clip, merge, subtract

SH = ZoneInfo("Asia/Shanghai")
TZ = "Asia/Shanghai"
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def local(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time on day `day` of December 2026 (Nov 30 is day 0: a Monday)."""
    return datetime(2026, 11, 30, hour, minute, tzinfo=SH) + timedelta(days=day)


WEEK_START, WEEK_END = local(0), local(7)  # ISO week 2026-W49, Monday to Monday


def expand(windows=(), exceptions=(), start=WEEK_START, end=WEEK_END, timezone=TZ):
    return expand_availability(windows, exceptions, start=start, end=end, timezone=timezone)


def window(weekday, start, end, **kwargs):
    return WeeklyWindow(weekday, time(*start), time(*end), **kwargs)


# --- the interval algebra -----------------------------------------------------------------


def test_merge_joins_touching_and_overlapping_intervals_and_drops_empty_ones():
    a, b, c, d = local(0, 9), local(0, 12), local(0, 17), local(0, 20)
    assert merge([(b, c), (a, b), (d, d), (c, d)]) == [(a, d)]
    assert merge([(a, c), (b, b)]) == [(a, c)]


def test_subtract_splits_around_a_hole_and_removes_covered_parts():
    a, b, c, d = local(0, 9), local(0, 10), local(0, 11), local(0, 12)
    assert subtract([(a, d)], [(b, c)]) == [(a, b), (c, d)]
    assert subtract([(b, c)], [(a, d)]) == []
    assert subtract([(a, c)], [(b, d)]) == [(a, b)]


def test_clip_keeps_only_the_parts_inside_the_bounds():
    a, b, c, d = local(0, 9), local(0, 10), local(0, 11), local(0, 12)
    assert clip([(a, c), (d, d + timedelta(hours=1))], b, d) == [(b, c)]


# --- weekly windows -----------------------------------------------------------------------


def test_weekly_window_recurs_on_its_weekday_every_week():
    got = expand([window(MON, (9, 0), (12, 0))], end=local(14))
    assert got == [(local(0, 9), local(0, 12)), (local(7, 9), local(7, 12))]


def test_intervals_are_in_the_configured_timezone():
    ((start, end),) = expand([window(TUE, (14, 0), (16, 30))])
    assert start.isoformat() == "2026-12-01T14:00:00+08:00"
    assert end.isoformat() == "2026-12-01T16:30:00+08:00"


def test_touching_windows_on_one_day_are_merged():
    got = expand([window(MON, (9, 0), (12, 0)), window(MON, (12, 0), (17, 0))])
    assert got == [(local(0, 9), local(0, 17))]


def test_overnight_window_runs_past_midnight():
    got = expand([window(WED, (22, 0), (2, 0))])
    assert got == [(local(2, 22), local(3, 2))]


def test_window_whose_end_equals_its_start_lasts_a_whole_day():
    got = expand([window(FRI, (0, 0), (0, 0))])
    assert got == [(local(4), local(5))]


def test_sunday_overnight_window_crosses_into_the_next_week():
    # Sunday 22:00-02:00: last week's Sunday reaches into this Monday, this Sunday into next.
    got = expand([window(SUN, (22, 0), (2, 0))])
    assert got == [(local(0, 0), local(0, 2)), (local(6, 22), local(7, 0))]


def test_sunday_overnight_window_is_whole_when_the_horizon_spans_the_week_boundary():
    got = expand([window(SUN, (22, 0), (2, 0))], start=local(6, 12), end=local(7, 12))
    assert got == [(local(6, 22), local(7, 2))]


def test_overnight_window_touching_the_next_days_window_merges_with_it():
    got = expand([window(SUN, (20, 0), (0, 0)), window(MON, (0, 0), (8, 0))], end=local(14))
    assert got == [
        (local(0, 0), local(0, 8)),
        (local(6, 20), local(7, 8)),
        (local(13, 20), local(14, 0)),
    ]


def test_valid_from_and_valid_until_limit_the_weeks():
    windows = [
        window(MON, (9, 0), (10, 0), valid_from=date(2026, 12, 7)),
        window(TUE, (9, 0), (10, 0), valid_until=date(2026, 12, 1)),
    ]
    got = expand(windows, end=local(14))
    assert got == [(local(1, 9), local(1, 10)), (local(7, 9), local(7, 10))]


def test_validity_applies_to_the_day_an_overnight_window_starts():
    # Valid until Sunday 6 December: that night still reaches into Monday the 7th.
    windows = [
        window(SUN, (22, 0), (2, 0), valid_from=date(2026, 12, 6), valid_until=date(2026, 12, 6))
    ]
    got = expand(windows, end=local(14))
    assert got == [(local(6, 22), local(7, 2))]


def test_window_valid_for_a_single_day_that_is_not_its_weekday_never_occurs():
    windows = [
        window(MON, (9, 0), (10, 0), valid_from=date(2026, 12, 2), valid_until=date(2026, 12, 2))
    ]
    assert expand(windows) == []


def test_horizon_clips_windows_at_both_ends():
    got = expand([window(MON, (9, 0), (17, 0))], start=local(0, 10), end=local(0, 12))
    assert got == [(local(0, 10), local(0, 12))]


def test_empty_or_reversed_horizon_gives_nothing():
    assert expand([window(MON, (9, 0), (17, 0))], start=local(1), end=local(1)) == []
    assert expand([window(MON, (9, 0), (17, 0))], start=local(2), end=local(1)) == []


# --- dated exceptions ---------------------------------------------------------------------


def test_unavailable_exception_cuts_a_hole_in_a_window():
    got = expand(
        [window(MON, (9, 0), (17, 0))],
        [DatedException("unavailable", local(0, 12), local(0, 13))],
    )
    assert got == [(local(0, 9), local(0, 12)), (local(0, 13), local(0, 17))]


def test_unavailable_exception_can_remove_a_whole_occurrence():
    got = expand(
        [window(MON, (9, 0), (17, 0))],
        [DatedException("unavailable", local(0), local(1))],
        end=local(14),
    )
    assert got == [(local(7, 9), local(7, 17))]


def test_available_exception_adds_an_extra_window():
    got = expand([], [DatedException("available", local(5, 10), local(5, 16))])
    assert got == [(local(5, 10), local(5, 16))]


def test_available_exception_touching_a_window_merges_with_it():
    got = expand(
        [window(MON, (9, 0), (12, 0))],
        [DatedException("available", local(0, 12), local(0, 15))],
    )
    assert got == [(local(0, 9), local(0, 15))]


def test_unavailable_wins_over_available():
    got = expand(
        [],
        [
            DatedException("available", local(2, 9), local(2, 17)),
            DatedException("unavailable", local(2, 10), local(2, 11)),
        ],
    )
    assert got == [(local(2, 9), local(2, 10)), (local(2, 11), local(2, 17))]


def test_exceptions_given_in_utc_are_placed_correctly():
    # 01:00Z is 09:00 in Shanghai.
    hole = DatedException(
        "unavailable", datetime(2026, 11, 30, 1, tzinfo=UTC), datetime(2026, 11, 30, 2, tzinfo=UTC)
    )
    got = expand([window(MON, (8, 0), (11, 0))], [hole])
    assert got == [(local(0, 8), local(0, 9)), (local(0, 10), local(0, 11))]


def test_available_exception_is_clipped_to_the_horizon():
    got = expand([], [DatedException("available", local(-1, 20), local(0, 4))])
    assert got == [(local(0), local(0, 4))]


def test_unavailable_exception_crossing_midnight_cuts_an_overnight_window():
    got = expand(
        [window(SUN, (22, 0), (2, 0))],
        [DatedException("unavailable", local(6, 23), local(7, 1))],
        start=local(6),
        end=local(8),
    )
    assert got == [(local(6, 22), local(6, 23)), (local(7, 1), local(7, 2))]


# --- timezones ----------------------------------------------------------------------------


def test_utc_horizon_is_read_in_the_local_timezone():
    # The Shanghai week W49 written in UTC: Sunday 16:00Z to Sunday 16:00Z.
    start = datetime(2026, 11, 29, 16, tzinfo=UTC)
    end = datetime(2026, 12, 6, 16, tzinfo=UTC)
    # Monday 06:00-07:00 in Shanghai is Sunday 22:00-23:00 UTC: still Monday's window.
    got = expand([window(MON, (6, 0), (7, 0))], start=start, end=end)
    assert got == [(local(0, 6), local(0, 7))]
    assert got[0][0] == datetime(2026, 11, 29, 22, tzinfo=UTC)
    assert got[0][0].utcoffset() == timedelta(hours=8)


def test_same_window_in_utc_lies_eight_hours_later():
    start = datetime(2026, 11, 30, tzinfo=UTC)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    mon = [window(MON, (9, 0), (10, 0))]
    in_utc = expand(mon, start=start, end=end, timezone="UTC")
    in_shanghai = expand(mon, start=start, end=end, timezone=TZ)
    assert in_utc == [
        (datetime(2026, 11, 30, 9, tzinfo=UTC), datetime(2026, 11, 30, 10, tzinfo=UTC))
    ]
    assert in_utc[0][0] - in_shanghai[0][0] == timedelta(hours=8)
    assert in_utc[0][0].utcoffset() == timedelta(0)


def test_utc_horizon_cuts_a_local_window_at_the_utc_instant():
    # Horizon ends Monday 00:00Z = Monday 08:00 in Shanghai: a 07:00-09:00 window is halved.
    got = expand(
        [window(MON, (7, 0), (9, 0))],
        start=datetime(2026, 11, 29, tzinfo=UTC),
        end=datetime(2026, 11, 30, tzinfo=UTC),
    )
    assert got == [(local(0, 7), local(0, 8))]

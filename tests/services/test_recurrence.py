"""Unit tests of RRULE parsing and expansion into shift times (services/recurrence.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.errors import Invalid
from services.recurrence import expand_rule, parse_rule

TZ_NAME = "Asia/Shanghai"
TZ = ZoneInfo(TZ_NAME)
# Monday 2026-11-30 09:00 local: the first day of ISO week 2026-W49.
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
WEEK_START = datetime(2026, 11, 30, 0, 0, tzinfo=TZ)
WEEK_END = WEEK_START + timedelta(days=7)


def expand(rule, *, dtstart=MONDAY_9, minutes=120, start=WEEK_START, end=WEEK_END):
    return expand_rule(
        rule, dtstart=dtstart, minutes=minutes, timezone=TZ_NAME, start=start, end=end
    )


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=TZ)


def test_weekly_byday_gives_each_listed_weekday():
    occurrences = expand("FREQ=WEEKLY;BYDAY=MO,WE,FR")
    assert [s for s, _ in occurrences] == [at(11, 30, 9), at(12, 2, 9), at(12, 4, 9)]
    assert all(e - s == timedelta(hours=2) for s, e in occurrences)


def test_occurrences_are_aware_in_the_configured_timezone():
    (start, end), *_ = expand("FREQ=WEEKLY;BYDAY=MO")
    assert start.utcoffset() == timedelta(hours=8)
    assert start.astimezone(UTC) == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert end == start + timedelta(minutes=120)


def test_daily_over_a_week_gives_seven():
    assert len(expand("FREQ=DAILY")) == 7


def test_occurrence_at_horizon_start_is_included():
    occurrences = expand("FREQ=DAILY", start=MONDAY_9, end=MONDAY_9 + timedelta(days=1))
    assert [s for s, _ in occurrences] == [MONDAY_9]


def test_occurrence_at_horizon_end_is_excluded():
    occurrences = expand(
        "FREQ=DAILY", start=MONDAY_9 - timedelta(days=1), end=MONDAY_9 + timedelta(days=1)
    )
    assert [s for s, _ in occurrences] == [MONDAY_9]


def test_horizon_before_dtstart_is_empty():
    assert expand("FREQ=DAILY", start=WEEK_START - timedelta(days=7), end=WEEK_START) == []


def test_horizon_given_in_utc_is_the_same_instant():
    occurrences = expand(
        "FREQ=WEEKLY;BYDAY=TU",
        start=WEEK_START.astimezone(UTC),
        end=WEEK_END.astimezone(UTC),
    )
    assert [s for s, _ in occurrences] == [at(12, 1, 9)]


def test_monthly_by_month_day():
    dtstart = datetime(2026, 1, 15, 14, 30, tzinfo=TZ)
    occurrences = expand(
        "FREQ=MONTHLY;BYMONTHDAY=15",
        dtstart=dtstart,
        start=datetime(2026, 3, 1, tzinfo=TZ),
        end=datetime(2026, 5, 1, tzinfo=TZ),
    )
    assert [s for s, _ in occurrences] == [
        datetime(2026, 3, 15, 14, 30, tzinfo=TZ),
        datetime(2026, 4, 15, 14, 30, tzinfo=TZ),
    ]


def test_monthly_by_nth_weekday():
    dtstart = datetime(2026, 1, 1, 10, 0, tzinfo=TZ)
    occurrences = expand(
        "FREQ=MONTHLY;BYDAY=1SA",
        dtstart=dtstart,
        start=datetime(2026, 11, 1, tzinfo=TZ),
        end=datetime(2027, 1, 1, tzinfo=TZ),
    )
    assert [s for s, _ in occurrences] == [
        datetime(2026, 11, 7, 10, 0, tzinfo=TZ),
        datetime(2026, 12, 5, 10, 0, tzinfo=TZ),
    ]


def test_count_limits_the_series():
    occurrences = expand("FREQ=DAILY;COUNT=3", end=WEEK_START + timedelta(days=30))
    assert [s for s, _ in occurrences] == [at(11, 30, 9), at(12, 1, 9), at(12, 2, 9)]


def test_until_limits_the_series():
    occurrences = expand("FREQ=DAILY;UNTIL=20261202T090000")
    assert [s for s, _ in occurrences] == [at(11, 30, 9), at(12, 1, 9), at(12, 2, 9)]


def test_rrule_prefix_is_accepted():
    assert expand("RRULE:FREQ=WEEKLY;BYDAY=MO") == expand("FREQ=WEEKLY;BYDAY=MO")


def test_lowercase_rule_is_accepted():
    assert expand("freq=weekly;byday=mo") == expand("FREQ=WEEKLY;BYDAY=MO")


def test_dtstart_in_utc_keeps_its_shanghai_wall_clock_time():
    # 01:00 UTC is 09:00 in Shanghai: every occurrence is at 09:00 local, not 01:00.
    dtstart = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    occurrences = expand("FREQ=WEEKLY;BYDAY=MO,TH", dtstart=dtstart)
    assert [(s.hour, s.minute) for s, _ in occurrences] == [(9, 0), (9, 0)]
    assert [s.date().day for s, _ in occurrences] == [30, 3]


def test_dtstart_in_utc_late_evening_lands_on_the_next_shanghai_day():
    # Sunday 2026-11-29 17:00 UTC is Monday 01:00 in Shanghai: BYDAY refers to local days.
    dtstart = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    occurrences = expand("FREQ=WEEKLY;BYDAY=MO", dtstart=dtstart)
    assert [s for s, _ in occurrences] == [at(11, 30, 1)]


def test_parse_rule_returns_a_rule_anchored_at_local_dtstart():
    rule = parse_rule("FREQ=DAILY;COUNT=2", dtstart=MONDAY_9, timezone=TZ_NAME)
    assert [d.hour for d in rule] == [9, 9]


@pytest.mark.parametrize(
    "rule",
    [
        "garbage",
        "FREQ=HOURLY",
        "FREQ=MINUTELY;COUNT=3",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;COUNT=abc",
        "BYDAY=MO",
        "",
        "   ",
        "DTSTART:20261130T090000\nRRULE:FREQ=DAILY",
        "FREQ=DAILY;DTSTART=20261130T090000",
        "FREQ=DAILY\nFREQ=WEEKLY",
        "FREQ=WEEKLY;INTERVAL=-1",
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=MONTHLY;BYDAY=+9MO",  # parses, but fails when iterated
        "FREQ=DAILY;BYHOUR=9,10,11",  # would sneak past "at most daily"
        "FREQ=DAILY;BYMINUTE=0,30",
    ],
)
def test_bad_rules_are_invalid_naming_recurrence_rule(rule):
    with pytest.raises(Invalid) as caught:
        parse_rule(rule, dtstart=MONDAY_9, timezone=TZ_NAME)
    assert list(caught.value.errors) == ["recurrence_rule"]
    assert caught.value.errors["recurrence_rule"]


def test_bad_rule_names_the_given_field():
    with pytest.raises(Invalid) as caught:
        parse_rule("garbage", dtstart=MONDAY_9, timezone=TZ_NAME, field="recurrence.rule")
    assert list(caught.value.errors) == ["recurrence.rule"]


def test_expand_rejects_a_bad_rule_too():
    with pytest.raises(Invalid) as caught:
        expand("FREQ=HOURLY")
    assert "recurrence_rule" in caught.value.errors


def test_too_many_occurrences_in_a_horizon_is_invalid():
    # BYHOUR/BYMINUTE make a "daily" rule fire many times a day; the cap stops it.
    with pytest.raises(Invalid) as caught:
        expand(
            "FREQ=DAILY;BYHOUR=8,9,10,11,12,13,14,15,16,17,18;BYMINUTE=0,10,20,30,40,50",
            end=WEEK_START + timedelta(days=60),
        )
    assert "recurrence_rule" in caught.value.errors


def test_until_in_utc_as_rfc_5545_writes_it():
    # 2026-12-02T16:00Z is Thursday 00:00 in Shanghai: Monday and Wednesday remain.
    occurrences = expand("FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20261202T160000Z")
    assert [s for s, _ in occurrences] == [at(11, 30, 9), at(12, 2, 9)]


def test_interval_skips_weeks():
    two_weeks = expand("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", end=WEEK_START + timedelta(days=28))
    assert [s for s, _ in two_weeks] == [at(11, 30, 9), at(12, 14, 9)]

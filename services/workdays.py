"""Working days (Monday to Friday, minus holidays, plus make-up working days)."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import holidays as holiday_calendars

from services.errors import Invalid

# Mainland China moves weekend days around its holidays (调休): some Saturdays and Sundays are
# working days. The holidays library lists the days off; the working weekend days are settings.


@dataclass(frozen=True)
class WorkCalendar:
    """Which days count as working days."""

    holidays: Container[date] = field(default_factory=frozenset)
    # Weekend days that are working days (make-up days).
    extra_workdays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (`day` itself does not count)."""
        current = day
        left = count
        while left > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current


def _dates(values: Iterable[str], name: str) -> frozenset[date]:
    days = set()
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            days.add(date.fromisoformat(value))
        except ValueError:
            raise Invalid(
                f"bad date {value!r} in {name}", errors={name: [f"{value!r} is not YYYY-MM-DD"]}
            ) from None
    return frozenset(days)


def work_calendar(
    *, country: str | None, holidays: Iterable[str] = (), workdays: Iterable[str] = ()
) -> WorkCalendar:
    """A calendar of `country`'s public holidays (a holidays-library code such as "CN"; empty
    for none) plus the listed extra holidays and make-up working days (ISO dates)."""
    listed = _dates(holidays, "holidays")
    extra_workdays = _dates(workdays, "workdays")
    if not country:
        return WorkCalendar(holidays=listed, extra_workdays=extra_workdays)
    try:
        public = holiday_calendars.country_holidays(country)
    except NotImplementedError:
        raise Invalid(
            f"unknown holiday country {country!r}",
            errors={"country": [f"{country!r} is not a country the holidays library knows"]},
        ) from None
    # The library fills years on first lookup; listed dates are added on top of its own.
    public.update(dict.fromkeys(listed, "configured holiday"))
    return WorkCalendar(holidays=public, extra_workdays=extra_workdays)

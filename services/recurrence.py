"""Recurring needs: validate an RRULE and expand it into shift times for a horizon."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from services.errors import Invalid

MAX_OCCURRENCES_PER_HORIZON = 1000
# More often than daily is not a volunteer shift pattern, and would explode a horizon.
ALLOWED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_FREQ = re.compile(r"(?:^|;)FREQ=([A-Z]+)", re.IGNORECASE)
_PART = re.compile(r"(?:^|;)(BYHOUR|BYMINUTE|BYSECOND|INTERVAL)=([^;]*)", re.IGNORECASE)
_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)


def _local_until(text: str, tz: ZoneInfo) -> str:
    """RFC 5545 writes UNTIL in UTC (...Z); the rule runs on local wall-clock time, so convert."""

    def to_local(match: re.Match[str]) -> str:
        moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        return "UNTIL=" + moment.astimezone(tz).strftime("%Y%m%dT%H%M%S")

    return _UNTIL_UTC.sub(to_local, text)


def _check_parts(text: str, field: str) -> None:
    for name, value in _PART.findall(text):
        if name.upper() != "INTERVAL":
            raise Invalid(
                "bad recurrence",
                errors={
                    field: [f"{name.upper()} is not used: the time of day comes from the start"]
                },
            )
        if not value.isdigit() or int(value) < 1:
            raise Invalid(
                "bad recurrence", errors={field: ["INTERVAL must be a whole number >= 1"]}
            )


def parse_rule(rule: str, *, dtstart: datetime, timezone: str, field: str = "recurrence_rule"):
    """Parse an RFC 5545 RRULE (without DTSTART) anchored at `dtstart`'s local wall-clock time.

    Raises Invalid naming `field` for a malformed rule or one more frequent than daily.
    """
    tz = ZoneInfo(timezone)
    local_start = dtstart.astimezone(tz).replace(tzinfo=None)
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text or "DTSTART" in text.upper() or "\n" in text:
        raise Invalid("bad recurrence", errors={field: ["give one RRULE line, without DTSTART"]})
    _check_parts(text, field)
    try:
        parsed = rrulestr(_local_until(text, tz), dtstart=local_start)
        # Some rules parse but fail when iterated (BYDAY=+9MO): find out now, not in a request.
        parsed.after(local_start, inc=True)
    except (ValueError, TypeError, IndexError, OverflowError) as error:
        raise Invalid("bad recurrence", errors={field: [f"not a valid RRULE: {error}"]}) from None
    if not isinstance(parsed, rrule):
        raise Invalid("bad recurrence", errors={field: ["give a single RRULE"]})
    frequency = _FREQ.search(text)
    if frequency is None or frequency.group(1).upper() not in ALLOWED_FREQUENCIES:
        raise Invalid("bad recurrence", errors={field: ["repeat at most daily"]})
    return parsed


def expand_rule(
    rule: str,
    *,
    dtstart: datetime,
    minutes: int,
    timezone: str,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, datetime]]:
    """Occurrences (start, end) whose start lies in [start, end), aware, in `timezone`."""
    tz = ZoneInfo(timezone)
    parsed = parse_rule(rule, dtstart=dtstart, timezone=timezone)
    lower = start.astimezone(tz).replace(tzinfo=None)
    upper = end.astimezone(tz).replace(tzinfo=None)
    occurrences = []
    for local in parsed.xafter(lower, count=MAX_OCCURRENCES_PER_HORIZON + 1, inc=True):
        if local >= upper:
            break
        begin = local.replace(tzinfo=tz)
        # Add the length in UTC: a shift lasts its minutes even across a DST change.
        finish = (begin.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)
        occurrences.append((begin, finish))
    if len(occurrences) > MAX_OCCURRENCES_PER_HORIZON:
        raise Invalid(
            "too many occurrences",
            errors={"recurrence_rule": [f"more than {MAX_OCCURRENCES_PER_HORIZON} in the horizon"]},
        )
    return occurrences

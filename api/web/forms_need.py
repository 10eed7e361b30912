"""The post-a-need form: flat form fields in, the API's need payload out, errors back per field.

The rules live in the API schema (`NeedCreateSchema`) and the service; this module only turns
text into the payload's types and maps the schema's and service's error paths onto form fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from api.schemas.needs import NeedCreateSchema

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DEFAULT_SKILL_ROWS = 1
_POSITION_KEY = re.compile(r"^positions-(\d+)-")
_SKILL_KEY = re.compile(r"^positions-(\d+)-skills-(\d+)-")
_PATH_PART = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")
# Rows are numbered by the page; past this many a submission is not a person at a form.
MAX_ROWS = 50
# Dates far from now are typing mistakes (and year 1 cannot even be converted to UTC).
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class SkillRow:
    code: str = ""
    level: str = "1"


@dataclass
class PositionRow:
    role: str = ""
    label: str = ""
    count: str = "1"
    min_count: str = "1"
    skills: list[SkillRow] = field(default_factory=lambda: [SkillRow()])


@dataclass
class NeedForm:
    """What the person typed, kept as text so that a re-rendered form shows it unchanged."""

    organization_id: str = ""
    community_id: str = ""
    kind: str = ""
    title: str = ""
    description: str = ""
    priority: str = "3"
    language: str = ""
    points_tier: str = "ordinary"
    requires_background_check: bool = False
    lat: str = ""
    lon: str = ""
    schedule: str = "once"
    date: str = ""
    start: str = ""
    end: str = ""
    weekdays: list[str] = field(default_factory=list)
    until: str = ""
    positions: list[PositionRow] = field(default_factory=lambda: [PositionRow()])


def read_form(form: MultiDict) -> NeedForm:
    """The submitted fields as a NeedForm (nothing checked yet)."""
    values = NeedForm(
        **{
            name: form.get(name, "").strip()
            for name in (
                "organization_id",
                "community_id",
                "kind",
                "title",
                "description",
                "priority",
                "language",
                "points_tier",
                "lat",
                "lon",
                "date",
                "start",
                "end",
                "until",
            )
        }
    )
    values.schedule = "weekly" if form.get("schedule") == "weekly" else "once"
    values.requires_background_check = form.get("requires_background_check") == "on"
    values.weekdays = [day for day in WEEKDAYS if day in form.getlist("weekdays")]
    values.positions = _read_rows(form)
    return values


def _read_rows(form: MultiDict) -> list[PositionRow]:
    position_ids = sorted({int(m.group(1)) for key in form if (m := _POSITION_KEY.match(key))})[
        :MAX_ROWS
    ]
    rows = []
    for i in position_ids:
        prefix = f"positions-{i}-"
        skill_ids = sorted(
            {
                int(m.group(2))
                for key in form
                if (m := _SKILL_KEY.match(key)) and int(m.group(1)) == i
            }
        )[:MAX_ROWS]
        rows.append(
            PositionRow(
                role=form.get(prefix + "role", "").strip(),
                label=form.get(prefix + "label", "").strip(),
                count=form.get(prefix + "count", "").strip(),
                min_count=form.get(prefix + "min_count", "").strip(),
                skills=[
                    SkillRow(
                        code=form.get(f"{prefix}skills-{j}-code", "").strip(),
                        level=form.get(f"{prefix}skills-{j}-level", "").strip(),
                    )
                    for j in skill_ids
                ]
                or [SkillRow()],
            )
        )
    return rows or [PositionRow()]


def _blank(row: PositionRow) -> bool:
    # An untouched row: no role and no skill chosen (the counts keep their defaults).
    return not row.role and not any(skill.code for skill in row.skills)


class _Errors(dict):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)


def _int(errors: _Errors, name: str, text: str, *, required: bool = True) -> int | None:
    if not text:
        if required:
            errors.add(name, _("Enter a number."))
        return None
    try:
        return int(text)
    except ValueError:
        errors.add(name, _("Enter a whole number."))
        return None


def _float(errors: _Errors, name: str, text: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        errors.add(name, _("Enter a number."))
        return None


def _date(errors: _Errors, name: str, text: str) -> date | None:
    if not text:
        errors.add(name, _("Enter a date."))
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors.add(name, _("Enter a date such as 2026-12-01."))
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors.add(name, _("Enter a date between 2000 and 2100."))
        return None
    return day


def _time(errors: _Errors, name: str, text: str) -> time | None:
    if not text:
        errors.add(name, _("Enter a time."))
        return None
    # HH:MM as the time input sends it (browsers may add :SS); fromisoformat alone would
    # also take an offset ("09:00+05:00") and quietly drop it below.
    try:
        if not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", text):
            raise ValueError(text)
        return time.fromisoformat(text)
    except ValueError:
        errors.add(name, _("Enter a time such as 09:30."))
        return None


@dataclass
class Parsed:
    payload: dict[str, Any]
    errors: dict[str, list[str]]
    # Payload position index -> the form row it came from (blank rows are skipped).
    rows: list[int]


def to_payload(values: NeedForm, *, timezone: str) -> Parsed:
    """The need's API payload, or field errors keyed by form field name."""
    errors = _Errors()
    tz = ZoneInfo(timezone)
    data: dict[str, Any] = {
        "kind": values.kind,
        "title": values.title,
        "description": values.description,
        "points_tier": values.points_tier,
        "requires_background_check": values.requires_background_check,
    }
    if not values.title:
        errors.add("title", _("Give the need a title."))
    if not values.kind:
        errors.add("kind", _("Choose what kind of need this is."))
    data["organization_id"] = _int(errors, "organization_id", values.organization_id)
    data["community_id"] = _int(errors, "community_id", values.community_id, required=False)
    data["priority"] = _int(errors, "priority", values.priority)
    data["language"] = values.language or None
    data["lat"] = _float(errors, "lat", values.lat)
    data["lon"] = _float(errors, "lon", values.lon)
    if (data["lat"] is None) != (data["lon"] is None):
        errors.add("lat" if data["lat"] is None else "lon", _("Give both or neither."))

    rows, positions = [], []
    for index, row in enumerate(values.positions):
        if _blank(row):
            continue
        prefix = f"positions-{index}-"
        skills: dict[str, Any] = {}
        for j, skill in enumerate(row.skills):
            if not skill.code:
                continue
            if skill.code in skills:
                errors.add(f"{prefix}skills-{j}-code", _("Each skill only once per position."))
            skills[skill.code] = _int(errors, f"{prefix}skills-{j}-level", skill.level)
        if not row.role:
            errors.add(prefix + "role", _("Choose a role."))
        rows.append(index)
        positions.append(
            {
                "role": row.role,
                "label": row.label,
                "count": _int(errors, prefix + "count", row.count),
                "min_count": _int(errors, prefix + "min_count", row.min_count),
                "skills": skills,
            }
        )
    if not positions:
        errors.add("positions", _("Add at least one position."))

    day = _date(errors, "date", values.date)
    start = _time(errors, "start", values.start)
    end = _time(errors, "end", values.end)
    starts_at = ends_at = None
    if day and start and end:
        starts_at = datetime.combine(day, start, tzinfo=tz)
        ends_at = datetime.combine(day, end, tzinfo=tz)
        if ends_at <= starts_at:
            errors.add("end", _("The end must be after the start."))
    if values.schedule == "weekly":
        until = _date(errors, "until", values.until)
        if not values.weekdays:
            errors.add("weekdays", _("Choose at least one weekday."))
        if until and day and until < day:
            errors.add("until", _("The last day must not be before the first day."))
        if starts_at and ends_at and until and values.weekdays:
            rule = "FREQ=WEEKLY;BYDAY={};UNTIL={}T235959".format(
                ",".join(values.weekdays), until.strftime("%Y%m%d")
            )
            minutes = int((ends_at - starts_at).total_seconds() // 60)
            data["recurrence"] = {"rule": rule, "start": starts_at.isoformat(), "minutes": minutes}
        data["positions"] = positions
    elif starts_at and ends_at:
        data["shifts"] = [
            {
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "positions": positions,
            }
        ]
    if errors:
        return Parsed({}, dict(errors), rows)
    payload = {name: value for name, value in data.items() if value is not None}
    try:
        loaded = NeedCreateSchema().load(payload)
    except ValidationError as error:
        return Parsed({}, schema_errors(error.normalized_messages(), rows), rows)
    return Parsed(loaded, {}, rows)


def _flatten(messages: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(messages, dict):
        return [
            item for key, value in messages.items() for item in _flatten(value, (*path, str(key)))
        ]
    if isinstance(messages, list | tuple):
        return [(path, str(m)) for m in messages]
    return [(path, str(messages))]


def _form_field(path: tuple[str, ...], rows: list[int]) -> str:
    """A schema or service error path as the form field that shows it."""
    parts = list(path)
    if parts[:1] in (["shifts"], ["recurrence"]):
        # One shift (or one rule) per form: its times are the form's date, start and end.
        rest = parts[2:] if parts[:1] == ["shifts"] and len(parts) > 1 else parts[1:]
        if rest[:1] == ["positions"]:
            parts = rest
        else:
            name = rest[0] if rest else ""
            return {
                "starts_at": "start",
                "ends_at": "end",
                "minutes": "end",
                "rule": "weekdays",
            }.get(name, "date")
    if parts[:1] == ["positions"] and len(parts) > 1 and parts[1].isdigit():
        index = int(parts[1])
        row = rows[index] if index < len(rows) else index
        name = parts[2] if len(parts) > 2 else "role"
        if name == "skills":
            return f"positions-{row}-skills"
        return f"positions-{row}-{name}"
    return parts[0] if parts else "_form"


def schema_errors(messages: Any, rows: list[int]) -> dict[str, list[str]]:
    """Marshmallow's nested messages as form field errors."""
    errors = _Errors()
    for path, message in _flatten(messages):
        errors.add(_form_field(path, rows), message)
    return dict(errors)


def service_errors(errors: dict[str, list[str]], rows: list[int]) -> dict[str, list[str]]:
    """A service's `shifts[0].positions[1].skills.x` style error paths as form field errors."""
    found = _Errors()
    for key, messages in errors.items():
        path: list[str] = []
        for part in key.split("."):
            match = _PATH_PART.fullmatch(part)
            if match is None:
                path.append(part)
                continue
            path.append(match.group(1))
            if match.group(2) is not None:
                path.append(match.group(2))
        for message in messages:
            found.add(_form_field(tuple(path), rows), message)
    return dict(found)

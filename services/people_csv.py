"""CSV import and export of people with their skills and weekly availability."""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from models import AvailabilityWindow, Community, Person, PersonSkill, Skill, User
from models.db import utcnow
from models.need import NEED_KINDS
from models.person import PERSON_ROLES
from services import audit
from services.access import person_condition
from services.errors import Invalid
from services.permissions import Reach

COLUMNS = (
    "external_id",
    "name",
    "role",
    "phone",
    "community_id",
    "lat",
    "lon",
    "languages",
    "max_travel_km",
    "max_minutes_per_week",
    "max_shifts_per_day",
    "background_checked",
    "background_checked_on",
    "preferred_kinds",
    "active",
    "skills",
    "availability",
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_INDEX = {name.lower(): i for i, name in enumerate(WEEKDAYS)}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_WINDOW = re.compile(r"^([A-Za-z]{3})\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SKILL = re.compile(r"^([^:\s]+)\s*:\s*(\S+)$")
# Lists longer than this in one id IN (...) are split: SQLite caps bound parameters per query.
_CHUNK = 5000
# The person columns the CSV owns; other columns (preferred organizations...) are left alone.
_PERSON_FIELDS = COLUMNS[1:15]


@dataclass(slots=True)
class _Row:
    """A validated data row, ready to write."""

    number: int
    external_id: str
    person: dict[str, Any]
    skills: dict[int, int]  # skill id -> level
    windows: set[tuple[int, time, time]]


@dataclass(slots=True)
class ImportReport:
    """What happened to each data row; `rows` follows the file order."""

    created: int = 0
    updated: int = 0
    rejected: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


# --- reading ---


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        # utf-8-sig drops the byte-order mark that Excel on Chinese Windows writes.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(
            "the file is not UTF-8",
            errors={"file": [f"not UTF-8 (byte {error.start}); save it as 'CSV UTF-8'"]},
        ) from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, fields); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    previous = 0
    try:
        for record in reader:
            first_line, previous = previous + 1, reader.line_num
            if record and any(cell.strip() for cell in record):
                yield first_line, record
    except csv.Error as error:
        raise Invalid(
            "the file is not valid CSV",
            errors={"file": [f"line {reader.line_num}: {error}"]},
        ) from None


def _check_header(header: list[str]) -> list[str]:
    names = [name.strip() for name in header]
    unknown = [n for n in names if n not in COLUMNS]
    missing = [c for c in COLUMNS if c not in names]
    repeated = sorted({n for n in names if names.count(n) > 1})
    messages = []
    if unknown:
        messages.append("unknown columns: " + ", ".join(unknown))
    if missing:
        messages.append("missing columns: " + ", ".join(missing))
    if repeated:
        messages.append("repeated columns: " + ", ".join(repeated))
    if messages:
        raise Invalid(
            "the header does not match the people CSV format",
            errors={"header": messages + ["expected: " + ",".join(COLUMNS)]},
        )
    return names


# --- field parsers: each returns the value or raises ValueError with a message ---


def _text(value: str, *, limit: int, required: bool = False) -> str | None:
    if not value:
        if required:
            raise ValueError("is required")
        return None
    if len(value) > limit:
        raise ValueError(f"is longer than {limit} characters")
    return value


def _int(value: str, *, lo: int = 0) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"must be a whole number, got {value!r}") from None
    if number < lo:
        raise ValueError(f"must be >= {lo}")
    return number


def _float(value: str, *, lo: float, hi: float) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"must be a number, got {value!r}") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise ValueError(f"must be between {lo:g} and {hi:g}")
    return number


def _bool(value: str, *, default: bool) -> bool:
    if not value:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"must be true/false, 1/0 or yes/no, got {value!r}")


def _date(value: str) -> date | None:
    if not value:
        return None
    try:
        if not _DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"must be a date YYYY-MM-DD, got {value!r}") from None


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def _languages(value: str) -> list[str]:
    codes = [code.lower() for code in _items(value)]
    bad = [code for code in codes if not _LANGUAGE.match(code)]
    if bad:
        raise ValueError("not language codes (like yue, cmn, en): " + ", ".join(bad))
    return list(dict.fromkeys(codes))


def _kinds(value: str) -> list[str]:
    kinds = _items(value)
    bad = [kind for kind in kinds if kind not in NEED_KINDS]
    if bad:
        raise ValueError("unknown need kinds: " + ", ".join(bad))
    return list(dict.fromkeys(kinds))


def _skills(value: str, catalogue: dict[str, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    messages = []
    for item in _items(value):
        match = _SKILL.match(item)
        if match is None:
            messages.append(f"{item!r} is not code:level")
            continue
        code, level_text = match.groups()
        if code not in catalogue:
            messages.append(f"unknown skill code {code!r}")
            continue
        if not level_text.isdigit() or not 1 <= int(level_text) <= 5:
            messages.append(f"{code}: level must be 1-5, got {level_text!r}")
            continue
        if catalogue[code] in out:
            messages.append(f"{code} is listed twice")
            continue
        out[catalogue[code]] = int(level_text)
    if messages:
        raise ValueError("; ".join(messages))
    return out


def _clock(hours: str, minutes: str, *, end: bool) -> time:
    h, m = int(hours), int(minutes)
    if end and (h, m) == (24, 0):
        return time(0, 0)  # midnight at the end of the day: the model's "runs past midnight"
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"{hours}:{minutes} is not a time of day")
    return time(h, m)


def _windows(value: str) -> set[tuple[int, time, time]]:
    out: set[tuple[int, time, time]] = set()
    messages = []
    for item in _items(value):
        match = _WINDOW.match(item)
        if match is None:
            messages.append(f"{item!r} is not like 'Mon 09:00-12:00'")
            continue
        day, h1, m1, h2, m2 = match.groups()
        if day.lower() not in _WEEKDAY_INDEX:
            messages.append(f"{day!r} is not a weekday ({', '.join(WEEKDAYS)})")
            continue
        try:
            start, end = _clock(h1, m1, end=False), _clock(h2, m2, end=True)
        except ValueError as error:
            messages.append(f"{item!r}: {error}")
            continue
        if (int(h1), int(m1)) == (int(h2), int(m2)):
            messages.append(f"{item!r} is empty (start equals end)")
            continue
        key = (_WEEKDAY_INDEX[day.lower()], start, end)
        if key in out:
            messages.append(f"{item!r} is listed twice")
            continue
        out.add(key)
    if messages:
        raise ValueError("; ".join(messages))
    return out


def _validate(
    number: int,
    values: dict[str, str],
    *,
    catalogue: dict[str, int],
    communities: set[int],
) -> tuple[_Row | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}

    def check(column: str, parse, *args, **kwargs):
        try:
            return parse(values[column], *args, **kwargs)
        except ValueError as error:
            errors.setdefault(column, []).append(str(error))
            return None

    for column, value in values.items():
        if "\x00" in value:
            # PostgreSQL text cannot hold NUL characters: refuse them here, not there.
            errors[column] = ["must not contain NUL characters"]
            values = {**values, column: ""}
    external_id = check("external_id", _text, limit=64, required=True)
    person = {
        "name": check("name", _text, limit=120, required=True),
        "role": check("role", _text, limit=32, required=True),
        "phone": check("phone", _text, limit=40),
        "community_id": check("community_id", _int, lo=1),
        "lat": check("lat", _float, lo=-90, hi=90),
        "lon": check("lon", _float, lo=-180, hi=180),
        "languages": check("languages", _languages),
        "max_travel_km": check("max_travel_km", _float, lo=0, hi=20000),
        "max_minutes_per_week": check("max_minutes_per_week", _int),
        "max_shifts_per_day": check("max_shifts_per_day", _int),
        "background_checked": check("background_checked", _bool, default=False),
        "background_checked_on": check("background_checked_on", _date),
        "preferred_kinds": check("preferred_kinds", _kinds),
        "active": check("active", _bool, default=True),
    }
    skills = check("skills", _skills, catalogue)
    windows = check("availability", _windows)
    if person["role"] is not None and person["role"] not in PERSON_ROLES:
        errors.setdefault("role", []).append("must be one of " + ", ".join(PERSON_ROLES))
    if person["community_id"] is not None and person["community_id"] not in communities:
        errors.setdefault("community_id", []).append(
            f"no community with id {person['community_id']}"
        )
    if (
        "lat" not in errors
        and "lon" not in errors
        and (person["lat"] is None) != (person["lon"] is None)
    ):
        errors.setdefault("lat" if person["lat"] is None else "lon", []).append(
            "give both lat and lon, or neither"
        )
    if errors:
        return None, errors
    assert external_id is not None and skills is not None and windows is not None
    return _Row(number, external_id, person, skills, windows), {}


def _parse(session: Session, text: str) -> list[tuple[int, str, _Row | None, dict[str, list[str]]]]:
    """Validate every record; returns (row number, external id, row or None, errors)."""
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise Invalid("the file is empty", errors={"file": ["no header row"]})
    header = _check_header(first[1])
    raw: list[tuple[int, dict[str, str] | None, list[str]]] = []
    for number, record in records:
        if len(record) != len(header):
            raw.append((number, None, [f"has {len(record)} fields, the header has {len(header)}"]))
            continue
        raw.append((number, {k: v.strip() for k, v in zip(header, record, strict=True)}, []))
    catalogue = {code: skill_id for code, skill_id in session.execute(select(Skill.code, Skill.id))}
    wanted = {int(v["community_id"]) for _, v, _ in raw if v and v["community_id"].isdigit()}
    communities = _existing_ids(session, Community.id, wanted)
    parsed = []
    seen: dict[str, int] = {}
    for number, values, problems in raw:
        if values is None:
            parsed.append((number, "", None, {"row": problems}))
            continue
        row, errors = _validate(number, values, catalogue=catalogue, communities=communities)
        external_id = values["external_id"]
        if external_id and external_id in seen:
            errors.setdefault("external_id", []).append(
                f"{external_id!r} repeats row {seen[external_id]}"
            )
            row = None
        seen.setdefault(external_id, number)
        parsed.append((number, external_id, row, errors))
    return parsed


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _existing_ids(session: Session, column, wanted: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(wanted)):
        found.update(session.scalars(select(column).where(column.in_(chunk))))
    return found


# --- writing ---


def import_people_csv(*, session: Session, data: bytes | str) -> ImportReport:
    """Import people from CSV: create new external ids, update known ones, reject bad rows.

    Every good row is written in one transaction; a bad row is rejected whole and reported
    with its errors by column. A re-import replaces a person's skills and weekly windows with
    the file's; entries that stay keep their expiry, verification and validity dates.
    Raises Invalid (field `file` or `header`) when the file as a whole cannot be read.
    """
    parsed = _parse(session, _decode(data))
    good = [row for _, _, row, _ in parsed if row is not None]
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks([row.external_id for row in good]):
        for person in session.execute(
            select(
                Person.id, Person.external_id, *(getattr(Person, f) for f in _PERSON_FIELDS)
            ).where(Person.external_id.in_(chunk))
        ).mappings():
            existing[person["external_id"]] = dict(person)
    new_rows = [row for row in good if row.external_id not in existing]
    old_rows = [row for row in good if row.external_id in existing]
    _insert_people(session, new_rows)
    _update_people(session, old_rows, existing)
    session.commit()

    report = ImportReport()
    for number, external_id, row, errors in parsed:
        if row is None:
            status = "rejected"
            report.rejected += 1
        elif external_id in existing:
            status = "updated"
            report.updated += 1
        else:
            status = "created"
            report.created += 1
        report.rows.append(
            {"row": number, "external_id": external_id, "status": status, "errors": errors}
        )
    return report


def _insert_people(session: Session, rows: list[_Row]) -> None:
    if not rows:
        return
    now = utcnow()
    values = [
        {
            "external_id": row.external_id,
            **row.person,
            "created_at": now,
            "updated_at": now,
            "preferred_organization_ids": [],
        }
        for row in rows
    ]
    # Core executemany: RETURNING through the ORM goes row by row on SQLite.
    session.execute(insert(Person.__table__), values)
    ids_by_external: dict[str, int] = {}
    for chunk in _chunks([row.external_id for row in rows]):
        ids_by_external.update(
            (external_id, person_id)
            for person_id, external_id in session.execute(
                select(Person.id, Person.external_id).where(Person.external_id.in_(chunk))
            )
        )
    ids = [ids_by_external[row.external_id] for row in rows]
    _insert_details(session, zip(ids, rows, strict=True))


def _insert_details(session: Session, pairs: Iterable[tuple[int, _Row]]) -> None:
    skills, windows = [], []
    for person_id, row in pairs:
        skills.extend(
            {"person_id": person_id, "skill_id": s, "level": level}
            for s, level in sorted(row.skills.items())
        )
        windows.extend(
            {"person_id": person_id, "weekday": d, "start_time": a, "end_time": b}
            for d, a, b in sorted(row.windows)
        )
    if skills:
        session.execute(insert(PersonSkill.__table__), skills)
    if windows:
        session.execute(insert(AvailabilityWindow.__table__), windows)


def _update_people(session: Session, rows: list[_Row], existing: dict[str, dict[str, Any]]) -> None:
    if not rows:
        return
    ids = [existing[row.external_id]["id"] for row in rows]
    skills: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    windows: dict[int, dict[tuple[int, time, time], list[int]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for chunk in _chunks(ids):
        for row_id, person_id, skill_id, level in session.execute(
            select(
                PersonSkill.id, PersonSkill.person_id, PersonSkill.skill_id, PersonSkill.level
            ).where(PersonSkill.person_id.in_(chunk))
        ):
            skills[person_id][skill_id] = (row_id, level)
        for w in session.execute(
            select(
                AvailabilityWindow.id,
                AvailabilityWindow.person_id,
                AvailabilityWindow.weekday,
                AvailabilityWindow.start_time,
                AvailabilityWindow.end_time,
            ).where(AvailabilityWindow.person_id.in_(chunk))
        ):
            windows[w.person_id][(w.weekday, w.start_time, w.end_time)].append(w.id)

    now = utcnow()
    person_updates, skill_updates, skill_inserts, window_inserts = [], [], [], []
    skill_deletes: list[int] = []
    window_deletes: list[int] = []
    for person_id, row in zip(ids, rows, strict=True):
        before = existing[row.external_id]
        if any(before[f] != row.person[f] for f in _PERSON_FIELDS):
            person_updates.append({"id": person_id, **row.person, "updated_at": now})
        held = skills.get(person_id, {})
        for skill_id, (row_id, level) in held.items():
            if skill_id not in row.skills:
                skill_deletes.append(row_id)
            elif row.skills[skill_id] != level:
                # A new level is no longer the verified one.
                skill_updates.append(
                    {
                        "id": row_id,
                        "level": row.skills[skill_id],
                        "verified_by": None,
                        "verified_at": None,
                    }
                )
        skill_inserts.extend(
            {"person_id": person_id, "skill_id": s, "level": level}
            for s, level in sorted(row.skills.items())
            if s not in held
        )
        kept = windows.get(person_id, {})
        for key, window_ids in kept.items():
            # The first of identical windows stays (with its validity dates); copies go.
            window_deletes.extend(window_ids if key not in row.windows else window_ids[1:])
        window_inserts.extend(
            {"person_id": person_id, "weekday": d, "start_time": a, "end_time": b}
            for d, a, b in sorted(row.windows)
            if (d, a, b) not in kept
        )
    if person_updates:
        _update_by_id(session, Person.__table__, person_updates)
    if skill_updates:
        _update_by_id(session, PersonSkill.__table__, skill_updates)
    for chunk in _chunks(skill_deletes):
        session.execute(delete(PersonSkill).where(PersonSkill.id.in_(chunk)))
    for chunk in _chunks(window_deletes):
        session.execute(delete(AvailabilityWindow).where(AvailabilityWindow.id.in_(chunk)))
    if skill_inserts:
        session.execute(insert(PersonSkill.__table__), skill_inserts)
    if window_inserts:
        session.execute(insert(AvailabilityWindow.__table__), window_inserts)


def _update_by_id(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE ... WHERE id = ? for rows that all set the same columns."""
    columns = [key for key in rows[0] if key != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in columns})
    )
    session.execute(statement, [{**row, "row_id": row["id"]} for row in rows])


# --- export ---


def _format_clock(value: time, *, end: bool) -> str:
    if end and value == time(0, 0):
        return "24:00"
    return value.strftime("%H:%M")


def _format_number(value: float | None) -> str:
    if value is None:
        return ""
    # repr keeps every digit, so a round trip gives back the same float.
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def export_people_csv(
    *,
    session: Session,
    community_id: int | None = None,
    reach: Reach | None = None,
    actor: User | None = None,
) -> str:
    """Every person (of one community when given) in the import format, ordered by id.

    With `reach`, only the people the caller may see. Erased people are left out. A person
    without an external id is written with an empty one, which an import rejects: give them
    one first.
    """
    # Erased people are pseudonyms kept for hour records: nothing of theirs to export.
    query = select(Person).where(Person.erased_at.is_(None)).order_by(Person.id)
    skill_query = (
        select(PersonSkill.person_id, Skill.code, PersonSkill.level)
        .join(Skill, Skill.id == PersonSkill.skill_id)
        .order_by(PersonSkill.person_id, Skill.code)
    )
    window_query = select(
        AvailabilityWindow.person_id,
        AvailabilityWindow.weekday,
        AvailabilityWindow.start_time,
        AvailabilityWindow.end_time,
    ).order_by(
        AvailabilityWindow.person_id,
        AvailabilityWindow.weekday,
        AvailabilityWindow.start_time,
        AvailabilityWindow.end_time,
    )
    if community_id is not None or reach is not None:
        condition = person_condition(reach)
        if community_id is not None:
            condition = and_(condition, Person.community_id == community_id)
        scope = select(Person.id).where(condition)
        query = query.where(condition)
        skill_query = skill_query.where(PersonSkill.person_id.in_(scope))
        window_query = window_query.where(AvailabilityWindow.person_id.in_(scope))
    skills: dict[int, list[str]] = defaultdict(list)
    for person_id, code, level in session.execute(skill_query):
        skills[person_id].append(f"{code}:{level}")
    windows: dict[int, list[str]] = defaultdict(list)
    for person_id, weekday, start, end in session.execute(window_query):
        text = (
            f"{WEEKDAYS[weekday]} {_format_clock(start, end=False)}-{_format_clock(end, end=True)}"
        )
        if text not in windows[person_id]:
            windows[person_id].append(text)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    people = session.scalars(query).all()
    for p in people:
        writer.writerow(
            [
                p.external_id or "",
                p.name,
                p.role,
                p.phone or "",
                p.community_id or "",
                _format_number(p.lat),
                _format_number(p.lon),
                ";".join(p.languages or []),
                _format_number(p.max_travel_km),
                "" if p.max_minutes_per_week is None else p.max_minutes_per_week,
                "" if p.max_shifts_per_day is None else p.max_shifts_per_day,
                "true" if p.background_checked else "false",
                p.background_checked_on.isoformat() if p.background_checked_on else "",
                ";".join(p.preferred_kinds or []),
                "true" if p.active else "false",
                ";".join(skills.get(p.id, [])),
                ";".join(windows.get(p.id, [])),
            ]
        )
    # A bulk export of personal data is a sensitive action: who took what, and how much.
    audit.record(
        session=session,
        actor=actor,
        action="people.export",
        subject_type="people",
        subject_id=f"community:{community_id}" if community_id is not None else "all",
        details={"rows": len(people)},
    )
    session.commit()
    return out.getvalue()

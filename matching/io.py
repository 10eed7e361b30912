"""Problem and solution JSON files <-> domain dataclasses, with errors naming record and field."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from matching.domain import (
    FORMAT_VERSION,
    FUNNEL_STAGES,
    PERSON_ROLES,
    POSITION_ROLES,
    STABILITY,
    TERM_NAMES,
    Assignment,
    FairnessSummary,
    History,
    Location,
    Objective,
    Person,
    PersonPosition,
    PersonShift,
    Position,
    Problem,
    Shift,
    Solution,
    Stats,
    Unfilled,
    Weights,
)

WEIGHT_NAMES = tuple(f.name for f in fields(Weights))
# A required field that is missing: already reported by `_record`, so readers stay silent.
_ABSENT = object()
_ROLES = ", ".join(PERSON_ROLES)
_ROLES_ANY = ", ".join(POSITION_ROLES)


class ProblemFormatError(ValueError):
    """A problem (or solution) file breaks the format; `.errors` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        head = f"{len(self.errors)} error(s) in problem file:\n" if len(self.errors) > 1 else ""
        super().__init__(head + "\n".join(self.errors))


class _Errors:
    """Collects every error instead of stopping at the first."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


# --- reading JSON sources ---


def _read_source(source: Any) -> Any:
    """Decode a dict, JSON text, bytes, a path or a text file into plain JSON values."""
    if isinstance(source, Mapping):
        return source
    try:
        if isinstance(source, bytes | bytearray):
            return json.loads(source.decode("utf-8"))
        if isinstance(source, str):
            return json.loads(source)
        if isinstance(source, os.PathLike):
            return json.loads(Path(source).read_text(encoding="utf-8"))
        if hasattr(source, "read"):
            return json.loads(source.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProblemFormatError([f"<file>: not valid JSON ({exc})"]) from exc
    raise TypeError(f"cannot read a problem from {type(source).__name__}")


# --- typed field readers: each returns the value or None after recording an error ---


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if _is_jsonable(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _is_int(value: Any) -> bool:
    # bool is a subclass of int: a JSON true must not pass as 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _int(
    err: _Errors, where: str, value: Any, lo: int | None = None, hi: int | None = None
) -> int | None:
    if value is _ABSENT:
        return None
    if not _is_int(value):
        err.add(where, f"must be an integer, got {_describe(value)}")
        return None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        err.add(where, f"must be {bounds}, got {value}")
        return None
    return int(value)


def _number(err: _Errors, where: str, value: Any, lo: float | None = None) -> float | None:
    if value is _ABSENT:
        return None
    if not _is_number(value):
        err.add(where, f"must be a finite number, got {_describe(value)}")
        return None
    if lo is not None and value < lo:
        err.add(where, f"must be >= {lo}, got {value}")
        return None
    return value


def _str(err: _Errors, where: str, value: Any) -> str | None:
    if value is _ABSENT:
        return None
    if not isinstance(value, str) or not value:
        err.add(where, f"must be a non-empty string, got {_describe(value)}")
        return None
    return value


def _bool(err: _Errors, where: str, value: Any) -> bool | None:
    if value is _ABSENT:
        return None
    if not isinstance(value, bool):
        err.add(where, f"must be true or false, got {_describe(value)}")
        return None
    return value


def _time(err: _Errors, where: str, value: Any) -> datetime | None:
    if value is _ABSENT:
        return None
    if not isinstance(value, str):
        err.add(where, f"must be an ISO 8601 time string, got {_describe(value)}")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        err.add(where, f"not an ISO 8601 time: {_describe(value)}")
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        err.add(where, f"time needs a UTC offset (e.g. +08:00): {_describe(value)}")
        return None
    return parsed


def _interval(err: _Errors, where: str, start: Any, end: Any) -> tuple[datetime, datetime] | None:
    a, b = _time(err, f"{where}.start", start), _time(err, f"{where}.end", end)
    if a is None or b is None:
        return None
    if b <= a:
        err.add(where, f"end must be after start ({end} <= {start})")
        return None
    return a, b


def _list(err: _Errors, where: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        err.add(where, f"must be a list, got {_describe(value)}")
        return []
    return list(value)


def _record(
    err: _Errors, where: str, value: Any, required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, Any] | None:
    """Check a JSON object's keys: every required one present, no unknown one (typos)."""
    if not isinstance(value, dict):
        err.add(where, f"must be an object, got {_describe(value)}")
        return None
    for key in required:
        if key not in value:
            err.add(f"{where}.{key}", "is required")
    unknown = sorted(set(value) - set(required) - set(optional))
    for key in unknown:
        err.add(f"{where}.{key}", "unknown field")
    return value


def _opt(record: dict[str, Any], key: str, read: Callable[[Any], Any], default: Any = None) -> Any:
    """Read an optional field: absent or null gives `default`."""
    value = record.get(key)
    return default if value is None else read(value)


def _label(collection: str, index: int, record: Any) -> str:
    """`people[3] (id "p5")`: the record's place and, when readable, its id."""
    if isinstance(record, dict) and isinstance(record.get("id"), str):
        return f'{collection}[{index}] (id "{record["id"]}")'
    return f"{collection}[{index}]"


def _location(err: _Errors, where: str, value: Any) -> Location | None:
    rec = _record(err, where, value, ("lat", "lon"), ())
    if rec is None or "lat" not in rec or "lon" not in rec:
        return None
    lat = _number(err, f"{where}.lat", rec["lat"])
    lon = _number(err, f"{where}.lon", rec["lon"])
    if lat is not None and not -90 <= lat <= 90:
        err.add(f"{where}.lat", f"must be in -90..90, got {lat}")
        lat = None
    if lon is not None and not -180 <= lon <= 180:
        err.add(f"{where}.lon", f"must be in -180..180, got {lon}")
        lon = None
    return None if lat is None or lon is None else Location(lat=lat, lon=lon)


def _skills(err: _Errors, where: str, value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        err.add(where, f"must be an object of skill -> level, got {_describe(value)}")
        return {}
    out: dict[str, int] = {}
    for name, level in value.items():
        checked = _int(err, f"{where}.{name}", level, 1, 5)
        if checked is not None:
            out[name] = checked
    return out


def _str_list(err: _Errors, where: str, value: Any) -> tuple[str, ...]:
    items = _list(err, where, value)
    out = []
    for k, item in enumerate(items):
        text = _str(err, f"{where}[{k}]", item)
        if text is not None:
            out.append(text)
    return tuple(out)


# --- records ---

_PERSON_REQUIRED = ("id", "role")
_PERSON_OPTIONAL = (
    "skills",
    "languages",
    "location",
    "max_travel_km",
    "max_minutes",
    "max_shifts_per_day",
    "availability",
    "background_checked",
    "points",
    "recent_minutes",
    "preferences",
)


def _person(err: _Errors, where: str, raw: Any) -> Person | None:
    rec = _record(err, where, raw, _PERSON_REQUIRED, _PERSON_OPTIONAL)
    if rec is None:
        return None
    n = len(err.items)
    pid = _str(err, f"{where}.id", rec.get("id", _ABSENT))
    role = rec.get("role")
    if "role" in rec and role not in PERSON_ROLES:
        err.add(f"{where}.role", f"must be one of {_ROLES}, got {_describe(role)}")
    availability = []
    raw_availability = _opt(
        rec, "availability", lambda v: _list(err, f"{where}.availability", v), []
    )
    for k, pair in enumerate(raw_availability):
        at = f"{where}.availability[{k}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            err.add(at, f"must be a [start, end] pair, got {_describe(pair)}")
            continue
        interval = _interval(err, at, pair[0], pair[1])
        if interval is not None:
            availability.append(interval)
    kinds, organizations = _preferences(err, f"{where}.preferences", rec.get("preferences"))
    person = Person(
        id=pid or "",
        role=role if isinstance(role, str) else "",
        skills=_opt(rec, "skills", lambda v: _skills(err, f"{where}.skills", v), {}),
        languages=_opt(rec, "languages", lambda v: _str_list(err, f"{where}.languages", v), ()),
        location=_opt(rec, "location", lambda v: _location(err, f"{where}.location", v)),
        max_travel_km=_opt(
            rec, "max_travel_km", lambda v: _number(err, f"{where}.max_travel_km", v, 0)
        ),
        max_minutes=_opt(rec, "max_minutes", lambda v: _int(err, f"{where}.max_minutes", v, 0)),
        max_shifts_per_day=_opt(
            rec, "max_shifts_per_day", lambda v: _int(err, f"{where}.max_shifts_per_day", v, 0)
        ),
        availability=tuple(availability),
        background_checked=_opt(
            rec, "background_checked", lambda v: _bool(err, f"{where}.background_checked", v), False
        ),
        points=_opt(rec, "points", lambda v: _int(err, f"{where}.points", v, 0), 0),
        recent_minutes=_opt(
            rec, "recent_minutes", lambda v: _int(err, f"{where}.recent_minutes", v, 0), 0
        ),
        preferred_kinds=kinds,
        preferred_organizations=organizations,
    )
    return person if len(err.items) == n else None


def _preferences(err: _Errors, where: str, value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if value is None:
        return (), ()
    rec = _record(err, where, value, (), ("kinds", "organizations"))
    if rec is None:
        return (), ()
    kinds = _opt(rec, "kinds", lambda v: _str_list(err, f"{where}.kinds", v), ())
    orgs = _opt(rec, "organizations", lambda v: _str_list(err, f"{where}.organizations", v), ())
    return kinds, orgs


_SHIFT_REQUIRED = ("id", "request_id", "kind", "start", "end", "priority", "positions")
_SHIFT_OPTIONAL = ("organization_id", "location", "requires_background_check", "language")


def _shift(err: _Errors, where: str, raw: Any) -> Shift | None:
    rec = _record(err, where, raw, _SHIFT_REQUIRED, _SHIFT_OPTIONAL)
    if rec is None:
        return None
    n = len(err.items)
    sid = _str(err, f"{where}.id", rec.get("id", _ABSENT)) or ""
    interval = None
    if "start" in rec and "end" in rec:
        interval = _interval(err, where, rec["start"], rec["end"])
    if interval is not None:
        for name, moment in zip(("start", "end"), interval, strict=True):
            # Minutes must be exact (spec): shift times sit on whole minutes.
            if moment.second or moment.microsecond:
                err.add(f"{where}.{name}", "must be on a whole minute (no seconds)")
    positions = []
    for k, raw_position in enumerate(_list(err, f"{where}.positions", rec.get("positions", []))):
        position = _position(err, f"{where}.positions[{k}]", raw_position, sid)
        if position is not None:
            positions.append(position)
    if "positions" in rec and isinstance(rec["positions"], list) and not rec["positions"]:
        err.add(f"{where}.positions", "must list at least one position")
    shift = Shift(
        id=sid,
        request_id=_str(err, f"{where}.request_id", rec.get("request_id", _ABSENT)) or "",
        organization_id=_opt(
            rec, "organization_id", lambda v: _str(err, f"{where}.organization_id", v)
        ),
        kind=_str(err, f"{where}.kind", rec.get("kind", _ABSENT)) or "",
        start=interval[0] if interval else datetime.min,
        end=interval[1] if interval else datetime.min,
        location=_opt(rec, "location", lambda v: _location(err, f"{where}.location", v)),
        priority=_int(err, f"{where}.priority", rec.get("priority", _ABSENT), 1, 5) or 1,
        requires_background_check=_opt(
            rec,
            "requires_background_check",
            lambda v: _bool(err, f"{where}.requires_background_check", v),
            False,
        ),
        language=_opt(rec, "language", lambda v: _str(err, f"{where}.language", v)),
        positions=tuple(positions),
    )
    return shift if len(err.items) == n else None


def _position(err: _Errors, where: str, raw: Any, shift_id: str) -> Position | None:
    rec = _record(err, where, raw, ("id", "role", "count"), ("skills", "min_count"))
    if rec is None:
        return None
    n = len(err.items)
    role = rec.get("role")
    if "role" in rec and role not in POSITION_ROLES:
        err.add(f"{where}.role", f"must be one of {_ROLES_ANY}, got {_describe(role)}")
    count = _int(err, f"{where}.count", rec.get("count"), 1) if "count" in rec else None
    min_count = _opt(rec, "min_count", lambda v: _int(err, f"{where}.min_count", v, 1), 1)
    if count is not None and min_count is not None and min_count > count:
        err.add(f"{where}.min_count", f"must be <= count ({min_count} > {count})")
    position = Position(
        id=_str(err, f"{where}.id", rec.get("id", _ABSENT)) or "",
        shift_id=shift_id,
        role=role if isinstance(role, str) else "",
        skills=_opt(rec, "skills", lambda v: _skills(err, f"{where}.skills", v), {}),
        count=count or 1,
        min_count=min_count or 1,
    )
    return position if len(err.items) == n else None


def _weights(err: _Errors, value: Any) -> Weights:
    if value is None:
        return Weights()
    rec = _record(err, "weights", value, (), WEIGHT_NAMES)
    if rec is None:
        return Weights()
    chosen: dict[str, float] = {}
    for name in WEIGHT_NAMES:
        if rec.get(name) is not None:
            checked = _weight(err, name, rec[name])
            if checked is not None:
                chosen[name] = checked
    return Weights(**chosen)


def _weight(err: _Errors, name: str, raw: Any) -> float | None:
    """A weight: a finite number; an integral float such as 5.0 is stored as the int 5.

    Weights are read as the decimal they are written as (validation.exact). With at most one
    decimal every objective term is a multiple of 1/36000 (the fairness term is W * L^2 / 3600
    with L in whole minutes); finer weights are accepted, and then a solver that works in
    integers may round internally, while the reported objective stays exact.
    """
    where = f"weights.{name}"
    value = _number(err, where, raw)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if name == "points_cap" and value <= 0:
        err.add(where, f"must be > 0, got {value}")
        return None
    return value


def _pairs(
    err: _Errors, name: str, value: Any, other: str
) -> list[tuple[str, str, dict[str, Any]]]:
    """Read `fixed`/`forbidden`-like lists as (person_id, other id, record) triples."""
    out = []
    for k, raw in enumerate(_list(err, name, value)):
        where = f"{name}[{k}]"
        rec = _record(err, where, raw, ("person_id", other), ())
        if rec is None:
            continue
        pid, oid = (
            _str(err, f"{where}.person_id", rec.get("person_id", _ABSENT)),
            _str(err, f"{where}.{other}", rec.get(other, _ABSENT)),
        )
        if pid is not None and oid is not None:
            out.append((pid, oid, rec))
    return out


def _timezone(err: _Errors, value: Any) -> str:
    name = _str(err, "timezone", value)
    if name is None:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        err.add("timezone", f"unknown IANA time zone {_describe(name)}")
    return name


_TOP_REQUIRED = ("version", "timezone", "horizon", "people", "shifts")
_TOP_OPTIONAL = ("travel_buffer_minutes", "weights", "fixed", "forbidden", "history", "incumbents")


def load_problem(source: Any) -> Problem:
    """Read and validate a problem file; `source` is a dict, JSON str/bytes, path or text file.

    Returns the `Problem`; raises `ProblemFormatError` listing every error found.
    """
    data = _read_source(source)
    err = _Errors()
    top = _record(err, "problem", data, _TOP_REQUIRED, _TOP_OPTIONAL)
    if top is None:
        raise ProblemFormatError(err.items)
    if "version" in top and (not _is_int(top["version"]) or top["version"] != FORMAT_VERSION):
        err.add("version", f"must be {FORMAT_VERSION}, got {_describe(top['version'])}")
    timezone = _timezone(err, top.get("timezone")) if "timezone" in top else ""
    horizon = _horizon(err, top.get("horizon")) if "horizon" in top else None
    buffer = _opt(
        top, "travel_buffer_minutes", lambda v: _int(err, "travel_buffer_minutes", v, 0), 0
    )
    weights = _weights(err, top.get("weights"))
    people = _collection(err, "people", top.get("people", []), _person)
    shifts = _collection(err, "shifts", top.get("shifts", []), _shift)
    _check_unique_ids(err, top)
    fixed, forbidden, history, incumbents = _references(err, top)
    if err.items:
        raise ProblemFormatError(err.items)
    assert horizon is not None
    return Problem(
        version=FORMAT_VERSION,
        timezone=timezone,
        horizon_start=horizon[0],
        horizon_end=horizon[1],
        travel_buffer_minutes=buffer or 0,
        weights=weights,
        people=tuple(people),
        shifts=tuple(shifts),
        fixed=tuple(fixed),
        forbidden=tuple(forbidden),
        history=tuple(history),
        incumbents=tuple(incumbents),
    )


def _horizon(err: _Errors, value: Any) -> tuple[datetime, datetime] | None:
    rec = _record(err, "horizon", value, ("start", "end"), ())
    if rec is None or "start" not in rec or "end" not in rec:
        return None
    return _interval(err, "horizon", rec["start"], rec["end"])


def _collection(
    err: _Errors, name: str, value: Any, read: Callable[[_Errors, str, Any], Any]
) -> list[Any]:
    out = []
    for k, raw in enumerate(_list(err, name, value)):
        item = read(err, _label(name, k, raw), raw)
        if item is not None:
            out.append(item)
    return out


def _check_unique_ids(err: _Errors, top: dict[str, Any]) -> None:
    """People, shifts and positions (globally) need unique ids."""
    people = top.get("people") if isinstance(top.get("people"), list) else []
    shifts = top.get("shifts") if isinstance(top.get("shifts"), list) else []
    _unique(err, "person", [(_label("people", k, r), r) for k, r in enumerate(people)])
    _unique(err, "shift", [(_label("shifts", k, r), r) for k, r in enumerate(shifts)])
    positions = []
    for k, shift in enumerate(shifts):
        if isinstance(shift, dict) and isinstance(shift.get("positions"), list):
            for j, pos in enumerate(shift["positions"]):
                positions.append((f"{_label('shifts', k, shift)}.positions[{j}]", pos))
    _unique(err, "position", positions)


def _unique(err: _Errors, kind: str, records: list[tuple[str, Any]]) -> None:
    first: dict[str, str] = {}
    for where, rec in records:
        rid = rec.get("id") if isinstance(rec, dict) else None
        if not isinstance(rid, str):
            continue
        if rid in first:
            err.add(f"{where}.id", f'duplicate {kind} id "{rid}" (first at {first[rid]})')
        else:
            first[rid] = where


def _ids(records: Any) -> list[Any]:
    if not isinstance(records, list):
        return []
    return [r.get("id") for r in records if isinstance(r, dict)]


def _references(
    err: _Errors, top: dict[str, Any]
) -> tuple[list[PersonPosition], list[PersonShift], list[History], list[PersonPosition]]:
    """`fixed`, `forbidden`, `history` and `incumbents`, checking the ids they name exist and
    are not repeated."""
    # Ids come from the raw records so that a broken person or shift does not also make every
    # reference to it an "unknown id" error.
    person_ids = set(_ids(top.get("people")))
    shifts = top.get("shifts")
    shift_ids = set(_ids(shifts))
    position_ids = {
        pid
        for s in (shifts if isinstance(shifts, list) else [])
        if isinstance(s, dict)
        for pid in _ids(s.get("positions"))
    }
    fixed = _linked(err, "fixed", top.get("fixed"), "position_id", person_ids, position_ids)
    incumbents = _linked(
        err, "incumbents", top.get("incumbents"), "position_id", person_ids, position_ids
    )
    forbidden = _linked(err, "forbidden", top.get("forbidden"), "shift_id", person_ids, shift_ids)
    history: list[History] = []
    seen: set[tuple[str, str]] = set()
    for k, raw in enumerate(_list(err, "history", top.get("history") or [])):
        where = f"history[{k}]"
        rec = _record(err, where, raw, ("person_id", "request_id", "count"), ())
        if rec is None:
            continue
        pid = _str(err, f"{where}.person_id", rec.get("person_id", _ABSENT))
        rid = _str(err, f"{where}.request_id", rec.get("request_id", _ABSENT))
        count = _int(err, f"{where}.count", rec.get("count"), 1) if "count" in rec else None
        if pid is not None and pid not in person_ids:
            err.add(f"{where}.person_id", f'unknown person "{pid}"')
        elif pid is not None and rid is not None and count is not None:
            if (pid, rid) in seen:
                err.add(where, f'duplicate history for person "{pid}" and request "{rid}"')
            seen.add((pid, rid))
            history.append(History(person_id=pid, request_id=rid, count=count))
    return (
        [PersonPosition(person_id=a, position_id=b) for a, b in fixed],
        [PersonShift(person_id=a, shift_id=b) for a, b in forbidden],
        history,
        [PersonPosition(person_id=a, position_id=b) for a, b in incumbents],
    )


def _linked(
    err: _Errors,
    name: str,
    value: Any,
    other: str,
    person_ids: set[str],
    other_ids: set[str],
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    kind = other.removesuffix("_id")
    for k, (pid, oid, _) in enumerate(_pairs(err, name, value or [], other)):
        where = f"{name}[{k}]"
        ok = True
        if pid not in person_ids:
            err.add(f"{where}.person_id", f'unknown person "{pid}"')
            ok = False
        if oid not in other_ids:
            err.add(f"{where}.{other}", f'unknown {kind} "{oid}"')
            ok = False
        if ok and (pid, oid) in seen:
            err.add(where, f'duplicate pair ("{pid}", "{oid}")')
        elif ok:
            seen.add((pid, oid))
            out.append((pid, oid))
    return out


# --- writing ---


def _time_out(moment: datetime) -> str:
    return moment.isoformat()


def _location_out(location: Location | None) -> dict[str, float] | None:
    return None if location is None else {"lat": location.lat, "lon": location.lon}


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The problem file (a JSON-ready dict) for `problem`; `load_problem` reads it back equal."""
    data = {
        "version": problem.version,
        "timezone": problem.timezone,
        "horizon": {
            "start": _time_out(problem.horizon_start),
            "end": _time_out(problem.horizon_end),
        },
        "travel_buffer_minutes": problem.travel_buffer_minutes,
        # The extension's weight is written only when used: spec readers see a spec file.
        "weights": {
            name: getattr(problem.weights, name)
            for name in WEIGHT_NAMES
            if name != "stability" or problem.weights.stability
        },
        "people": [_person_out(p) for p in problem.people],
        "shifts": [_shift_out(s) for s in problem.shifts],
        "fixed": [{"person_id": f.person_id, "position_id": f.position_id} for f in problem.fixed],
        "forbidden": [
            {"person_id": f.person_id, "shift_id": f.shift_id} for f in problem.forbidden
        ],
        "history": [
            {"person_id": h.person_id, "request_id": h.request_id, "count": h.count}
            for h in problem.history
        ],
    }
    if problem.incumbents:
        data["incumbents"] = [
            {"person_id": i.person_id, "position_id": i.position_id} for i in problem.incumbents
        ]
    return data


def _person_out(person: Person) -> dict[str, Any]:
    preferences: dict[str, list[str]] = {}
    if person.preferred_kinds:
        preferences["kinds"] = list(person.preferred_kinds)
    if person.preferred_organizations:
        preferences["organizations"] = list(person.preferred_organizations)
    return {
        "id": person.id,
        "role": person.role,
        "skills": dict(person.skills),
        "languages": list(person.languages),
        "location": _location_out(person.location),
        "max_travel_km": person.max_travel_km,
        "max_minutes": person.max_minutes,
        "max_shifts_per_day": person.max_shifts_per_day,
        "availability": [[_time_out(a), _time_out(b)] for a, b in person.availability],
        "background_checked": person.background_checked,
        "points": person.points,
        "recent_minutes": person.recent_minutes,
        "preferences": preferences,
    }


def _shift_out(shift: Shift) -> dict[str, Any]:
    return {
        "id": shift.id,
        "request_id": shift.request_id,
        "organization_id": shift.organization_id,
        "kind": shift.kind,
        "start": _time_out(shift.start),
        "end": _time_out(shift.end),
        "location": _location_out(shift.location),
        "priority": shift.priority,
        "requires_background_check": shift.requires_background_check,
        "language": shift.language,
        "positions": [
            {
                "id": q.id,
                "role": q.role,
                "skills": dict(q.skills),
                "count": q.count,
                "min_count": q.min_count,
            }
            for q in shift.positions
        ],
    }


_STATS_FIELDS = (
    "solver",
    "status",
    "bound",
    "bound_source",
    "gap",
    "wall_seconds",
    "variables",
    "constraints",
)


def solution_to_dict(solution: Solution) -> dict[str, Any]:
    """The solution file (a JSON-ready dict) in the spec's layout; `Stats.extra` joins `stats`."""
    stats = {name: getattr(solution.stats, name) for name in _STATS_FIELDS}
    for key, value in solution.stats.extra.items():
        stats.setdefault(key, value)
    return {
        "version": solution.version,
        "assignments": [
            {"person_id": a.person_id, "position_id": a.position_id, "shift_id": a.shift_id}
            for a in solution.assignments
        ],
        "unfilled": [
            {
                "position_id": u.position_id,
                "missing": u.missing,
                "funnel": {stage: u.funnel[stage] for stage in FUNNEL_STAGES if stage in u.funnel},
                "reason": u.reason,
            }
            for u in solution.unfilled
        ],
        "objective": {
            "total": solution.objective.total,
            "terms": {
                name: solution.objective.terms.get(name, 0.0)
                for name in (*TERM_NAMES, STABILITY)
                if name in TERM_NAMES or name in solution.objective.terms
            },
        },
        "fairness": {
            "people_assigned": solution.fairness.people_assigned,
            "people_available": solution.fairness.people_available,
            "gini_minutes": solution.fairness.gini_minutes,
            "jain_minutes": solution.fairness.jain_minutes,
        },
        "stats": stats,
    }


def solution_from_dict(data: Any) -> Solution:
    """Read a solution file (dict, JSON str/bytes, path or text file) into a `Solution`.

    Raises `ProblemFormatError` when a required part is missing or of the wrong shape.
    """
    data = _read_source(data)
    try:
        return _solution(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProblemFormatError([f"solution: malformed ({type(exc).__name__}: {exc})"]) from exc


def _solution(data: dict[str, Any]) -> Solution:
    raw_stats = dict(data["stats"])
    extra = {k: v for k, v in raw_stats.items() if k not in _STATS_FIELDS}
    objective = data["objective"]
    fairness = data["fairness"]
    return Solution(
        version=int(data["version"]),
        assignments=tuple(
            Assignment(
                person_id=str(a["person_id"]),
                position_id=str(a["position_id"]),
                shift_id=str(a["shift_id"]),
            )
            for a in data["assignments"]
        ),
        unfilled=tuple(
            Unfilled(
                position_id=str(u["position_id"]),
                missing=int(u["missing"]),
                funnel={str(k): int(v) for k, v in u["funnel"].items()},
                reason=str(u["reason"]),
            )
            for u in data["unfilled"]
        ),
        objective=Objective(
            total=float(objective["total"]),
            terms={str(k): float(v) for k, v in objective["terms"].items()},
        ),
        fairness=FairnessSummary(
            people_assigned=int(fairness["people_assigned"]),
            people_available=int(fairness["people_available"]),
            gini_minutes=float(fairness["gini_minutes"]),
            jain_minutes=float(fairness["jain_minutes"]),
        ),
        stats=Stats(
            solver=str(raw_stats["solver"]),
            status=str(raw_stats["status"]),
            bound=None if raw_stats.get("bound") is None else float(raw_stats["bound"]),
            bound_source=raw_stats.get("bound_source"),
            gap=None if raw_stats.get("gap") is None else float(raw_stats["gap"]),
            wall_seconds=float(raw_stats.get("wall_seconds", 0.0)),
            variables=int(raw_stats.get("variables", 0)),
            constraints=int(raw_stats.get("constraints", 0)),
            extra=extra,
        ),
    )


def dump_json(obj: Any, fp_or_path: IO[str] | str | os.PathLike[str]) -> None:
    """Write `obj` (a dict, `Problem` or `Solution`) as UTF-8 JSON to a text file or a path."""
    if isinstance(obj, Problem):
        obj = problem_to_dict(obj)
    elif isinstance(obj, Solution):
        obj = solution_to_dict(obj)
    if isinstance(fp_or_path, str | os.PathLike):
        with open(fp_or_path, "w", encoding="utf-8") as fp:
            json.dump(obj, fp, ensure_ascii=False, indent=1)
            fp.write("\n")
    else:
        json.dump(obj, fp_or_path, ensure_ascii=False, indent=1)
        fp_or_path.write("\n")

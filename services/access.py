"""Object-level access: what a caller's reach lets them see or change, as checks and SQL filters.

A `reach` of `None` means unrestricted (the CLI, the scheduler, internal callers). An object
outside the caller's reach is reported as missing (`NotFound`), so its existence is not
revealed; an action the caller's role may never take is `Forbidden`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, select, true
from sqlalchemy.orm import Session

from models import Assignment, MatchingRun, Need, Person, Position, Shift
from services.errors import Forbidden, Invalid, NotFound
from services.permissions import Reach
from services.queries import MAX_ID

# Fields of a person only staff may set: a person editing themself gets 422 for each.
PRIVILEGED_PERSON_FIELDS = (
    "role",
    "active",
    "background_checked",
    "background_checked_on",
    "external_id",
    "community_id",
)
# Attendance: what organization staff may record on their shifts' assignments.
ATTENDANCE_STATUSES = ("completed", "no_show", "cancelled")


def unrestricted(reach: Reach | None) -> bool:
    return reach is None or reach.role == "admin"


# --- SQL conditions for lists -------------------------------------------------------------


def need_condition(reach: Reach | None) -> ColumnElement[bool]:
    """Needs in reach: coordinators by community, organization staff by organization."""
    if unrestricted(reach):
        return true()
    assert reach is not None
    if reach.role == "coordinator":
        return Need.community_id.in_(reach.community_ids or ())
    if reach.role == "org_staff":
        return Need.organization_id.in_(reach.organization_ids or ())
    return false()


def shift_condition(reach: Reach | None) -> ColumnElement[bool]:
    if unrestricted(reach):
        return true()
    return Shift.need_id.in_(select(Need.id).where(need_condition(reach)))


# Seats an organization knows about: a proposal stays internal to coordinators until published.
STAFF_VISIBLE_STATUSES = ("offered", "confirmed", "completed", "no_show")


def assignment_condition(reach: Reach | None) -> ColumnElement[bool]:
    if unrestricted(reach):
        return true()
    in_reach = Assignment.shift_id.in_(
        select(Shift.id).join(Need, Shift.need_id == Need.id).where(need_condition(reach))
    )
    if reach is not None and reach.role == "org_staff":
        return and_(in_reach, Assignment.status.in_(STAFF_VISIBLE_STATUSES))
    return in_reach


def staffed_condition(organization_ids: Any) -> ColumnElement[bool]:
    """People holding a published seat on a shift of one of these organizations' needs."""
    return exists(
        select(Assignment.id)
        .join(Shift, Assignment.shift_id == Shift.id)
        .join(Need, Shift.need_id == Need.id)
        .where(
            Assignment.person_id == Person.id,
            Assignment.status.in_(STAFF_VISIBLE_STATUSES),
            Need.organization_id.in_(organization_ids or ()),
        )
    )


def person_condition(reach: Reach | None) -> ColumnElement[bool]:
    """People in reach: a coordinator's communities, staff's shifts, a person's self."""
    if unrestricted(reach):
        return true()
    assert reach is not None
    if reach.role == "coordinator":
        return Person.community_id.in_(reach.community_ids or ())
    if reach.role == "org_staff":
        return staffed_condition(reach.organization_ids)
    if reach.person_id is not None:
        return Person.id == reach.person_id
    return false()


# --- object checks ------------------------------------------------------------------------


def _match(session: Session, model: type, object_id: int, condition: ColumnElement[bool]) -> bool:
    if not 0 < object_id <= MAX_ID:
        return False
    found = session.scalar(select(model.id).where(and_(model.id == object_id, condition)))
    return found is not None


def person_in_reach(*, session: Session, reach: Reach | None, person_id: int) -> bool:
    return unrestricted(reach) or _match(session, Person, person_id, person_condition(reach))


def check_person(*, session: Session, reach: Reach | None, person_id: int) -> None:
    """A person the caller may see; anyone else is reported as missing."""
    if not person_in_reach(session=session, reach=reach, person_id=person_id):
        raise NotFound(f"person {person_id} not found")


def check_need(*, session: Session, reach: Reach | None, need_id: int) -> None:
    if not unrestricted(reach) and not _match(session, Need, need_id, need_condition(reach)):
        raise NotFound(f"need {need_id} not found")


def check_shift(*, session: Session, reach: Reach | None, shift_id: int) -> None:
    if not unrestricted(reach) and not _match(session, Shift, shift_id, shift_condition(reach)):
        raise NotFound(f"shift {shift_id} not found")


def check_position(*, session: Session, reach: Reach | None, position_id: int) -> None:
    if unrestricted(reach):
        return
    condition = Position.need_id.in_(select(Need.id).where(need_condition(reach)))
    if not _match(session, Position, position_id, condition):
        raise NotFound(f"position {position_id} not found")


def check_assignment(*, session: Session, reach: Reach | None, assignment_id: int) -> None:
    if unrestricted(reach):
        return
    if not _match(session, Assignment, assignment_id, assignment_condition(reach)):
        raise NotFound(f"assignment {assignment_id} not found")


def check_organization(*, reach: Reach | None, organization_id: int) -> None:
    """Organizations a coordinator reaches or staff belong to; for changes only."""
    if unrestricted(reach):
        return
    assert reach is not None
    if reach.role == "person":
        raise Forbidden("people may not change organizations")
    if not reach.has_organization(organization_id):
        raise NotFound(f"organization {organization_id} not found")


# --- checks of request bodies -------------------------------------------------------------


def check_new_need(*, reach: Reach | None, data: dict[str, Any]) -> None:
    """A need created or moved by a coordinator stays in their communities, by staff in theirs."""
    if unrestricted(reach):
        return
    assert reach is not None
    if reach.role == "coordinator" and not reach.has_community(data.get("community_id")):
        raise Invalid(
            "outside your communities",
            errors={"community_id": ["must be one of the communities you coordinate"]},
        )
    if reach.role == "org_staff" and not reach.has_organization(data.get("organization_id")):
        raise Invalid(
            "not your organization",
            errors={"organization_id": ["must be one of your organizations"]},
        )
    _check_staff_community(reach, data)


def check_need_change(*, reach: Reach | None, changes: dict[str, Any]) -> None:
    """A change may not move a need out of the caller's reach."""
    if unrestricted(reach):
        return
    assert reach is not None
    moved = "community_id" in changes and not reach.has_community(changes["community_id"])
    if reach.role == "coordinator" and moved:
        raise Invalid(
            "outside your communities",
            errors={"community_id": ["must be one of the communities you coordinate"]},
        )
    taken = "organization_id" in changes and not reach.has_organization(changes["organization_id"])
    if reach.role == "org_staff" and taken:
        raise Invalid(
            "not your organization",
            errors={"organization_id": ["must be one of your organizations"]},
        )
    _check_staff_community(reach, changes)


def _check_staff_community(reach: Reach, data: dict[str, Any]) -> None:
    # Staff post needs only in the communities their organizations serve.
    community_id = data.get("community_id")
    outside = community_id is not None and not reach.has_community(community_id)
    if reach.role == "org_staff" and outside:
        raise Invalid(
            "outside your organizations' communities",
            errors={"community_id": ["must be a community your organizations serve"]},
        )


def check_new_person(*, reach: Reach | None, data: dict[str, Any]) -> None:
    """Coordinators create people only in their communities."""
    if unrestricted(reach):
        return
    assert reach is not None
    community_id = data.get("community_id")
    if community_id is None or not reach.has_community(community_id):
        raise Invalid(
            "outside your communities",
            errors={"community_id": ["must be one of the communities you coordinate"]},
        )


def check_person_change(*, reach: Reach | None, data: dict[str, Any]) -> None:
    """People may not set privileged fields on themselves; coordinators may not move people out."""
    if unrestricted(reach):
        return
    assert reach is not None
    if reach.role == "person":
        named = [name for name in PRIVILEGED_PERSON_FIELDS if name in data]
        if named:
            raise Invalid(
                "privileged fields are set by staff",
                errors={name: ["only staff may change this field"] for name in named},
            )
    elif "community_id" in data and not reach.has_community(data["community_id"]):
        raise Invalid(
            "outside your communities",
            errors={"community_id": ["must be one of the communities you coordinate"]},
        )


# Answers to an offer belong to the person (PUT /me/assignments/...): nobody else gives them.
ANSWER_STATUSES = ("confirmed", "declined")


def check_assignment_change(*, reach: Reach | None, changes: dict[str, Any]) -> None:
    """Organization staff record attendance only: completed, no_show or cancelled; nobody but
    the person answers an offer (administrators excepted, for corrections)."""
    if unrestricted(reach):
        return
    assert reach is not None
    if changes.get("status") in ANSWER_STATUSES:
        raise Invalid(
            "the person answers",
            errors={"status": ["only the person accepts or declines an offer (/me/assignments)"]},
        )
    if reach.role == "org_staff":
        status = changes.get("status")
        other = [name for name in changes if name != "status"]
        if (status is not None and status not in ATTENDANCE_STATUSES) or other:
            raise Forbidden(
                "organization staff may only record attendance "
                f"(status {', '.join(ATTENDANCE_STATUSES)})"
            )


def check_verifier(*, session: Session, reach: Reach | None, person_id: int) -> None:
    """Who may verify a skill: staff in reach, or a social worker of the same community."""
    if unrestricted(reach):
        return
    assert reach is not None
    if reach.role == "person":
        verifier = session.get(Person, reach.person_id) if reach.person_id else None
        subject = session.get(Person, person_id)
        if (
            verifier is None
            or verifier.role != "social_worker"
            or subject is None
            or subject.community_id is None
            or subject.community_id != verifier.community_id
            or subject.id == verifier.id
        ):
            raise Forbidden("only coordinators and social workers of the community verify skills")
        return
    check_person(session=session, reach=reach, person_id=person_id)


# --- runs and problems --------------------------------------------------------------------


def scope_in_reach(
    *, session: Session, reach: Reach | None, community_id: int | None, street: str | None
) -> bool:
    """A community or street all of whose communities the caller reaches; `all` is admins'."""
    if unrestricted(reach):
        return True
    assert reach is not None
    if community_id is not None:
        return reach.has_community(community_id)
    if street is not None:
        from models import Community

        ids = set(session.scalars(select(Community.id).where(Community.street == street)))
        return bool(ids) and all(reach.has_community(i) for i in ids)
    return False


def check_scope(
    *, session: Session, reach: Reach | None, community_id: int | None, street: str | None
) -> None:
    if not scope_in_reach(session=session, reach=reach, community_id=community_id, street=street):
        raise Forbidden("that scope is outside your communities")


def run_condition(session: Session, reach: Reach | None) -> ColumnElement[bool]:
    """Runs whose scope the caller reaches."""
    if unrestricted(reach):
        return true()
    assert reach is not None
    scopes = [f"community:{i}" for i in sorted(reach.community_ids or ())]
    from models import Community

    streets: dict[str, set[int]] = {}
    for cid, street in session.execute(select(Community.id, Community.street)):
        streets.setdefault(street, set()).add(cid)
    scopes += [
        f"street:{street}"
        for street, ids in streets.items()
        if all(reach.has_community(i) for i in ids)
    ]
    return MatchingRun.scope.in_(scopes)


def check_run(*, session: Session, reach: Reach | None, run_id: int) -> None:
    if unrestricted(reach):
        return
    if not _match(session, MatchingRun, run_id, run_condition(session, reach)):
        raise NotFound(f"run {run_id} not found")


def list_runs_in_reach(
    *,
    session: Session,
    reach: Reach | None,
    offset: int,
    limit: int | None,
    scope: str | None = None,
    week: str | None = None,
    status: str | None = None,
) -> tuple[list[MatchingRun], int]:
    """Runs matching the filters whose scope the caller reaches, newest first."""
    from services.queries import page_of

    stmt = select(MatchingRun).where(run_condition(session, reach)).order_by(MatchingRun.id.desc())
    for column, value in (
        (MatchingRun.scope, scope),
        (MatchingRun.week, week),
        (MatchingRun.status, status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    found, total = page_of(session, stmt, offset=offset, limit=limit)
    return list(found), total


def check_new_assignment(
    *, session: Session, reach: Reach | None, person_id: int, position_id: int
) -> None:
    """A seat on a position in reach, for a person of a community the caller serves."""
    if unrestricted(reach):
        return
    assert reach is not None
    errors: dict[str, list[str]] = {}
    condition = Position.need_id.in_(select(Need.id).where(need_condition(reach)))
    if not _match(session, Position, position_id, condition):
        errors["position_id"] = [f"no position with id {position_id}"]
    community = Person.community_id.in_(reach.community_ids or ())
    if not _match(session, Person, person_id, community):
        errors["person_id"] = [f"no person with id {person_id}"]
    if errors:
        raise Invalid("unknown reference", errors=errors)


# Filters organization staff may use on people: the others would reveal what the staff view
# hides (community, languages, skills, free time).
STAFF_PEOPLE_FILTERS = ("q", "role")


def check_people_filters(*, reach: Reach | None, filters: dict[str, Any]) -> None:
    if reach is None or reach.role != "org_staff":
        return
    hidden = [name for name in filters if name not in STAFF_PEOPLE_FILTERS]
    if hidden:
        raise Invalid(
            "organization staff filter people by name and role only",
            errors={name: ["not available to organization staff"] for name in hidden},
        )


def check_organization_change(
    *, session: Session, reach: Reach | None, organization_id: int, data: dict[str, Any]
) -> None:
    """An organization in reach, whose served communities change only within the caller's."""
    check_organization(reach=reach, organization_id=organization_id)
    if unrestricted(reach) or "community_ids" not in data:
        return
    assert reach is not None
    from models import organization_communities as served

    current = set(
        session.scalars(
            select(served.c.community_id).where(served.c.organization_id == organization_id)
        )
    )
    changed = current.symmetric_difference(data["community_ids"] or ())
    outside = sorted(i for i in changed if not reach.has_community(i))
    if outside:
        raise Invalid(
            "outside your communities",
            errors={"community_ids": [f"community {i} is not yours to change" for i in outside]},
        )

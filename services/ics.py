"""iCalendar (RFC 5545) of seats: the .ics of an offer and a person's calendar feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event, vGeo
from sqlalchemy.orm import Session

from models import Assignment, Community, Need
from models.db import utcnow

PRODID = "-//Linkage//Community volunteering//ZH"
UID_DOMAIN = "linkage"
# What the person sees of a seat's state in their calendar app.
EVENT_STATUS = {"offered": "TENTATIVE", "confirmed": "CONFIRMED", "completed": "CONFIRMED"}


def assignment_uid(assignment_id: int) -> str:
    """The UID of a seat's event: stable, so that a feed refresh updates instead of duplicating."""
    return f"assignment-{assignment_id}@{UID_DOMAIN}"


def location_of(session: Session, need: Need) -> str | None:
    """The community (street, district) where the need is, when it names one."""
    if need.community_id is None:
        return None
    community = session.get(Community, need.community_id)
    return f"{community.name}, {community.street}, {community.district}" if community else None


def seat_event(session: Session, assignment: Assignment, *, stamp: datetime | None = None) -> Event:
    """A VEVENT of one seat, times in UTC."""
    shift = assignment.shift
    need = shift.need
    event = Event()
    event.add("uid", assignment_uid(assignment.id))
    event.add("dtstamp", stamp or utcnow())
    event.add("dtstart", shift.starts_at)
    event.add("dtend", shift.ends_at)
    event.add("summary", need.title)
    if need.description:
        event.add("description", need.description)
    location = location_of(session, need)
    if location:
        event.add("location", location)
    if need.lat is not None and need.lon is not None:
        event.add("geo", vGeo((need.lat, need.lon)))
    status = "CANCELLED" if shift.cancelled else EVENT_STATUS.get(assignment.status)
    if status:
        event.add("status", status)
    return event


def calendar_bytes(
    session: Session, assignments: Iterable[Assignment], *, name: str | None = None
) -> bytes:
    """A VCALENDAR holding one event per seat, serialised."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    stamp = utcnow()
    for assignment in assignments:
        calendar.add_component(seat_event(session, assignment, stamp=stamp))
    return calendar.to_ical()

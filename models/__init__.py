"""SQLAlchemy 2 typed models of Linkage; `db` lives here. Models never commit."""

from models.account import AuditEvent, AuthToken, Consent, User, UserScope
from models.assignment import Assignment
from models.attendance import AttendanceRecord, StarAward
from models.community import Community, Organization, organization_communities
from models.db import db
from models.ledger import HoursEntry, IdempotencyKey, PointsAccount, PointsEntry
from models.matching_run import MatchingOverride, MatchingRun, RunClaim
from models.need import Need, Position, PositionSkill, Shift
from models.notification import CalendarFeed, Notification, NotificationOptOut, PersonContact
from models.person import AvailabilityException, AvailabilityWindow, Person, PersonSkill, Skill

__all__ = [
    "Assignment",
    "AttendanceRecord",
    "StarAward",
    "AuditEvent",
    "AuthToken",
    "Consent",
    "HoursEntry",
    "IdempotencyKey",
    "PointsAccount",
    "PointsEntry",
    "MatchingOverride",
    "MatchingRun",
    "RunClaim",
    "User",
    "UserScope",
    "AvailabilityException",
    "AvailabilityWindow",
    "Community",
    "Need",
    "Organization",
    "Person",
    "PersonSkill",
    "Position",
    "PositionSkill",
    "Shift",
    "Skill",
    "CalendarFeed",
    "Notification",
    "NotificationOptOut",
    "PersonContact",
    "db",
    "organization_communities",
]

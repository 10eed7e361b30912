"""SQLAlchemy 2 typed models of Linkage; `db` lives here. Models never commit."""

from models.db import db
from models.community import Community, Organization, organization_communities
from models.person import AvailabilityException, AvailabilityWindow, Person, PersonSkill, Skill
from models.need import Need, Position, PositionSkill, Shift
from models.assignment import Assignment

__all__ = [
    "Assignment",
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
    "db",
    "organization_communities",
]

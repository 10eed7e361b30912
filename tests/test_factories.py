"""The shared factories build valid rows that the database accepts."""

from models import db
from tests.factories import AssignmentFactory, PersonSkillFactory, PositionSkillFactory


def test_factories_build_a_consistent_graph(app):
    assignment = AssignmentFactory()
    PersonSkillFactory(person=assignment.person)
    PositionSkillFactory(position=assignment.position)
    db.session.commit()
    assert assignment.shift_id == assignment.position.shift_id
    assert assignment.position.need_id == assignment.shift.need_id

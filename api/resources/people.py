"""People and the skills they hold: create, read, update, delete, list and verify."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

from api.auth import caller_reach, current_user, requires
from api.schemas.people import (
    PersonCreateSchema,
    PersonQueryArgsSchema,
    PersonSchema,
    PersonSkillCreateSchema,
    PersonSkillSchema,
    PersonSkillUpdateSchema,
    PersonSkillVerifySchema,
    PersonStaffViewSchema,
    PersonUpdateSchema,
)
from api.smorest import Blueprint, paginated
from api.versioning import etag, expected_version
from models import db
from services import access
from services import people as service
from services import skills as skills_service

blp = Blueprint(
    "people",
    __name__,
    url_prefix="/people",
    description="Social workers, volunteers and resident activists, and their skills",
)

PERSON = "/<int:person_id>"
EVERYONE = ("admin", "coordinator", "org_staff", "person")
# Who manages people and their skills: staff of the communities, and a person for themself.
KEEPERS = ("admin", "coordinator", "person")


def _staff_view(people):
    """Organization staff get the staff view (PersonSchema re-dumps just these keys)."""
    schema = PersonStaffViewSchema()
    return [schema.dump(service.staff_view(session=db.session, person=p)) for p in people]


def _reach_person(person_id):
    reach = caller_reach()
    access.check_person(session=db.session, reach=reach, person_id=person_id)
    return reach


@blp.route("")
class People(MethodView):
    @requires(*EVERYONE)
    @blp.arguments(PersonQueryArgsSchema, location="query")
    @blp.response(200, PersonSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List people by community, role, language, skill and level, or free time.

        Coordinators see their communities' people, a person only themself; organization
        staff see the people on their shifts, as id, name, role and (with consent) phone.
        """
        reach = caller_reach()
        access.check_people_filters(reach=reach, filters=args)
        items = paginated(
            pagination_parameters,
            service.list_people,
            session=db.session,
            timezone=current_app.config["LINKAGE_TIMEZONE"],
            reach=reach,
            **args,
        )
        return _staff_view(items) if reach.role == "org_staff" else items

    @requires("admin", "coordinator")
    @blp.arguments(PersonCreateSchema)
    @blp.response(201, PersonSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The external id is taken")
    def post(self, data):
        """Create a person (coordinators: in one of their communities)."""
        access.check_new_person(reach=caller_reach(), data=data)
        return service.create_person(session=db.session, data=data)


@blp.route(PERSON)
class PersonById(MethodView):
    @requires(*EVERYONE)
    @blp.response(200, PersonSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, person_id):
        """Get a person with a summary of their skills (staff view for organization staff)."""
        reach = _reach_person(person_id)
        person = service.get_person(session=db.session, person_id=person_id)
        body = _staff_view([person])[0] if reach.role == "org_staff" else person
        return body, etag(person)

    @requires(*KEEPERS)
    @blp.arguments(PersonUpdateSchema)
    @blp.response(200, PersonSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    @blp.alt_response(
        409, schema=ErrorSchema, description="The external id is taken, or a stale version"
    )
    def patch(self, data, person_id):
        """Change some fields of a person (a person: not role, status, checks or community)."""
        reach = _reach_person(person_id)
        version = expected_version(data)
        access.check_person_change(reach=reach, data=data)
        person = service.update_person(
            session=db.session,
            person_id=person_id,
            data=data,
            actor=current_user(),
            expected_version=version,
        )
        return person, etag(person)

    @requires("admin", "coordinator")
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    @blp.alt_response(409, schema=ErrorSchema, description="The person has assignment records")
    def delete(self, person_id):
        """Delete a person with their skills and availability (none with assignments)."""
        _reach_person(person_id)
        service.delete_person(session=db.session, person_id=person_id)


@blp.route(PERSON + "/skills")
class PersonSkills(MethodView):
    @requires(*KEEPERS)
    @blp.response(200, PersonSkillSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, person_id):
        """List the skills a person holds, by code."""
        _reach_person(person_id)
        return skills_service.list_person_skills(session=db.session, person_id=person_id)

    @requires(*KEEPERS)
    @blp.arguments(PersonSkillCreateSchema)
    @blp.response(201, PersonSkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    @blp.alt_response(409, schema=ErrorSchema, description="The person already holds it")
    def post(self, data, person_id):
        """Give a person a catalogue skill at a level (unverified)."""
        _reach_person(person_id)
        return skills_service.add_person_skill(session=db.session, person_id=person_id, data=data)


@blp.route(PERSON + "/skills/<string:code>")
class PersonSkillByCode(MethodView):
    @requires(*KEEPERS)
    @blp.response(200, PersonSkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or skill held")
    def get(self, person_id, code):
        """Get one skill a person holds."""
        _reach_person(person_id)
        return skills_service.get_person_skill(session=db.session, person_id=person_id, code=code)

    @requires(*KEEPERS)
    @blp.arguments(PersonSkillUpdateSchema)
    @blp.response(200, PersonSkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or skill held")
    def patch(self, data, person_id, code):
        """Change level or expiry; a new level clears the verification."""
        _reach_person(person_id)
        return skills_service.update_person_skill(
            session=db.session, person_id=person_id, code=code, data=data
        )

    @requires(*KEEPERS)
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or skill held")
    def delete(self, person_id, code):
        """Remove a skill from a person."""
        _reach_person(person_id)
        skills_service.remove_person_skill(session=db.session, person_id=person_id, code=code)


@blp.route(PERSON + "/skills/<string:code>/verify")
class PersonSkillVerification(MethodView):
    @requires(*KEEPERS)
    @blp.arguments(PersonSkillVerifySchema)
    @blp.response(200, PersonSkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or skill held")
    def post(self, data, person_id, code):
        """Record who verified a person's skill at its current level, and when.

        Coordinators verify in their communities; a person only if they are a social worker
        of the same community.
        """
        access.check_verifier(session=db.session, reach=caller_reach(), person_id=person_id)
        return skills_service.verify_person_skill(
            session=db.session, person_id=person_id, code=code, actor=current_user(), **data
        )

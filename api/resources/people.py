"""People and the skills they hold: create, read, update, delete, list and verify."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

from api.schemas.people import (
    PersonCreateSchema,
    PersonQueryArgsSchema,
    PersonSchema,
    PersonSkillCreateSchema,
    PersonSkillSchema,
    PersonSkillUpdateSchema,
    PersonSkillVerifySchema,
    PersonUpdateSchema,
)
from api.smorest import Blueprint
from models import db
from services import people as service
from services import skills as skills_service

blp = Blueprint(
    "people",
    __name__,
    url_prefix="/people",
    description="Social workers, volunteers and resident activists, and their skills",
)

PERSON = "/<int:person_id>"


@blp.route("")
class People(MethodView):
    @blp.arguments(PersonQueryArgsSchema, location="query")
    @blp.response(200, PersonSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List people by community, role, language, skill and level, or free time."""
        items, total = service.list_people(
            session=db.session,
            offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size,
            timezone=current_app.config["LINKAGE_TIMEZONE"],
            **args,
        )
        pagination_parameters.item_count = total
        return items

    @blp.arguments(PersonCreateSchema)
    @blp.response(201, PersonSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The external id is taken")
    def post(self, data):
        """Create a person."""
        return service.create_person(session=db.session, data=data)


@blp.route(PERSON)
class PersonById(MethodView):
    @blp.response(200, PersonSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, person_id):
        """Get a person with a summary of their skills."""
        return service.get_person(session=db.session, person_id=person_id)

    @blp.arguments(PersonUpdateSchema)
    @blp.response(200, PersonSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    @blp.alt_response(409, schema=ErrorSchema, description="The external id is taken")
    def patch(self, data, person_id):
        """Change some fields of a person."""
        return service.update_person(session=db.session, person_id=person_id, data=data)

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    @blp.alt_response(409, schema=ErrorSchema, description="The person has assignment records")
    def delete(self, person_id):
        """Delete a person with their skills and availability (none with assignments)."""
        service.delete_person(session=db.session, person_id=person_id)


@blp.route(PERSON + "/skills")
class PersonSkills(MethodView):
    @blp.response(200, PersonSkillSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    def get(self, person_id):
        """List the skills a person holds, by code."""
        return skills_service.list_person_skills(session=db.session, person_id=person_id)

    @blp.arguments(PersonSkillCreateSchema)
    @blp.response(201, PersonSkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person")
    @blp.alt_response(409, schema=ErrorSchema, description="The person already holds it")
    def post(self, data, person_id):
        """Give a person a catalogue skill at a level (unverified)."""
        return skills_service.add_person_skill(session=db.session, person_id=person_id, data=data)


@blp.route(PERSON + "/skills/<string:code>")
class PersonSkillByCode(MethodView):
    @blp.response(200, PersonSkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or skill held")
    def get(self, person_id, code):
        """Get one skill a person holds."""
        return skills_service.get_person_skill(session=db.session, person_id=person_id, code=code)

    @blp.arguments(PersonSkillUpdateSchema)
    @blp.response(200, PersonSkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or skill held")
    def patch(self, data, person_id, code):
        """Change level or expiry; a new level clears the verification."""
        return skills_service.update_person_skill(
            session=db.session, person_id=person_id, code=code, data=data
        )

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or skill held")
    def delete(self, person_id, code):
        """Remove a skill from a person."""
        skills_service.remove_person_skill(session=db.session, person_id=person_id, code=code)


@blp.route(PERSON + "/skills/<string:code>/verify")
class PersonSkillVerification(MethodView):
    @blp.arguments(PersonSkillVerifySchema)
    @blp.response(200, PersonSkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such person or skill held")
    def post(self, data, person_id, code):
        """Record who verified a person's skill at its current level, and when."""
        return skills_service.verify_person_skill(
            session=db.session, person_id=person_id, code=code, **data
        )

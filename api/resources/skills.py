"""The skill catalogue: create, read, update, delete and list."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

from api.auth import requires
from api.schemas.skills import (
    SkillCreateSchema,
    SkillQueryArgsSchema,
    SkillSchema,
    SkillUpdateSchema,
)
from api.smorest import Blueprint, paginated
from models import db
from services import skills as service

blp = Blueprint("skills", __name__, url_prefix="/skills", description="The skill catalogue")


@blp.route("")
class Skills(MethodView):
    @requires()
    @blp.arguments(SkillQueryArgsSchema, location="query")
    @blp.response(200, SkillSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List skills, filtered by category or part of the code or names."""
        return paginated(
            pagination_parameters,
            service.list_skills,
            session=db.session,
            **args,
        )

    @requires("admin", "coordinator")
    @blp.arguments(SkillCreateSchema)
    @blp.response(201, SkillSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The code is taken")
    def post(self, data):
        """Add a skill to the catalogue."""
        return service.create_skill(session=db.session, data=data)


@blp.route("/<int:skill_id>")
class SkillById(MethodView):
    @requires()
    @blp.response(200, SkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such skill")
    def get(self, skill_id):
        """Get a skill."""
        return service.get_skill(session=db.session, skill_id=skill_id)

    @requires("admin", "coordinator")
    @blp.arguments(SkillUpdateSchema)
    @blp.response(200, SkillSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such skill")
    @blp.alt_response(409, schema=ErrorSchema, description="The code is taken")
    def patch(self, data, skill_id):
        """Change some fields of a skill."""
        return service.update_skill(session=db.session, skill_id=skill_id, data=data)

    @requires("admin", "coordinator")
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such skill")
    @blp.alt_response(409, schema=ErrorSchema, description="People hold it or positions need it")
    def delete(self, skill_id):
        """Delete a skill that nobody holds and no position requires."""
        service.delete_skill(session=db.session, skill_id=skill_id)

"""Organizations and the communities they serve: create, read, update, delete and list."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

from api.auth import caller_reach, requires
from api.schemas.organizations import (
    OrganizationCreateSchema,
    OrganizationQueryArgsSchema,
    OrganizationSchema,
    OrganizationUpdateSchema,
)
from api.smorest import Blueprint, paginated
from models import db
from services import access
from services import organizations as service

blp = Blueprint(
    "organizations",
    __name__,
    url_prefix="/organizations",
    description="Social work organizations, social organizations, residents' committees, teams",
)


@blp.route("")
class Organizations(MethodView):
    @requires()
    @blp.arguments(OrganizationQueryArgsSchema, location="query")
    @blp.response(200, OrganizationSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List organizations, filtered by kind, served community or part of the name."""
        return paginated(
            pagination_parameters,
            service.list_organizations,
            session=db.session,
            **args,
        )

    @requires("admin")
    @blp.arguments(OrganizationCreateSchema)
    @blp.response(201, OrganizationSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The name is taken")
    def post(self, data):
        """Create an organization and say which communities it serves."""
        return service.create_organization(session=db.session, data=data)


@blp.route("/<int:organization_id>")
class OrganizationById(MethodView):
    @requires()
    @blp.response(200, OrganizationSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such organization")
    def get(self, organization_id):
        """Get an organization."""
        return service.get_organization(session=db.session, organization_id=organization_id)

    @requires("admin", "coordinator", "org_staff")
    @blp.arguments(OrganizationUpdateSchema)
    @blp.response(200, OrganizationSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such organization")
    @blp.alt_response(409, schema=ErrorSchema, description="The name is taken")
    def patch(self, data, organization_id):
        """Change some fields of an organization; `community_ids` replaces the whole list.

        Coordinators change the organizations serving their communities, staff their own.
        """
        access.check_organization_change(
            session=db.session, reach=caller_reach(), organization_id=organization_id, data=data
        )
        return service.update_organization(
            session=db.session, organization_id=organization_id, data=data
        )

    @requires("admin")
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such organization")
    @blp.alt_response(409, schema=ErrorSchema, description="It has posted needs")
    def delete(self, organization_id):
        """Delete an organization that has posted no needs."""
        service.delete_organization(session=db.session, organization_id=organization_id)

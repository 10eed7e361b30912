"""Communities (社区): create, read, update, delete and list."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

from api.auth import requires
from api.schemas.communities import (
    CommunityCreateSchema,
    CommunityQueryArgsSchema,
    CommunitySchema,
    CommunityUpdateSchema,
)
from api.smorest import Blueprint, paginated
from models import db
from services import communities as service

blp = Blueprint(
    "communities", __name__, url_prefix="/communities", description="Communities (社区)"
)


@blp.route("")
class Communities(MethodView):
    @requires()
    @blp.arguments(CommunityQueryArgsSchema, location="query")
    @blp.response(200, CommunitySchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List communities, filtered by district, street or part of the name."""
        return paginated(
            pagination_parameters,
            service.list_communities,
            session=db.session,
            **args,
        )

    @requires("admin")
    @blp.arguments(CommunityCreateSchema)
    @blp.response(201, CommunitySchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Same district, street and name exists")
    def post(self, data):
        """Create a community."""
        return service.create_community(session=db.session, data=data)


@blp.route("/<int:community_id>")
class CommunityById(MethodView):
    @requires()
    @blp.response(200, CommunitySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such community")
    def get(self, community_id):
        """Get a community."""
        return service.get_community(session=db.session, community_id=community_id)

    @requires("admin")
    @blp.arguments(CommunityUpdateSchema)
    @blp.response(200, CommunitySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such community")
    @blp.alt_response(409, schema=ErrorSchema, description="Same district, street and name exists")
    def patch(self, data, community_id):
        """Change some fields of a community."""
        return service.update_community(session=db.session, community_id=community_id, data=data)

    @requires("admin")
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such community")
    def delete(self, community_id):
        """Delete a community; its people and needs are kept, with no community."""
        service.delete_community(session=db.session, community_id=community_id)

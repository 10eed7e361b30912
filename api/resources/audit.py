"""The audit log of sensitive actions, for administrators."""

from __future__ import annotations

from flask.views import MethodView

from api.auth import requires
from api.schemas.privacy import AuditEventSchema, AuditQueryArgsSchema
from api.smorest import Blueprint, paginated
from models import db
from services import audit

blp = Blueprint("audit", __name__, url_prefix="/audit-events", description="Audit log")


@blp.route("")
class AuditEvents(MethodView):
    @requires("admin")
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """Audit events, newest first, filtered by action, subject or actor."""
        return paginated(
            pagination_parameters,
            audit.list_events,
            session=db.session,
            **filters,
        )

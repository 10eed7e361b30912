"""Liveness and database readiness."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import text

from api.auth import public
from api.schemas.health import HealthSchema
from api.smorest import Blueprint
from models import db

blp = Blueprint("health", __name__, url_prefix="/health", description="Service health")


@blp.route("")
class Health(MethodView):
    @public
    @blp.response(200, HealthSchema)
    def get(self):
        """Report that the service and its database answer."""
        db.session.execute(text("SELECT 1"))
        return {"status": "ok", "database": db.engine.dialect.name}

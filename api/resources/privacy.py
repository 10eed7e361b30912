"""Administrators' side of personal-data rights: export and erasure of any person."""

from __future__ import annotations

from flask.views import MethodView

from api.auth import current_user, requires
from api.schemas.privacy import ErasureSchema, PersonalDataSchema
from api.smorest import Blueprint
from models import db
from services import personal_data

blp = Blueprint("privacy", __name__, url_prefix="/privacy", description="Personal-data rights")


@blp.route("/people/<int:person_id>/export")
class PersonExport(MethodView):
    @requires("admin")
    @blp.response(200, PersonalDataSchema)
    def get(self, person_id):
        """All the data held about a person (audited)."""
        return personal_data.export_person_data(
            session=db.session, person_id=person_id, actor=current_user()
        )


@blp.route("/people/<int:person_id>/erase")
class PersonErasure(MethodView):
    @requires("admin")
    @blp.response(200, ErasureSchema)
    def post(self, person_id):
        """Erase a person's personal data (idempotent; hour records kept under a pseudonym)."""
        person = personal_data.erase_person(
            session=db.session, person_id=person_id, actor=current_user()
        )
        return {"person_id": person.id, "erased_at": person.erased_at}

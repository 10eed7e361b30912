"""Bulk import and export of people, with skills and weekly availability, as CSV."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest.error_handler import ErrorSchema

from api.auth import caller_reach, current_user, requires
from api.schemas.people_csv import (
    ImportReportSchema,
    PeopleExportQueryArgsSchema,
    PeopleImportFileSchema,
)
from api.smorest import Blueprint
from models import db
from services import people_csv as service

blp = Blueprint(
    "people_csv",
    __name__,
    url_prefix="/people",
    description="People in bulk: CSV import with a per-row report, and CSV export",
)

_CSV_BODY = {
    "requestBody": {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}


_CSV_RESPONSE = {
    "description": "People in the import format",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


@blp.route("/import")
class PeopleImport(MethodView):
    @requires("admin")
    @blp.arguments(PeopleImportFileSchema, location="files")
    @blp.doc(**_CSV_BODY)
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(
        422, schema=ErrorSchema, description="The file is unreadable or its header is wrong"
    )
    def post(self, files):
        """Import people from a CSV file (multipart field `file`) or a text/csv body."""
        upload = files.get("file")
        data = upload.read() if upload is not None else request.get_data(cache=False)
        return service.import_people_csv(session=db.session, data=data)


@blp.route("/export")
class PeopleExport(MethodView):
    @requires("admin", "coordinator")
    @blp.arguments(PeopleExportQueryArgsSchema, location="query")
    @blp.doc(responses={200: _CSV_RESPONSE})
    def get(self, args):
        """Export people (of one community, if given) as CSV in the import format."""
        text = service.export_people_csv(
            session=db.session,
            community_id=args.get("community"),
            reach=caller_reach(),
            actor=current_user(),
        )
        return Response(
            text,
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="people.csv"'},
        )

"""Schemas of the people CSV import and export (docs/csv-format.md)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import fields, validate

from api.schemas.fields import identifier
from api.smorest import Schema


class PeopleImportFileSchema(Schema):
    file = Upload(metadata={"description": "The CSV file (UTF-8, with or without BOM)"})


class ImportRowSchema(Schema):
    row = fields.Integer(
        metadata={"description": "Line in the file where the row starts; header = 1"}
    )
    external_id = fields.String()
    status = fields.String(validate=validate.OneOf(("created", "updated", "rejected")))
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages by column (`row` for the row as a whole)"},
    )


class ImportReportSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    rejected = fields.Integer()
    rows = fields.List(fields.Nested(ImportRowSchema))


class PeopleExportQueryArgsSchema(Schema):
    community = identifier(strict=False, metadata={"description": "Only this community's people"})

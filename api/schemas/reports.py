"""Schemas of the reports: fairness, hours for funders, a person's service record."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.fields import identifier
from api.smorest import Schema
from services.hours_report import GROUP_BY

FORMATS = ("json", "csv")


def _format() -> fields.String:
    return fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "json (default) or csv (UTF-8 with a byte-order mark)"},
    )


def _day(description: str, *, required: bool) -> fields.Date:
    return fields.Date(required=required, metadata={"description": description})


FROM = "First local day (Asia/Shanghai by default), included"
TO = "Day after the last, excluded"


class FairnessQueryArgsSchema(Schema):
    # `from` is a Python keyword: the attribute is `from_`, the query name `from`.
    from_ = fields.Date(required=True, data_key="from", metadata={"description": FROM})
    to = _day(TO, required=True)
    community_id = identifier(strict=False)
    organization_id = identifier(strict=False)
    format = _format()


class FairnessChartQueryArgsSchema(Schema):
    from_ = fields.Date(required=True, data_key="from", metadata={"description": FROM})
    to = _day(TO, required=True)
    community_id = identifier(strict=False)
    organization_id = identifier(strict=False)


class FormatQueryArgsSchema(Schema):
    format = _format()


class HoursQueryArgsSchema(Schema):
    from_ = fields.Date(required=True, data_key="from", metadata={"description": FROM})
    to = _day(TO, required=True)
    group_by = fields.String(load_default="organization", validate=validate.OneOf(GROUP_BY))
    format = _format()


class ServiceRecordQueryArgsSchema(Schema):
    from_ = fields.Date(data_key="from", metadata={"description": FROM + "; with `to` or neither"})
    to = _day(TO, required=False)
    format = _format()


class CertificateQueryArgsSchema(Schema):
    from_ = fields.Date(data_key="from", metadata={"description": FROM + "; with `to` or neither"})
    to = _day(TO, required=False)


class FairnessFiguresSchema(Schema):
    people = fields.Integer()
    people_available = fields.Integer()
    people_assigned = fields.Integer()
    minutes = fields.Integer()
    gini = fields.Float(allow_none=True)
    jain = fields.Float(allow_none=True)
    participation = fields.Float(allow_none=True)


class CommunityFiguresSchema(FairnessFiguresSchema):
    community_id = fields.Integer(allow_none=True)
    community = fields.String(allow_none=True)


class RoleFiguresSchema(FairnessFiguresSchema):
    role = fields.String()


class PersonLoadSchema(Schema):
    person_id = fields.Integer()
    name = fields.String()
    role = fields.String()
    community_id = fields.Integer(allow_none=True)
    community = fields.String(allow_none=True)
    available = fields.Boolean()
    assignments = fields.Integer()
    minutes = fields.Integer()


class FairnessReportSchema(FairnessFiguresSchema):
    subject = fields.String(metadata={"description": "run or period"})
    run_id = fields.Integer(allow_none=True)
    run_status = fields.String()
    week = fields.String()
    scope = fields.String()
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    community_id = fields.Integer(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    by_community = fields.List(fields.Nested(CommunityFiguresSchema))
    by_role = fields.List(fields.Nested(RoleFiguresSchema))
    per_person = fields.List(fields.Nested(PersonLoadSchema))


class HoursRowSchema(Schema):
    id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    minutes = fields.Integer()
    hours = fields.Float()
    services = fields.Integer()
    people = fields.Integer()


class HoursReportSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    group_by = fields.String()
    groups = fields.List(fields.Nested(HoursRowSchema))
    total = fields.Nested(HoursRowSchema)


class RecordPersonSchema(Schema):
    id = fields.Integer()
    name = fields.String(metadata={"description": "the pseudonym when the person was erased"})
    role = fields.String()
    erased = fields.Boolean()


class ServiceSchema(Schema):
    assignment_id = fields.Integer()
    date = fields.Date()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    organization_id = fields.Integer()
    organization = fields.String()
    need = fields.String()
    kind = fields.String()
    minutes = fields.Integer()
    hours = fields.Float()


class OrganizationServiceSchema(Schema):
    organization_id = fields.Integer()
    organization = fields.String()
    services = fields.Integer()
    minutes = fields.Integer()
    hours = fields.Float()


class ServiceRecordSchema(Schema):
    person = fields.Nested(RecordPersonSchema)
    from_ = fields.Date(data_key="from", attribute="from", allow_none=True)
    to = fields.Date(allow_none=True)
    services = fields.List(fields.Nested(ServiceSchema))
    by_organization = fields.List(fields.Nested(OrganizationServiceSchema))
    total_services = fields.Integer()
    total_minutes = fields.Integer()
    total_hours = fields.Float()
    lifetime_minutes = fields.Integer()
    star_level = fields.Integer()
    issued_on = fields.Date()

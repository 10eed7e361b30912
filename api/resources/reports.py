"""Reports: fairness of runs and periods, hours for funders, service records and certificates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, current_app, render_template
from flask.views import MethodView
from flask_smorest import abort

from api.auth import caller_reach, current_user, requires
from api.schemas.reports import (
    CertificateQueryArgsSchema,
    FairnessChartQueryArgsSchema,
    FairnessQueryArgsSchema,
    FairnessReportSchema,
    FormatQueryArgsSchema,
    HoursQueryArgsSchema,
    HoursReportSchema,
    ServiceRecordQueryArgsSchema,
    ServiceRecordSchema,
)
from api.smorest import Blueprint
from models import db
from services import access, fairness_report, hours_report, service_record

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="",
    description="Reports: fairness, hours for funders, service records and certificates",
)
STAFF = ("admin", "coordinator")
CSV_TYPE = "text/csv"
SVG_TYPE = "image/svg+xml"


def _alternative(media_type: str, description: str, json: Any = None) -> dict[str, Any]:
    """OpenAPI for a 200 answered in another media type, besides JSON when `json` is a schema.

    A manual `content` replaces the one flask-smorest derives from `@blp.response`, so the
    JSON schema is named here again.
    """
    content: dict[str, Any] = {media_type: {"schema": {"type": "string"}}}
    if json is not None:
        content = {"application/json": {"schema": json}, **content}
    return {"responses": {"200": {"description": description, "content": content}}}


def _csv_doc(schema: Any) -> dict[str, Any]:
    return _alternative(CSV_TYPE, "JSON, or CSV with format=csv", schema)


SVG_DOC = _alternative(SVG_TYPE, "A histogram of minutes per person")
HTML_DOC = _alternative("text/html", "A printable certificate of hours")


def _timezone() -> str:
    return current_app.config["LINKAGE_TIMEZONE"]


def _csv(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _svg(report: dict[str, Any]) -> Response:
    chart = fairness_report.histogram_chart(report)
    return Response(render_template("reports/fairness.svg", c=chart), mimetype=SVG_TYPE)


def _period_report(args: dict[str, Any]) -> dict[str, Any]:
    return fairness_report.period_fairness(
        session=db.session,
        first=args["from_"],
        after=args["to"],
        timezone=_timezone(),
        reach=caller_reach(),
        community_id=args.get("community_id"),
        organization_id=args.get("organization_id"),
    )


def _run_report(run_id: int) -> dict[str, Any]:
    access.check_run(session=db.session, reach=caller_reach(), run_id=run_id)
    return fairness_report.run_fairness(session=db.session, run_id=run_id, timezone=_timezone())


@blp.route("/reports/fairness")
class PeriodFairness(MethodView):
    @requires(*STAFF)
    @blp.arguments(FairnessQueryArgsSchema, location="query")
    @blp.response(200, FairnessReportSchema)
    @blp.doc(**_csv_doc(FairnessReportSchema))
    def get(self, args):
        """Fairness of the seats on shifts starting in a period: minutes per person, Gini, Jain,
        participation, by community and role (see docs/reports.md)."""
        report = _period_report(args)
        if args["format"] == "csv":
            return _csv(fairness_report.fairness_csv(report), "fairness.csv")
        return report


@blp.route("/reports/fairness.svg")
class PeriodFairnessChart(MethodView):
    @requires(*STAFF)
    @blp.arguments(FairnessChartQueryArgsSchema, location="query")
    @blp.doc(**SVG_DOC)
    def get(self, args):
        """A histogram of minutes per person in a period (bins of 60 minutes), as SVG."""
        return _svg(_period_report(args))


@blp.route("/runs/<int:run_id>/fairness")
class RunFairness(MethodView):
    @requires(*STAFF)
    @blp.arguments(FormatQueryArgsSchema, location="query")
    @blp.response(200, FairnessReportSchema)
    @blp.doc(**_csv_doc(FairnessReportSchema))
    def get(self, args, run_id):
        """Fairness of a run: its proposals before publication, its published seats after."""
        report = _run_report(run_id)
        if args["format"] == "csv":
            return _csv(fairness_report.fairness_csv(report), f"run-{run_id}-fairness.csv")
        return report


@blp.route("/runs/<int:run_id>/fairness.svg")
class RunFairnessChart(MethodView):
    @requires(*STAFF)
    @blp.doc(**SVG_DOC)
    def get(self, run_id):
        """A histogram of minutes per person of a run (bins of 60 minutes), as SVG."""
        return _svg(_run_report(run_id))


@blp.route("/reports/hours")
class Hours(MethodView):
    @requires("admin", "coordinator", "org_staff")
    @blp.arguments(HoursQueryArgsSchema, location="query")
    @blp.response(200, HoursReportSchema)
    @blp.doc(**_csv_doc(HoursReportSchema))
    def get(self, args):
        """Recorded hours, completed services and people per organization or community in a
        period; coordinators see their communities' needs, staff their organizations'."""
        report = hours_report.hours_report(
            session=db.session,
            first=args["from_"],
            after=args["to"],
            timezone=_timezone(),
            group_by=args["group_by"],
            reach=caller_reach(),
        )
        if args["format"] == "csv":
            return _csv(hours_report.hours_csv(report), f"hours-by-{args['group_by']}.csv")
        return report


def _record(person_id: int, args: dict[str, Any]) -> dict[str, Any]:
    return service_record.service_record(
        session=db.session,
        person_id=person_id,
        timezone=_timezone(),
        first=args.get("from_"),
        after=args.get("to"),
    )


def _record_answer(person_id: int, args: dict[str, Any]) -> Any:
    record = _record(person_id, args)
    if args["format"] == "csv":
        return _csv(service_record.service_record_csv(record), f"service-record-{person_id}.csv")
    return record


def _certificate(person_id: int, args: dict[str, Any]) -> Response:
    record = _record(person_id, args)
    last_day = record["to"] - timedelta(days=1) if record["to"] else None
    html = render_template("reports/certificate.html", r={**record, "last_day": last_day})
    return Response(html, mimetype="text/html")


def _my_person_id() -> int:
    person_id = current_user().person_id
    if person_id is None:
        abort(404, message="this account is not linked to a person")
    return person_id


@blp.route("/people/<int:person_id>/service-record")
class ServiceRecord(MethodView):
    @requires(*STAFF)
    @blp.arguments(ServiceRecordQueryArgsSchema, location="query")
    @blp.response(200, ServiceRecordSchema)
    @blp.doc(**_csv_doc(ServiceRecordSchema))
    def get(self, args, person_id):
        """A person's completed services with recorded hours, totals and star level."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return _record_answer(person_id, args)


@blp.route("/people/<int:person_id>/certificate")
class Certificate(MethodView):
    @requires(*STAFF)
    @blp.arguments(CertificateQueryArgsSchema, location="query")
    @blp.doc(**HTML_DOC)
    def get(self, args, person_id):
        """A printable certificate of a person's service hours (HTML, 中文/English)."""
        access.check_person(session=db.session, reach=caller_reach(), person_id=person_id)
        return _certificate(person_id, args)


@blp.route("/me/service-record")
class MyServiceRecord(MethodView):
    @requires("person")
    @blp.arguments(ServiceRecordQueryArgsSchema, location="query")
    @blp.response(200, ServiceRecordSchema)
    @blp.doc(**_csv_doc(ServiceRecordSchema))
    def get(self, args):
        """My completed services with recorded hours, totals and star level."""
        return _record_answer(_my_person_id(), args)


@blp.route("/me/certificate")
class MyCertificate(MethodView):
    @requires("person")
    @blp.arguments(CertificateQueryArgsSchema, location="query")
    @blp.doc(**HTML_DOC)
    def get(self, args):
        """A printable certificate of my service hours (HTML, 中文/English)."""
        return _certificate(_my_person_id(), args)

"""The report endpoints: JSON, CSV, SVG and HTML answers, bad input and who may ask."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from models import HoursEntry, MatchingRun, db
from services.auth import ScopeSpec
from services.personal_data import erase_person
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    AvailabilityWindowFactory,
    CommunityFactory,
    NeedFactory,
    OrganizationFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
)

API = "/api/v1"
WEEK = {"from": "2026-11-30", "to": "2026-12-07"}
SVG = "{http://www.w3.org/2000/svg}"


def _seat(person, need, *, hours_in: float, minutes: int, status: str):
    starts = WEEK_START + timedelta(hours=hours_in)
    shift = ShiftFactory(need=need, starts_at=starts, ends_at=starts + timedelta(minutes=minutes))
    return AssignmentFactory(person=person, position=PositionFactory(shift=shift), status=status)


@pytest.fixture
def world(app):
    """Community X: A 0 min, B 60, C 180 (C's 120 completed and recorded); Y: D 120."""
    x, y = CommunityFactory(), CommunityFactory()
    org, other = OrganizationFactory(name="Org X"), OrganizationFactory(name="Org Y")
    org.communities.append(x)
    other.communities.append(y)
    need_x = NeedFactory(organization_id=org.id, community_id=x.id)
    need_y = NeedFactory(organization_id=other.id, community_id=y.id)
    a = PersonFactory(community_id=x.id, name="张三")
    b = PersonFactory(community_id=x.id)
    c = PersonFactory(community_id=x.id)
    d = PersonFactory(community_id=y.id)
    _seat(b, need_x, hours_in=3, minutes=60, status="confirmed")
    done = _seat(c, need_x, hours_in=5, minutes=120, status="completed")
    _seat(c, need_x, hours_in=30, minutes=60, status="offered")
    _seat(d, need_y, hours_in=4, minutes=120, status="completed")
    AvailabilityWindowFactory(person=a)
    AvailabilityWindowFactory(person=b)
    db.session.flush()
    db.session.add(HoursEntry(person_id=c.id, assignment_id=done.id, kind="service", minutes=120))
    db.session.commit()
    return {"x": x, "y": y, "org": org, "other": other, "a": a, "b": b, "c": c, "d": d}


def test_fairness_json(client, world):
    response = client.get(
        f"{API}/reports/fairness", query_string={**WEEK, "community_id": world["x"].id}
    )
    assert response.status_code == 200, response.json
    body = response.json
    # x = (0, 60, 180): Gini 0.5, Jain 57600 / 108000 (by hand in tests/services/test_reports.py).
    assert body["gini"] == pytest.approx(0.5)
    assert body["jain"] == pytest.approx(57600 / 108000)
    assert body["participation"] == pytest.approx(0.5)
    assert body["from"] == "2026-11-30" and body["to"] == "2026-12-07"
    assert {row["minutes"] for row in body["per_person"]} == {0, 60, 180}


def test_fairness_csv(client, world):
    response = client.get(
        f"{API}/reports/fairness",
        query_string={**WEEK, "community_id": world["x"].id, "format": "csv"},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {row["name"]: int(row["minutes"]) for row in rows}["张三"] == 0
    assert sorted(int(row["minutes"]) for row in rows) == [0, 60, 180]


def test_fairness_svg_is_a_labelled_histogram(client, world):
    response = client.get(
        f"{API}/reports/fairness.svg", query_string={**WEEK, "community_id": world["x"].id}
    )
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SVG}svg"
    bars = [int(r.get("data-people")) for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert bars == [1, 1, 0, 1]
    texts = {t.get("class"): "".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    assert "Gini 0.500" in texts["title"] and "Jain 0.533" in texts["title"]
    assert "minutes" in texts["x-label"] and "people" in texts["y-label"]


def test_run_fairness_and_its_errors(client, world):
    run = MatchingRun(
        scope=f"community:{world['x'].id}",
        week="2026-W49",
        status="solved",
        problem={"people": [{"id": f"p{world['a'].id}", "availability": [["a", "b"]]}]},
    )
    queued = MatchingRun(scope="all", week="2026-W49")
    db.session.add_all([run, queued])
    db.session.commit()
    report = client.get(f"{API}/runs/{run.id}/fairness").json
    assert (report["people"], report["minutes"], report["participation"]) == (1, 0, 0.0)
    chart = client.get(f"{API}/runs/{run.id}/fairness.svg")
    assert chart.status_code == 200
    ET.fromstring(chart.data)
    as_csv = client.get(f"{API}/runs/{run.id}/fairness", query_string={"format": "csv"})
    assert as_csv.mimetype == "text/csv"
    assert client.get(f"{API}/runs/{queued.id}/fairness").status_code == 409
    assert client.get(f"{API}/runs/999999/fairness").status_code == 404


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/reports/fairness", {"from": "2026-12-07", "to": "2026-11-30"}, "to"),
        ("/reports/fairness", {"to": "2026-11-30"}, "from"),
        ("/reports/fairness", {**WEEK, "community_id": "abc"}, "community_id"),
        ("/reports/fairness.svg", {"from": "2026-12-07", "to": "2026-12-07"}, "to"),
        ("/reports/hours", {**WEEK, "group_by": "street"}, "group_by"),
        ("/reports/hours", {"from": "0001-01-01", "to": "2026-01-01"}, "from"),
        ("/reports/fairness", {**WEEK, "format": "pdf"}, "format"),
    ],
)
def test_bad_input_is_422_with_field_messages(client, world, path, query, field):
    response = client.get(API + path, query_string=query)
    assert response.status_code == 422, response.json
    errors = response.json["errors"]
    assert field in errors.get("query", errors)


def test_unknown_community_is_422(client, world):
    response = client.get(f"{API}/reports/fairness", query_string={**WEEK, "community_id": 99999})
    assert response.status_code == 422
    assert "community_id" in response.json["errors"]


def test_hours_report_json_and_csv(client, world):
    body = client.get(
        f"{API}/reports/hours", query_string={**WEEK, "group_by": "organization"}
    ).json
    minutes = {row["name"]: row["minutes"] for row in body["groups"]}
    # Only C's 120 minutes are recorded in the ledger; D's completed seat has no entry yet.
    assert minutes == {"Org X": 120, "Org Y": 0}
    assert body["total"]["services"] == 2 and body["total"]["people"] == 2
    response = client.get(
        f"{API}/reports/hours", query_string={**WEEK, "group_by": "community", "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[-1]["group_by"] == "total" and rows[-1]["hours"] == "2.0"


def test_service_record_and_certificate(client, world):
    record = client.get(f"{API}/people/{world['c'].id}/service-record").json
    assert (record["total_minutes"], record["total_services"]) == (120, 1)
    as_csv = client.get(
        f"{API}/people/{world['c'].id}/service-record", query_string={"format": "csv"}
    )
    assert [
        row["minutes"] for row in csv.DictReader(io.StringIO(as_csv.data.decode("utf-8-sig")))
    ] == ["120"]
    page = client.get(f"{API}/people/{world['c'].id}/certificate", query_string=WEEK)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.data.decode()
    assert "2.00 小时 / hours" in html
    assert world["c"].name in html and "Org X" in html
    assert "2026-11-30 – 2026-12-06" in html  # the last day shown is the one before `to`
    assert "@media print" in html
    half = client.get(
        f"{API}/people/{world['c'].id}/service-record", query_string={"from": "2026-11-30"}
    )
    assert half.status_code == 422 and "to" in half.json["errors"]


def test_erased_person_certificate_shows_the_pseudonym(client, world):
    name = world["c"].name
    erase_person(session=db.session, person_id=world["c"].id, actor=None)
    html = client.get(f"{API}/people/{world['c'].id}/certificate").data.decode()
    assert name not in html
    assert f"erased-{world['c'].id}" in html
    assert "2.00" in html


def test_my_own_record_and_certificate(client, sign_in, world):
    mine = sign_in("person", person_id=world["c"].id)
    record = client.get(f"{API}/me/service-record", headers=mine)
    assert record.status_code == 200 and record.json["person"]["id"] == world["c"].id
    assert "2.00" in client.get(f"{API}/me/certificate", headers=mine).data.decode()
    # A person reads only their own record, through /me.
    assert (
        client.get(f"{API}/people/{world['c'].id}/service-record", headers=mine).status_code == 403
    )
    assert client.get(f"{API}/reports/fairness", query_string=WEEK, headers=mine).status_code == 403
    assert client.get(f"{API}/reports/hours", query_string=WEEK, headers=mine).status_code == 403


def test_coordinator_reach(client, sign_in, world):
    coordinator = sign_in("coordinator", scopes=[ScopeSpec(community_id=world["x"].id)])
    own = client.get(f"{API}/reports/fairness", query_string=WEEK, headers=coordinator)
    assert own.status_code == 200
    assert {row["person_id"] for row in own.json["per_person"]} == {
        world[k].id for k in ("a", "b", "c")
    }
    other = {**WEEK, "community_id": world["y"].id}
    assert (
        client.get(f"{API}/reports/fairness", query_string=other, headers=coordinator).status_code
        == 403
    )
    hours = client.get(f"{API}/reports/hours", query_string=WEEK, headers=coordinator).json
    assert [row["name"] for row in hours["groups"]] == ["Org X"]
    assert (
        client.get(f"{API}/people/{world['d'].id}/service-record", headers=coordinator).status_code
        == 404
    )
    assert (
        client.get(f"{API}/people/{world['c'].id}/certificate", headers=coordinator).status_code
        == 200
    )


def test_organization_staff_get_hours_of_their_organization_only(client, sign_in, world):
    staff = sign_in("org_staff", scopes=[ScopeSpec(organization_id=world["other"].id)])
    hours = client.get(f"{API}/reports/hours", query_string=WEEK, headers=staff)
    assert hours.status_code == 200
    assert [row["name"] for row in hours.json["groups"]] == ["Org Y"]
    assert (
        client.get(f"{API}/reports/fairness", query_string=WEEK, headers=staff).status_code == 403
    )
    assert client.get(f"{API}/people/{world['d'].id}/certificate", headers=staff).status_code == 403

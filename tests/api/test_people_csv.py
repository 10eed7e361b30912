"""POST /api/v1/people/import and GET /api/v1/people/export."""

from __future__ import annotations

import csv
import io

from services.people_csv import COLUMNS
from tests.factories import CommunityFactory, PersonFactory, SkillFactory

HEADER = ",".join(COLUMNS)
GOOD = (
    "V-1,李志明,volunteer,13800000000,,23.13,113.27,yue;cmn,5,480,2,yes,2026-01-05,,true,"
    "it_help:3,Sat 09:00-12:00"
)
BAD = "V-2,黄丽,pilot,,,,,,,,,,,,,juggling:2,"


def csv_body(*rows: str, bom: bool = False) -> bytes:
    text = "\r\n".join((HEADER, *rows)) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def test_import_multipart_file_gives_a_per_row_report(client, session):
    SkillFactory(code="it_help")
    session.commit()

    response = client.post(
        "/api/v1/people/import",
        data={"file": (io.BytesIO(csv_body(GOOD, BAD, bom=True)), "people.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    body = response.json
    assert (body["created"], body["updated"], body["rejected"]) == (1, 0, 1)
    assert body["rows"][0] == {"row": 2, "external_id": "V-1", "status": "created", "errors": {}}
    assert body["rows"][1]["status"] == "rejected"
    assert set(body["rows"][1]["errors"]) == {"role", "skills"}


def test_import_text_csv_body_and_reimport_updates(client, session):
    SkillFactory(code="it_help")
    session.commit()

    first = client.post("/api/v1/people/import", data=csv_body(GOOD), content_type="text/csv")
    again = client.post("/api/v1/people/import", data=csv_body(GOOD), content_type="text/csv")

    assert first.json["created"] == 1
    assert again.json["updated"] == 1
    listed = client.get("/api/v1/people/export")
    assert [r["external_id"] for r in csv.DictReader(io.StringIO(listed.text))] == ["V-1"]


def test_wrong_header_is_422(client):
    body = b"external_id,name,favourite_colour\r\nx,y,z\r\n"

    response = client.post("/api/v1/people/import", data=body, content_type="text/csv")

    assert response.status_code == 422
    assert "favourite_colour" in str(response.json["errors"]["header"])


def test_empty_or_not_utf8_is_422(client):
    empty = client.post("/api/v1/people/import", data=b"", content_type="text/csv")
    gbk = client.post(
        "/api/v1/people/import", data=csv_body(GOOD).decode().encode("gbk"), content_type="text/csv"
    )

    assert empty.status_code == 422 and "file" in empty.json["errors"]
    assert gbk.status_code == 422 and "file" in gbk.json["errors"]


def test_unknown_multipart_field_is_422(client):
    response = client.post(
        "/api/v1/people/import",
        data={"upload": (io.BytesIO(csv_body(GOOD)), "people.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422


def test_export_is_csv_of_one_community(client, session):
    community = CommunityFactory()
    PersonFactory(external_id="here", community_id=community.id)
    PersonFactory(external_id="elsewhere")
    session.commit()

    response = client.get(f"/api/v1/people/export?community={community.id}")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["external_id"] for r in rows] == ["here"]
    assert list(rows[0]) == list(COLUMNS)


def test_import_and_export_commands(app, session, tmp_path):
    SkillFactory(code="it_help")
    session.commit()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_body(GOOD, bom=True))
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(csv_body(GOOD, BAD))
    out = tmp_path / "out.csv"
    runner = app.test_cli_runner()

    imported = runner.invoke(args=["import-people", str(good)])
    partly = runner.invoke(args=["import-people", str(mixed)])
    exported = runner.invoke(args=["export-people", "-o", str(out)])
    to_stdout = runner.invoke(args=["export-people"])

    assert imported.exit_code == 0, imported.output
    assert "1 created, 0 updated, 0 rejected" in imported.output
    assert partly.exit_code == 1
    assert "row 3 (V-2)" in partly.output and "juggling" in partly.output
    assert exported.exit_code == 0
    assert out.read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert to_stdout.output.splitlines()[0] == HEADER


def test_import_command_errors_are_messages(app, tmp_path):
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("name\r\nx\r\n", encoding="utf-8")
    runner = app.test_cli_runner()

    header = runner.invoke(args=["import-people", str(bad_header)])
    missing = runner.invoke(args=["import-people", str(tmp_path / "nope.csv")])

    assert header.exit_code != 0 and "missing columns" in header.output
    assert missing.exit_code != 0 and "nope.csv" in missing.output
    assert "Traceback" not in header.output + missing.output

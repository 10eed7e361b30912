"""CSV import and export of people: validation, per-row report, re-import, round trip."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from models import AvailabilityWindow, Person, PersonSkill
from services.errors import Invalid
from services.people_csv import COLUMNS, export_people_csv, import_people_csv
from tests.factories import (
    AvailabilityWindowFactory,
    CommunityFactory,
    PersonFactory,
    PersonSkillFactory,
    SkillFactory,
)


def row(**values: str) -> dict[str, str]:
    """A valid row; keyword arguments override columns."""
    base = {
        "external_id": "V-001",
        "name": "陈美玲",
        "role": "volunteer",
        "phone": "13800000001",
        "community_id": "",
        "lat": "23.1291",
        "lon": "113.2644",
        "languages": "yue;cmn",
        "max_travel_km": "5",
        "max_minutes_per_week": "480",
        "max_shifts_per_day": "2",
        "background_checked": "yes",
        "background_checked_on": "2026-03-01",
        "preferred_kinds": "elderly_visit;tutoring",
        "active": "true",
        "skills": "elderly_care:3;first_aid:2",
        "availability": "Mon 09:00-12:00;Sun 22:00-02:00",
    }
    base.update(values)
    return base


def to_csv(*rows: dict[str, str], columns=COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def skills(session):
    return {
        code: SkillFactory(code=code) for code in ("elderly_care", "first_aid", "tutoring_math")
    }


def test_import_creates_people_with_skills_and_windows(session, skills):
    report = import_people_csv(session=session, data=to_csv(row()))

    assert (report.created, report.updated, report.rejected) == (1, 0, 0)
    assert report.rows == [{"row": 2, "external_id": "V-001", "status": "created", "errors": {}}]
    person = session.scalars(select(Person)).one()
    assert person.name == "陈美玲"
    assert person.languages == ["yue", "cmn"]
    assert person.background_checked is True
    assert person.background_checked_on == date(2026, 3, 1)
    assert person.preferred_kinds == ["elderly_visit", "tutoring"]
    assert {(s.skill.code, s.level) for s in person.skills} == {
        ("elderly_care", 3),
        ("first_aid", 2),
    }
    assert sorted((w.weekday, w.start_time, w.end_time) for w in person.windows) == [
        (0, time(9), time(12)),
        (6, time(22), time(2)),
    ]


def test_bad_rows_are_rejected_whole_and_good_rows_kept(session, skills):
    data = to_csv(
        row(external_id="A"),
        row(external_id="B", skills="elderly_care:3;juggling:2", role="chef", lat="91"),
        row(external_id="C", availability="Mon 09:00-09:00;Funday 10:00-11:00"),
        row(external_id="D"),
    )

    report = import_people_csv(session=session, data=data)

    assert [(r["row"], r["external_id"], r["status"]) for r in report.rows] == [
        (2, "A", "created"),
        (3, "B", "rejected"),
        (4, "C", "rejected"),
        (5, "D", "created"),
    ]
    errors_b = report.rows[1]["errors"]
    assert set(errors_b) == {"skills", "role", "lat"}
    assert "juggling" in errors_b["skills"][0]
    assert set(report.rows[2]["errors"]) == {"availability"}
    assert session.scalar(select(func.count()).select_from(Person)) == 2
    # Nothing of a rejected row is written, not even its skills.
    assert session.scalar(select(func.count()).select_from(PersonSkill)) == 4


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("external_id", ""),
        ("name", ""),
        ("community_id", "999"),
        ("community_id", "abc"),
        ("lon", ""),
        ("max_minutes_per_week", "-5"),
        ("max_travel_km", "far"),
        ("background_checked", "maybe"),
        ("background_checked_on", "01/03/2026"),
        ("preferred_kinds", "karaoke"),
        ("languages", "Cantonese!"),
        ("skills", "elderly_care:9"),
        ("skills", "elderly_care"),
        ("skills", "elderly_care:2;elderly_care:3"),
        ("availability", "Mon 9-12"),
        ("availability", "Mon 09:00-25:00"),
        ("active", "nope"),
    ],
)
def test_each_bad_value_names_its_column(session, skills, column, value):
    report = import_people_csv(session=session, data=to_csv(row(**{column: value})))

    assert report.rows[0]["status"] == "rejected"
    assert column in report.rows[0]["errors"], report.rows[0]["errors"]


def test_reimport_updates_instead_of_duplicating_and_replaces_skills_and_windows(session, skills):
    import_people_csv(session=session, data=to_csv(row()))
    changed = row(name="陈美玲(改)", skills="tutoring_math:4", availability="Sat 14:00-18:00")

    report = import_people_csv(session=session, data=to_csv(changed))

    assert report.rows[0]["status"] == "updated"
    person = session.scalars(select(Person)).one()
    session.refresh(person)
    assert person.name == "陈美玲(改)"
    assert [(s.skill.code, s.level) for s in person.skills] == [("tutoring_math", 4)]
    assert [(w.weekday, w.start_time, w.end_time) for w in person.windows] == [
        (5, time(14), time(18))
    ]


def test_reimport_keeps_expiry_and_validity_of_unchanged_entries(session, skills):
    person = PersonFactory(external_id="V-001")
    PersonSkillFactory(
        person=person, skill=skills["first_aid"], level=2, expires_on=date(2026, 1, 1)
    )
    PersonSkillFactory(person=person, skill=skills["elderly_care"], level=3, verified_by="王社工")
    AvailabilityWindowFactory(
        person=person,
        weekday=0,
        start_time=time(9),
        end_time=time(12),
        valid_until=date(2027, 1, 1),
    )
    session.commit()

    import_people_csv(session=session, data=to_csv(row(skills="first_aid:2;elderly_care:4")))

    held = {s.skill.code: s for s in session.scalars(select(PersonSkill))}
    window = session.scalars(
        select(AvailabilityWindow).where(AvailabilityWindow.weekday == 0)
    ).one()
    assert held["first_aid"].expires_on == date(2026, 1, 1)
    # A changed level is no longer the verified one.
    assert (held["elderly_care"].level, held["elderly_care"].verified_by) == (4, None)
    assert window.valid_until == date(2027, 1, 1)


def test_repeated_external_id_in_file_rejects_the_later_row(session, skills):
    report = import_people_csv(session=session, data=to_csv(row(), row(name="again")))

    assert [r["status"] for r in report.rows] == ["created", "rejected"]
    assert "repeats row 2" in report.rows[1]["errors"]["external_id"][0]


@pytest.mark.parametrize(
    "columns",
    [COLUMNS[:-1], (*COLUMNS, "shoe_size"), (*COLUMNS[:-1], "name")],
    ids=["missing", "unknown", "repeated"],
)
def test_bad_header_rejects_the_whole_file(session, skills, columns):
    with pytest.raises(Invalid) as caught:
        import_people_csv(session=session, data=to_csv(row(), columns=columns))

    assert "header" in caught.value.errors
    assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_utf8_with_bom_and_crlf_is_read(session, skills):
    data = ("\ufeff" + to_csv(row())).encode("utf-8")

    report = import_people_csv(session=session, data=data)

    assert report.rows[0]["status"] == "created"


def test_non_utf8_and_empty_files_are_rejected(session, skills):
    with pytest.raises(Invalid) as not_utf8:
        import_people_csv(session=session, data=to_csv(row()).encode("gbk"))
    with pytest.raises(Invalid) as empty:
        import_people_csv(session=session, data=b"")

    assert "file" in not_utf8.value.errors
    assert "file" in empty.value.errors


def test_row_numbers_follow_the_file_lines(session, skills):
    text = to_csv(row(external_id="A"), row(external_id="B", role="x"))
    lines = text.splitlines(keepends=True)
    text = lines[0] + "\r\n" + lines[1] + lines[2] + "short,row\r\n"

    report = import_people_csv(session=session, data=text)

    assert [(r["row"], r["status"]) for r in report.rows] == [
        (3, "created"),
        (4, "rejected"),
        (5, "rejected"),
    ]
    assert "row" in report.rows[2]["errors"]


def test_export_then_import_updates_everyone_without_change(session, skills):
    community = CommunityFactory()
    session.commit()
    import_people_csv(
        session=session,
        data=to_csv(
            row(external_id="A", community_id=str(community.id), lat="23.12345678"),
            row(
                external_id="B",
                lat="",
                lon="",
                skills="",
                availability="Fri 18:00-24:00",
                max_travel_km="",
                max_minutes_per_week="",
                max_shifts_per_day="",
                background_checked="no",
                background_checked_on="",
                active="false",
                languages="",
                preferred_kinds="",
                phone="",
            ),
        ),
    )
    first = export_people_csv(session=session)

    report = import_people_csv(session=session, data=first)

    assert [r["status"] for r in report.rows] == ["updated", "updated"]
    assert export_people_csv(session=session) == first
    exported = list(csv.DictReader(io.StringIO(first)))
    assert exported[0]["lat"] == "23.12345678"
    assert exported[1]["availability"] == "Fri 18:00-24:00"


def test_export_of_one_community(session, skills):
    community = CommunityFactory()
    PersonFactory(external_id="in", community_id=community.id)
    PersonFactory(external_id="out")
    session.commit()

    text = export_people_csv(session=session, community_id=community.id)

    assert [r["external_id"] for r in csv.DictReader(io.StringIO(text))] == ["in"]


def test_export_leaves_out_erased_people(session, skills):
    PersonFactory(external_id="kept")
    PersonFactory(external_id=None, active=False, erased_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.commit()

    text = export_people_csv(session=session)

    assert [r["external_id"] for r in csv.DictReader(io.StringIO(text))] == ["kept"]

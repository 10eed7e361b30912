"""The /needs resource: CRUD, one-off and recurring shapes, filters, shift generation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import Need, Position, Shift
from services.shifts import generate_shifts, generate_shifts_for_horizon
from tests.factories import (
    AssignmentFactory,
    CommunityFactory,
    NeedFactory,
    OrganizationFactory,
    PositionFactory,
    ShiftFactory,
    SkillFactory,
)

URL = "/api/v1/needs"
TZ = "Asia/Shanghai"
MONDAY = "2026-11-30T00:00:00+08:00"
NEXT_MONDAY = "2026-12-07T00:00:00+08:00"


@pytest.fixture
def org(session):
    organization = OrganizationFactory()
    SkillFactory(code="first_aid")
    SkillFactory(code="cantonese")
    session.commit()
    return organization


def one_off(org_id, **overrides):
    body = {
        "organization_id": org_id,
        "kind": "elderly_visit",
        "title": "Visit Mrs Chan",
        "shifts": [
            {
                "starts_at": "2026-11-30T09:00:00+08:00",
                "ends_at": "2026-11-30T11:00:00+08:00",
                "positions": [
                    {"role": "volunteer", "count": 2, "skills": {"cantonese": 3}},
                    {"role": "social_worker", "label": "lead"},
                ],
            }
        ],
    }
    body.update(overrides)
    return body


def recurring(org_id, **overrides):
    body = {
        "organization_id": org_id,
        "kind": "tutoring",
        "title": "Homework club",
        "recurrence": {
            "rule": "FREQ=WEEKLY;BYDAY=TU,TH",
            "start": "2026-11-03T16:00:00+08:00",
            "minutes": 90,
        },
        "positions": [
            {"role": "volunteer", "count": 3, "min_count": 2, "skills": {"first_aid": 1}},
        ],
    }
    body.update(overrides)
    return body


def errors_of(response):
    """Field errors, whether they come from the schema (under "json") or a service."""
    errors = response.json.get("errors", {})
    return errors.get("json", errors)


def create(client, body):
    response = client.post(URL, json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_create_one_off_need_with_inline_shifts(client, org):
    need = create(client, one_off(org.id, priority=5, language="yue", lat=23.13, lon=113.26))
    assert need["recurring"] is False and need["recurrence"] is None
    assert need["priority"] == 5 and need["language"] == "yue"
    (shift,) = need["shifts"]
    assert shift["starts_at"] == "2026-11-30T01:00:00+00:00"
    assert shift["generated"] is False
    volunteers, lead = shift["positions"]
    assert volunteers["skills"] == {"cantonese": 3}
    assert (volunteers["count"], volunteers["min_count"], volunteers["filled"]) == (2, 1, 0)
    assert lead["role"] == "social_worker" and lead["label"] == "lead"


def test_create_need_with_empty_shifts_then_add_later(client, org):
    need = create(client, one_off(org.id, shifts=[]))
    assert need["shifts"] == []


def test_create_recurring_need_keeps_template_positions(client, org):
    need = create(client, recurring(org.id))
    assert need["recurring"] is True
    assert need["recurrence"]["rule"] == "FREQ=WEEKLY;BYDAY=TU,TH"
    assert need["recurrence"]["minutes"] == 90
    assert need["shifts"] == []
    (template,) = need["positions"]
    assert template["shift_id"] is None and template["skills"] == {"first_aid": 1}


def test_rrule_prefix_is_stripped(client, org):
    body = recurring(org.id)
    body["recurrence"]["rule"] = "RRULE:FREQ=DAILY"
    assert create(client, body)["recurrence"]["rule"] == "FREQ=DAILY"


def test_get_need(client, org):
    need = create(client, recurring(org.id))
    response = client.get(f"{URL}/{need['id']}")
    assert response.status_code == 200
    assert response.json["title"] == "Homework club"
    assert response.json["positions"][0]["role"] == "volunteer"


def test_get_missing_need_is_404(client):
    response = client.get(f"{URL}/999")
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_patch_need_fields(client, org, session):
    community = CommunityFactory()
    session.commit()
    need = create(client, one_off(org.id))
    response = client.patch(
        f"{URL}/{need['id']}",
        json={
            "title": "Visit Mr Lee",
            "priority": 1,
            "community_id": community.id,
            "active": False,
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["title"] == "Visit Mr Lee"
    assert response.json["community_id"] == community.id
    assert response.json["active"] is False


def test_patch_recurrence_of_recurring_need(client, org):
    need = create(client, recurring(org.id))
    response = client.patch(
        f"{URL}/{need['id']}",
        json={"recurrence": {"rule": "FREQ=DAILY", "start": MONDAY, "minutes": 60}},
    )
    assert response.status_code == 200
    assert response.json["recurrence"]["rule"] == "FREQ=DAILY"


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"bogus": 1}, "bogus", 422),
        ({"priority": 0}, "priority", 422),
        ({"priority": "high"}, "priority", 422),
        ({"title": None}, "title", 422),
        ({"organization_id": 999}, "organization_id", 422),
        ({"community_id": 999}, "community_id", 422),
        ({"recurrence": {"rule": "FREQ=DAILY", "start": MONDAY, "minutes": 60}}, "recurrence", 422),
    ],
)
def test_patch_need_bad_input(client, org, body, field, status):
    need = create(client, one_off(org.id))
    response = client.patch(f"{URL}/{need['id']}", json=body)
    assert response.status_code == status
    assert field in errors_of(response)


def test_patch_bad_rrule_names_the_rule(client, org):
    need = create(client, recurring(org.id))
    response = client.patch(
        f"{URL}/{need['id']}",
        json={"recurrence": {"rule": "FREQ=HOURLY", "start": MONDAY, "minutes": 60}},
    )
    assert response.status_code == 422
    assert "recurrence.rule" in errors_of(response)


def test_patch_missing_need_is_404(client):
    assert client.patch(f"{URL}/999", json={"title": "x"}).status_code == 404


def test_delete_need_removes_shifts_and_positions(client, org, session):
    need = create(client, one_off(org.id))
    assert client.delete(f"{URL}/{need['id']}").status_code == 204
    assert client.get(f"{URL}/{need['id']}").status_code == 404
    session.expire_all()
    assert session.query(Shift).count() == 0
    assert session.query(Position).count() == 0


def test_delete_recurring_need_removes_template(client, org, session):
    need = create(client, recurring(org.id))
    assert client.delete(f"{URL}/{need['id']}").status_code == 204
    assert session.query(Position).count() == 0


def test_delete_need_with_completed_service_is_refused(client, session):
    assignment = AssignmentFactory(status="completed")
    session.commit()
    need_id = assignment.shift.need_id
    response = client.delete(f"{URL}/{need_id}")
    assert response.status_code == 409
    assert "need_id" in response.json["errors"]


def test_delete_missing_need_is_404(client):
    assert client.delete(f"{URL}/999").status_code == 404


# --- bad input on create -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bogus": True}, "bogus"),
        ({"priority": 6}, "priority"),
        ({"priority": "5"}, "priority"),
        ({"kind": "party"}, "kind"),
        ({"language": "fr"}, "language"),
        ({"points_tier": "gold"}, "points_tier"),
        ({"points_per_hour": -1}, "points_per_hour"),
        ({"lat": 91}, "lat"),
        ({"lon": -181}, "lon"),
        ({"title": ""}, "title"),
        ({"requires_background_check": "yes"}, "requires_background_check"),
    ],
)
def test_create_rejects_bad_fields(client, org, change, field):
    response = client.post(URL, json=one_off(org.id, **change))
    assert response.status_code == 422
    assert field in errors_of(response)


@pytest.mark.parametrize("field", ["organization_id", "kind", "title"])
def test_create_requires_fields(client, org, field):
    body = one_off(org.id)
    del body[field]
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert field in errors_of(response)


def test_create_with_both_shapes_names_both(client, org):
    body = recurring(org.id)
    body["shifts"] = []
    del body["positions"]
    errors = errors_of(client.post(URL, json=body))
    assert {"shifts", "recurrence"} <= set(errors)


def test_create_with_neither_shape_names_both(client, org):
    body = one_off(org.id)
    del body["shifts"]
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert {"shifts", "recurrence"} <= set(errors_of(response))


def test_template_positions_on_one_off_need_are_refused(client, org):
    body = one_off(org.id, positions=[{"role": "volunteer"}])
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert "positions" in errors_of(response)


def test_create_rejects_bad_position_fields(client, org):
    body = recurring(org.id)
    body["positions"] = [
        {"role": "volunteer", "count": 1, "min_count": 2},
        {"role": "chef"},
        {"role": "volunteer", "skills": {"first_aid": 6}},
        {"role": "volunteer", "count": 0},
    ]
    response = client.post(URL, json=body)
    assert response.status_code == 422
    errors = errors_of(response)["positions"]
    assert "min_count" in errors["0"]
    assert "role" in errors["1"]
    assert "skills" in errors["2"]
    assert "count" in errors["3"]


@pytest.mark.parametrize(
    ("shift", "field"),
    [
        (
            {"starts_at": "2026-11-30T09:00:00+08:00", "ends_at": "2026-11-30T08:00:00+08:00"},
            "ends_at",
        ),
        ({"starts_at": "2026-11-30T09:00:00", "ends_at": "2026-11-30T11:00:00+08:00"}, "starts_at"),
        ({"starts_at": "not a time", "ends_at": "2026-11-30T11:00:00+08:00"}, "starts_at"),
        ({"starts_at": "2026-11-30T09:00:00+08:00"}, "ends_at"),
        (
            {"starts_at": "2026-11-30T09:00:00+08:00", "ends_at": "2026-12-02T09:00:00+08:00"},
            "ends_at",
        ),
        (
            {
                "starts_at": "2026-11-30T09:00:00+08:00",
                "ends_at": "2026-11-30T11:00:00+08:00",
                "room": "A",
            },
            "room",
        ),
    ],
)
def test_create_rejects_bad_shifts(client, org, shift, field):
    response = client.post(URL, json=one_off(org.id, shifts=[shift]))
    assert response.status_code == 422
    assert field in errors_of(response)["shifts"]["0"]


def test_create_rejects_two_shifts_starting_together(client, org):
    shift = {"starts_at": "2026-11-30T09:00:00+08:00", "ends_at": "2026-11-30T10:00:00+08:00"}
    response = client.post(URL, json=one_off(org.id, shifts=[shift, dict(shift)]))
    assert response.status_code == 422
    assert "shifts[1].starts_at" in errors_of(response)


@pytest.mark.parametrize(
    "rule",
    [
        "garbage",
        "FREQ=HOURLY",
        "FREQ=DAILY;DTSTART=20261130T090000",
        "FREQ=WEEKLY;INTERVAL=-1",
        "FREQ=MONTHLY;BYDAY=+9MO",
    ],
)
def test_bad_rrule_is_422_naming_the_rule(client, org, rule):
    body = recurring(org.id)
    body["recurrence"]["rule"] = rule
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert "recurrence.rule" in errors_of(response)


@pytest.mark.parametrize(
    ("recurrence", "field"),
    [
        ({"rule": "FREQ=DAILY", "start": "2026-11-30T09:00:00", "minutes": 60}, "start"),
        ({"rule": "FREQ=DAILY", "start": MONDAY, "minutes": 0}, "minutes"),
        ({"rule": "FREQ=DAILY", "start": MONDAY}, "minutes"),
        ({"rule": "FREQ=DAILY", "start": MONDAY, "minutes": 60, "tz": "UTC"}, "tz"),
    ],
)
def test_bad_recurrence_fields(client, org, recurrence, field):
    response = client.post(URL, json=recurring(org.id, recurrence=recurrence))
    assert response.status_code == 422
    assert field in errors_of(response)["recurrence"]


def test_unknown_references_are_all_named(client, org):
    body = one_off(org.id, organization_id=999, community_id=998)
    body["shifts"][0]["positions"][0]["skills"] = {"juggling": 2, "cantonese": 2}
    response = client.post(URL, json=body)
    assert response.status_code == 422
    errors = errors_of(response)
    assert set(errors) == {
        "organization_id",
        "community_id",
        "shifts[0].positions[0].skills.juggling",
    }


def test_unknown_template_skill_is_named(client, org):
    body = recurring(org.id)
    body["positions"][0]["skills"] = {"juggling": 2}
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert "positions[0].skills.juggling" in errors_of(response)


def test_not_json_is_rejected(client):
    response = client.post(URL, data="nope", content_type="text/plain")
    assert 400 <= response.status_code < 500


# --- list filters and pagination -----------------------------------------------------


@pytest.fixture
def several(client, org, session):
    other_org = OrganizationFactory()
    community = CommunityFactory()
    session.commit()
    a = create(client, one_off(org.id, priority=5, community_id=community.id))
    b = create(
        client,
        one_off(
            other_org.id,
            kind="legal_desk",
            priority=2,
            shifts=[
                {"starts_at": "2026-12-10T09:00:00+08:00", "ends_at": "2026-12-10T12:00:00+08:00"}
            ],
        ),
    )
    c = create(client, recurring(org.id, priority=3, active=False))
    return {
        "a": a["id"],
        "b": b["id"],
        "c": c["id"],
        "org": org.id,
        "other": other_org.id,
        "community": community.id,
    }


def ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json]


def test_list_needs_unfiltered(client, several):
    assert ids(client.get(URL)) == [several["a"], several["b"], several["c"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=legal_desk", ["b"]),
        ("organization_id={org}", ["a", "c"]),
        ("community_id={community}", ["a"]),
        ("priority_min=3", ["a", "c"]),
        ("recurring=true", ["c"]),
        ("recurring=false", ["a", "b"]),
        ("active=false", ["c"]),
        ("active=true", ["a", "b"]),
        ("starts_from=2026-12-01T00:00:00%2B08:00", ["b"]),
        ("starts_to=2026-12-01T00:00:00%2B08:00", ["a"]),
        (
            "starts_from=2026-11-30T00:00:00%2B08:00&starts_to=2026-12-31T00:00:00%2B08:00",
            ["a", "b"],
        ),
    ],
)
def test_list_needs_filters(client, several, query, expected):
    response = client.get(f"{URL}?{query.format(**several)}")
    assert ids(response) == [several[name] for name in expected]


@pytest.mark.parametrize(
    "query",
    [
        "kind=party",
        "priority_min=9",
        "recurring=maybe",
        "starts_from=2026-12-01T00:00:00",
        "starts_from=2026-12-02T00:00:00Z&starts_to=2026-12-01T00:00:00Z",
    ],
)
def test_list_needs_bad_filters(client, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert "query" in response.json["errors"]


def test_list_needs_pagination(client, several):
    response = client.get(f"{URL}?page=2&page_size=2")
    assert ids(response) == [several["c"]]
    pagination = response.headers["X-Pagination"]
    assert '"total": 3' in pagination and '"page": 2' in pagination


def test_list_needs_page_size_over_maximum(client):
    assert client.get(f"{URL}?page_size=100000").status_code == 422


# --- shift generation --------------------------------------------------------------------


def generate(client, need_id, start=MONDAY, end=NEXT_MONDAY):
    return client.post(f"{URL}/{need_id}/generate-shifts", json={"start": start, "end": end})


def test_generate_shifts_copies_template_and_is_idempotent(client, org, session):
    need = create(client, recurring(org.id))
    first = generate(client, need["id"])
    assert first.status_code == 200, first.json
    assert [s["starts_at"] for s in first.json] == [
        "2026-12-01T08:00:00+00:00",
        "2026-12-03T08:00:00+00:00",
    ]
    for shift in first.json:
        assert shift["generated"] is True
        (position,) = shift["positions"]
        assert position["skills"] == {"first_aid": 1}
        assert (position["count"], position["min_count"], position["role"]) == (3, 2, "volunteer")
    second = generate(client, need["id"])
    assert [s["id"] for s in second.json] == [s["id"] for s in first.json]
    assert session.query(Shift).count() == 2
    # Two generated shifts with one copied position each, plus the template.
    assert session.query(Position).count() == 3


def test_generate_keeps_cancelled_and_overlapping_horizons(client, org, session):
    need = create(client, recurring(org.id))
    first = generate(client, need["id"]).json
    client.patch(f"/api/v1/shifts/{first[0]['id']}", json={"cancelled": True})
    later = generate(
        client, need["id"], start="2026-12-02T00:00:00+08:00", end="2026-12-09T00:00:00+08:00"
    ).json
    assert len(later) == 2 and later[0]["id"] == first[1]["id"]
    again = generate(client, need["id"]).json
    assert again[0]["cancelled"] is True
    assert session.query(Shift).count() == 3


@pytest.mark.parametrize(
    ("horizon", "field"),
    [
        ({"start": MONDAY, "end": "2027-02-15T00:00:00+08:00"}, "end"),
        ({"start": NEXT_MONDAY, "end": MONDAY}, "end"),
        ({"start": "2026-11-30T00:00:00", "end": NEXT_MONDAY}, "start"),
        ({"start": MONDAY}, "end"),
        ({"start": MONDAY, "end": NEXT_MONDAY, "extra": 1}, "extra"),
    ],
)
def test_generate_bad_horizon(client, org, horizon, field):
    need = create(client, recurring(org.id))
    response = client.post(f"{URL}/{need['id']}/generate-shifts", json=horizon)
    assert response.status_code == 422
    assert field in errors_of(response)


def test_generate_for_one_off_need_is_409(client, org):
    need = create(client, one_off(org.id))
    response = generate(client, need["id"])
    assert response.status_code == 409
    assert "need_id" in response.json["errors"]


def test_generate_for_missing_need_is_404(client):
    assert generate(client, 999).status_code == 404


def test_generate_shifts_service_returns_shifts_of_the_horizon(app, session):
    need = NeedFactory(
        recurrence_rule="FREQ=DAILY",
        recurrence_start=datetime(2026, 11, 1, 1, 0, tzinfo=UTC),
        recurrence_minutes=60,
    )
    session.commit()
    start = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # Monday 00:00 in Shanghai
    shifts = generate_shifts(
        session=session, need=need, start=start, end=start + timedelta(days=7), timezone=TZ
    )
    assert len(shifts) == 7
    assert all(s.ends_at - s.starts_at == timedelta(minutes=60) for s in shifts)
    assert shifts[0].starts_at == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_generate_for_horizon_covers_active_recurring_needs_only(app, session):
    community = CommunityFactory()
    start = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    rule = {
        "recurrence_rule": "FREQ=WEEKLY;BYDAY=MO",
        "recurrence_start": datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
        "recurrence_minutes": 120,
    }
    mine = NeedFactory(community_id=community.id, **rule)
    NeedFactory(community_id=community.id, active=False, **rule)
    elsewhere = NeedFactory(**rule)
    one_off_need = NeedFactory(community_id=community.id)
    session.commit()
    end = start + timedelta(days=7)
    shifts = generate_shifts_for_horizon(
        session=session, start=start, end=end, timezone=TZ, community_id=community.id
    )
    assert [s.need_id for s in shifts] == [mine.id]
    everything = generate_shifts_for_horizon(session=session, start=start, end=end, timezone=TZ)
    assert sorted(s.need_id for s in everything) == sorted([mine.id, elsewhere.id])
    assert session.query(Shift).filter(Shift.need_id == one_off_need.id).count() == 0
    assert session.query(Shift).count() == 2


def test_generate_for_horizon_rejects_long_horizon(app, session):
    from services.errors import Invalid

    start = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    with pytest.raises(Invalid) as caught:
        generate_shifts_for_horizon(
            session=session, start=start, end=start + timedelta(days=63), timezone=TZ
        )
    assert "end" in caught.value.errors


def test_generated_shifts_do_not_collide_with_existing_one_off_shift(app, session):
    need = NeedFactory(
        recurrence_rule="FREQ=DAILY",
        recurrence_start=datetime(2026, 11, 30, 1, 0, tzinfo=UTC),
        recurrence_minutes=60,
    )
    existing = ShiftFactory(
        need=need,
        starts_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
    )
    PositionFactory(shift=existing)
    session.commit()
    start = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    shifts = generate_shifts(
        session=session, need=need, start=start, end=start + timedelta(days=3), timezone=TZ
    )
    assert existing.id in [s.id for s in shifts]
    assert session.query(Shift).count() == 3
    assert session.get(Need, need.id).shifts[1].ends_at == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


# --- ids and pages beyond the database's integers -----------------------------------------

BIG = 10**12


@pytest.mark.parametrize(
    "url",
    [
        f"{URL}/{BIG}",
        f"{URL}/{BIG}/shifts",
        f"{URL}/{BIG}/positions",
        f"/api/v1/shifts/{BIG}",
        f"/api/v1/shifts/{BIG}/positions",
        f"/api/v1/positions/{BIG}",
        f"/api/v1/assignments/{BIG}",
    ],
)
def test_ids_beyond_32_bits_are_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"{URL}?organization_id={BIG}",
        f"{URL}?community_id=0",
        f"/api/v1/shifts?community_id={BIG}",
        f"/api/v1/assignments?person_id={BIG}",
    ],
)
def test_filter_ids_beyond_32_bits_are_422(client, url):
    response = client.get(url)
    assert response.status_code == 422
    assert "query" in response.json["errors"]


def test_body_ids_beyond_32_bits_are_422(client):
    body = one_off(BIG, community_id=BIG)
    errors = errors_of(client.post(URL, json=body))
    assert {"organization_id", "community_id"} <= set(errors)


@pytest.mark.parametrize("resource", ["needs", "shifts", "assignments"])
def test_page_far_past_the_end_is_empty(client, resource):
    response = client.get(f"/api/v1/{resource}?page={10**20}")
    assert response.status_code == 200
    assert response.json == []


def test_new_recurrence_drops_unused_future_occurrences(client, org, session):
    # Far in the future, so that "future" stays true whenever the suite runs.
    body = recurring(org.id)
    body["recurrence"]["start"] = "2030-01-01T16:00:00+08:00"
    need = create(client, body)
    start, end = "2030-01-07T00:00:00+08:00", "2030-01-14T00:00:00+08:00"
    tuesday, thursday = generate(client, need["id"], start, end).json
    seat = session.get(Position, thursday["positions"][0]["id"])
    AssignmentFactory(position=seat, status="declined")
    session.commit()
    response = client.patch(
        f"{URL}/{need['id']}",
        json={
            "recurrence": {
                "rule": "FREQ=WEEKLY;BYDAY=WE",
                "start": "2030-01-01T18:00:00+08:00",
                "minutes": 60,
            }
        },
    )
    assert response.status_code == 200
    session.expire_all()
    remaining = [s.id for s in session.query(Shift).filter(Shift.need_id == need["id"])]
    assert remaining == [thursday["id"]]
    (wednesday,) = generate(client, need["id"], start, end).json
    assert wednesday["starts_at"] == "2030-01-09T10:00:00+00:00"

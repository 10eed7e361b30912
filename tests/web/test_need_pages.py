"""Organization staff pages through the Flask test client: needs, posting, staffing, attendance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import Assignment, AttendanceRecord, HoursEntry, Need, Position, Shift, db
from services import ledger
from services.auth import ScopeSpec
from tests.factories import (
    AssignmentFactory,
    CommunityFactory,
    NeedFactory,
    OrganizationFactory,
    PersonFactory,
    PositionFactory,
    ShiftFactory,
    SkillFactory,
)
from tests.web.scene import add_web_user
from tests.web.test_pages import EN, ZH, csrf_of, sign_in

pytestmark = pytest.mark.usefixtures("app")


def build_org_scene() -> dict:
    """Two organizations with a staff account each; organization A has a need with an ended
    shift (two confirmed seats) and an upcoming one (offered, proposed and declined seats)."""
    community, elsewhere = CommunityFactory(name="Dongshan"), CommunityFactory(name="Far away")
    ours = OrganizationFactory(name="Sunrise Social Work")
    ours.communities = [community]
    theirs = OrganizationFactory(name="Other Org")
    theirs.communities = [elsewhere]
    SkillFactory(code="first_aid", name_en="First aid", name_zh="急救")
    SkillFactory(code="cantonese", name_en="Cantonese chat", name_zh="粤语聊天")
    need = NeedFactory(
        organization_id=ours.id,
        community_id=community.id,
        title="Riverside clean-up",
        points_per_hour=10,
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ended = ShiftFactory(need=need, starts_at=now - timedelta(days=2, hours=3))
    ended.ends_at = ended.starts_at + timedelta(hours=2)
    old = ShiftFactory(need=need, starts_at=now - timedelta(days=30))
    upcoming = ShiftFactory(need=need, starts_at=now + timedelta(days=3))
    done_position = PositionFactory(shift=ended, count=3, role="volunteer")
    old_position = PositionFactory(shift=old, count=1)
    next_position = PositionFactory(shift=upcoming, count=4, role="volunteer")
    worker, helper, late = (
        PersonFactory(name="Chen Jing", community_id=community.id),
        PersonFactory(name="Li Ming", community_id=community.id),
        PersonFactory(name="Zhao Lei", community_id=community.id),
    )
    offered = PersonFactory(name="Wu Fang", community_id=community.id)
    proposed = PersonFactory(name="Hidden Proposal", community_id=community.id)
    declined = PersonFactory(name="Said No", community_id=community.id)
    seats = {
        "worker": AssignmentFactory(person=worker, position=done_position, status="confirmed"),
        "helper": AssignmentFactory(person=helper, position=done_position, status="confirmed"),
        "late": AssignmentFactory(person=late, position=old_position, status="confirmed"),
        "offered": AssignmentFactory(person=offered, position=next_position, status="offered"),
        "proposed": AssignmentFactory(person=proposed, position=next_position, status="proposed"),
        "declined": AssignmentFactory(person=declined, position=next_position, status="declined"),
    }
    other_need = NeedFactory(organization_id=theirs.id, title="Their concert")
    PositionFactory(shift=ShiftFactory(need=other_need, starts_at=now + timedelta(days=4)))
    db.session.commit()
    for username, organization in (("staff", ours), ("other_staff", theirs)):
        add_web_user(username, "org_staff", scopes=[ScopeSpec(organization_id=organization.id)])
    add_web_user("someone", "person", person_id=worker.id)
    return {
        "organization_id": ours.id,
        "community_id": community.id,
        "need_id": need.id,
        "other_need_id": other_need.id,
        "ended_shift_id": ended.id,
        "ended_minutes": 120,
        "seats": {name: seat.id for name, seat in seats.items()},
        "phone": worker.phone,
        "worker_id": worker.id,
    }


@pytest.fixture
def scene():
    return build_org_scene()


@pytest.fixture
def staff(scene, app):
    client = app.test_client()
    assert sign_in(client, "staff").status_code == 302
    return client


def form_of(client, **fields) -> dict:
    """A post-a-need form as a person fills it: one position row, one skill row, plus extras."""
    token = csrf_of(client.get("/needs/new", headers=EN).text)
    data = {
        "csrf_token": token,
        "title": "Saturday tea with elders",
        "kind": "elderly_visit",
        "priority": "4",
        "description": "Chat and tea at the activity room",
        "points_tier": "ordinary",
        "schedule": "once",
        "date": "2026-12-05",
        "start": "09:00",
        "end": "11:30",
        "positions-0-role": "volunteer",
        "positions-0-label": "helpers",
        "positions-0-count": "3",
        "positions-0-min_count": "2",
        "positions-0-skills-0-code": "first_aid",
        "positions-0-skills-0-level": "2",
        "positions-0-skills-1-code": "",
        "positions-0-skills-1-level": "1",
        "positions-1-role": "social_worker",
        "positions-1-count": "1",
        "positions-1-min_count": "1",
        "positions-1-skills-0-code": "cantonese",
        "positions-1-skills-0-level": "3",
        "positions-1-skills-1-code": "first_aid",
        "positions-1-skills-1-level": "1",
        # Rows added with "add another row" and left empty are ignored.
        "positions-2-role": "",
        "positions-2-count": "1",
        "positions-2-min_count": "1",
        "positions-2-skills-0-code": "",
        "positions-2-skills-0-level": "1",
    }
    data.update(fields)
    return data


def test_staff_post_a_one_off_need_with_two_positions_and_skills(staff, scene):
    response = staff.post("/needs/new", data=form_of(staff), headers=EN)
    assert response.status_code == 302
    need = db.session.scalar(select(Need).where(Need.title == "Saturday tea with elders"))
    assert response.location == f"/needs/{need.id}"
    assert need.organization_id == scene["organization_id"]  # the only one: a hidden field
    assert (need.kind, need.priority, need.recurrence_rule) == ("elderly_visit", 4, None)
    (shift,) = need.shifts
    # 09:00 to 11:30 in Shanghai is 01:00 to 03:30 UTC.
    assert shift.starts_at == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    assert shift.ends_at == datetime(2026, 12, 5, 3, 30, tzinfo=UTC)
    positions = {p.role: p for p in shift.positions}
    assert set(positions) == {"volunteer", "social_worker"}
    helpers = positions["volunteer"]
    assert (helpers.label, helpers.count, helpers.min_count) == ("helpers", 3, 2)
    assert {r.skill.code: r.min_level for r in helpers.requirements} == {"first_aid": 2}
    worker = positions["social_worker"]
    assert {r.skill.code: r.min_level for r in worker.requirements} == {
        "cantonese": 3,
        "first_aid": 1,
    }
    page = staff.get(response.location, headers=EN)
    assert "The need was posted." in page.text and "0 of 4 seats filled" in page.text


def test_a_weekly_need_creates_its_occurrences(staff, scene):
    data = form_of(
        staff,
        title="Homework club",
        schedule="weekly",
        date="2026-12-07",
        until="2026-12-20",
        start="16:00",
        end="18:00",
    )
    data["weekdays"] = ["MO", "WE"]
    response = staff.post("/needs/new", data=data, headers=EN)
    assert response.status_code == 302
    need = db.session.scalar(select(Need).where(Need.title == "Homework club"))
    assert need.recurrence_rule == "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261220T235959"
    assert need.recurrence_minutes == 120
    assert len(need.template_positions) == 2
    starts = [s.starts_at for s in need.shifts]
    # Mondays and Wednesdays 16:00 Shanghai (08:00 UTC) until the 20th.
    assert starts == [datetime(2026, 12, d, 8, 0, tzinfo=UTC) for d in (7, 9, 14, 16)]
    assert all(s.generated and len(s.positions) == 2 for s in need.shifts)
    skills = {r.skill.code for s in need.shifts for p in s.positions for r in p.requirements}
    assert skills == {"first_aid", "cantonese"}


def test_a_time_with_an_offset_is_refused_not_shifted(staff, scene):
    data = form_of(staff, title="Offset", start="09:00+05:00", end="11:00")
    response = staff.post("/needs/new", data=data, headers=EN)
    assert response.status_code == 422 and "Enter a time such as 09:30." in response.text
    assert db.session.query(Need).filter_by(title="Offset").count() == 0


def test_a_nul_character_in_the_text_is_refused(staff, scene):
    data = form_of(staff, title="Tea\x00 party", description="bring\x00cups")
    response = staff.post("/needs/new", data=data, headers=EN)
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert db.session.query(Need).filter(Need.title.like("Tea%")).count() == 0


def test_invalid_input_is_shown_per_field_and_the_values_are_kept(staff, scene):
    before = db.session.scalar(select(func.count(Need.id)))
    data = form_of(
        staff,
        title="",
        start="10:00",
        end="09:00",
        description="Kept description",
        **{"positions-0-count": "2", "positions-0-min_count": "5"},
    )
    response = staff.post("/needs/new", data=data, headers=EN)
    assert response.status_code == 422
    html = response.text
    assert "Give the need a title." in html
    assert "The end must be after the start." in html
    assert "Kept description" in html and 'value="10:00"' in html and 'value="09:00"' in html
    assert 'name="positions-1-role"' in html  # the second row is still there
    assert db.session.scalar(select(func.count(Need.id))) == before

    # Once the times and title are right, the schema's rule on counts speaks for min_count.
    fixed = form_of(staff, **{"positions-0-count": "2", "positions-0-min_count": "5"})
    response = staff.post("/needs/new", data=fixed, headers=EN)
    assert response.status_code == 422
    assert 'data-error="positions-0-min_count"' in response.text
    assert "min_count (5) must not exceed count (2)" in response.text
    assert 'name="positions-0-min_count" value="5"' in response.text
    assert db.session.scalar(select(func.count(Need.id))) == before


def test_a_weekly_need_is_posted_once_even_if_its_first_shifts_cannot_be_generated(
    staff, scene, monkeypatch
):
    from services import shifts as shifts_service
    from services.errors import Conflict

    def busy(**_kwargs):
        raise Conflict("another process is generating these weeks")

    monkeypatch.setattr(shifts_service, "generate_shifts", busy)
    data = form_of(
        staff, title="Reading corner", schedule="weekly", date="2026-12-07", until="2026-12-20"
    )
    data["weekdays"] = ["TU"]
    response = staff.post("/needs/new", data=data, headers=EN)
    assert response.status_code == 302 and response.location.startswith("/needs/")
    page = staff.get(response.location, headers=EN).text
    assert "The need was posted." in page and "weekly planning has generated them" in page
    assert db.session.query(Need).filter_by(title="Reading corner").count() == 1


def test_weekly_without_weekdays_or_last_day_is_refused(staff, scene):
    data = form_of(staff, schedule="weekly", until="")
    response = staff.post("/needs/new", data=data, headers=ZH)
    assert response.status_code == 422
    assert 'data-error="weekdays"' in response.text and 'data-error="until"' in response.text


def test_the_add_row_buttons_work_without_scripts(staff, scene):
    data = form_of(staff, add="position")
    response = staff.post("/needs/new", data=data, headers=EN)
    assert response.status_code == 200
    assert 'name="positions-3-role"' in response.text
    assert 'value="Saturday tea with elders"' in response.text
    response = staff.post("/needs/new", data=form_of(staff, add="skill-1"), headers=EN)
    assert 'name="positions-1-skills-2-code"' in response.text
    assert (
        db.session.scalar(select(Need.id).where(Need.title == "Saturday tea with elders")) is None
    )


def test_our_needs_lists_only_our_organizations_needs_with_staffing(staff, scene):
    page = staff.get("/needs", headers=EN)
    assert page.status_code == 200
    assert "Riverside clean-up" in page.text and "Their concert" not in page.text
    # The upcoming shift: the offered seat counts, out of 4; the coordinators' unpublished
    # proposal (which staff do not see) and the declined seat do not.
    assert "Upcoming: 1 of 4 seats filled" in page.text
    staffing = staff.get(f"/needs/{scene['need_id']}", headers=EN).text
    assert "1 of 4 filled" in staffing and "2 of 4" not in staffing


def test_staff_of_another_organization_cannot_open_our_need(app, scene):
    other = app.test_client()
    sign_in(other, "other_staff")
    need_id = scene["need_id"]
    assert other.get(f"/needs/{need_id}").status_code == 404
    assert other.get(f"/needs/{need_id}/attendance").status_code == 404
    token = csrf_of(other.get("/needs", headers=EN).text)
    posted = other.post(
        f"/attendance/{scene['seats']['worker']}",
        data={"csrf_token": token, "outcome": "completed", "need_id": need_id},
    )
    assert posted.status_code == 404
    assert db.session.get(AttendanceRecord, scene["seats"]["worker"]) is None
    # A person's account is not organization staff at all.
    person = app.test_client()
    sign_in(person, "someone")
    assert person.get("/needs").status_code == 403
    assert person.get("/needs/new").status_code == 403


def test_staff_cannot_post_for_another_organization(staff, scene):
    other_org = OrganizationFactory(name="Not ours")
    db.session.commit()
    data = form_of(staff, organization_id=str(other_org.id))
    response = staff.post("/needs/new", data=data, headers=EN)
    assert response.status_code == 422
    assert "must be one of your organizations" in response.text


def test_the_staffing_page_shows_seats_as_staff_may_see_them(staff, scene):
    page = staff.get(f"/needs/{scene['need_id']}?all=1", headers=EN)
    assert page.status_code == 200
    html = page.text
    for name in ("Chen Jing", "Li Ming", "Wu Fang"):
        assert name in html
    assert "Offered, waiting for an answer" in html and "Confirmed" in html
    # Proposals stay with the coordinators and declines are not the organization's business;
    # phone numbers only with the person's consent.
    assert "Hidden Proposal" not in html and "Said No" not in html
    assert scene["phone"] not in html
    assert f'data-assignment="{scene["seats"]["offered"]}"' in html


def _record(client, scene, seat: str, outcome: str, minutes: str = "", headers=EN):
    token = csrf_of(client.get(f"/needs/{scene['need_id']}/attendance", headers=headers).text)
    return client.post(
        f"/attendance/{scene['seats'][seat]}",
        data={
            "csrf_token": token,
            "outcome": outcome,
            "minutes": minutes,
            "need_id": scene["need_id"],
        },
        headers=headers,
    )


def _service_entries(assignment_id: int) -> int:
    return db.session.scalar(
        select(func.count(HoursEntry.id)).where(
            HoursEntry.assignment_id == assignment_id, HoursEntry.kind == "service"
        )
    )


def test_recording_completed_credits_hours_once_and_a_different_outcome_is_409(staff, scene):
    seat = scene["seats"]["worker"]
    response = _record(staff, scene, "worker", "completed")
    assert response.status_code == 302
    assert response.location == f"/needs/{scene['need_id']}/attendance"
    page = staff.get(response.location, headers=EN)
    assert "Recorded as completed: 2.0 hours and 20 points credited." in page.text
    assert "2 hours, 20 points credited" in page.text
    hours = db.session.scalar(select(HoursEntry).where(HoursEntry.assignment_id == seat))
    assert hours.minutes == scene["ended_minutes"]  # the default: the shift's length
    assert ledger.balance(session=db.session, person_id=scene["worker_id"]) == 20

    assert _record(staff, scene, "worker", "completed").status_code == 302  # same again
    db.session.expire_all()
    assert _service_entries(seat) == 1
    assert ledger.balance(session=db.session, person_id=scene["worker_id"]) == 20

    conflict = _record(staff, scene, "worker", "no_show")
    assert conflict.status_code == 409
    assert "already recorded as Completed" in conflict.text
    assert f"assignment {seat}" not in conflict.text  # the service's English stays in the log
    db.session.expire_all()
    assert db.session.get(Assignment, seat).status == "completed"
    assert _service_entries(seat) == 1


def test_no_show_is_recorded_without_hours(staff, scene):
    seat = scene["seats"]["helper"]
    response = _record(staff, scene, "helper", "no_show", minutes="90")
    assert response.status_code == 302
    assert "Recorded: Did not come." in staff.get(response.location, headers=EN).text
    db.session.expire_all()
    record = db.session.get(AttendanceRecord, seat)
    assert (record.outcome, record.minutes) == ("no_show", None)
    assert db.session.get(Assignment, seat).status == "no_show"
    assert _service_entries(seat) == 0


def test_chosen_minutes_are_credited_and_bad_minutes_are_422(staff, scene):
    bad = _record(staff, scene, "helper", "completed", minutes="lots")
    assert bad.status_code == 422 and "Enter the minutes as a whole number." in bad.text
    assert 'value="lots"' in bad.text
    # Digits int() refuses ("²"), and more minutes than a day holds: messages, not a 500.
    assert _record(staff, scene, "helper", "completed", minutes="²").status_code == 422
    too_many = _record(staff, scene, "helper", "completed", minutes="99999")
    assert too_many.status_code == 422 and "Enter between 0 and 1440 minutes." in too_many.text
    assert _record(staff, scene, "helper", "completed", minutes="90").status_code == 302
    hours = db.session.scalar(
        select(HoursEntry).where(HoursEntry.assignment_id == scene["seats"]["helper"])
    )
    assert hours.minutes == 90


def test_the_page_after_recording_is_the_seats_own_need(staff, scene):
    token = csrf_of(staff.get(f"/needs/{scene['need_id']}/attendance", headers=EN).text)
    response = staff.post(
        f"/attendance/{scene['seats']['helper']}",
        data={"csrf_token": token, "outcome": "no_show", "need_id": scene["other_need_id"]},
    )
    assert response.status_code == 302
    assert response.location == f"/needs/{scene['need_id']}/attendance"


def test_pending_records_show_the_overdue_ones_and_can_be_recorded_there(staff, scene):
    page = staff.get("/attendance", headers=EN)
    assert page.status_code == 200
    html = page.text
    assert "Zhao Lei" in html and "Chen Jing" in html and "Overdue" in html
    assert "1 overdue" in html
    token = csrf_of(html)
    late = scene["seats"]["late"]
    response = staff.post(
        f"/attendance/{late}", data={"csrf_token": token, "outcome": "excused"}, headers=EN
    )
    assert response.status_code == 302 and response.location == "/attendance"
    after = staff.get("/attendance", headers=EN).text
    assert "Recorded: Excused." in after and "Zhao Lei" not in after
    assert db.session.get(AttendanceRecord, late).outcome == "excused"


def test_every_page_opens_in_chinese(staff, scene):
    # The wording is checked once the lead merges the translations (test_translations.py).
    for path in ("/needs", "/needs/new", f"/needs/{scene['need_id']}", "/attendance"):
        page = staff.get(path, headers=ZH)
        assert page.status_code == 200 and 'lang="zh-CN"' in page.text, path


def test_an_administrator_sees_every_organization(app, scene):
    add_web_user("boss", "admin")
    admin = app.test_client()
    sign_in(admin, "boss")
    page = admin.get("/needs", headers=EN).text
    assert "Riverside clean-up" in page and "Their concert" in page
    form = admin.get("/needs/new", headers=EN).text
    assert "Sunrise Social Work" in form and "Other Org" in form
    assert db.session.scalar(select(func.count(Position.id))) > 0
    assert db.session.scalar(select(func.count(Shift.id))) > 0


def test_a_seat_of_a_shift_not_ended_yet_is_not_recorded(staff, scene):
    token = csrf_of(staff.get("/attendance", headers=EN).text)
    seat = scene["seats"]["offered"]
    response = staff.post(
        f"/attendance/{seat}", data={"csrf_token": token, "outcome": "completed"}, headers=EN
    )
    assert response.status_code == 409
    assert "This seat cannot be recorded now." in response.text
    assert db.session.get(AttendanceRecord, seat) is None


def test_ids_no_database_holds_are_404_even_for_administrators(app, scene):
    add_web_user("boss", "admin")
    admin = app.test_client()
    sign_in(admin, "boss")
    huge = 2**40
    assert admin.get(f"/needs/{huge}").status_code == 404
    assert admin.get(f"/needs/{huge}/attendance").status_code == 404
    token = csrf_of(admin.get("/needs", headers=EN).text)
    posted = admin.post(f"/attendance/{huge}", data={"csrf_token": token, "outcome": "completed"})
    assert posted.status_code == 404


def test_staff_cancel_an_upcoming_shift_and_its_open_seats(app, staff, scene):
    from models import Assignment, Shift

    offered = db.session.get(Assignment, scene["seats"]["offered"])
    shift_id, need_id = offered.shift_id, scene["need_id"]
    url = f"/needs/{need_id}/shifts/{shift_id}/cancel"
    token = csrf_of(staff.get(f"/needs/{need_id}", headers=EN).text)
    unconfirmed = staff.post(url, data={"csrf_token": token}, headers=EN)
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
    db.session.expire_all()
    assert not db.session.get(Shift, shift_id).cancelled
    # Another organization's staff, or a shift of another need: not found, nothing changes.
    other = app.test_client()
    sign_in(other, "other_staff")
    other_token = csrf_of(other.get("/needs", headers=EN).text)
    assert other.post(url, data={"csrf_token": other_token, "confirm": "yes"}).status_code == 404
    elsewhere = f"/needs/{need_id}/shifts/{scene['ended_shift_id'] + 10_000}/cancel"
    assert staff.post(elsewhere, data={"csrf_token": token, "confirm": "yes"}).status_code == 404
    ended = f"/needs/{need_id}/shifts/{scene['ended_shift_id']}/cancel"
    too_late = staff.post(ended, data={"csrf_token": token, "confirm": "yes"}, headers=EN)
    assert too_late.status_code == 409 and "has not started yet" in too_late.text
    done = staff.post(url, data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Shift, shift_id).cancelled
    assert db.session.get(Assignment, scene["seats"]["offered"]).status == "cancelled"
    # Confirmed seats of the ended shift are records: untouched.
    assert db.session.get(Assignment, scene["seats"]["worker"]).status == "confirmed"
    page = staff.get(f"/needs/{need_id}", headers=EN).text
    assert f'action="{url}"' not in page  # no second cancel offered

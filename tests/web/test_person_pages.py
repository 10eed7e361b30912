"""A person's own pages through the Flask test client: profile and skills, availability,
settings (language, notifications, calendar feed), the export, and a seat's .ics."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from models import (
    AuditEvent,
    AvailabilityException,
    AvailabilityWindow,
    NotificationOptOut,
    Person,
    User,
    db,
)
from services import people
from tests.factories import AssignmentFactory, PersonFactory, PersonSkillFactory, SkillFactory
from tests.web.scene import add_web_user, build_scene
from tests.web.test_pages import EN, ZH, csrf_of, sign_in


@pytest.fixture
def scene(app):
    scene = build_scene()
    first_aid = SkillFactory(code="first_aid", name_en="First aid", name_zh="急救")
    SkillFactory(code="cooking", name_en="Cooking", name_zh="烹饪")
    SkillFactory(code="driving", name_en="Driving", name_zh="驾驶")
    PersonSkillFactory(person=db.session.get(Person, scene["person_id"]), skill=first_aid, level=2)
    db.session.commit()
    return scene


@pytest.fixture
def web(app):
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def volunteer(web, scene):
    sign_in(web, "volunteer")
    return web


def person(scene) -> Person:
    db.session.expire_all()
    return db.session.get(Person, scene["person_id"])


def held_levels(scene) -> dict[str, int]:
    return {s.skill.code: s.level for s in person(scene).skills}


def version_of(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def profile_form(html: str, **changes) -> dict:
    form = {
        "csrf_token": csrf_of(html),
        "version": version_of(html),
        "name": "Li Ming",
        "languages": ["cmn", "en"],
        "max_travel_km": "7.5",
        "weekly_hours": "6",
        "level-first_aid": "2",
    }
    form.update(changes)
    return form


def local_today(app):
    return datetime.now(ZoneInfo(app.config["LINKAGE_TIMEZONE"])).date()


def preview_of(html: str, day) -> str:
    match = re.search(rf'data-day="{day.isoformat()}"[^>]*>(.*?)</li>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


# --- profile and skills ------------------------------------------------------------------


def test_profile_edit_persists(volunteer, scene):
    page = volunteer.get("/profile")
    assert page.status_code == 200 and "My profile" in page.text and "First aid" in page.text
    response = volunteer.post("/profile", data=profile_form(page.text))
    assert response.status_code == 302 and response.location == "/profile"
    saved = person(scene)
    assert saved.name == "Li Ming" and saved.languages == ["cmn", "en"]
    assert saved.max_travel_km == 7.5 and saved.max_minutes_per_week == 360
    again = volunteer.get("/profile").text
    assert "Your profile was saved." in again and 'value="Li Ming"' in again
    assert 'value="7.5"' in again and 'name="weekly_hours" value="6"' in again


def test_blank_limits_mean_no_limit(volunteer, scene):
    page = volunteer.get("/profile").text
    volunteer.post("/profile", data=profile_form(page, max_travel_km="", weekly_hours=""))
    saved = person(scene)
    assert saved.max_travel_km is None and saved.max_minutes_per_week is None


def test_invalid_values_are_422_with_field_messages_and_kept(volunteer, scene):
    before = person(scene)
    name, travel = before.name, before.max_travel_km
    page = volunteer.get("/profile").text
    response = volunteer.post(
        "/profile",
        data=profile_form(
            page, name="", max_travel_km="-3", weekly_hours="lots", languages=["cmn", "xx"]
        ),
    )
    assert response.status_code == 422
    text = response.text
    assert "Please enter your name." in text
    assert "Enter kilometres between 0 and 1000" in text
    assert "Enter hours between 0 and 168" in text
    assert "Please choose languages from the list." in text
    # What was typed stays in the form.
    assert 'value="-3"' in text and 'value="lots"' in text
    after = person(scene)
    assert after.name == name and after.max_travel_km == travel


def test_a_stale_form_is_409_and_changes_nothing(volunteer, scene):
    page = volunteer.get("/profile").text
    # Someone else (a coordinator, another tab) saves the profile meanwhile.
    people.update_person(session=db.session, person_id=scene["person_id"], data={"name": "Wang"})
    response = volunteer.post(
        "/profile", data=profile_form(page, name="Mine", **{"level-first_aid": "4"})
    )
    assert response.status_code == 409
    assert "changed elsewhere" in response.text and 'value="Mine"' in response.text
    assert person(scene).name == "Wang" and held_levels(scene) == {"first_aid": 2}


def test_a_skill_change_makes_another_open_form_stale(volunteer, scene):
    page = volunteer.get("/profile").text
    other_tab = volunteer.get("/profile").text
    volunteer.post("/profile", data=profile_form(page, add_skill="cooking", add_level="3"))
    response = volunteer.post("/profile", data=profile_form(other_tab, name="Other tab"))
    assert response.status_code == 409
    assert held_levels(scene) == {"first_aid": 2, "cooking": 3}


def test_skills_are_added_changed_and_removed(volunteer, scene):
    page = volunteer.get("/profile").text
    response = volunteer.post(
        "/profile",
        data=profile_form(page, add_skill="cooking", add_level="3", **{"level-first_aid": "4"}),
    )
    assert response.status_code == 302
    assert held_levels(scene) == {"first_aid": 4, "cooking": 3}

    page = volunteer.get("/profile").text
    assert "Cooking" in page and 'data-skill="cooking"' in page
    volunteer.post(
        "/profile", data=profile_form(page, remove=["first_aid"], **{"level-cooking": "3"})
    )
    assert held_levels(scene) == {"cooking": 3}


def test_adding_an_unknown_or_held_skill_is_422(volunteer, scene):
    page = volunteer.get("/profile").text
    unknown = volunteer.post("/profile", data=profile_form(page, add_skill="juggling"))
    assert unknown.status_code == 422 and "Choose a skill from the list." in unknown.text
    held = volunteer.post("/profile", data=profile_form(page, add_skill="first_aid"))
    assert held.status_code == 422 and "You already have this skill" in held.text
    bad_level = volunteer.post("/profile", data=profile_form(page, **{"level-first_aid": "9"}))
    assert bad_level.status_code == 422 and "Choose a level from 1 to 5." in bad_level.text
    assert held_levels(scene) == {"first_aid": 2}


def test_skill_names_follow_the_page_language(web, scene):
    web.set_cookie("lang", "zh_CN")
    sign_in(web, "volunteer", headers=ZH)
    assert "急救" in web.get("/profile").text


def test_only_people_open_the_person_pages(web, scene):
    sign_in(web, "coordinator")
    for path in ("/profile", "/availability", "/settings"):
        assert web.get(path).status_code == 403
    web.get("/sign-in")
    anonymous = web.application.test_client()
    assert anonymous.get("/profile").location.startswith("/sign-in")


# --- availability ------------------------------------------------------------------------


def test_weekly_windows_and_exceptions_shape_the_preview(app, volunteer, scene):
    today = local_today(app)
    next_week = today + timedelta(days=7)
    page = volunteer.get("/availability").text
    token = csrf_of(page)
    assert preview_of(page, next_week).endswith("not available")

    added = volunteer.post(
        "/availability/windows",
        data={
            "csrf_token": token,
            "weekday": str(today.weekday()),
            "start_time": "09:00",
            "end_time": "12:00",
        },
    )
    assert added.status_code == 302
    windows = db.session.scalars(select(AvailabilityWindow)).all()
    assert [(w.weekday, w.start_time.hour, w.end_time.hour) for w in windows] == [
        (today.weekday(), 9, 12)
    ]
    page = volunteer.get("/availability").text
    assert "09:00–12:00" in preview_of(page, today)
    assert "09:00–12:00" in preview_of(page, next_week)

    # A day off next week removes that day's window, and only that one.
    off = volunteer.post(
        "/availability/exceptions",
        data={
            "csrf_token": token,
            "kind": "unavailable",
            "first": next_week.isoformat(),
            "last": "",
            "start_time": "",
            "end_time": "",
            "note": "family",
        },
    )
    assert off.status_code == 302
    # Extra time on a day without a window adds it.
    extra_day = today + timedelta(days=3)
    volunteer.post(
        "/availability/exceptions",
        data={
            "csrf_token": token,
            "kind": "available",
            "first": extra_day.isoformat(),
            "last": "",
            "start_time": "14:00",
            "end_time": "16:30",
            "note": "",
        },
    )
    page = volunteer.get("/availability").text
    assert "09:00–12:00" in preview_of(page, today)
    assert preview_of(page, next_week).endswith("not available")
    assert "14:00–16:30" in preview_of(page, extra_day)
    assert "family" in page
    stored = db.session.scalars(select(AvailabilityException).order_by("id")).all()
    zone = ZoneInfo(app.config["LINKAGE_TIMEZONE"])
    assert stored[0].starts_at.astimezone(zone).date() == next_week
    assert stored[0].ends_at - stored[0].starts_at == timedelta(days=1)

    # Removing the day off brings the window back.
    volunteer.post(f"/availability/exceptions/{stored[0].id}/delete", data={"csrf_token": token})
    page = volunteer.get("/availability").text
    assert "09:00–12:00" in preview_of(page, next_week)
    volunteer.post(f"/availability/windows/{windows[0].id}/delete", data={"csrf_token": token})
    assert db.session.scalars(select(AvailabilityWindow)).all() == []


def test_an_overnight_window_shows_on_both_days(app, volunteer, scene):
    today = local_today(app)
    token = csrf_of(volunteer.get("/availability").text)
    volunteer.post(
        "/availability/windows",
        data={
            "csrf_token": token,
            "weekday": str(today.weekday()),
            "start_time": "22:00",
            "end_time": "02:00",
        },
    )
    page = volunteer.get("/availability").text
    assert "22:00–24:00" in preview_of(page, today)
    assert "00:00–02:00" in preview_of(page, today + timedelta(days=1))
    assert "(until the next day)" in page


def test_bad_availability_input_is_422_and_kept(volunteer, scene):
    token = csrf_of(volunteer.get("/availability").text)
    window = volunteer.post(
        "/availability/windows",
        data={"csrf_token": token, "weekday": "9", "start_time": "25:00", "end_time": "10:00"},
    )
    assert window.status_code == 422
    assert (
        "Choose a day of the week." in window.text and "Enter a time such as 09:30." in window.text
    )
    assert 'value="25:00"' in window.text
    exception = volunteer.post(
        "/availability/exceptions",
        data={
            "csrf_token": token,
            "kind": "unavailable",
            "first": "2026-12-10",
            "last": "2026-12-01",
            "start_time": "",
            "end_time": "",
            "note": "trip",
        },
    )
    assert exception.status_code == 422
    assert "The last day cannot be before the first." in exception.text
    assert 'value="2026-12-01"' in exception.text and 'value="trip"' in exception.text
    half = volunteer.post(
        "/availability/exceptions",
        data={
            "csrf_token": token,
            "kind": "available",
            "first": "2026-12-10",
            "last": "",
            "start_time": "10:00",
            "end_time": "",
            "note": "",
        },
    )
    assert half.status_code == 422 and "Give both times" in half.text
    assert db.session.scalars(select(AvailabilityWindow)).all() == []
    assert db.session.scalars(select(AvailabilityException)).all() == []


def test_someone_elses_rules_cannot_be_removed(volunteer, scene):
    other = PersonFactory()
    db.session.flush()
    window = AvailabilityWindow(
        person_id=other.id,
        weekday=0,
        start_time=datetime(2026, 1, 1, 9).time(),
        end_time=datetime(2026, 1, 1, 10).time(),
    )
    db.session.add(window)
    db.session.commit()
    token = csrf_of(volunteer.get("/availability").text)
    response = volunteer.post(
        f"/availability/windows/{window.id}/delete", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert db.session.get(AvailabilityWindow, window.id) is not None


# --- settings ----------------------------------------------------------------------------


def test_language_is_saved_on_the_account_and_wins_over_the_browser(web, scene):
    sign_in(web, "volunteer")
    token = csrf_of(web.get("/settings").text)
    web.delete_cookie("lang")
    response = web.post("/settings/language", data={"csrf_token": token, "locale": "en"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "volunteer"))
    assert user.locale == "en"
    # A fresh browser (no cookie) that prefers Chinese still gets English once signed in.
    fresh = web.application.test_client()
    sign_in(fresh, "volunteer", headers=ZH)
    page = fresh.get("/my-shifts", headers=ZH).text
    assert "<h1>My shifts</h1>" in page and "我的班次" not in page


def test_the_header_switch_saves_a_signed_in_users_language(web, scene):
    sign_in(web, "volunteer")
    # A link from elsewhere (GET) switches this browser only, never the account.
    web.get("/language/zh_CN?next=/settings")
    user = db.session.scalar(select(User).where(User.username == "volunteer"))
    assert user.locale is None
    token = csrf_of(web.get("/settings").text)
    response = web.post("/language/zh_CN", data={"csrf_token": token, "next": "/settings"})
    assert response.status_code == 302 and response.location == "/settings"
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "volunteer"))
    assert user.locale == "zh_CN"
    assert web.post("/language/en", data={"next": "/settings"}).status_code == 400  # no CSRF
    web.delete_cookie("lang")
    assert "<h1>我的班次</h1>" in web.get("/my-shifts", headers=EN).text
    # Following the browser again forgets the setting.
    token = csrf_of(web.get("/settings").text)
    web.post("/settings/language", data={"csrf_token": token, "locale": ""})
    db.session.expire_all()
    assert db.session.get(User, user.id).locale is None
    unknown = web.post("/settings/language", data={"csrf_token": token, "locale": "fr"})
    assert unknown.status_code == 422


def test_notification_opt_outs_are_saved(volunteer, scene):
    page = volunteer.get("/settings").text
    assert page.count('name="wanted"') == 8 and page.count("checked") >= 8
    wanted = [
        "email:reminder",
        "email:cancellation",
        "email:star",
        "webhook:offer",
        "webhook:reminder",
        "webhook:cancellation",
    ]
    volunteer.post("/settings/notifications", data={"csrf_token": csrf_of(page), "wanted": wanted})
    opted_out = db.session.execute(
        select(NotificationOptOut.channel, NotificationOptOut.event).where(
            NotificationOptOut.person_id == scene["person_id"]
        )
    ).all()
    assert sorted(opted_out) == [("email", "offer"), ("webhook", "star")]
    page = volunteer.get("/settings").text
    assert 'value="email:offer" aria-label' in page
    assert re.search(r'value="email:offer"[^>]*checked', page) is None
    assert re.search(r'value="email:star"[^>]*checked', page)


def test_the_notification_address_is_saved_checked_and_removed(volunteer, scene):
    from services import notifications

    page = volunteer.get("/settings").text
    token = csrf_of(page)
    kept = ["email:offer", "webhook:offer"]
    bad = volunteer.post(
        "/settings/notifications",
        data={"csrf_token": token, "wanted": kept, "email": "not an address"},
    )
    assert bad.status_code == 422 and 'data-error="email"' in bad.text
    assert 'value="not an address"' in bad.text  # what was typed stays
    contact = notifications.contact(session=db.session, person_id=scene["person_id"])
    assert contact["email"] is None
    ok = volunteer.post(
        "/settings/notifications",
        data={"csrf_token": token, "wanted": kept, "email": " lin@example.org "},
    )
    assert ok.status_code == 302
    contact = notifications.contact(session=db.session, person_id=scene["person_id"])
    assert contact["email"] == "lin@example.org"
    assert 'value="lin@example.org"' in volunteer.get("/settings").text
    volunteer.post("/settings/notifications", data={"csrf_token": token, "wanted": kept})
    db.session.expire_all()
    assert notifications.contact(session=db.session, person_id=scene["person_id"])["email"] is None


def test_the_calendar_feed_is_created_shown_once_and_revoked(volunteer, scene):
    page = volunteer.get("/settings").text
    assert "You have no calendar address." in page
    volunteer.post(
        "/settings/calendar-feed", data={"csrf_token": csrf_of(page), "action": "create"}
    )
    page = volunteer.get("/settings").text
    url = re.search(r'value="(http[^"]+\.ics)" data-feed-url', page).group(1)
    path = url.split("localhost", 1)[1]
    feed = volunteer.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert Calendar.from_ical(feed.data).walk("VEVENT")[0]["SUMMARY"] == scene["need"]
    again = volunteer.get("/settings").text
    assert url not in again and "Your calendar address is on." in again
    volunteer.post(
        "/settings/calendar-feed", data={"csrf_token": csrf_of(again), "action": "revoke"}
    )
    assert volunteer.get(path).status_code == 404
    assert "You have no calendar address." in volunteer.get("/settings").text


def test_export_downloads_my_data_as_json_and_is_audited(volunteer, scene):
    token = csrf_of(volunteer.get("/settings").text)
    response = volunteer.post("/settings/export", data={"csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.data)
    assert data["profile"]["id"] == scene["person_id"]
    assert data["account"]["username"] == "volunteer"
    assert [s["code"] for s in data["skills"]] == ["first_aid"]
    assert [a["id"] for a in data["assignments"]] == [scene["offer_id"]]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.export"))
    assert [e.subject_id for e in events] == [str(scene["person_id"])]
    # The export is a POST with the form token: a link elsewhere cannot trigger it.
    assert volunteer.post("/settings/export").status_code == 400


# --- a seat's .ics -----------------------------------------------------------------------


def test_each_offered_seat_has_an_ics_download(volunteer, scene):
    page = volunteer.get("/my-shifts").text
    link = f"/my-shifts/{scene['offer_id']}.ics"
    assert f'href="{link}"' in page
    response = volunteer.get(link)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert len(events) == 1
    assert events[0]["SUMMARY"] == scene["need"] and events[0]["STATUS"] == "TENTATIVE"
    assert events[0]["UID"] == f"assignment-{scene['offer_id']}@linkage"


def test_a_declined_seat_has_no_ics(volunteer, scene):
    declined = AssignmentFactory(person=person(scene), status="declined")
    db.session.commit()
    assert f"/my-shifts/{declined.id}.ics" not in volunteer.get("/my-shifts").text
    assert volunteer.get(f"/my-shifts/{declined.id}.ics").status_code == 404


def test_a_person_cannot_open_another_persons_ics(web, scene):
    other = PersonFactory()
    db.session.commit()
    add_web_user("other", "person", person_id=other.id)
    sign_in(web, "other")
    response = web.get(f"/my-shifts/{scene['offer_id']}.ics")
    assert response.status_code == 404 and "BEGIN:VCALENDAR" not in response.text
    assert web.get("/my-shifts/999999.ics").status_code == 404


# --- review fixes: edge input, whole saves, translated service errors ---------------------


def exception_form(token: str, **changes) -> dict:
    form = {
        "csrf_token": token,
        "kind": "unavailable",
        "first": "2026-12-10",
        "last": "",
        "start_time": "",
        "end_time": "",
        "note": "",
    }
    form.update(changes)
    return form


def test_exception_dates_outside_2000_to_2100_are_422_not_500(volunteer, scene):
    token = csrf_of(volunteer.get("/availability").text)
    cases = [
        {"first": "0001-01-01"},  # overflowed the conversion to UTC
        {"first": "9999-12-31"},  # overflowed last + one day
        {"first": "1999-12-31", "last": "2000-01-02"},
        {"first": "2100-12-30", "last": "2101-01-01"},
    ]
    for case in cases:
        response = volunteer.post("/availability/exceptions", data=exception_form(token, **case))
        assert response.status_code == 422, case
        assert "Enter a date between 2000 and 2100." in response.text
        assert f'value="{case["first"]}"' in response.text  # what was typed stays
    ok = volunteer.post("/availability/exceptions", data=exception_form(token, first="2100-12-31"))
    assert ok.status_code == 302
    stored = db.session.scalars(select(AvailabilityException)).all()
    assert len(stored) == 1 and stored[0].ends_at - stored[0].starts_at == timedelta(days=1)


def test_times_are_hours_and_minutes_only(volunteer, scene):
    token = csrf_of(volunteer.get("/availability").text)
    for start, end in [
        ("09:00+05:00", "09:00"),  # aware != naive slipped past "end differs from start"
        ("09:00", "09:00Z"),
        ("09:00:30", "10:00"),
        ("09:00", "10:00:00.5"),
        ("０９:００", "10:00"),  # full-width digits
    ]:
        response = volunteer.post(
            "/availability/windows",
            data={"csrf_token": token, "weekday": "0", "start_time": start, "end_time": end},
        )
        assert response.status_code == 422, (start, end)
        assert "Enter a time such as 09:30." in response.text
    exception = volunteer.post(
        "/availability/exceptions",
        data=exception_form(token, start_time="09:00+05:00", end_time="10:00"),
    )
    assert exception.status_code == 422
    assert "Enter a time such as 09:30, or leave empty for the whole day." in exception.text
    assert db.session.scalars(select(AvailabilityWindow)).all() == []
    assert db.session.scalars(select(AvailabilityException)).all() == []
    # The form's own format still works, and a single-digit hour typed by hand too.
    ok = volunteer.post(
        "/availability/windows",
        data={"csrf_token": token, "weekday": "0", "start_time": "9:15", "end_time": "10:45"},
    )
    assert ok.status_code == 302
    window = db.session.scalars(select(AvailabilityWindow)).one()
    assert (window.start_time.isoformat(), window.end_time.isoformat()) == ("09:15:00", "10:45:00")


def test_nul_characters_in_free_text_are_422_with_a_field_message(volunteer, scene):
    name = person(scene).name
    page = volunteer.get("/profile").text
    response = volunteer.post("/profile", data=profile_form(page, name="Li\x00Ming"))
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert 'id="name-error"' in response.text
    assert "Remove the invisible control characters." in response.text
    assert person(scene).name == name

    token = csrf_of(volunteer.get("/availability").text)
    note = volunteer.post("/availability/exceptions", data=exception_form(token, note="a\x00b"))
    assert note.status_code == 422 and note.mimetype == "text/html"
    assert 'id="note-error"' in note.text
    assert "Remove the invisible control characters." in note.text
    assert db.session.scalars(select(AvailabilityException)).all() == []

    email = volunteer.post(
        "/settings/notifications",
        data={"csrf_token": token, "wanted": [], "email": "lin\x00@example.org"},
    )
    assert email.status_code == 422 and 'data-error="email"' in email.text
    assert db.session.scalars(select(NotificationOptOut)).all() == []


def test_a_skill_add_that_conflicts_leaves_the_whole_profile_unchanged(
    volunteer, scene, monkeypatch
):
    from services import skills

    real_add = skills.add_person_skill

    def add_from_a_second_tab(*, session, person_id, data, commit=True):
        # Another tab added the skill between this form's check and its save: the service
        # refuses it as already held.
        real_add(session=session, person_id=person_id, data=data, commit=False)
        return real_add(session=session, person_id=person_id, data=data, commit=commit)

    monkeypatch.setattr(skills, "add_person_skill", add_from_a_second_tab)
    before = person(scene)
    name, version = before.name, before.version
    page = volunteer.get("/profile").text
    response = volunteer.post(
        "/profile",
        data=profile_form(
            page, name="Half Saved", add_skill="cooking", add_level="3", **{"level-first_aid": "5"}
        ),
    )
    assert response.status_code == 409 and "changed elsewhere" in response.text
    after = person(scene)
    assert after.name == name and after.version == version
    assert held_levels(scene) == {"first_aid": 2}


def test_notification_choices_and_address_are_saved_together_or_not_at_all(
    volunteer, scene, monkeypatch
):
    from services import notifications
    from services.errors import Invalid

    def failing_set_contact(**kwargs):
        raise Invalid("contact refused", errors={"email": ["refused"]})

    monkeypatch.setattr(notifications, "set_contact", failing_set_contact)
    token = csrf_of(volunteer.get("/settings").text)
    response = volunteer.post(
        "/settings/notifications",
        data={"csrf_token": token, "wanted": ["email:offer"], "email": "lin@example.org"},
    )
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "Your notification choices could not be saved. Please try again." in response.text
    assert "contact refused" not in response.text and "refused" not in response.text
    assert db.session.scalars(select(NotificationOptOut)).all() == []


def test_service_errors_are_shown_as_page_sentences_not_raw_text(volunteer, scene, monkeypatch):
    from services import person_availability, self_service
    from services.errors import Invalid, NotFound

    def refuse_exception(**kwargs):
        raise Invalid("exception ends before it starts", errors={"ends_at": ["must be after"]})

    def refuse_window(**kwargs):
        raise Invalid("window validity ends before it starts", errors={"valid_until": ["x"]})

    monkeypatch.setattr(person_availability, "create_exception", refuse_exception)
    monkeypatch.setattr(person_availability, "create_window", refuse_window)
    token = csrf_of(volunteer.get("/availability").text)
    exception = volunteer.post("/availability/exceptions", data=exception_form(token))
    assert exception.status_code == 422
    assert "The end must be after the start." in exception.text
    assert "ends before it starts" not in exception.text
    window = volunteer.post(
        "/availability/windows",
        data={"csrf_token": token, "weekday": "0", "start_time": "09:00", "end_time": "10:00"},
    )
    assert window.status_code == 422
    assert "This could not be saved. Please check the entry and try again." in window.text
    assert "validity" not in window.text

    page = volunteer.get("/profile").text
    raised = [
        Invalid("unknown skill", errors={"code": ["no skill with code 'cooking'"]}),
        Invalid("incomplete location", errors={"lat": ["give lat and lon together"]}),
        NotFound("person 1 has no skill 'first_aid'"),
    ]

    def refuse_profile(**kwargs):
        raise raised.pop(0)

    monkeypatch.setattr(self_service, "save_profile", refuse_profile)
    unknown = volunteer.post("/profile", data=profile_form(page, add_skill="cooking"))
    assert unknown.status_code == 422 and "Choose a skill from the list." in unknown.text
    assert "no skill with code" not in unknown.text
    other = volunteer.post("/profile", data=profile_form(page))
    assert other.status_code == 422
    assert "Your profile could not be saved. Please try again." in other.text
    assert "lat and lon" not in other.text
    gone = volunteer.post("/profile", data=profile_form(page))
    assert gone.status_code == 409 and "changed elsewhere" in gone.text
    assert "has no skill" not in gone.text


def test_a_date_overflow_is_422_even_without_the_year_bounds(volunteer, scene, monkeypatch):
    from api.web import views_availability

    # Defence in depth: were the bounds ever widened, the overflow is still a field message.
    monkeypatch.setattr(views_availability, "FIRST_YEAR", 1)
    monkeypatch.setattr(views_availability, "LAST_YEAR", 9999)
    token = csrf_of(volunteer.get("/availability").text)
    for first in ("0001-01-01", "9999-12-31"):
        response = volunteer.post(
            "/availability/exceptions", data=exception_form(token, first=first)
        )
        assert response.status_code == 422, first
        assert "Enter a date between 2000 and 2100." in response.text
    assert db.session.scalars(select(AvailabilityException)).all() == []

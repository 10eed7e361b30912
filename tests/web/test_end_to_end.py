"""The whole week in Debian's chromium, through the pages only, in both languages.

An organization posts a need; a volunteer sets her availability; a coordinator starts the
matching run (solved by the scheduler's own code), reviews and publishes it; the volunteer
accepts the offer; after the shift the organization records the hours; the volunteer sees her
hours and points. Each step's page is photographed under test-artifacts/screenshots/e2e-*.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from api.config import run_settings
from models import Assignment, HoursEntry, MatchingRun, Need, PointsEntry, db
from services import runs
from services.auth import ScopeSpec
from services.scheduling import iso_week
from tests.factories import CommunityFactory, OrganizationFactory, PersonFactory
from tests.web.browser import LANGUAGES, PHONE, needs_chromium, shoot, sign_in
from tests.web.scene import add_web_user

pytestmark = needs_chromium

TITLE = "Tuesday tutoring at the library"


def _people() -> dict:
    """A community with an organization, its staff member, its coordinator and a volunteer
    with no availability yet (so that only what she sets on her page can place her)."""
    community = CommunityFactory(name="Dongshan")
    organization = OrganizationFactory(name="Sunrise Social Work")
    organization.communities = [community]
    volunteer = PersonFactory(name="Lin Xiao", community_id=community.id)
    db.session.commit()
    add_web_user("staff", "org_staff", scopes=[ScopeSpec(organization_id=organization.id)])
    add_web_user("coordinator", "coordinator", scopes=[ScopeSpec(community_id=community.id)])
    add_web_user("volunteer", "person", person_id=volunteer.id)
    return {"community_id": community.id, "person_id": volunteer.id}


def snap(page, name: str) -> None:
    """Photograph the page, and fail if anything on it is wider than the phone."""
    shoot(page, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name


def _next_tuesday(today: date) -> date:
    """The Tuesday of next ISO week (a week the coordinator can still plan)."""
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    return monday + timedelta(days=1)


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_a_week_from_posting_to_points(app, server, browser, monkeypatch, locale):  # noqa: F811
    from playwright.sync_api import expect

    scene = _people()
    tz = ZoneInfo(app.config["LINKAGE_TIMEZONE"])
    tuesday = _next_tuesday(datetime.now(tz).date())
    week = iso_week(tuesday)
    # The server thread writes: this thread must not hold SQLite's lock with an open read.
    db.session.remove()

    def actor(username: str):
        context = browser.new_context(viewport=PHONE, locale=LANGUAGES[locale])
        page = context.new_page()
        sign_in(page, server, username)
        return context, page

    # 1. The organization posts a one-off need: two hours of tutoring next Tuesday.
    context, page = actor("staff")
    try:
        page.goto(server + "/needs/new")
        form = page.locator("form.need-form")
        # The organization serves one community: the need is placed there unasked.
        expect(form.locator("select[name=community_id]")).to_have_value(str(scene["community_id"]))
        form.locator("input[name=title]").fill(TITLE)
        form.locator("select[name=kind]").select_option("tutoring")
        form.locator("input[name=date]").fill(tuesday.isoformat())
        form.locator("input[name=start]").fill("10:00")
        form.locator("input[name=end]").fill("12:00")
        form.locator("select[name='positions-0-role']").select_option("volunteer")
        form.locator("input[name='positions-0-count']").fill("1")
        snap(page, f"e2e-{locale}-1-staff-posts-need")
        form.locator("button.post").click()
        expect(page.locator("h1")).to_have_text(TITLE)
        snap(page, f"e2e-{locale}-1-staff-need-posted")
    finally:
        context.close()
    need_id = db.session.scalar(select(Need.id).where(Need.title == TITLE))
    db.session.remove()
    assert need_id is not None

    # 2. The volunteer says she is free on Tuesdays from 9 to 13.
    context, page = actor("volunteer")
    try:
        page.goto(server + "/availability")
        form = page.locator("#add-window")
        form.locator("select[name=weekday]").select_option("1")  # Tuesday
        form.locator("input[name=start_time]").fill("09:00")
        form.locator("input[name=end_time]").fill("13:00")
        form.locator("button[type=submit]").click()
        expect(page.locator(f"li[data-day='{tuesday.isoformat()}']")).to_contain_text("09:00–13:00")
        snap(page, f"e2e-{locale}-2-volunteer-availability")
    finally:
        context.close()

    # 3. The coordinator starts the week's run, watches it solve, reviews and publishes.
    context, page = actor("coordinator")
    try:
        page.goto(server + "/runs")
        page.locator("select[name=scope]").select_option(f"community:{scene['community_id']}")
        page.locator("input[name=week]").fill(week)
        page.locator("input[name=time_limit]").fill("5")
        snap(page, f"e2e-{locale}-3-coordinator-starts-run")
        page.locator("form.run-form button[type=submit]").click()
        expect(page.locator("#progress")).to_be_visible()
        run_id = int(page.url.rsplit("/", 1)[1])
        # The scheduler process's loop: take the oldest queued run and solve it.
        solved = runs.run_next(
            session=db.session, settings=run_settings(app.config), record_progress=True
        )
        assert solved is not None and solved.id == run_id and solved.status == "solved"
        db.session.remove()
        expect(page.locator("#changes .added")).to_have_count(1, timeout=15_000)
        expect(page.locator("#changes")).to_contain_text("Lin Xiao")
        snap(page, f"e2e-{locale}-3-coordinator-reviews-run")
        page.locator("#publish input[name=confirm]").check()
        page.locator("#publish form").first.locator("button[type=submit]").click()
        expect(page.locator("#publish")).to_have_count(0)
        snap(page, f"e2e-{locale}-3-coordinator-published")
    finally:
        context.close()
    assert db.session.get(MatchingRun, run_id).status == "published"
    seat = db.session.scalar(select(Assignment).where(Assignment.person_id == scene["person_id"]))
    assert seat.status == "offered" and seat.shift.need_id == need_id
    seat_id = seat.id
    db.session.remove()

    # 4. The volunteer accepts the offer.
    context, page = actor("volunteer")
    try:
        page.goto(server + "/my-shifts")
        card = page.locator(f"li[data-assignment='{seat_id}']")
        expect(card).to_contain_text(TITLE)
        snap(page, f"e2e-{locale}-4-volunteer-offer")
        card.locator("button[value=accept]").click()
        expect(card).to_have_class("card status-confirmed")
        snap(page, f"e2e-{locale}-4-volunteer-accepted")
    finally:
        context.close()
    assert db.session.get(Assignment, seat_id).status == "confirmed"
    db.session.remove()

    # 5. The shift has taken place: the clock moves past its end, staff record the hours.
    after = datetime.combine(tuesday, time(12, 30), tz).astimezone(ZoneInfo("UTC"))
    import api.web.views_attendance as attendance_pages
    import services.attendance as attendance_service

    monkeypatch.setattr(attendance_pages, "utcnow", lambda: after)
    monkeypatch.setattr(attendance_service, "utcnow", lambda: after)
    context, page = actor("staff")
    try:
        page.goto(f"{server}/needs/{need_id}/attendance")
        row = page.locator(f"li[data-assignment='{seat_id}']")
        expect(row).to_contain_text("Lin Xiao")
        snap(page, f"e2e-{locale}-5-staff-attendance")
        row.locator("input[value=completed]").check()
        row.locator("button[type=submit]").click()
        expect(row.locator(".recorded")).to_contain_text("20")  # 2 h x 10 points
        snap(page, f"e2e-{locale}-5-staff-recorded")
    finally:
        context.close()
    hours = db.session.scalars(
        select(HoursEntry).where(HoursEntry.person_id == scene["person_id"])
    ).all()
    points = db.session.scalars(
        select(PointsEntry).where(PointsEntry.person_id == scene["person_id"])
    ).all()
    assert [h.minutes for h in hours] == [120] and sum(p.points for p in points) == 20
    db.session.remove()

    # 6. The volunteer sees her hours and points.
    context, page = actor("volunteer")
    try:
        page.goto(server + "/my-shifts")
        stats = page.locator("section.stats .value")
        expect(stats.nth(0)).to_have_text("2")
        expect(stats.nth(1)).to_have_text("20")
        expect(page.locator(f"li[data-assignment='{seat_id}']")).to_have_class(
            "card status-completed"
        )
        snap(page, f"e2e-{locale}-6-volunteer-points")
    finally:
        context.close()

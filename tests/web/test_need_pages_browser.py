"""Organization staff pages in Debian's chromium at phone size, in both languages.

Staff post a need through the form (a refused first try, rows added by the script), open its
staffing page, record attendance (and see the conflict of a second, different record), and the
records still to make. Every page is photographed under test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AttendanceRecord, Need, db
from tests.web.browser import LANGUAGES, PHONE, needs_chromium, shoot, sign_in
from tests.web.test_need_pages import build_org_scene

pytestmark = needs_chromium


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_staff_post_a_need_see_its_staffing_and_record_attendance(app, server, browser, locale):
    from playwright.sync_api import expect

    scene = build_org_scene()
    need_id = scene["need_id"]
    # The server thread writes: this thread must not hold SQLite's lock with an open read.
    db.session.remove()
    context = browser.new_context(viewport=PHONE, locale=LANGUAGES[locale])
    try:
        page = context.new_page()
        sign_in(page, server, "staff")
        page.goto(server + "/needs")
        card = page.locator(f"[data-need='{need_id}']")
        expect(card).to_contain_text("Riverside clean-up")
        expect(card.locator(".summary")).to_contain_text("1")  # the offered seat
        expect(page.get_by_text("Their concert")).to_have_count(0)
        shoot(page, f"{locale}-org-needs")

        # A first try without a title and with the end before the start is refused.
        page.goto(server + "/needs/new")
        form = page.locator("form.need-form")
        form.locator("select[name=kind]").select_option("river_cleanup")
        form.locator("input[name=date]").fill("2026-12-12")
        form.locator("input[name=start]").fill("10:00")
        form.locator("input[name=end]").fill("09:00")
        form.locator("select[name='positions-0-role']").select_option("volunteer")
        form.locator("input[name='positions-0-count']").fill("6")
        form.locator("input[name='positions-0-min_count']").fill("3")
        form.locator("button.post").click()
        expect(page.locator("[data-error=title]")).to_be_visible()
        expect(page.locator("[data-error=end]")).to_be_visible()
        expect(form.locator("input[name='positions-0-count']")).to_have_value("6")
        shoot(page, f"{locale}-org-need-form-error")

        # Corrected, with a second position and a skill added by the page's script.
        form.locator("input[name=title]").fill("Pearl river bank clean-up")
        form.locator("input[name=end]").fill("12:00")
        form.locator("button.add-position").click()
        expect(form.locator(".position-row")).to_have_count(2)
        form.locator("select[name='positions-1-role']").select_option("social_worker")
        form.locator("select[name='positions-1-skills-0-code']").select_option("first_aid")
        form.locator("select[name='positions-1-skills-0-level']").select_option("2")
        form.locator(".position-row").nth(1).locator("button.add-skill").click()
        form.locator("select[name='positions-1-skills-1-code']").select_option("cantonese")
        shoot(page, f"{locale}-org-need-form-filled")
        form.locator("button.post").click()

        expect(page.locator(".flash")).to_be_visible()
        expect(page.locator("h1")).to_have_text("Pearl river bank clean-up")
        expect(page.locator(".position")).to_have_count(2)
        shoot(page, f"{locale}-org-need-posted")

        page.goto(f"{server}/needs/{need_id}?all=1")
        expect(page.locator(f"[data-assignment='{scene['seats']['offered']}']")).to_contain_text(
            "Wu Fang"
        )
        expect(page.get_by_text("Hidden Proposal")).to_have_count(0)
        shoot(page, f"{locale}-org-need-staffing")

        page.goto(f"{server}/needs/{need_id}/attendance")
        seat = page.locator(f"li[data-assignment='{scene['seats']['worker']}']")
        shoot(page, f"{locale}-org-attendance")
        seat.locator("input[value=completed]").check()
        seat.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_contain_text("20")
        expect(seat.locator(".recorded")).to_contain_text("20")
        # A different second record is refused with the service's message.
        seat.locator("details.again summary").click()
        seat.locator("input[value=no_show]").check()
        seat.locator("details.again button[type=submit]").click()
        refused = seat.locator(".field-error[data-error=outcome]")
        expect(refused).to_contain_text("Completed" if locale == "en" else "已完成")
        shoot(page, f"{locale}-org-attendance-conflict")

        page.goto(server + "/attendance")
        expect(page.locator(".tag.overdue")).to_have_count(1)
        shoot(page, f"{locale}-org-attendance-pending")
    finally:
        context.close()

    posted = db.session.scalar(select(Need).where(Need.title == "Pearl river bank clean-up"))
    (shift,) = posted.shifts
    roles = sorted(p.role for p in shift.positions)
    assert roles == ["social_worker", "volunteer"]
    skills = {
        r.skill.code: r.min_level
        for p in shift.positions
        if p.role == "social_worker"
        for r in p.requirements
    }
    assert skills == {"first_aid": 2, "cantonese": 1}
    assert db.session.get(AttendanceRecord, scene["seats"]["worker"]).outcome == "completed"

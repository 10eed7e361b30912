"""A person's own pages in Debian chromium at phone size, in both languages: screenshots of the
profile, the availability editor, the settings and my shifts; adding a weekly window."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models import Person, db
from tests.factories import PersonSkillFactory, SkillFactory
from tests.web.browser import LANGUAGES, PHONE, needs_chromium, shoot, sign_in
from tests.web.scene import build_scene

pytestmark = needs_chromium


def _scene() -> dict:
    scene = build_scene()
    first_aid = SkillFactory(code="first_aid", name_en="First aid", name_zh="急救")
    SkillFactory(code="cooking", name_en="Cooking", name_zh="烹饪")
    PersonSkillFactory(person=db.session.get(Person, scene["person_id"]), skill=first_aid, level=3)
    db.session.commit()
    # The server thread writes: this thread must not hold SQLite's lock with an open read.
    db.session.remove()
    return scene


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_the_person_pages_at_phone_size(app, server, browser, locale):  # noqa: F811
    from playwright.sync_api import expect

    scene = _scene()
    english = locale == "en"
    context = browser.new_context(viewport=PHONE, locale=LANGUAGES[locale])
    try:
        page = context.new_page()
        sign_in(page, server, "volunteer")
        expect(page).to_have_url(server + "/my-shifts")

        card = page.locator(f"[data-assignment='{scene['offer_id']}']")
        ics = card.locator("a.ics")
        expect(ics).to_have_attribute("href", f"/my-shifts/{scene['offer_id']}.ics")
        shoot(page, f"{locale}-person-my-shifts-ics")
        download = page.request.get(server + f"/my-shifts/{scene['offer_id']}.ics")
        assert download.ok and b"BEGIN:VEVENT" in download.body()

        page.goto(server + "/profile")
        expect(page.locator("[data-skill='first_aid']")).to_contain_text(
            "First aid" if english else "急救"
        )
        expect(page.locator("html")).to_have_attribute("lang", "en" if english else "zh-CN")
        shoot(page, f"{locale}-person-profile")
        # Nothing may be wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.goto(server + "/availability")
        expect(page.locator("ol.preview li")).to_have_count(14)
        shoot(page, f"{locale}-person-availability")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.goto(server + "/settings")
        expect(page.locator("input[name=wanted]")).to_have_count(8)
        shoot(page, f"{locale}-person-settings")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_a_person_adds_a_weekly_window_and_sees_it_in_the_preview(app, server, browser):  # noqa: F811
    from playwright.sync_api import expect

    _scene()
    today = datetime.now(ZoneInfo(app.config["LINKAGE_TIMEZONE"])).date()
    next_week = (today + timedelta(days=7)).isoformat()
    context = browser.new_context(viewport=PHONE, locale="en-US")
    try:
        page = context.new_page()
        sign_in(page, server, "volunteer")
        page.goto(server + "/availability")
        day = page.locator(f"li[data-day='{next_week}']")
        expect(day).to_contain_text("not available")

        form = page.locator("#add-window")
        form.locator("select[name=weekday]").select_option(str(today.weekday()))
        form.locator("input[name=start_time]").fill("18:30")
        form.locator("input[name=end_time]").fill("21:00")
        form.locator("button[type=submit]").click()

        expect(page.locator(".flash")).to_contain_text("The weekly time was added.")
        expect(day).to_contain_text("18:30–21:00")
        expect(page.locator("[data-window]")).to_have_count(1)
        shoot(page, "en-person-availability-window-added")

        # A day off next week takes that day out of the preview again.
        off = page.locator("#add-exception")
        off.locator("select[name=kind]").select_option("unavailable")
        off.locator("input[name=first]").fill(next_week)
        off.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_contain_text("The change was added.")
        expect(day).to_contain_text("not available")
        expect(page.locator(f"li[data-day='{today.isoformat()}']")).to_contain_text("18:30–21:00")
        shoot(page, "en-person-availability-day-off")
    finally:
        context.close()

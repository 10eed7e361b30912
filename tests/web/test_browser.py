"""End to end in Debian's chromium driven by Playwright, against a real server on 127.0.0.1.

A person signs in, sees an offer, accepts it and sees it confirmed; a coordinator opens the week
board. Every page is photographed in both languages under test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from models import db
from tests.web.browser import LANGUAGES, PHONE, needs_chromium, shoot, sign_in
from tests.web.scene import WEEK, build_scene

pytestmark = needs_chromium


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_a_person_accepts_an_offer_and_a_coordinator_sees_the_board(app, server, browser, locale):
    from playwright.sync_api import expect

    scene = build_scene()
    # The server thread writes: this thread must not hold SQLite's lock with an open read.
    db.session.remove()
    english = locale == "en"
    context = browser.new_context(viewport=PHONE, locale=LANGUAGES[locale])
    try:
        page = context.new_page()
        page.goto(server + "/sign-in")
        expect(page.locator("h1")).to_have_text("Sign in" if english else "登录")
        shoot(page, f"{locale}-sign-in")

        sign_in(page, server, "volunteer")
        expect(page).to_have_url(server + "/my-shifts")
        card = page.locator(f"[data-assignment='{scene['offer_id']}']")
        expect(card).to_contain_text(scene["need"])
        expect(card).to_contain_text("Offered: please answer" if english else "已邀请：请回复")
        shoot(page, f"{locale}-my-shifts-offer")

        card.get_by_role("button", name="Accept" if english else "接受").click()
        expect(page.locator(".flash")).to_contain_text(
            "you accepted the shift" if english else "您已接受该班次"
        )
        expect(card).to_contain_text("Confirmed" if english else "已确认")
        expect(card.get_by_role("button")).to_have_count(0)
        shoot(page, f"{locale}-my-shifts-confirmed")

        page.goto(server + "/board")
        expect(page.locator("h1")).to_contain_text("Error" if english else "错误")
        shoot(page, f"{locale}-board-forbidden")

        page.get_by_role("button", name="Sign out" if english else "退出登录").click()
        expect(page).to_have_url(server + "/sign-in")

        sign_in(page, server, "coordinator")
        page.goto(f"{server}/board?week={WEEK}")
        shift = page.locator(f"[data-shift='{scene['shift_id']}']")
        expect(shift).to_contain_text("1 of 2 filled" if english else "已排 1 / 需 2")
        expect(page.get_by_text(scene["hidden_need"])).to_have_count(0)
        shoot(page, f"{locale}-board")
        page.set_viewport_size({"width": 1280, "height": 800})
        shoot(page, f"{locale}-board-desktop")
    finally:
        context.close()

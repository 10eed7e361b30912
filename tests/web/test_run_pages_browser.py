"""The run pages in Debian's chromium at phone size: start a run, watch it live, review it.

Screenshots of the runs list, the live progress and the review, in both languages, are saved
under test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from models import MatchingRun, db
from services import runs
from services.run_progress import RunProgress
from tests.web.browser import LANGUAGES, PHONE, needs_chromium, shoot, sign_in
from tests.web.test_run_pages import SETTINGS, WEEK, build_run_scene

pytestmark = needs_chromium


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_a_coordinator_starts_watches_and_reviews_a_run(app, server, browser, locale):  # noqa: F811
    from playwright.sync_api import expect

    scene = build_run_scene()
    # The server thread writes: this thread must not hold SQLite's lock with an open read.
    db.session.remove()
    context = browser.new_context(viewport=PHONE, locale=LANGUAGES[locale])
    try:
        page = context.new_page()
        sign_in(page, server, "coordinator")
        page.goto(f"{server}/runs?lang={locale}")
        expect(page.locator("html")).to_have_attribute("lang", "en" if locale == "en" else "zh-CN")
        expect(page.locator("select[name=scope] option")).to_have_count(2)
        page.locator("select[name=scope]").select_option(scene["scope"])
        page.locator("input[name=week]").fill(WEEK)
        page.locator("input[name=time_limit]").fill("5")
        shoot(page, f"{locale}-runs-list")

        page.locator("form.run-form button[type=submit]").click()
        expect(page.locator("#progress")).to_be_visible()
        run_id = int(page.url.rsplit("/", 1)[1])
        assert db.session.get(MatchingRun, run_id).status == "queued"
        db.session.remove()
        shoot(page, f"{locale}-run-queued")

        # The solver takes the run and reports: the page shows it without a reload.
        assert runs.take_run(session=db.session, run_id=run_id)
        db.session.remove()
        RunProgress(bind=db.engine, run_id=run_id)(4000.0, 5000.0, 1.5)
        expect(page.locator("#p-objective")).to_have_text("4000.0", timeout=10_000)
        expect(page.locator("#p-gap")).to_have_text("20.00%")
        shoot(page, f"{locale}-run-progress")

        solved = runs.solve_run(session=db.session, run_id=run_id, settings=SETTINGS)
        assert solved.status == "solved", solved.error
        db.session.remove()
        # The page notices that the run is done and shows the review.
        expect(page.locator("#unfilled")).to_be_visible(timeout=10_000)
        expect(page.locator("[data-reason=availability]")).to_have_count(1)
        expect(page.locator("#changes .added")).to_have_count(2)
        expect(page.locator("#fairness .hours li")).to_have_count(8)
        shoot(page, f"{locale}-run-review")

        page.locator("#publish input[name=confirm]").check()
        page.locator("#publish form").first.locator("button[type=submit]").click()
        expect(page.locator("#publish")).to_have_count(0)
        assert db.session.get(MatchingRun, run_id).status == "published"
        db.session.remove()
        shoot(page, f"{locale}-run-published")

        page.goto(f"{server}/runs")
        card = page.locator(f"[data-run='{run_id}']")
        expect(card.locator("button")).to_have_count(1)  # re-plan this published week
        shoot(page, f"{locale}-runs-list-published")
    finally:
        context.close()

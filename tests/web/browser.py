"""What the chromium tests share: where chromium is, the phone viewport, languages, helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.scene import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A phone-sized window: the pages must work there first.
PHONE = {"width": 390, "height": 844}
LANGUAGES = {"zh_CN": "zh-CN", "en": "en-US"}

# Every chromium test module sets `pytestmark = needs_chromium` (.ci/run forbids the skip).
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is missing: apt-get install -y chromium"
)


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/sign-in")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.card button[type=submit]").click()

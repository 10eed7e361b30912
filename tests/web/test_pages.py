"""The web pages through the Flask test client: sign-in, CSRF, languages, access, answers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import Assignment, AuthToken, db
from tests.factories import PersonFactory
from tests.web.scene import PASSWORD, WEEK, add_web_user, build_scene

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
def scene(app):
    return build_scene()


@pytest.fixture
def web(app):
    return app.test_client()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(web, username: str, headers=EN):
    token = csrf_of(web.get("/sign-in", headers=headers).text)
    return web.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        headers=headers,
    )


def test_sign_in_sets_a_hardened_session_cookie_and_opens_my_shifts(web, scene):
    response = sign_in(web, "volunteer")
    assert response.status_code == 302 and response.location == "/my-shifts"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = web.get("/my-shifts", headers=EN)
    assert page.status_code == 200 and scene["need"] in page.text


def test_wrong_password_is_refused_with_a_message(web, scene):
    token = csrf_of(web.get("/sign-in", headers=EN).text)
    response = web.post(
        "/sign-in",
        data={"username": "volunteer", "password": "not it", "csrf_token": token},
        headers=EN,
    )
    assert response.status_code == 422 and "Wrong username or password." in response.text
    assert web.get("/my-shifts").status_code == 302  # still signed out


def test_post_without_or_with_a_wrong_csrf_token_is_refused(web, scene):
    web.get("/sign-in")
    data = {"username": "volunteer", "password": PASSWORD}
    assert web.post("/sign-in", data=data).status_code == 400
    assert web.post("/sign-in", data={**data, "csrf_token": "forged"}).status_code == 400
    sign_in(web, "volunteer")
    answer = web.post(f"/my-shifts/{scene['offer_id']}/respond", data={"answer": "accept"})
    assert answer.status_code == 400
    assert db.session.get(Assignment, scene["offer_id"]).status == "offered"


def test_anonymous_pages_redirect_to_sign_in(web, scene):
    for path in ("/my-shifts", "/board", "/"):
        response = web.get(path)
        assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_language_follows_the_browser_then_the_switch(web, scene):
    assert "登录" in web.get("/sign-in", headers=ZH).text
    assert "Sign in" in web.get("/sign-in", headers=EN).text
    # No Accept-Language at all: Chinese, the default.
    assert "登录" in web.get("/sign-in").text
    # ?lang= overrides the browser and is remembered in a cookie.
    assert "Sign in" in web.get("/sign-in?lang=en", headers=ZH).text
    assert "Sign in" in web.get("/sign-in", headers=ZH).text
    switched = web.get("/language/zh-CN?next=/sign-in", headers=EN)
    assert switched.status_code == 302 and switched.location == "/sign-in"
    assert "登录" in web.get("/sign-in", headers=EN).text


def test_language_switch_never_redirects_off_site(web, scene):
    response = web.get("/language/en?next=//evil.example/")
    assert response.location == "/"


def test_my_shifts_in_both_languages(web, scene):
    sign_in(web, "volunteer")
    chinese = web.get("/my-shifts?lang=zh_CN").text
    assert "我的班次" in chinese and "接受" in chinese and "已邀请：请回复" in chinese
    english = web.get("/my-shifts?lang=en").text
    assert "My shifts" in english and "Accept" in english and "Star level" in english


def test_accept_confirms_the_seat(web, scene):
    web.set_cookie("lang", "en")
    sign_in(web, "volunteer")
    token = csrf_of(web.get("/my-shifts").text)
    response = web.post(
        f"/my-shifts/{scene['offer_id']}/respond", data={"answer": "accept", "csrf_token": token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assignment, scene["offer_id"]).status == "confirmed"
    page = web.get("/my-shifts?lang=en").text
    assert "you accepted the shift" in page and "Confirmed" in page
    # Answering again is refused with a message, not an error page.
    again = web.post(
        f"/my-shifts/{scene['offer_id']}/respond",
        data={"answer": "decline", "csrf_token": token},
        follow_redirects=True,
    )
    assert again.status_code == 200 and "can no longer be answered" in again.text
    assert db.session.get(Assignment, scene["offer_id"]).status == "confirmed"


def test_someone_elses_offer_cannot_be_answered(web, scene):
    other = PersonFactory()
    db.session.commit()
    add_web_user("other", "person", person_id=other.id)
    web.set_cookie("lang", "en")
    sign_in(web, "other")
    token = csrf_of(web.get("/my-shifts").text)
    response = web.post(
        f"/my-shifts/{scene['offer_id']}/respond",
        data={"answer": "decline", "csrf_token": token},
        follow_redirects=True,
    )
    assert "can no longer be answered" in response.text
    db.session.expire_all()
    assert db.session.get(Assignment, scene["offer_id"]).status == "offered"


def test_a_person_cannot_open_the_board(web, scene):
    sign_in(web, "volunteer")
    response = web.get("/board", headers=EN)
    assert response.status_code == 403 and "not allowed" in response.text


def test_the_board_shows_shifts_in_reach_with_fill_and_priority(web, scene):
    response = sign_in(web, "coordinator")
    assert response.location == "/board"
    page = web.get(f"/board?week={WEEK}&lang=en").text
    assert scene["need"] in page and scene["hidden_need"] not in page
    assert "1 of 2 filled" in page and "priority-5 short" in page
    chinese = web.get(f"/board?week={WEEK}&lang=zh_CN").text
    assert "已排 1 / 需 2" in chinese and "周排班表" in chinese


def test_a_bad_week_is_422_with_a_message(web, scene):
    sign_in(web, "coordinator")
    response = web.get("/board?week=2026-W99", headers=EN)
    assert response.status_code == 422 and "2026-W49" in response.text


def test_sign_out_revokes_the_token(web, scene):
    sign_in(web, "volunteer")
    token = csrf_of(web.get("/my-shifts").text)
    response = web.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/sign-in"
    assert web.get("/my-shifts").status_code == 302
    assert db.session.scalars(select(AuthToken.revoked_at)).all()[-1] is not None


def test_the_session_cookie_does_not_authenticate_the_api(web, scene):
    sign_in(web, "volunteer")
    assert web.get("/api/v1/me/assignments").status_code == 401


def test_the_session_cookie_is_https_only_when_configured(monkeypatch, tmp_path):
    from api.config import load_config

    assert load_config(str(tmp_path))["SESSION_COOKIE_SECURE"] is False  # the demo's http
    monkeypatch.setenv("LINKAGE_SESSION_COOKIE_SECURE", "1")
    assert load_config(str(tmp_path))["SESSION_COOKIE_SECURE"] is True


def test_a_secure_session_cookie_is_marked_secure(app, web, scene, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    token = csrf_of(web.get("/sign-in", headers=EN, base_url="https://localhost").text)
    response = web.post(
        "/sign-in",
        data={"username": "volunteer", "password": PASSWORD, "csrf_token": token},
        headers=EN,
        base_url="https://localhost",
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("raised", "code", "words"),
    [
        ("conflict", 409, "clashes with a change made meanwhile"),
        ("data", 422, "too large or not allowed"),
        ("bug", 500, "Something went wrong."),
    ],
)
def test_errors_a_page_did_not_handle_are_pages_not_json(
    web, scene, monkeypatch, raised, code, words
):
    from sqlalchemy.exc import DataError

    from services import offers
    from services.errors import Conflict

    def fail(**_kwargs):
        if raised == "conflict":
            raise Conflict("taken meanwhile")
        if raised == "data":
            raise DataError("INSERT", {}, Exception("value too long"))
        raise RuntimeError("a bug")

    sign_in(web, "volunteer")
    monkeypatch.setattr(offers, "my_assignments", fail)
    page = web.get("/my-shifts", headers=EN)
    assert page.status_code == code and page.mimetype == "text/html"
    assert words in page.text and "taken meanwhile" not in page.text
    # The session is usable again after the rollback.
    monkeypatch.undo()
    assert web.get("/my-shifts", headers=EN).status_code == 200

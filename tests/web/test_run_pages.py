"""The coordinator's run pages: start a run, watch it, review it in words, pin, forbid, publish."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from models import Assignment, MatchingOverride, MatchingRun, Need, Shift, db
from services import runs
from services.auth import ScopeSpec
from services.errors import Conflict
from services.run_progress import RunProgress
from services.scheduling import coming_week
from tests.factories import (
    WEEK_START,
    AssignmentFactory,
    AvailabilityWindowFactory,
    CommunityFactory,
    NeedFactory,
    PersonFactory,
    PersonSkillFactory,
    PositionFactory,
    PositionSkillFactory,
    ShiftFactory,
    SkillFactory,
)
from tests.web.scene import add_web_user
from tests.web.test_pages import csrf_of, sign_in

WEEK = "2026-W49"
TZ = "Asia/Shanghai"
SETTINGS = runs.RunSettings(timezone=TZ, workers=1)
EN = {"Accept-Language": "en-US,en;q=0.9"}


def build_run_scene() -> dict:
    """Three volunteers free on Monday 09:00-17:00; a Monday visit for two (it fills) and a
    Tuesday Cantonese talk that nobody with the skill is free for; a coordinator of the
    community, one of another community, and an administrator."""
    community = CommunityFactory(name="Huanshi", street="Dongfeng Road")
    other = CommunityFactory(name="Xinhe", street="Binjiang Road")
    people = [
        PersonFactory(community_id=community.id, name=name)
        for name in ("Li Na", "Wang Fang", "Zhou Min")
    ]
    for person in people:
        AvailabilityWindowFactory(person=person, weekday=0, start_time=time(9), end_time=time(17))
    cantonese = SkillFactory(code="cantonese", name_zh="粤语", name_en="Cantonese")
    PersonSkillFactory(person=people[0], skill=cantonese, level=3)
    visit = NeedFactory(community_id=community.id, priority=4, title="Home visit Wang")
    visit_shift = ShiftFactory(
        need=visit,
        starts_at=WEEK_START + timedelta(hours=1),
        ends_at=WEEK_START + timedelta(hours=3),
    )
    visit_position = PositionFactory(shift=visit_shift, count=2, min_count=1)
    talk = NeedFactory(community_id=community.id, priority=5, title="Cantonese tea talk")
    talk_shift = ShiftFactory(
        need=talk,
        starts_at=WEEK_START + timedelta(days=1, hours=1),
        ends_at=WEEK_START + timedelta(days=1, hours=3),
    )
    talk_position = PositionFactory(shift=talk_shift, count=1, label="host")
    PositionSkillFactory(position=talk_position, skill=cantonese, min_level=2)
    elsewhere = NeedFactory(community_id=other.id, title="Elsewhere desk")
    PositionFactory(shift=ShiftFactory(need=elsewhere, starts_at=WEEK_START), count=1)
    db.session.commit()
    for username, role, scopes in (
        ("coordinator", "coordinator", [ScopeSpec(community_id=community.id)]),
        ("other-coordinator", "coordinator", [ScopeSpec(community_id=other.id)]),
        ("admin", "admin", None),
    ):
        add_web_user(username, role, scopes=scopes or ())
    return {
        "community": community,
        "other": other,
        "scope": f"community:{community.id}",
        "other_scope": f"community:{other.id}",
        "people": people,
        "visit_shift": visit_shift,
        "visit_position": visit_position,
        "talk_position": talk_position,
    }


@pytest.fixture
def scene(app):
    return build_run_scene()


@pytest.fixture
def web(app):
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


def _queue(web, **fields) -> object:
    token = csrf_of(web.get("/runs").text)
    data = {"week": WEEK, "time_limit": "5", "kind": "weekly", "csrf_token": token, **fields}
    return web.post("/runs", data=data)


def _solve() -> MatchingRun:
    run = runs.run_next(session=db.session, settings=SETTINGS)
    assert run is not None and run.status == "solved", run and run.error
    return run


def _solved_run(web, scene) -> int:
    sign_in(web, "coordinator", EN)
    response = _queue(web, scope=scene["scope"])
    assert response.status_code == 302
    run_id = int(response.location.rsplit("/", 1)[1])
    assert _solve().id == run_id
    db.session.remove()
    return run_id


def test_the_form_offers_only_scopes_in_reach_and_next_week(web, scene):
    sign_in(web, "coordinator", EN)
    page = web.get("/runs")
    assert page.status_code == 200
    options = re.findall(r'<option value="([^"]+)"', page.text)
    assert options == ["street:Dongfeng Road", scene["scope"]]
    assert "Huanshi" in page.text and "Street: Dongfeng Road" in page.text
    assert f'value="{coming_week(datetime.now(UTC), TZ)}"' in page.text
    sign_in(web, "admin", EN)
    options = re.findall(r'<option value="([^"]+)"', web.get("/runs").text)
    assert options[0] == "all" and scene["other_scope"] in options


def test_queue_through_the_page_then_review_in_plain_words(web, scene):
    sign_in(web, "coordinator", EN)
    response = _queue(web, scope=scene["scope"])
    assert response.status_code == 302
    run = db.session.scalars(select(MatchingRun)).one()
    assert response.location == f"/runs/{run.id}"
    assert (run.status, run.kind, run.source, run.week, run.time_limit_s) == (
        "queued",
        "weekly",
        "api",
        WEEK,
        5.0,
    )
    waiting = web.get(response.location)
    assert "Waiting for the solver" in waiting.text and 'id="progress"' in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text and "fetch(" in waiting.text
    assert "The run is queued" in waiting.text

    _solve()
    db.session.remove()
    page = web.get(f"/runs/{run.id}").text
    assert "Solved: ready for review" in page and 'id="progress"' not in page
    # Fill by priority: the visit (priority 4) is filled, the talk (priority 5) is not.
    assert re.search(r"<td>4</td><td>2</td><td>2</td>", page)
    assert re.search(r"<td>5</td><td>0</td><td>1</td>", page)
    # The open position, its reason in words.
    assert 'data-reason="availability"' in page
    assert "Cantonese tea talk · host" in page
    assert "Nobody with the skill Cantonese at level 2 is available then." in page
    assert "3 with the role, 1 with the skills, 0 available, 0 still free." in page
    # Fairness: three people free, two planned for 2 hours, one for none.
    assert "2 / 3" in page and 'id="gini"' in page
    bins = dict(re.findall(r'data-hours="(\d+)" data-people="(\d+)"', page))
    assert bins == {"0": "1", "1": "0", "2": "2", **{str(h): "0" for h in range(3, 8)}}
    assert "0–1 h" in page and "7 h or more" in page
    # Against what is published (nothing yet): two new seats, with names.
    assert "2 new, 0 moved, 0 withdrawn, 0 unchanged." in page
    assert page.count('class="added"') == 2 and "Home visit Wang" in page


def test_a_bad_form_is_422_with_messages_and_queues_nothing(web, scene):
    sign_in(web, "coordinator", EN)
    response = _queue(web, scope=scene["other_scope"], week="2026-W99", time_limit="0")
    assert response.status_code == 422
    assert "Choose one of the communities or streets you plan for." in response.text
    assert "Give a week such as 2026-W49." in response.text
    assert "Give a number of seconds from 1 to 600." in response.text
    assert db.session.scalar(select(func.count(MatchingRun.id))) == 0


def test_progress_json_shows_what_the_callback_wrote(web, scene):
    sign_in(web, "coordinator", EN)
    run_id = int(_queue(web, scope=scene["scope"]).location.rsplit("/", 1)[1])
    queued = web.get(f"/runs/{run_id}/progress").json
    assert queued["status"] == "queued" and queued["done"] is False
    assert queued["objective"] is None
    assert runs.take_run(session=db.session, run_id=run_id)
    db.session.remove()
    recorder = RunProgress(bind=db.engine, run_id=run_id)
    recorder(4000.0, 5000.0, 1.5)
    figures = web.get(f"/runs/{run_id}/progress").json
    assert figures["status"] == "solving" and figures["status_text"] == "Solving"
    assert figures["objective"] == 4000.0 and figures["bound"] == 5000.0
    assert figures["gap"] == pytest.approx(0.2) and figures["elapsed_s"] >= 1.5
    page = web.get(f"/runs/{run_id}").text
    assert "4000.0" in page and "20.00%" in page


def test_pin_and_forbid_from_the_review_then_remove_them(web, scene):
    run_id = _solved_run(web, scene)
    page = web.get(f"/runs/{run_id}").text
    token = csrf_of(page)
    proposal = db.session.scalars(
        select(Assignment).where(Assignment.matching_run_id == run_id).order_by(Assignment.id)
    ).first()
    pinned = web.post(
        f"/runs/{run_id}/overrides",
        data={
            "csrf_token": token,
            "kind": "pin",
            "person_id": proposal.person_id,
            "position_id": proposal.position_id,
        },
        follow_redirects=True,
    )
    assert "Pinned: the next run keeps this person on this seat." in pinned.text
    web.post(
        f"/runs/{run_id}/overrides",
        data={
            "csrf_token": token,
            "kind": "forbid",
            "person_id": proposal.person_id,
            "shift_id": proposal.shift_id,
        },
    )
    found = db.session.scalars(select(MatchingOverride).order_by(MatchingOverride.id)).all()
    assert [(o.kind, o.person_id, o.position_id, o.shift_id) for o in found] == [
        ("pin", proposal.person_id, proposal.position_id, None),
        ("forbid", proposal.person_id, None, proposal.shift_id),
    ]
    page = web.get(f"/runs/{run_id}").text
    assert page.count('class="override"') == 2
    # Another community's coordinator can neither see nor remove them.
    other = web.application.test_client()
    other.set_cookie("lang", "en")
    sign_in(other, "other-coordinator", EN)
    other_token = csrf_of(other.get("/runs").text)
    refused = other.post(
        f"/runs/{run_id}/overrides/{found[0].id}/delete", data={"csrf_token": other_token}
    )
    assert refused.status_code == 404
    removed = web.post(
        f"/runs/{run_id}/overrides/{found[0].id}/delete",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Removed: later runs no longer follow it." in removed.text
    db.session.expire_all()
    assert [o.kind for o in db.session.scalars(select(MatchingOverride))] == ["forbid"]


def test_publish_needs_the_confirmation_then_offers_every_seat(web, scene):
    run_id = _solved_run(web, scene)
    token = csrf_of(web.get(f"/runs/{run_id}").text)
    unconfirmed = web.post(f"/runs/{run_id}/publish", data={"csrf_token": token})
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
    assert db.session.get(MatchingRun, run_id).status == "solved"
    published = web.post(f"/runs/{run_id}/publish", data={"csrf_token": token, "confirm": "yes"})
    assert published.status_code == 302
    db.session.expire_all()
    assert db.session.get(MatchingRun, run_id).status == "published"
    statuses = db.session.scalars(
        select(Assignment.status).where(Assignment.matching_run_id == run_id)
    ).all()
    assert statuses == ["offered", "offered"]
    page = web.get(f"/runs/{run_id}").text
    assert "The plan is published" in page and 'id="publish"' not in page
    # A published week can be re-planned from the list: a repair run of the same scope.
    listing = web.get("/runs").text
    assert "Re-plan this week" in listing
    response = _queue(web, scope=scene["scope"], kind="repair")
    assert response.status_code == 302
    repair = db.session.scalars(select(MatchingRun).order_by(MatchingRun.id.desc())).first()
    assert (repair.kind, repair.status, repair.week) == ("repair", "queued", WEEK)


def test_a_publish_conflict_is_409_with_the_reason_and_changes_nothing(web, scene):
    run_id = _solved_run(web, scene)
    proposal = db.session.scalars(
        select(Assignment).where(Assignment.matching_run_id == run_id).order_by(Assignment.id)
    ).first()
    # Meanwhile the person was confirmed elsewhere at the same time.
    clash = NeedFactory(title="Library shift")
    shift = ShiftFactory(need=clash, starts_at=proposal.starts_at, ends_at=proposal.ends_at)
    AssignmentFactory(
        person=proposal.person, position=PositionFactory(shift=shift), status="confirmed"
    )
    name = proposal.person.name
    db.session.commit()
    db.session.remove()
    token = csrf_of(web.get(f"/runs/{run_id}").text)
    response = web.post(f"/runs/{run_id}/publish", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 409
    assert "Publishing was refused: nothing changed" in response.text
    expected = f"{name} already has Library shift at an overlapping time"
    assert expected in response.text.replace("&#39;", "'")
    assert db.session.get(MatchingRun, run_id).status == "solved"
    statuses = db.session.scalars(
        select(Assignment.status).where(Assignment.matching_run_id == run_id)
    ).all()
    assert statuses == ["proposed", "proposed"]


def test_discard_drops_the_proposals(web, scene):
    run_id = _solved_run(web, scene)
    token = csrf_of(web.get(f"/runs/{run_id}").text)
    page = web.post(f"/runs/{run_id}/discard", data={"csrf_token": token}, follow_redirects=True)
    assert "The run is discarded" in page.text
    assert db.session.get(MatchingRun, run_id).status == "discarded"
    assert (
        db.session.scalars(select(Assignment).where(Assignment.matching_run_id == run_id)).all()
        == []
    )


def test_runs_outside_the_coordinators_scope_are_not_found(web, scene):
    hidden = runs.queue_run(
        session=db.session, scope=scene["other_scope"], week=WEEK, timezone=TZ, time_limit_s=5
    )
    sign_in(web, "coordinator", EN)
    assert f'data-run="{hidden.id}"' not in web.get("/runs").text
    assert web.get(f"/runs/{hidden.id}").status_code == 404
    assert web.get(f"/runs/{hidden.id}/progress").status_code == 404
    token = csrf_of(web.get("/runs").text)
    refused = web.post(f"/runs/{hidden.id}/publish", data={"csrf_token": token, "confirm": "yes"})
    assert refused.status_code == 404
    assert web.post(f"/runs/{hidden.id}/discard", data={"csrf_token": token}).status_code == 404
    assert db.session.get(MatchingRun, hidden.id).status == "queued"
    sign_in(web, "other-coordinator", EN)
    assert web.get(f"/runs/{hidden.id}").status_code == 200


def test_people_may_not_open_the_run_pages(web, scene):
    person = scene["people"][0]
    add_web_user("volunteer", "person", person_id=person.id)
    sign_in(web, "volunteer", EN)
    assert web.get("/runs").status_code == 403
    assert web.get("/runs/1/progress").status_code == 403


def test_the_pages_follow_the_language(web, scene):
    run_id = _solved_run(web, scene)
    chinese = web.get(f"/runs/{run_id}?lang=zh_CN").text
    assert '<html lang="zh-CN">' in chinese and "退出登录" in chinese
    english = web.get(f"/runs/{run_id}?lang=en").text
    assert '<html lang="en">' in english and "Open positions and why" in english


# --- review fixes: odd input, scope of the lists, double submits, words for the service's text


def _post_override(web, run_id, token, **fields):
    return web.post(
        f"/runs/{run_id}/overrides", data={"csrf_token": token, **fields}, follow_redirects=True
    )


def _overrides() -> int:
    return db.session.scalar(select(func.count(MatchingOverride.id)))


def test_odd_digits_and_removed_seats_get_a_message_not_a_500(web, scene):
    person = scene["people"][0].id
    run_id = _solved_run(web, scene)
    token = csrf_of(web.get(f"/runs/{run_id}").text)
    for odd in ("³", "²", "١٢", "99999999999"):
        response = _post_override(web, run_id, token, kind="forbid", person_id=person, shift_id=odd)
        assert response.status_code == 200
        assert "That pin or forbid was not understood." in response.text
    # A proposal whose position was deleted is shown with shift 0.
    gone = _post_override(web, run_id, token, kind="forbid", person_id=person, shift_id="0")
    assert "That seat was removed after the run, so it cannot be pinned or forbidden." in gone.text
    assert "outside your communities" not in gone.text
    # A seat deleted after the page was shown is gone, not "outside your communities".
    deleted = _post_override(web, run_id, token, kind="pin", person_id=person, position_id="99999")
    assert "That seat or shift no longer exists" in deleted.text
    assert _overrides() == 0


def test_a_week_out_of_range_is_422_on_the_page(web, scene):
    sign_in(web, "coordinator", EN)
    for week in ("9999-W52", "0001-W01", "2101-W01"):
        response = _queue(web, scope=scene["scope"], week=week)
        assert response.status_code == 422
        assert "Give a week such as 2026-W49." in response.text
    assert db.session.scalar(select(func.count(MatchingRun.id))) == 0


def test_pins_twice_are_one_and_other_communities_overrides_are_not_shown(web, scene):
    run_id = _solved_run(web, scene)
    token = csrf_of(web.get(f"/runs/{run_id}").text)
    proposal = db.session.scalars(
        select(Assignment).where(Assignment.matching_run_id == run_id).order_by(Assignment.id)
    ).first()
    pin = {"kind": "pin", "person_id": proposal.person_id, "position_id": proposal.position_id}
    _post_override(web, run_id, token, **pin)
    _post_override(web, run_id, token, **pin)  # a double submit
    assert _overrides() == 1
    # An administrator forbids the coordinator's person a shift of another community.
    elsewhere = db.session.scalars(
        select(Shift).join(Need).where(Need.title == "Elsewhere desk")
    ).one()
    db.session.add(
        MatchingOverride(kind="forbid", person_id=proposal.person_id, shift_id=elsewhere.id)
    )
    db.session.commit()
    page = web.get(f"/runs/{run_id}").text
    assert page.count('class="override"') == 1
    assert "Elsewhere desk" not in page
    removed = web.post(
        f"/runs/{run_id}/overrides/{db.session.scalars(select(MatchingOverride.id)).first()}/delete",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Removed: later runs no longer follow it." in removed.text
    db.session.expire_all()
    assert [o.kind for o in db.session.scalars(select(MatchingOverride))] == ["forbid"]
    assert 'class="override"' not in web.get(f"/runs/{run_id}").text


def test_publishing_twice_goes_back_to_the_run_with_a_message(web, scene):
    run_id = _solved_run(web, scene)
    token = csrf_of(web.get(f"/runs/{run_id}").text)
    form = {"csrf_token": token, "confirm": "yes"}
    assert web.post(f"/runs/{run_id}/publish", data=form).status_code == 302
    again = web.post(f"/runs/{run_id}/publish", data=form)
    assert again.status_code == 302 and again.location == f"/runs/{run_id}"
    page = web.get(again.location).text
    assert "This run is already published: its seats have been offered." in page
    assert "Publishing was refused" not in page
    statuses = db.session.scalars(
        select(Assignment.status).where(Assignment.matching_run_id == run_id)
    ).all()
    assert statuses == ["offered", "offered"]


def test_queued_and_failed_runs_can_be_discarded_from_the_page(web, scene):
    sign_in(web, "coordinator", EN)
    queued = int(_queue(web, scope=scene["scope"]).location.rsplit("/", 1)[1])
    page = web.get(f"/runs/{queued}").text
    assert "Discard this run" in page
    token = csrf_of(page)
    done = web.post(f"/runs/{queued}/discard", data={"csrf_token": token}, follow_redirects=True)
    assert "The run is discarded" in done.text and "Discard this run" not in done.text
    assert db.session.get(MatchingRun, queued).status == "discarded"

    failed = runs.queue_run(
        session=db.session, scope=scene["scope"], week=WEEK, timezone=TZ, time_limit_s=5
    )
    failed.status, failed.error = "failed", "internal error: RuntimeError"
    db.session.commit()
    page = web.get(f"/runs/{failed.id}").text
    assert "The solver stopped because of an error in Linkage." in page
    assert "Discard this run" in page
    web.post(f"/runs/{failed.id}/discard", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(MatchingRun, failed.id).status == "discarded"


def test_a_solving_run_offers_no_discard_and_is_not_discarded(web, scene):
    sign_in(web, "coordinator", EN)
    run_id = int(_queue(web, scope=scene["scope"]).location.rsplit("/", 1)[1])
    assert runs.take_run(session=db.session, run_id=run_id)
    db.session.remove()
    page = web.get(f"/runs/{run_id}").text
    assert "Discard this run" not in page
    refused = web.post(
        f"/runs/{run_id}/discard", data={"csrf_token": csrf_of(page)}, follow_redirects=True
    )
    assert "This run can no longer be discarded." in refused.text
    assert db.session.get(MatchingRun, run_id).status == "solving"


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (
            'fixed pair person "p1" / position "q2" breaks hard rule availability',
            "A pin cannot be kept",
        ),
        ("the exported problem is invalid: bad", "could not be turned into a plan"),
        ("the week changed while solving (a seat was taken meanwhile); run it again", "(a seat"),
        ("something nobody expected", "The solver could not make a plan."),
    ],
)
def test_a_failed_run_says_why_in_words(web, scene, error, sentence):
    run = runs.queue_run(
        session=db.session, scope=scene["scope"], week=WEEK, timezone=TZ, time_limit_s=5
    )
    run.status, run.error = "failed", error
    db.session.commit()
    sign_in(web, "coordinator", EN)
    page = web.get(f"/runs/{run.id}").text
    assert sentence in page
    assert "The solver said:" not in page
    # The service's English stays for an administrator, folded away.
    details = page.split("<details>", 1)[1]
    assert "Details for an administrator" in details


def test_a_refusal_is_told_in_words_even_for_an_unknown_conflict(web, scene, monkeypatch):
    run_id = _solved_run(web, scene)
    token = csrf_of(web.get(f"/runs/{run_id}").text)

    def refuse(**kwargs):
        raise Conflict(
            "publishing run 1 would conflict 1 time(s); nothing changed",
            errors={"conflicts": ["the moon is in the wrong phase"]},
        )

    monkeypatch.setattr(runs, "publish_run", refuse)
    response = web.post(f"/runs/{run_id}/publish", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 409
    assert "Something else changed since this run was solved; run the week again." in response.text
    assert "Problems found: 1. Nothing was offered" in response.text
    assert "moon" not in response.text and "would conflict" not in response.text


def test_language_labels_and_an_unknown_reason_are_in_words(app):
    from api.web import views_review
    from services.run_pages import UnfilledPosition

    with app.test_request_context(headers=EN):
        assert views_review.language_label("hak") == "Hakka"
        assert views_review.language_label("nan") == "Minnan"
        assert views_review.language_label("xyz") == "the language this shift asks for"
        row = UnfilledPosition(
            position_id=1,
            shift_id=1,
            shift="Talk",
            position="",
            starts_at=None,
            ends_at=None,
            priority=3,
            missing=1,
            count=1,
            min_count=1,
            reason="a_new_reason",
            role="volunteer",
            skills=[],
            language="hak",
            funnel={},
        )
        assert views_review.reason_text(row) == (
            "Nobody in this scope could be planned for this position."
        )
        row.reason = "language"
        assert views_review.reason_text(row) == "Nobody available then speaks Hakka."


def test_a_second_run_of_the_same_week_waits_for_the_first(app, scene):
    """One waiting run per scope and week: a double click queues one run, the second is a 409
    with a message on the week field (and through the API a 409 too)."""
    client = app.test_client()
    sign_in(client, "coordinator")
    token = csrf_of(client.get("/runs", headers=EN).text)
    data = {
        "csrf_token": token,
        "scope": scene["scope"],
        "week": WEEK,
        "time_limit": "5",
        "kind": "weekly",
    }
    assert client.post("/runs", data=data, headers=EN).status_code == 302
    again = client.post("/runs", data=data, headers=EN)
    assert again.status_code == 409 and "already waiting or solving" in again.text
    assert db.session.query(MatchingRun).count() == 1
    with pytest.raises(Conflict):
        runs.queue_run(
            session=db.session, scope=scene["scope"], week=WEEK, timezone="Asia/Shanghai"
        )
    # Once solved, the week can be planned again.
    runs.run_next(session=db.session, settings=SETTINGS)
    assert client.post("/runs", data=data, headers=EN).status_code == 302

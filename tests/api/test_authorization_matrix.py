"""The authorization matrix, generated from the route table: every route x role x reach."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from api import create_app
from models import MatchingOverride, MatchingRun, User, db
from services import auth, ledger
from services.auth import ScopeSpec
from tests.factories import (
    AssignmentFactory,
    AvailabilityExceptionFactory,
    AvailabilityWindowFactory,
    CommunityFactory,
    NeedFactory,
    OrganizationFactory,
    PersonFactory,
    PersonSkillFactory,
    PositionFactory,
    ShiftFactory,
    SkillFactory,
)

PREFIX = "/api/v1"
ROLES = ("admin", "coordinator", "org_staff", "person")
PUBLIC = "public"

A, C, S, P = "admin", "coordinator", "org_staff", "person"
EVERYONE = (A, C, S, P)

# The policy, in one place: (route below /api/v1, METHOD) -> (roles allowed, roles whose
# reach is checked: for them an object of another community, organization or person must be
# refused with 403/404). PUBLIC routes need no token. A route missing here fails the test.
POLICY: dict[tuple[str, str], tuple[tuple[str, ...] | str, tuple[str, ...]]] = {
    ("/health", "GET"): (PUBLIC, ()),
    ("/openapi.json", "GET"): (PUBLIC, ()),
    ("/docs", "GET"): (PUBLIC, ()),
    ("/auth/login", "POST"): (PUBLIC, ()),
    ("/auth/register", "POST"): (PUBLIC, ()),
    ("/auth/logout", "POST"): (EVERYONE, ()),
    ("/auth/me", "GET"): (EVERYONE, ()),
    ("/auth/me/password", "POST"): (EVERYONE, ()),
    ("/auth/users", "GET"): ((A, C), ()),
    ("/auth/users", "POST"): ((A, C), ()),
    ("/auth/users/<user_id>/approve", "POST"): ((A, C), (C,)),
    ("/auth/users/<user_id>/role", "PUT"): ((A,), ()),
    ("/audit-events", "GET"): ((A,), ()),
    ("/communities", "GET"): (EVERYONE, ()),
    ("/communities", "POST"): ((A,), ()),
    ("/communities/<community_id>", "GET"): (EVERYONE, ()),
    ("/communities/<community_id>", "PATCH"): ((A,), ()),
    ("/communities/<community_id>", "DELETE"): ((A,), ()),
    ("/organizations", "GET"): (EVERYONE, ()),
    ("/organizations", "POST"): ((A,), ()),
    ("/organizations/<organization_id>", "GET"): (EVERYONE, ()),
    ("/organizations/<organization_id>", "PATCH"): ((A, C, S), (C, S)),
    ("/organizations/<organization_id>", "DELETE"): ((A,), ()),
    ("/skills", "GET"): (EVERYONE, ()),
    ("/skills", "POST"): ((A, C), ()),
    ("/skills/<skill_id>", "GET"): (EVERYONE, ()),
    ("/skills/<skill_id>", "PATCH"): ((A, C), ()),
    ("/skills/<skill_id>", "DELETE"): ((A, C), ()),
    ("/people", "GET"): (EVERYONE, ()),
    ("/people", "POST"): ((A, C), ()),
    ("/people/<person_id>", "GET"): (EVERYONE, (C, S, P)),
    ("/people/<person_id>", "PATCH"): ((A, C, P), (C, P)),
    ("/people/<person_id>", "DELETE"): ((A, C), (C,)),
    ("/people/<person_id>/skills", "GET"): ((A, C, P), (C, P)),
    ("/people/<person_id>/skills", "POST"): ((A, C, P), (C, P)),
    ("/people/<person_id>/skills/<code>", "GET"): ((A, C, P), (C, P)),
    ("/people/<person_id>/skills/<code>", "PATCH"): ((A, C, P), (C, P)),
    ("/people/<person_id>/skills/<code>", "DELETE"): ((A, C, P), (C, P)),
    ("/people/<person_id>/skills/<code>/verify", "POST"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability", "GET"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability/windows", "GET"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability/windows", "POST"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability/windows/<window_id>", "GET"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability/windows/<window_id>", "PATCH"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability/windows/<window_id>", "DELETE"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability/exceptions", "GET"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability/exceptions", "POST"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability/exceptions/<exception_id>", "GET"): ((A, C, P), (C, P)),
    ("/people/<person_id>/availability/exceptions/<exception_id>", "PATCH"): (
        (A, C, P),
        (C, P),
    ),
    ("/people/<person_id>/availability/exceptions/<exception_id>", "DELETE"): (
        (A, C, P),
        (C, P),
    ),
    ("/people/export", "GET"): ((A, C), ()),
    ("/people/import", "POST"): ((A,), ()),
    ("/needs", "GET"): ((A, C, S), ()),
    ("/needs", "POST"): ((A, C, S), ()),
    ("/needs/<need_id>", "GET"): ((A, C, S), (C, S)),
    ("/needs/<need_id>", "PATCH"): ((A, C, S), (C, S)),
    ("/needs/<need_id>", "DELETE"): ((A, C, S), (C, S)),
    ("/needs/<need_id>/shifts", "GET"): ((A, C, S), (C, S)),
    ("/needs/<need_id>/shifts", "POST"): ((A, C, S), (C, S)),
    ("/needs/<need_id>/generate-shifts", "POST"): ((A, C, S), (C, S)),
    ("/needs/<need_id>/positions", "GET"): ((A, C, S), (C, S)),
    ("/needs/<need_id>/positions", "POST"): ((A, C, S), (C, S)),
    ("/shifts", "GET"): ((A, C, S), ()),
    ("/shifts/<shift_id>", "GET"): ((A, C, S), (C, S)),
    ("/shifts/<shift_id>", "PATCH"): ((A, C, S), (C, S)),
    ("/shifts/<shift_id>", "DELETE"): ((A, C, S), (C, S)),
    ("/shifts/<shift_id>/positions", "GET"): ((A, C, S), (C, S)),
    ("/shifts/<shift_id>/positions", "POST"): ((A, C, S), (C, S)),
    ("/positions/<position_id>", "GET"): ((A, C, S), (C, S)),
    ("/positions/<position_id>", "PATCH"): ((A, C, S), (C, S)),
    ("/positions/<position_id>", "DELETE"): ((A, C, S), (C, S)),
    ("/assignments", "GET"): ((A, C, S), ()),
    ("/assignments", "POST"): ((A, C), ()),
    ("/assignments/<assignment_id>", "GET"): ((A, C, S), (C, S)),
    ("/assignments/<assignment_id>", "PATCH"): ((A, C, S), (C, S)),
    ("/assignments/<assignment_id>", "DELETE"): ((A, C), (C,)),
    ("/problems", "GET"): ((A, C), (C,)),
    ("/runs", "GET"): ((A, C), ()),
    ("/runs", "POST"): ((A, C), ()),
    ("/runs/<run_id>", "GET"): ((A, C), (C,)),
    ("/runs/<run_id>/review", "GET"): ((A, C), (C,)),
    ("/runs/<run_id>/publish", "POST"): ((A, C), (C,)),
    ("/runs/<run_id>/discard", "POST"): ((A, C), (C,)),
    ("/runs/overrides", "GET"): ((A, C), ()),
    ("/runs/overrides", "POST"): ((A, C), ()),
    ("/runs/overrides/<override_id>", "DELETE"): ((A, C), (C,)),
    ("/privacy/people/<person_id>/export", "GET"): ((A,), ()),
    ("/privacy/people/<person_id>/erase", "POST"): ((A,), ()),
    ("/me", "DELETE"): ((P,), ()),
    ("/me/export", "GET"): ((P,), ()),
    ("/me/consents", "GET"): ((P,), ()),
    ("/me/consents/<purpose>", "PUT"): ((P,), ()),
    ("/me/assignments", "GET"): ((P,), ()),
    ("/me/assignments/<assignment_id>/accept", "POST"): ((P,), (P,)),
    ("/me/assignments/<assignment_id>/decline", "POST"): ((P,), (P,)),
    ("/me/assignments/<assignment_id>/check-in", "POST"): ((P,), (P,)),
    ("/me/assignments/<assignment_id>/check-out", "POST"): ((P,), (P,)),
    ("/assignments/<assignment_id>/attendance", "GET"): ((A, C, S), (C, S)),
    ("/assignments/<assignment_id>/attendance", "POST"): ((A, C, S), (C, S)),
    ("/attendance/pending", "GET"): ((A, C, S), ()),
    ("/people/<person_id>/reliability", "GET"): ((A, C), (C,)),
    ("/people/<person_id>/reliability/clear", "POST"): ((A, C), (C,)),
    ("/star-awards", "GET"): ((A, C), ()),
    ("/reports/fairness", "GET"): ((A, C), (C,)),
    ("/reports/fairness.svg", "GET"): ((A, C), (C,)),
    ("/reports/hours", "GET"): ((A, C, S), ()),
    ("/runs/<run_id>/fairness", "GET"): ((A, C), (C,)),
    ("/runs/<run_id>/fairness.svg", "GET"): ((A, C), (C,)),
    ("/people/<person_id>/service-record", "GET"): ((A, C), (C,)),
    ("/people/<person_id>/certificate", "GET"): ((A, C), (C,)),
    ("/me/service-record", "GET"): ((P,), ()),
    ("/me/certificate", "GET"): ((P,), ()),
    ("/people/<person_id>/points", "GET"): ((A, C), (C,)),
    ("/people/<person_id>/hours", "GET"): ((A, C), (C,)),
    ("/people/<person_id>/points/redemptions", "POST"): ((A, C), (C,)),
    ("/people/<person_id>/points/adjustments", "POST"): ((A, C), (C,)),
    ("/points-entries/<entry_id>/reversal", "POST"): ((A, C), (C,)),
    ("/assignments/<assignment_id>/hours-correction", "POST"): ((A, C, S), (C, S)),
    ("/me/points", "GET"): ((P,), ()),
    ("/me/hours", "GET"): ((P,), ()),
    ("/calendar/<token>.ics", "GET"): (PUBLIC, ()),
    ("/me/calendar-feed", "POST"): ((P,), ()),
    ("/me/calendar-feed", "DELETE"): ((P,), ()),
    ("/me/contact", "GET"): ((P,), ()),
    ("/me/contact", "PUT"): ((P,), ()),
    ("/me/notification-preferences", "GET"): ((P,), ()),
    ("/me/notification-preferences", "PUT"): ((P,), ()),
}

# Query strings some routes need to be meaningful: the problem of one community.
PERIOD = {"from": "2026-11-30", "to": "2026-12-07"}
QUERIES = {
    "/problems": lambda ids: {"week": "2026-W49", "community": ids["community_id"]},
    "/reports/fairness": lambda ids: {**PERIOD, "community_id": ids["community_id"]},
    "/reports/fairness.svg": lambda ids: {**PERIOD, "community_id": ids["community_id"]},
    "/reports/hours": lambda ids: PERIOD,
}
# Valid bodies where an empty one would stop at validation before the reach is checked:
# with them an object out of reach must be refused with 403 or 404, never 422.
BODIES = {
    ("/people/<person_id>", "PATCH"): {"name": "Renamed"},
    ("/people/<person_id>/skills/<code>", "PATCH"): {"level": 4},
    ("/people/<person_id>/skills/<code>/verify", "POST"): {"verified_by": "matrix"},
    ("/organizations/<organization_id>", "PATCH"): {"kind": "social_work_organization"},
    ("/needs/<need_id>", "PATCH"): {"title": "Renamed"},
    ("/shifts/<shift_id>", "PATCH"): {"cancelled": True},
    ("/positions/<position_id>", "PATCH"): {"label": "renamed"},
    ("/assignments/<assignment_id>", "PATCH"): {"status": "cancelled"},
    ("/assignments/<assignment_id>/attendance", "POST"): {"outcome": "excused"},
    ("/points-entries/<entry_id>/reversal", "POST"): {"reason": "matrix"},
    ("/assignments/<assignment_id>/hours-correction", "POST"): {"minutes": 30, "reason": "m"},
}
# Who a social worker may verify is someone else of their community, not themself.
ROLE_IN_IDS = {("/people/<person_id>/skills/<code>/verify", P): {"person_id": "colleague"}}


def _routes() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") and rule.rule != PREFIX:
            continue
        # Converters dropped: "/people/<int:person_id>" -> "/people/<person_id>".
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"<\1>", rule.rule[len(PREFIX) :])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.add((path, method))
    return sorted(found)


ROUTES = _routes()


def _token(username: str, role: str, **kwargs) -> str:
    hasher = auth.password_hasher("cheap")
    auth.create_user(
        session=db.session,
        hasher=hasher,
        username=username,
        password="matrix password 1",
        role=role,
        **kwargs,
    )
    token, _ = auth.login(
        session=db.session,
        hasher=hasher,
        username=username,
        password="matrix password 1",
        ttl=timedelta(hours=1),
    )
    return token


def _world() -> tuple[dict[str, dict[str, object]], dict[str, str]]:
    """Objects in reach of the test accounts ("in") and of nobody of them ("out")."""
    ids: dict[str, dict[str, object]] = {}
    skill = SkillFactory()
    people = {}
    for side in ("in", "out"):
        community = CommunityFactory()
        organization = OrganizationFactory()
        organization.communities.append(community)
        person = PersonFactory(community_id=community.id, role="social_worker")
        PersonSkillFactory(person=person, skill=skill)
        need = NeedFactory(organization_id=organization.id, community_id=community.id)
        shift = ShiftFactory(need=need)
        position = PositionFactory(shift=shift)
        assignment = AssignmentFactory(person=person, position=position)
        window = AvailabilityWindowFactory(person=person)
        exception = AvailabilityExceptionFactory(person=person)
        db.session.flush()
        run = MatchingRun(scope=f"community:{community.id}", week="2026-W49")
        override = MatchingOverride(kind="forbid", person_id=person.id, shift_id=shift.id)
        db.session.add_all([run, override])
        db.session.flush()
        bonus = ledger.record_adjustment(
            session=db.session, person_id=person.id, points=10, reason="matrix", actor=None
        )
        people[side] = person
        ids[side] = {
            "community_id": community.id,
            "organization_id": organization.id,
            "person_id": person.id,
            "skill_id": skill.id,
            "code": skill.code,
            "need_id": need.id,
            "shift_id": shift.id,
            "position_id": position.id,
            "assignment_id": assignment.id,
            "window_id": window.id,
            "exception_id": exception.id,
            "run_id": run.id,
            "override_id": override.id,
            "entry_id": bonus.id,
            "token": "no-such-feed",
            "purpose": "share_contact_with_organizations",
        }
    colleague = PersonFactory(community_id=people["in"].community_id)
    PersonSkillFactory(person=colleague, skill=skill)
    db.session.flush()
    ids["colleague"] = {"person_id": colleague.id}
    # Pending self-registrations: one of a coordinated community, one elsewhere.
    for side, subject in (("in", colleague), ("out", people["out"])):
        user = auth.create_user(
            session=db.session,
            hasher=auth.password_hasher("cheap"),
            username=f"pending-{side}",
            password="matrix password 1",
            role="person",
            person_id=subject.id,
            status="pending",
        )
        ids[side]["user_id"] = user.id
    community_id = ids["in"]["community_id"]
    tokens = {
        A: _token("m-admin", A),
        C: _token("m-coord", C, scopes=[ScopeSpec(community_id=community_id)]),
        S: _token("m-staff", S, scopes=[ScopeSpec(organization_id=ids["in"]["organization_id"])]),
        P: _token("m-person", P, person_id=people["in"].id),
    }
    db.session.commit()
    return ids, tokens


def _url(path: str, values: dict[str, object]) -> str:
    return PREFIX + re.sub(r"<([a-z_]+)>", lambda m: str(values[m.group(1)]), path)


def _send(client, method: str, path: str, values, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    query = QUERIES[path](values) if path in QUERIES else None
    body = BODIES.get((path, method), {}) if method in ("POST", "PUT", "PATCH") else None
    return client.open(
        _url(path, values), method=method, json=body, query_string=query, headers=headers
    )


def test_every_route_declares_its_policy():
    missing = [route for route in ROUTES if route not in POLICY]
    assert not missing, f"add these routes to POLICY in {__file__}: {missing}"
    stale = [route for route in POLICY if route not in ROUTES]
    assert not stale, f"POLICY names routes that no longer exist: {stale}"


def test_policy_matches_the_roles_each_view_declares():
    # `requires` keeps its roles on the view (`__access__`); the docs endpoints have none.
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    mismatches = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"<\1>", rule.rule[len(PREFIX) :])
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            view = getattr(view_class, method.lower(), None) if view_class else None
            declared = getattr(view, "__access__", (PUBLIC,))
            declared_roles = set(EVERYONE) if declared == ("*",) else set(declared)
            if (path, method) not in POLICY:
                continue  # test_every_route_declares_its_policy reports it
            allowed = POLICY[(path, method)][0]
            allowed_roles = {PUBLIC} if allowed == PUBLIC else set(allowed)
            if declared_roles != allowed_roles:
                mismatches.append(f"{method} {path}: view {declared}, policy {allowed}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize(("path", "method"), ROUTES, ids=[f"{m} {p}" for p, m in ROUTES])
def test_route_gives_each_role_the_expected_status(anonymous_client, path, method):
    assert (path, method) in POLICY, f"no policy for {method} {path}: add it to POLICY"
    allowed, scoped = POLICY[(path, method)]
    ids, tokens = _world()
    has_objects = "<" in path or path in QUERIES
    failures = []

    def check(role, side, response, expect):
        status = response.status_code
        ok = {
            "401": status == 401,
            "403": status == 403,
            "passes": status not in (401, 403) and status < 500,
            "refused": status in (403, 404),
            # An empty body may be refused by validation first: never a success either way.
            "refused or invalid": status in (403, 404, 422),
        }[expect]
        if not ok:
            failures.append(f"{role}/{side}: expected {expect}, got {status} {response.json}")

    response = _send(anonymous_client, method, path, ids["in"], None)
    check("anonymous", "in", response, "passes" if allowed == PUBLIC else "401")
    if allowed == PUBLIC:
        assert not failures, failures
        return
    # Restricted roles first and out of reach first: an allowed write may change the world.
    for role in (C, S, P, A):
        sides = ("out", "in") if has_objects and (role in scoped or role == A) else ("in",)
        for side in sides:
            values = dict(ids[side])
            if side == "in":
                for name, source in ROLE_IN_IDS.get((path, role), {}).items():
                    values[name] = ids[source][name]
            response = _send(anonymous_client, method, path, values, tokens[role])
            if role not in allowed:
                expect = "403"
            elif side == "out" and role in scoped:
                strict = method in ("GET", "DELETE") or (path, method) in BODIES
                expect = "refused" if strict else "refused or invalid"
            else:
                expect = "passes"
            check(role, side, response, expect)
    assert not failures, "\n".join(failures)


def test_the_world_has_one_account_per_role(app):
    _world()
    roles = sorted(db.session.scalars(db.select(User.role).where(User.username.like("m-%"))))
    assert roles == sorted(ROLES)

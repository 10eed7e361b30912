"""`linkage create-user` makes the first administrator, and says clearly what went wrong."""

from __future__ import annotations

from api.cli.accounts import create_user_command


def test_create_first_admin_then_sign_in(app, anonymous_client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        create_user_command,
        ["root", "--role", "admin"],
        env={"LINKAGE_NEW_USER_PASSWORD": "a long secret 1"},
    )
    assert result.exit_code == 0, result.output
    login = anonymous_client.post(
        "/api/v1/auth/login", json={"username": "root", "password": "a long secret 1"}
    )
    assert login.status_code == 200


def test_bad_requests_are_clear_messages(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(create_user_command, ["root"], env={"LINKAGE_NEW_USER_PASSWORD": "short"})
    assert weak.exit_code != 0 and "password" in weak.output and "Traceback" not in weak.output
    orphan = runner.invoke(
        create_user_command,
        ["vol", "--role", "person"],
        env={"LINKAGE_NEW_USER_PASSWORD": "a long secret 1"},
    )
    assert orphan.exit_code != 0 and "person_id" in orphan.output


def test_coordinators_and_staff_get_their_scopes(app):
    from models import User, UserScope, db
    from tests.factories import CommunityFactory, OrganizationFactory

    community, organization = CommunityFactory(), OrganizationFactory()
    db.session.commit()
    runner = app.test_cli_runner()
    env = {"LINKAGE_NEW_USER_PASSWORD": "a long secret 1"}
    planner = runner.invoke(
        create_user_command,
        [
            "planner",
            "--role",
            "coordinator",
            "--community",
            str(community.id),
            "--street",
            "Dongshan",
        ],
        env=env,
    )
    assert planner.exit_code == 0, planner.output
    staff = runner.invoke(
        create_user_command,
        ["staff", "--role", "org_staff", "--organization", str(organization.id)],
        env=env,
    )
    assert staff.exit_code == 0, staff.output
    scopes = {
        (u.username, s.community_id, s.street, s.organization_id)
        for u, s in db.session.query(User, UserScope).join(UserScope)
    }
    assert scopes == {
        ("planner", community.id, None, None),
        ("planner", None, "Dongshan", None),
        ("staff", None, None, organization.id),
    }
    unknown = runner.invoke(
        create_user_command, ["ghost", "--role", "coordinator", "--community", "999"], env=env
    )
    assert unknown.exit_code != 0 and "Traceback" not in unknown.output

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

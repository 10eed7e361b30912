"""`linkage create-user`: the first administrator (and any account) from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from models import db
from models.account import USER_ROLES
from services import auth
from services.auth import ScopeSpec
from services.errors import ServiceError


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(USER_ROLES), default="admin", show_default=True)
@click.option(
    "--person-id", type=click.IntRange(min=1), help="The person a `person` account acts for."
)
@click.option(
    "--community",
    "communities",
    type=click.IntRange(min=1),
    multiple=True,
    help="A community a coordinator plans for (repeatable).",
)
@click.option("--street", "streets", multiple=True, help="A whole street a coordinator plans for.")
@click.option(
    "--organization",
    "organizations",
    type=click.IntRange(min=1),
    multiple=True,
    help="An organization org_staff act for (repeatable).",
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="LINKAGE_NEW_USER_PASSWORD",
    help="Asked for when not given (or read from LINKAGE_NEW_USER_PASSWORD).",
)
@with_appcontext
def create_user_command(
    username: str,
    role: str,
    person_id: int | None,
    communities: tuple[int, ...],
    streets: tuple[str, ...],
    organizations: tuple[int, ...],
    password: str,
) -> None:
    """Create an active account; the way to make the first administrator."""
    hasher = auth.password_hasher(current_app.config["LINKAGE_PASSWORD_PROFILE"])
    scopes = [
        *(ScopeSpec(community_id=c) for c in communities),
        *(ScopeSpec(street=s) for s in streets),
        *(ScopeSpec(organization_id=o) for o in organizations),
    ]
    try:
        user = auth.create_user(
            session=db.session,
            hasher=hasher,
            username=username,
            password=password,
            role=role,
            person_id=person_id,
            scopes=scopes,
        )
    except ServiceError as error:
        details = "".join(f"\n  - {k}: {'; '.join(v)}" for k, v in error.errors.items())
        raise click.ClickException(error.message + details) from None
    click.echo(f"created {user.role} {user.username} (id {user.id})")

"""Data commands: seed the demo, import and export people as CSV, export a week's problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from models import db
from services import auth, demo, demo_accounts, people_csv, problems
from services.errors import ServiceError

T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    """Run a service call; its errors become one clear message and a non-zero exit."""
    try:
        return action()
    except ServiceError as error:
        db.session.rollback()
        details = "; ".join(
            f"{field}: {', '.join(messages)}" for field, messages in error.errors.items()
        )
        message = f"{error.message} ({details})" if details else error.message
        raise click.ClickException(message) from None
    except SQLAlchemyError as error:
        db.session.rollback()
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise click.ClickException(
            f"database error: {reason} (is the database migrated? run `linkage db upgrade`)"
        ) from None


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from None
    click.echo(f"wrote {output}", err=True)


def _timezone() -> str:
    return current_app.config["LINKAGE_TIMEZONE"]


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Wipe communities, people, skills and needs first.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the demo is built around (default: today in the service's timezone).",
)
@with_appcontext
def seed_demo_command(reset: bool, today: Any) -> None:
    """Seed a deterministic demo neighbourhood in Guangzhou's Yuexiu district."""
    day: date | None = today.date() if today else None
    summary = _run(
        lambda: demo.seed_demo(session=db.session, timezone=_timezone(), today=day, reset=reset)
    )
    click.echo(
        f"seeded {summary.people} people, {summary.needs} needs ({summary.shifts} shifts), "
        f"{summary.organizations} organizations, {summary.communities} communities, "
        f"{summary.skills} skills, {summary.assignments} assignments"
    )


@click.command("demo-accounts")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    envvar="LINKAGE_NEW_USER_PASSWORD",
    help="One password for the three accounts (or LINKAGE_NEW_USER_PASSWORD).",
)
@with_appcontext
def demo_accounts_command(password: str) -> None:
    """Demo accounts for the pages: a coordinator, organization staff and a volunteer."""
    hasher = auth.password_hasher(current_app.config["LINKAGE_PASSWORD_PROFILE"])
    accounts = _run(
        lambda: demo_accounts.create_demo_accounts(
            session=db.session, hasher=hasher, password=password
        )
    )
    for account in accounts:
        click.echo(f"{account.username:17} {account.role:12} {account.acts_for}")


@click.command("import-people")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_people_command(csv_file: Path) -> None:
    """Import people from CSV_FILE (docs/csv-format.md); re-importing updates by external_id."""
    try:
        data = csv_file.read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {csv_file}: {error.strerror}") from None
    report = _run(lambda: people_csv.import_people_csv(session=db.session, data=data))
    for row in report.rows:
        if row["status"] == "rejected":
            problems_text = "; ".join(
                f"{column}: {' '.join(messages)}" for column, messages in row["errors"].items()
            )
            click.echo(f"row {row['row']} ({row['external_id'] or '-'}): {problems_text}", err=True)
    click.echo(f"{report.created} created, {report.updated} updated, {report.rejected} rejected")
    if report.rejected:
        raise click.ClickException(
            f"{report.rejected} row(s) rejected, listed above; the other rows were imported"
        )


@click.command("export-people")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@click.option("--community", type=click.IntRange(min=1), help="Only this community's people.")
@with_appcontext
def export_people_command(output: Path | None, community: int | None) -> None:
    """Export people as CSV (to stdout, or to --output)."""
    text = _run(lambda: people_csv.export_people_csv(session=db.session, community_id=community))
    _write(text, output)


@click.command("export-problem")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W49.")
@click.option("--community", type=click.IntRange(min=1), help="Only this community.")
@click.option("--street", help="Only the communities of this street (街道).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@with_appcontext
def export_problem_command(
    week: str, community: int | None, street: str | None, output: Path | None
) -> None:
    """Export the matching problem of a week as JSON (docs/problem-format.md)."""
    problem = _run(
        lambda: problems.export_problem(
            session=db.session,
            week=week,
            community_id=community,
            street=street,
            timezone=_timezone(),
            travel_buffer_minutes=current_app.config["LINKAGE_TRAVEL_BUFFER_MINUTES"],
            no_show_limit=current_app.config["LINKAGE_NO_SHOW_LIMIT"],
        )
    )
    _write(json.dumps(problem, ensure_ascii=False, indent=2) + "\n", output)

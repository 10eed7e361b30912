"""The `linkage` command: a Flask CLI group; each module here adds its click commands."""

from __future__ import annotations

import importlib
import pkgutil

import click
from flask.cli import FlaskGroup


def discover_commands() -> list[click.Command]:
    """Click commands defined at the top level of the modules in this package."""
    found: list[click.Command] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            defined_here = getattr(value, "callback", None) is not None and (
                value.callback.__module__ == module.__name__
            )
            if isinstance(value, click.Command) and defined_here:
                found.append(value)
    return found


def _create_app():
    from api import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def cli() -> None:
    """Linkage: volunteer and social-worker matching for urban communities."""


def main() -> None:
    cli(prog_name="linkage")

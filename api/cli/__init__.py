"""The `linkage` command: a Flask CLI group; each module here adds its click commands."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import click
from flask.cli import FlaskGroup


def _commands_of(module: ModuleType) -> list[click.Command]:
    """Top-level commands and groups defined in `module`, without the groups' subcommands."""
    # type(), not isinstance(): a module may hold a LocalProxy such as current_app.
    found = [v for v in vars(module).values() if issubclass(type(v), click.Command)]
    nested = {
        id(sub)
        for group in found
        if isinstance(group, click.Group)
        for sub in group.commands.values()
    }
    return [
        command
        for command in found
        if id(command) not in nested
        and (command.callback is None or command.callback.__module__ == module.__name__)
    ]


def discover_commands() -> list[click.Command]:
    """The commands of every module in this package, in module-name order."""
    found: list[click.Command] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found.extend(_commands_of(importlib.import_module(f"{__name__}.{info.name}")))
    return found


def _create_app():
    from api import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def cli() -> None:
    """Linkage: volunteer and social-worker matching for urban communities."""


def main() -> None:
    cli(prog_name="linkage")

"""REST resources under /api/v1, one blueprint (`blp`) per module, registered by discovery."""

from __future__ import annotations

import importlib
import pkgutil

from api.smorest import Blueprint


def discover_blueprints() -> list[Blueprint]:
    """Every `blp` of the modules in this package, in module-name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        blueprint = getattr(module, "blp", None)
        if isinstance(blueprint, Blueprint):
            found.append(blueprint)
    return found

"""Flask extensions, created unbound and bound to the app in the factory."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import Migrate

from api.smorest import Api

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

api = Api()
migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True)

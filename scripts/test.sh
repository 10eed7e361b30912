#!/usr/bin/env bash
# Set up the environment and run the whole test suite (SQLite; PostgreSQL too when
# LINKAGE_TEST_DATABASE_URL is set), plus the import-linter contracts and ruff.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
.venv/bin/lint-imports --config setup.cfg
.venv/bin/ruff check .
# loadgroup keeps the process tests (one gunicorn per database) on one worker.
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@"

#!/usr/bin/env bash
# Create (or reuse) .venv and install Linkage into it; used by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Linkage needs Python 3.11 or newer")'
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
# "$1" names optional extras (e.g. "test"); none installs the service alone.
.venv/bin/python -m pip install --quiet -e ".${1:+[$1]}"
# The page catalogs: .mo files are built from the .po sources, not kept in the repository.
.venv/bin/pybabel -q compile -d api/translations

#!/usr/bin/env bash
# Set up the environment, migrate a SQLite database, seed the demo community and serve the API.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export LINKAGE_DATABASE_URL=${LINKAGE_DATABASE_URL:-sqlite:///$PWD/instance/demo.sqlite}
mkdir -p instance
.venv/bin/linkage db upgrade
.venv/bin/linkage seed-demo
echo "Serving the API on http://127.0.0.1:${PORT:-5000}/api/v1/docs (Ctrl-C to stop)"
exec .venv/bin/linkage run --host 127.0.0.1 --port "${PORT:-5000}"

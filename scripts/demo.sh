#!/usr/bin/env bash
# The main job on the embedded default: set up, migrate a SQLite database, seed the demo
# community, run the weekly matching for the coming week and print its summary, then serve
# the API (Ctrl-C stops it). DEMO_SERVE=0 skips serving.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
mkdir -p instance
export LINKAGE_DATABASE_URL=${LINKAGE_DATABASE_URL:-sqlite:///$PWD/instance/demo.sqlite}
.venv/bin/linkage db upgrade
.venv/bin/linkage seed-demo --reset
.venv/bin/linkage match run --scope all --time-limit "${DEMO_TIME_LIMIT:-20}"
if [ "${DEMO_SERVE:-1}" != "0" ]; then
  echo "Serving the API on http://127.0.0.1:${PORT:-5000}/api/v1/docs (Ctrl-C to stop)"
  exec .venv/bin/linkage run --host 127.0.0.1 --port "${PORT:-5000}"
fi

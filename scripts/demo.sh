#!/usr/bin/env bash
# The main job on the embedded default: set up, migrate a fresh SQLite database, seed the demo
# community, run the weekly matching for the coming week and print its summary, then serve the
# pages and the API with a demo administrator (Ctrl-C stops it). DEMO_SERVE=0 skips serving.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
mkdir -p instance
if [ -z "${LINKAGE_DATABASE_URL:-}" ]; then
  # The demo database is rebuilt on every run; a database you name yourself is never removed.
  rm -f instance/demo.sqlite instance/demo.sqlite-wal instance/demo.sqlite-shm
  export LINKAGE_DATABASE_URL="sqlite:///$PWD/instance/demo.sqlite"
fi
.venv/bin/linkage db upgrade
.venv/bin/linkage seed-demo
.venv/bin/linkage match run --scope all --time-limit "${DEMO_TIME_LIMIT:-20}"
password=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))')
LINKAGE_NEW_USER_PASSWORD=$password .venv/bin/linkage create-user demo-admin --role admin
LINKAGE_NEW_USER_PASSWORD=$password .venv/bin/linkage demo-accounts
if [ "${DEMO_SERVE:-1}" != "0" ]; then
  port=${PORT:-5000}
  cat <<MSG

Pages: http://127.0.0.1:$port/  (Ctrl-C to stop)
       sign in as demo-admin, demo-coordinator, demo-staff or demo-volunteer,
       each with the password $password
API:   http://127.0.0.1:$port/api/v1/docs
Sign in:  curl -s -X POST http://127.0.0.1:$port/api/v1/auth/login \\
            -H 'Content-Type: application/json' \\
            -d '{"username": "demo-admin", "password": "$password"}'
then send the token as "Authorization: Bearer <token>".
MSG
  exec .venv/bin/linkage run --host 127.0.0.1 --port "$port"
fi

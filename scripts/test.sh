#!/usr/bin/env bash
# The whole test suite: lint, migrations, translations, OpenAPI schema, deploy check, then
# pytest (unit, API, worker and browser tests).
#  - SQLite by default; set DATABASE_URL=postgres://… to run on PostgreSQL.
#  - Worker tests start a real Celery worker on Redis (TEST_REDIS_URL, default
#    redis://127.0.0.1:6379/15).
#  - Browser tests drive Chromium at $CHROMIUM (default /usr/bin/chromium).
#  - pytest runs in parallel (pytest-xdist): PYTEST_WORKERS processes, default "auto" (one per
#    core). Each has its own test database (SQLite file or PostgreSQL database suffixed _gw0,
#    _gw1…) and its own Redis database (15, 14… below TEST_REDIS_URL's); PYTEST_WORKERS=0 runs
#    in this one process.
# Extra arguments go to pytest (after the defaults, so `-n 3` there wins).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=portal.settings

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check . >/dev/null

echo "== migrations are complete"
$PY manage.py makemigrations --check --dry-run -v1

echo "== Arabic catalogue is complete"
$PY manage.py check_translations

echo "== OpenAPI schema validates"
$PY manage.py spectacular --validate --fail-on-warn --lang en --file var/openapi.yaml

echo "== check --deploy with production settings"
DEBUG=false SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')" \
  ALLOWED_HOSTS=portal.example.ae $PY manage.py check --deploy --fail-level WARNING

echo "== pytest (${PYTEST_WORKERS:-auto} workers)"
DJANGO_ALLOW_ASYNC_UNSAFE=true .venv/bin/pytest -n "${PYTEST_WORKERS:-auto}" "$@"

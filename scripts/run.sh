#!/usr/bin/env bash
# Runs the embedded portal on http://127.0.0.1:8000: SQLite, Celery eager, demo data loaded,
# e-mails printed to this terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py runserver "${PORT:-127.0.0.1:8000}"

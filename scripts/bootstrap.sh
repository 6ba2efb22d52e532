#!/usr/bin/env bash
# Installs what the portal needs into this checkout: the virtualenv (pinned requirements), the
# front-end assets (npm ci + Tailwind build) and the compiled Arabic catalogue.
# Usage: scripts/bootstrap.sh [dev]   — "dev" adds the test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
if [ "${1:-}" = "dev" ]; then
  .venv/bin/pip install --quiet -r requirements-dev.txt
else
  .venv/bin/pip install --quiet -r requirements.txt
fi

npm ci --no-audit --no-fund --loglevel=error
npm run --silent build

mkdir -p var
.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

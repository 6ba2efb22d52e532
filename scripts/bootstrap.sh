#!/usr/bin/env bash
# Installs what the portal needs into this checkout: the virtualenv (pinned requirements), the
# front-end assets (npm ci + Tailwind build) and the compiled Arabic catalogue.
# Usage: scripts/bootstrap.sh [dev]   — "dev" adds the test tools.
#
# What is already installed for the same lock files is not installed again: a stamp named after
# the files' SHA-256 records the last install (var/.stamp-pip-*, node_modules/.stamp-*); delete
# it to force one. Each step prints one line; the tools' own output goes to var/log/bootstrap.log
# and its end is shown only when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p var/log
LOG=var/log/bootstrap.log
: >"$LOG"

step() {  # step "what it does" command…: one line of progress, the output to the log
  local what=$1
  shift
  printf '  %s … ' "$what"
  if "$@" >>"$LOG" 2>&1; then
    echo done
  else
    echo "FAILED; the end of $LOG:"
    tail -n 25 "$LOG"
    exit 1
  fi
}

sha() { cat "$@" | sha256sum | cut -c1-16; }

PYTHON=${PYTHON:-python3}
mode=run
requirements=requirements.txt
if [ "${1:-}" = "dev" ]; then
  mode=dev
  requirements=requirements-dev.txt
fi
# requirements-dev.txt includes requirements.txt: both files are in every stamp, and the dev
# install covers the run one.
pip_hash=$(sha requirements.txt requirements-dev.txt)
pip_stamp="var/.stamp-pip-$mode-$pip_hash"
if [ ! -x .venv/bin/python ]; then
  step "creating the virtualenv (.venv)" "$PYTHON" -m venv .venv
fi
if [ -e "$pip_stamp" ] || [ -e "var/.stamp-pip-dev-$pip_hash" ]; then
  echo "  Python packages: up to date ($requirements)"
else
  step "installing pip" .venv/bin/pip install --quiet --upgrade pip
  step "installing Python packages ($requirements; the first time takes a few minutes)" \
    .venv/bin/pip install --quiet -r "$requirements"
  rm -f var/.stamp-pip-"$mode"-*
  touch "$pip_stamp"
fi

npm_stamp="node_modules/.stamp-$(sha package-lock.json)"
if [ -e "$npm_stamp" ]; then
  echo "  npm packages: up to date (package-lock.json)"
else
  # npm ci empties node_modules first, the old stamp with it.
  step "installing npm packages (npm ci)" npm ci --no-audit --no-fund --loglevel=error
  touch "$npm_stamp"
fi
# Tailwind takes about a second: always rebuilt, so a changed template or style is never stale.
step "building the stylesheets (Tailwind)" npm run --silent build
step "compiling the Arabic catalogue" \
  .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

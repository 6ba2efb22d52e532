#!/usr/bin/env bash
# Runs the embedded portal on http://127.0.0.1:$PORT (default 8000): SQLite, Celery eager, demo
# data loaded, e-mails kept as files in var/mail/ (the local inbox). SITE_URL follows PORT, so the
# links in e-mails and the QR codes of issued documents point at this server.
# Progress is one line a step; the tools' output goes to var/log/. It ends with the URL and the
# demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."

export PORT=${PORT:-8000}
URL="http://127.0.0.1:$PORT/"

echo "Setting up the portal (the first run takes a few minutes; later runs a few seconds):"
scripts/bootstrap.sh

mkdir -p var/log var/mail
printf '  migrating the database (var/db.sqlite3) … '
if .venv/bin/python manage.py migrate --noinput -v0 >var/log/migrate.log 2>&1; then echo done; else
  echo "FAILED; the end of var/log/migrate.log:"
  tail -n 25 var/log/migrate.log
  exit 1
fi
# The demo logins are what seed_demo writes on stdout; its log lines (PDF renders, e-mails
# queued) go to stderr.
printf '  loading the demo data (renders its PDFs the first time) … '
if .venv/bin/python manage.py seed_demo >var/log/seed_demo.out 2>var/log/seed_demo.log; then
  echo done
else
  echo "FAILED; the end of var/log/seed_demo.log:"
  tail -n 25 var/log/seed_demo.log
  exit 1
fi

banner() {
  # Printed once the server answers, so that it comes after runserver's own start-up lines.
  for _ in $(seq 240); do
    if .venv/bin/python scripts/answers.py "${URL}healthz" 2>/dev/null; then
      echo
      echo "Demo logins (password Demo-pass-2026):"
      grep '@' var/log/seed_demo.out
      echo "E-mails the portal sends are files in var/mail/ (one per sending connection)."
      echo "The portal is running at $URL — stop it with Ctrl-C."
      return
    fi
    sleep 0.5
  done
  echo "The server did not answer at $URL within two minutes." >&2
}
banner &

# Django 5.2's banner about the development server is not news here.
export DJANGO_RUNSERVER_HIDE_WARNING=true
exec .venv/bin/python manage.py runserver --skip-checks "127.0.0.1:$PORT"

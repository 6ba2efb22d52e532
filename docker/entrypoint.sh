#!/bin/sh
# Entrypoint of the portal image: optionally apply migrations, then run the command
# (gunicorn by default; celery for the worker and beat containers).
set -eu

if [ "${MIGRATE_ON_START:-false}" = "true" ]; then
  python manage.py migrate --noinput
fi

exec "$@"

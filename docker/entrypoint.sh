#!/bin/sh
# Entrypoint of the portal image: optionally apply migrations, then run the command
# (gunicorn by default; celery for the worker and beat containers).
set -eu

if [ "${MIGRATE_ON_START:-false}" = "true" ]; then
  python manage.py migrate --noinput
fi

# The web container copies the collected static files (built into the image) into the volume
# the reverse proxy serves /static/ from, so a new image brings its new files.
if [ -n "${PUBLISH_STATIC_TO:-}" ]; then
  cp -R /app/staticfiles/. "${PUBLISH_STATIC_TO}/"
fi

exec "$@"

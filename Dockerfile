# The portal image: gunicorn serving portal.wsgi, static files by whitenoise. The same image runs
# the Celery worker and beat (see docker-compose.yml). Only classic Dockerfile syntax is used (no
# BuildKit-only features), so it also builds with docker-compose 1.29's legacy builder.

# --- Stage 1: front-end assets (Tailwind + UAE Design System) -> static/dist/ ----------------
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
# Tailwind finds classes by scanning the templates and the Python code, so the whole source
# (minus what .dockerignore leaves out) goes in before the build.
COPY . .
RUN npm run --silent build

# --- Stage 2: the Python application ---------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (Pango, HarfBuzz subsetting), Arabic-capable fonts for the PDFs, gettext for
# compilemessages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 \
      libpangoft2-1.0-0 \
      libharfbuzz-subset0 \
      fonts-noto-core \
      gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

# Unprivileged user. The code stays owned by root (read-only to the app); only the private
# files directory, var/ (SQLite fallback) and /srv/static (the static files handed to the
# reverse proxy through a volume, see docker/entrypoint.sh) are writable.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
      --shell /usr/sbin/nologin app \
 && mkdir -p /data/private /srv/static \
 && chown app:app /data/private /srv/static

COPY . .
COPY --from=assets /app/static/dist/ static/dist/

# The Arabic catalogue and the static files (hashed + compressed, as with DEBUG=false). The
# SECRET_KEY and ALLOWED_HOSTS here exist only for this RUN; they are not kept in the image.
RUN DEBUG=false SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=localhost \
      python manage.py compilemessages -v0 \
 && DEBUG=false SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=localhost \
      python manage.py collectstatic --noinput -v0 \
 && chmod 0755 docker/entrypoint.sh \
 && mkdir -p var \
 && chown app:app var

# Production defaults; the deployment supplies SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, etc.
ENV DEBUG=false \
    PRIVATE_MEDIA_ROOT=/data/private \
    WEB_CONCURRENCY=3

USER app

EXPOSE 8000

# /healthz answers 200 when the database (and, with a broker, Redis and a Celery worker) are
# up. The request's Host is 127.0.0.1, which must be in ALLOWED_HOSTS. Not meaningful for the
# worker/beat containers; docker-compose.yml overrides it there.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=8); sys.exit(0 if r.status == 200 else 1)"]

# MIGRATE_ON_START=true makes the entrypoint run `migrate` before the command (web only).
ENTRYPOINT ["/app/docker/entrypoint.sh"]
# Workers: WEB_CONCURRENCY (gunicorn reads it), 3 by default.
CMD ["gunicorn", "portal.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-", \
     "--timeout", "60"]

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
    )
    client.ping()
    return "ok"


def _check_celery() -> str:
    from portal.celery import app

    replies = app.control.inspect(timeout=1.5).ping() or {}
    if not replies:
        raise RuntimeError("no worker answered")
    return f"ok ({len(replies)} worker{'s' if len(replies) != 1 else ''})"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database always; Redis and the Celery workers when a broker is configured."""
    checks = {"database": _check_database}
    if settings.CELERY_BROKER_URL:
        checks["redis"] = _check_redis
        checks["celery"] = _check_celery
    report, healthy = {}, True
    for name, check in checks.items():
        try:
            report[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports every failure
            logger.warning("health check %s failed: %s", name, exc)
            report[name] = f"error: {exc.__class__.__name__}"
            healthy = False
    if not settings.CELERY_BROKER_URL:
        report["celery"] = "eager (no broker configured)"
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": report}, status=200 if healthy else 503
    )

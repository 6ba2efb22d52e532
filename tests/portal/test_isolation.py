"""Issue #12 items 13 and 14: what the environment sets up for the embedded portal (PORT, the
local e-mail inbox) and for parallel test workers (a Redis database each, emptied after every
worker test; pytest-django gives each its own test database)."""

import json
import os
import subprocess
import sys

import pytest
import redis
from django.conf import settings as django_settings

from tests.brokers import worker_redis_url

PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "site_url": settings.SITE_URL,
    "email_backend": settings.EMAIL_BACKEND,
    "email_file_path": str(getattr(settings, "EMAIL_FILE_PATH", "")),
}))
"""


def _settings_under(**env: str) -> dict:
    """portal.settings as a fresh process with this environment (and none of the test run's)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "PORT", "SITE_URL", "EMAIL_URL", "EMAIL_BACKEND"}
        and not k.startswith(("PYTEST_", "TEST_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + PROBE],
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_site_url_follows_port_so_links_and_qr_codes_reach_this_server():
    assert _settings_under(PORT="8123")["site_url"] == "http://127.0.0.1:8123"
    assert _settings_under()["site_url"] == "http://127.0.0.1:8000"
    # A public address set on purpose wins.
    assert _settings_under(PORT="8123", SITE_URL="https://e.example.ae/")["site_url"] == (
        "https://e.example.ae"
    )


def test_the_embedded_portal_keeps_e_mails_in_var_mail():
    probed = _settings_under()

    assert probed["email_backend"] == "django.core.mail.backends.filebased.EmailBackend"
    assert probed["email_file_path"] == str(django_settings.BASE_DIR / "var" / "mail")


def test_each_xdist_worker_has_its_own_redis_database(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    assert worker_redis_url("redis://127.0.0.1:6379/15") == "redis://127.0.0.1:6379/13"
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert worker_redis_url("redis://127.0.0.1:6379/15") == "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_db_left_empty():
    """Requested before celery_worker, so torn down after it: by then the worker's Redis
    database must hold no key."""
    url = worker_redis_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    client = redis.Redis.from_url(url)
    yield client
    try:
        assert client.keys("*") == [], "the celery_worker fixture left keys in Redis"
    finally:
        client.close()


@pytest.mark.worker
def test_the_worker_fixture_leaves_no_key_in_redis(redis_db_left_empty, celery_worker):
    from portal import tasks

    tasks.sweep_notifications.delay()
    # Queues and bindings exist while the worker runs: the clean-up has something to remove.
    assert redis_db_left_empty.keys("_kombu.binding.*")

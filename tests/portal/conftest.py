"""Fixtures for the shared-core tests: a customer without an organization, a private file store
in a temporary directory, a real worker with fresh broker connections, and a broker that cannot
be reached."""

from types import SimpleNamespace

import pytest

from accounts.roles import Role
from tests.brokers import reset_broker_connections
from tests.factories import UserFactory


@pytest.fixture
def fast_hasher(settings):
    # Kept for test_admin.py, which asks for it; tests/conftest.py now does the same for all.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def newcomer(db):
    """A customer who has not registered an organization yet."""
    return UserFactory(role=Role.CUSTOMER, full_name="خالد الكعبي", email="newcomer@example.ae")


@pytest.fixture
def live_worker(fresh_broker_connections, celery_worker):
    """tests/conftest.py's real Celery worker, with broker connections made afresh."""
    return celery_worker


@pytest.fixture
def fresh_broker_connections():
    from portal.celery import app

    reset_broker_connections(app)
    yield
    reset_broker_connections(app)


@pytest.fixture
def broker_down(settings):
    """Celery in normal (non-eager) mode with a broker nobody listens on. `.restore()` puts
    eager mode back (the test may call it half-way; teardown calls it anyway)."""
    from portal.celery import app

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    saved_settings = (settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER)

    def restore() -> None:
        app.conf.update(saved)
        reset_broker_connections(app)
        settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = saved_settings

    app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    reset_broker_connections(app)
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield SimpleNamespace(restore=restore)
    finally:
        restore()

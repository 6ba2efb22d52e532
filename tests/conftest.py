"""Persona fixtures (one per kind of person), browser and Celery worker fixtures."""

import os

import pytest
from django.core.files.storage import storages

from accounts.roles import Role
from portal.models import IssuedDocument, PrivateFile
from tests.brokers import flush_redis, reset_broker_connections, worker_redis_url
from tests.factories import CustomerFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Every persona hashes a password; the production hasher would make that the slow part.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Each test starts with nothing cached: public pages (portal.public_cache), sessions, the
    # sign-in limiter's counts.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def postgresql():
    """For tests about PostgreSQL itself (row locks racing, the exclusion constraint, index
    plans): the README's default run uses SQLite and reports them skipped; CI sets DATABASE_URL
    and runs them."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


# --- personas ---------------------------------------------------------------------------------
@pytest.fixture
def customer(db):
    return CustomerFactory(full_name="سارة المهيري", email="customer@example.ae")


@pytest.fixture
def other_customer(db):
    return CustomerFactory(full_name="Other Customer", email="other@example.ae")


@pytest.fixture
def agent(db):
    return UserFactory(role=Role.HAPPINESS_AGENT, email="agent@example.ae")


@pytest.fixture
def reviewer(db):
    return UserFactory(role=Role.REVIEWER, email="reviewer@example.ae")


@pytest.fixture
def contracts_engineer(db):
    return UserFactory(role=Role.CONTRACTS_ENGINEER, email="contracts@example.ae")


@pytest.fixture
def committee_member(db):
    return UserFactory(role=Role.TENDER_COMMITTEE, email="committee@example.ae")


@pytest.fixture
def finance(db):
    return UserFactory(role=Role.FINANCE_OFFICER, email="finance@example.ae")


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@example.ae", is_staff=True, is_superuser=True)


@pytest.fixture
def service(db):
    """A service with a one-version checklist (tests/transactions/factories.py)."""
    from tests.transactions.factories import ServiceFactory

    return ServiceFactory()


@pytest.fixture
def people(service, customer, agent, reviewer, finance):
    """The personas of a transaction's path, with the reviewer in the service's team."""
    from tests.transactions.factories import People

    return People(
        service=service, customer=customer, agent=agent, reviewer=reviewer, finance=finance
    )


# --- private files ---------------------------------------------------------------------------
@pytest.fixture
def private_media(settings, tmp_path, monkeypatch):
    """Point the private storage (uploads and issued PDFs) at a temporary directory.

    The file fields resolved their storage once, at import, so they are pointed at the new
    storage too; the in-process Celery worker thread sees the same objects.
    """
    location = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": str(location)}},
    }
    storage = storages["private"]
    monkeypatch.setattr(PrivateFile._meta.get_field("file"), "storage", storage)
    monkeypatch.setattr(IssuedDocument._meta.get_field("pdf"), "storage", storage)
    return location


# --- browser (pytest-playwright on Debian's Chromium) -----------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# --- a real Celery worker on Redis ------------------------------------------------------------
@pytest.fixture
def celery_worker(transactional_db, settings):
    """Run a real Celery worker (in a thread) consuming from Redis for the duration of a test.

    The test's database writes must be committed for the worker to see them, hence
    transactional_db. Fails, never skips, when Redis cannot be reached. Each pytest-xdist worker
    uses a Redis database of its own (tests.brokers.worker_redis_url), emptied afterwards: kombu
    leaves its bindings and any unconsumed message behind.
    """
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    url = worker_redis_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=url, task_always_eager=False)
    reset_broker_connections(app)
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.connection_for_write().ensure_connection(max_retries=2)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10
        ) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        reset_broker_connections(app)
        flush_redis(url)

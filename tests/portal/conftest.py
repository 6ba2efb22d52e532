"""Fixtures for the shared-core tests: working customer personas, a fast password hasher, a
private file store in a temporary directory, and a broker that cannot be reached."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import storages

from accounts.models import User
from accounts.roles import Role
from portal.models import IssuedDocument, PrivateFile
from tests.factories import OrganizationFactory, UserFactory


@pytest.fixture
def fast_hasher(settings):
    # Personas hash a password each; the default hasher makes that take a noticeable while.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# tests/factories.py's CustomerFactory passes role= to User() and raises TypeError (see
# tests/accounts/conftest.py); these stand in for the conftest personas until it is fixed.
def _make_customer(**kwargs) -> User:
    return UserFactory(
        role=Role.CUSTOMER,
        organization=OrganizationFactory(),
        organization_role=User.OrganizationRole.MANAGER,
        **kwargs,
    )


@pytest.fixture
def customer(db, fast_hasher):
    return _make_customer(full_name="سارة المهيري", email="customer@example.ae")


@pytest.fixture
def other_customer(db, fast_hasher):
    return _make_customer(full_name="Other Customer", email="other@example.ae")


@pytest.fixture
def newcomer(db, fast_hasher):
    """A customer who has not registered an organization yet."""
    return UserFactory(role=Role.CUSTOMER, full_name="خالد الكعبي", email="newcomer@example.ae")


@pytest.fixture
def reference_data(transactional_db):
    """Put back the rows of accounts' data migrations (role groups with their permissions,
    classification categories) for a transactional test.

    Every transactional test ends with a flush: content types and permissions come back through
    post_migrate, the data migrations' rows do not, so a later transactional test in the same
    run would find no role groups. Both migrations are idempotent.
    """
    roles = importlib.import_module("accounts.migrations.0002_roles_and_categories")
    staff = importlib.import_module("accounts.migrations.0003_staff_document_permissions")
    roles.forwards(apps, None)
    permissions = list(
        Permission.objects.filter(content_type__app_label="portal", codename__in=staff.CODENAMES)
    )
    assert len(permissions) == len(staff.CODENAMES)
    for group in Group.objects.filter(name__in=staff.STAFF_ROLES):
        group.permissions.add(*permissions)


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


def _forget_broker_connections(app) -> None:
    """Close and forget every pooled broker connection and producer.

    Dropping only app._pool (as tests/conftest.py's _reset_pool does) is not enough: kombu
    keeps the closed pool in its global registry, keyed by broker URL, and Celery keeps its
    producer pool in app.amqp; the next publish in this process would then fail with
    "Acquire on closed pool".
    """
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def live_worker(fresh_broker_connections, celery_worker):
    """tests/conftest.py's real Celery worker, with broker connections made afresh."""
    return celery_worker


@pytest.fixture
def fresh_broker_connections():
    from portal.celery import app

    _forget_broker_connections(app)
    yield
    _forget_broker_connections(app)


@pytest.fixture
def broker_down(settings):
    """Celery in normal (non-eager) mode with a broker nobody listens on. Yields a function
    that puts eager mode back (the test may call it half-way; teardown calls it anyway)."""
    from portal.celery import app

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    saved_settings = (settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER)

    def restore() -> None:
        app.conf.update(saved)
        _forget_broker_connections(app)
        settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = saved_settings

    app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    _forget_broker_connections(app)
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield restore
    finally:
        restore()

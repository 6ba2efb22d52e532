"""Celery broker helpers the tests share, and where each pytest-xdist worker finds its own."""

import os
from urllib.parse import urlsplit, urlunsplit


def reset_broker_connections(app) -> None:
    """Close and forget every pooled broker connection and producer of the Celery app.

    Dropping only app._pool is not enough: kombu keeps the closed pool in its global registry,
    keyed by broker URL, and Celery keeps its producer pool in app.amqp; the next publish in
    this process would then fail with "Acquire on closed pool".
    """
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def xdist_worker_index() -> int:
    """0, 1, 2… for pytest-xdist's workers gw0, gw1, gw2…; 0 without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else 0


def worker_redis_url(base: str) -> str:
    """The Redis database of this pytest-xdist worker: the base URL's database number minus the
    worker's index (15, 14, 13… from the default redis://…/15), so that workers never consume
    each other's tasks."""
    parts = urlsplit(base)
    number = int(parts.path.strip("/") or 0) - xdist_worker_index()
    if number < 0:
        raise ValueError(f"{base}: not enough Redis databases below it for this many workers")
    return urlunsplit(parts._replace(path=f"/{number}"))


def flush_redis(url: str) -> None:
    """Empty the Redis database at url (a test's own: never the machine's others)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()

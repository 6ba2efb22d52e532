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

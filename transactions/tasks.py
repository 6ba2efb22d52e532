"""Thin Celery tasks for transactions."""

from celery import shared_task

from transactions import services


@shared_task(acks_late=True)
def daily_housekeeping() -> dict:
    """Warn, then expire, idle transactions; send overdue digests. Each step is guarded by
    state and time, so running twice changes nothing more."""
    return {
        "warned": services.transactions_warn_expiring(),
        "expired": services.transactions_expire_idle(),
        "overdue_digests": services.transactions_notify_overdue(),
    }

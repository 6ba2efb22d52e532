"""Thin Celery tasks for transactions."""

from celery import shared_task

from portal.jobs import job_run_once
from transactions import services


@shared_task(acks_late=True)
def daily_housekeeping() -> dict:
    """Warn, then expire, idle transactions; send overdue digests. Each step runs once per
    Dubai day (portal.jobs): two overlapping runs do not both send; a step that failed runs
    again on the task's next run. The steps are also guarded by state and time."""
    return {
        "warned": job_run_once(
            name="transactions_warn_expiring", job=services.transactions_warn_expiring
        ),
        "expired": job_run_once(
            name="transactions_expire_idle", job=services.transactions_expire_idle
        ),
        "overdue_digests": job_run_once(
            name="transactions_notify_overdue", job=services.transactions_notify_overdue
        ),
    }

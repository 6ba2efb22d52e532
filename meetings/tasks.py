"""Thin Celery tasks for meetings."""

import logging

from celery import shared_task

from meetings import services
from portal.jobs import job_run_exclusive

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def send_reminders() -> int:
    # Every minute; a run still going when the next starts makes that one skip.
    return job_run_exclusive(name="meeting_reminders", job=services.reminders_send)


@shared_task(acks_late=True)
def sweep_abandoned_meetings() -> int:
    # The safety net of cancel_meetings_for_abandoned_transaction (queued on commit, so lost
    # when the broker was down at that moment).
    return job_run_exclusive(
        name="meetings_abandoned_sweep", job=services.meetings_cancel_abandoned_sweep
    )


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=5,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
)
def cancel_meetings_for_abandoned_transaction(self, transaction_id: int, status: str) -> int:
    """Cancel the still-scheduled meetings of a withdrawn or expired transaction. Idempotent:
    each meeting is re-checked under its lock, so a second run cancels nothing more."""
    try:
        return services.meetings_cancel_for_abandoned_transaction(
            transaction_id=transaction_id, status=status
        )
    except Exception as exc:
        if self.request.is_eager:
            # No broker (development): nothing can retry later, and the withdrawal that sent
            # this must not fail for it; the meetings stay scheduled for staff to cancel.
            logger.exception("could not cancel the meetings of transaction %s", transaction_id)
            return 0
        raise self.retry(exc=exc) from exc

"""Thin Celery tasks: ids in, one service call."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from portal import documents, files, notifications
from portal.jobs import job_run_exclusive, job_run_once

logger = logging.getLogger(__name__)


# A refused delivery is retried from the row's own `next_attempt_at`, not by Celery's retry
# options: the row keeps the count and the age limit across workers, restarts and sweeps. Waits
# longer than this are left to the sweep, which queues rows once due: Redis would hand out again
# a message kept unacknowledged longer than its visibility timeout (one hour).
MAX_COUNTDOWN_SECONDS = 30 * 60


@shared_task(bind=True, acks_late=True)
def deliver_notification(self, notification_id: int) -> bool:
    try:
        return notifications.notification_deliver(notification_id=notification_id)
    except notifications.DeliveryFailed as failed:
        # Eager mode (no broker) must not retry inline: the request would wait for the delay.
        if failed.retry_at is not None and not self.request.is_eager:
            countdown = max(0.0, (failed.retry_at - timezone.now()).total_seconds())
            if countdown <= MAX_COUNTDOWN_SECONDS:
                _schedule(notification_id, countdown)
        return False


def _schedule(notification_id: int, countdown: float) -> None:
    try:
        deliver_notification.apply_async(args=[notification_id], countdown=countdown)
    except Exception:  # noqa: BLE001 - the broker is gone too; the sweep queues the row when due
        logger.warning("could not schedule notification %s", notification_id, exc_info=True)


@shared_task(acks_late=True)
def sweep_notifications() -> int:
    return job_run_exclusive(name="sweep_notifications", job=notifications.notifications_sweep)


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    max_retries=settings.DOCUMENT_RENDER_MAX_ATTEMPTS - 1,
    retry_backoff=10,
    retry_backoff_max=300,
    time_limit=settings.DOCUMENT_RENDER_TIME_LIMIT,
    soft_time_limit=max(settings.DOCUMENT_RENDER_TIME_LIMIT - 15, 1),
)
def render_document(document_id: int) -> bool:
    # The service counts attempts and marks the document failed after the last one; retrying
    # a failed or rendered document does nothing.
    return documents.document_render(document_id=document_id)


@shared_task(acks_late=True)
def sweep_documents() -> int:
    return job_run_exclusive(name="sweep_documents", job=documents.documents_sweep)


@shared_task(acks_late=True)
def sweep_orphan_files() -> int:
    return job_run_once(name="sweep_orphan_files", job=files.files_sweep_orphans)

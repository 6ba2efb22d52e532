"""Thin Celery tasks: ids in, one service call."""

from celery import shared_task

from portal import documents, files, notifications


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=notifications.MAX_ATTEMPTS - 1,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
)
def deliver_notification(self, notification_id: int) -> bool:
    try:
        return notifications.notification_deliver(notification_id=notification_id)
    except Exception as exc:  # noqa: BLE001 - the service recorded it; retry with backoff
        if self.request.is_eager:
            return False
        raise self.retry(exc=exc) from exc


@shared_task(acks_late=True)
def sweep_notifications() -> int:
    return notifications.notifications_sweep()


@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=3, retry_backoff=10)
def render_document(document_id: int) -> bool:
    return documents.document_render(document_id=document_id)


@shared_task(acks_late=True)
def sweep_documents() -> int:
    return documents.documents_sweep()


@shared_task(acks_late=True)
def sweep_orphan_files() -> int:
    return files.files_sweep_orphans()

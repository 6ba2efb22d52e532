"""Thin Celery tasks for meetings."""

from celery import shared_task

from meetings import services


@shared_task(acks_late=True)
def send_reminders() -> int:
    return services.reminders_send()

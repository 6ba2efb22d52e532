"""Thin Celery tasks for tenders."""

from celery import shared_task

from portal.jobs import job_run_exclusive
from tenders.services import lifecycle


@shared_task(acks_late=True)
def advance_tenders() -> int:
    # Every minute: published → tendering at the enquiries deadline, → closed at the submission
    # deadline. A run still going when the next starts makes that one skip; each move is also
    # guarded by status and time under the tender's lock, so a second run changes nothing.
    return job_run_exclusive(name="tenders_advance", job=lifecycle.tenders_advance)

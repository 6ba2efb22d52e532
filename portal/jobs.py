"""Beat jobs that are safe to run twice at the same time.

Celery beat may start a job again while a run is still going (a slow run, two beat processes
during a deploy, a task redelivered after a worker died). Each job first claims a `JobRun` row
keyed by (job name, key); the unique constraint makes inserting it the claim, on SQLite and
PostgreSQL alike, and the rows are the jobs' history in the admin.

- `job_run_once(name=..., key=<period>)`: daily jobs; one run per period key (the Dubai date).
- `job_run_exclusive(name=...)`: jobs that run every few minutes; never two at once.

A claim left unfinished by a worker that died is taken over once it is older than
`stale_after` (longer than the task's time limit), so a dead run does not block the job.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from portal.models import JobRun

logger = logging.getLogger(__name__)

LOCK = "lock"
# Exclusive jobs keep one row (their last run); daily jobs' rows are kept this long.
HISTORY = timedelta(days=90)


def _claim(*, name: str, key: str, reusable_when_finished: bool, stale_after: timedelta) -> bool:
    now = timezone.now()
    try:
        with transaction.atomic():
            JobRun.objects.create(name=name, key=key, started_at=now)
        return True
    except IntegrityError:
        pass
    # The row exists: one UPDATE with the condition in its WHERE clause is atomic on both
    # databases, so of two runs racing here only one changes the row.
    claimable = JobRun.objects.filter(
        name=name, key=key, finished_at__isnull=True, started_at__lt=now - stale_after
    )
    if reusable_when_finished:
        claimable = JobRun.objects.filter(name=name, key=key).filter(
            Q(finished_at__isnull=False) | Q(started_at__lt=now - stale_after)
        )
    return claimable.update(started_at=now, finished_at=None, result=None) == 1


def _run(
    *,
    name: str,
    key: str,
    job: Callable[[], Any],
    reusable_when_finished: bool,
    stale_after: timedelta,
    skipped: Any,
) -> Any:
    if not _claim(
        name=name, key=key, reusable_when_finished=reusable_when_finished, stale_after=stale_after
    ):
        logger.info("job %s (%s) is already running or done; skipped", name, key)
        return skipped
    try:
        result = job()
    except BaseException:
        if reusable_when_finished:
            JobRun.objects.filter(name=name, key=key).update(finished_at=timezone.now())
        else:
            # Let the retry (or the next beat) run the period again: each step is guarded.
            JobRun.objects.filter(name=name, key=key, finished_at__isnull=True).delete()
        raise
    JobRun.objects.filter(name=name, key=key).update(
        finished_at=timezone.now(), result=_jsonable(result)
    )
    return result


def _jsonable(result: Any) -> Any:
    return result if isinstance(result, (int, str, dict, list, bool, type(None))) else str(result)


def job_run_once(
    *,
    name: str,
    job: Callable[[], Any],
    key: str | None = None,
    stale_after: timedelta = timedelta(hours=1),
    skipped: Any = 0,
) -> Any:
    """Run `job` once per `key` (default: today's Dubai date) and return its result, or
    `skipped` when another run has it (the jobs return counts: nothing done is 0)."""
    key = key or timezone.localdate().isoformat()
    JobRun.objects.filter(name=name, started_at__lt=timezone.now() - HISTORY).delete()
    return _run(
        name=name,
        key=key,
        job=job,
        reusable_when_finished=False,
        stale_after=stale_after,
        skipped=skipped,
    )


def job_run_exclusive(
    *,
    name: str,
    job: Callable[[], Any],
    stale_after: timedelta = timedelta(minutes=15),
    skipped: Any = 0,
) -> Any:
    """Run `job` and return its result unless another run of it is going; then `skipped`."""
    return _run(
        name=name,
        key=LOCK,
        job=job,
        reusable_when_finished=True,
        stale_after=stale_after,
        skipped=skipped,
    )

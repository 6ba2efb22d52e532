"""Every Celery beat job is safe to run twice at the same time (portal/jobs.py): daily jobs run
once per Dubai day, the frequent ones never twice at once; a run that failed or whose worker
died does not block the job."""

import contextlib
import datetime
import threading
from importlib import import_module

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connections

from portal.jobs import job_run_exclusive, job_run_once
from portal.models import JobRun, Notification
from tests.factories import UserFactory
from tests.transactions.factories import ServiceFactory, TeamFactory, transaction_at
from transactions.models import Transaction

DUBAI = datetime.timezone(datetime.timedelta(hours=4))

# Each beat task and the service(s) it runs: the service is replaced by one that starts the
# same task again while it is still running (an overlapping run).
JOBS = {
    "portal.tasks.sweep_notifications": ["portal.notifications.notifications_sweep"],
    "portal.tasks.sweep_documents": ["portal.documents.documents_sweep"],
    "portal.tasks.sweep_orphan_files": ["portal.files.files_sweep_orphans"],
    "meetings.tasks.send_reminders": ["meetings.services.reminders_send"],
    "meetings.tasks.sweep_abandoned_meetings": [
        "meetings.services.meetings_cancel_abandoned_sweep"
    ],
    "tenders.tasks.advance_tenders": ["tenders.services.lifecycle.tenders_advance"],
    "transactions.tasks.daily_housekeeping": [
        "transactions.services.transactions_warn_expiring",
        "transactions.services.transactions_expire_idle",
        "transactions.services.transactions_notify_overdue",
    ],
}


def _task(dotted: str):
    module, name = dotted.rsplit(".", 1)
    return getattr(import_module(module), name)


def test_every_beat_job_is_covered():
    assert {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()} == set(JOBS)


@pytest.mark.parametrize("task_name", sorted(JOBS))
def test_a_run_started_while_one_is_going_does_nothing(db, monkeypatch, task_name):
    task = _task(task_name)
    calls: list[str] = []

    def overlapping(service: str):
        def run(*args, **kwargs):
            calls.append(service)
            if calls.count(service) == 1:
                task.apply().get()  # beat starts the job again before this run is done
            return 0

        return run

    for service in JOBS[task_name]:
        module, name = service.rsplit(".", 1)
        monkeypatch.setattr(import_module(module), name, overlapping(service))

    task.apply().get()

    assert sorted(calls) == sorted(JOBS[task_name])  # each service ran once


def test_daily_jobs_run_once_a_day_and_again_the_next(db):
    calls = []
    with time_machine.travel(datetime.datetime(2026, 3, 2, 7, 0, tzinfo=DUBAI), tick=False):
        assert job_run_once(name="daily", job=lambda: calls.append(1) or 7) == 7
        assert job_run_once(name="daily", job=lambda: calls.append(1) or 7) == 0
    with time_machine.travel(datetime.datetime(2026, 3, 3, 7, 0, tzinfo=DUBAI), tick=False):
        assert job_run_once(name="daily", job=lambda: calls.append(1) or 7) == 7
    assert len(calls) == 2
    assert list(JobRun.objects.order_by("key").values_list("key", "result")) == [
        ("2026-03-02", 7),
        ("2026-03-03", 7),
    ]
    assert all(run.finished_at for run in JobRun.objects.all())


def test_a_failed_daily_run_can_run_again(db):
    def fail():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        job_run_once(name="daily", job=fail, key="2026-03-02")
    assert job_run_once(name="daily", job=lambda: 3, key="2026-03-02") == 3


def test_a_claim_left_by_a_dead_worker_is_taken_over_when_stale(db):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 7, 0, tzinfo=DUBAI), tick=False):
        # A run that never finished (its worker was killed).
        JobRun.objects.create(name="sweep", key="lock", started_at=datetime.datetime.now(DUBAI))
        assert job_run_exclusive(name="sweep", job=lambda: 1) == 0
    later = datetime.datetime(2026, 3, 2, 7, 16, tzinfo=DUBAI)
    with time_machine.travel(later, tick=False):
        assert job_run_exclusive(name="sweep", job=lambda: 1) == 1
        # Finished: the next run may go at once.
        assert job_run_exclusive(name="sweep", job=lambda: 2) == 2


def test_an_exclusive_job_that_failed_releases_its_lock(db):
    def fail():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        job_run_exclusive(name="sweep", job=fail)
    assert job_run_exclusive(name="sweep", job=lambda: 5) == 5


def test_two_housekeeping_runs_at_once_send_one_overdue_digest(
    transactional_db, postgresql, monkeypatch
):
    """Both runs are held just before sending the digest until the other arrives (or 3 s
    pass): without the claim both read the same overdue transactions and both send."""
    from transactions.services import housekeeping
    from transactions.tasks import daily_housekeeping

    supervisor = UserFactory()
    service = ServiceFactory(team=TeamFactory(supervisor=supervisor))
    t = transaction_at(Transaction.Status.UNDER_REVIEW, service=service)
    Transaction.objects.filter(pk=t.pk).update(due_date=datetime.date(2020, 1, 1))
    barrier = threading.Barrier(2)
    real_notify = housekeeping.notify

    def notify_when_both_are_here(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return real_notify(**kwargs)

    monkeypatch.setattr(housekeeping, "notify", notify_when_both_are_here)
    start = threading.Barrier(2)
    results = []

    def run():
        try:
            start.wait(timeout=10)
            # .result, not .get(): after an earlier in-process task, Celery refuses .get() from
            # a thread it takes for a worker's ("Never call result.get() within a task").
            outcome = daily_housekeeping.apply()
            assert outcome.successful(), outcome.traceback
            results.append(outcome.result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Notification.objects.filter(kind="transactions_overdue").count() == 1
    assert sorted(r["overdue_digests"] for r in results) == [0, 1]

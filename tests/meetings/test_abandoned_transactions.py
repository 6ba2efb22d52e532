"""Meetings about a withdrawn or expired transaction: they are cancelled by a Celery task queued
on commit (a failure there never breaks the withdrawal nor the daily expiry loop; running the
task twice cancels nothing more), and — on PostgreSQL — a booking racing the withdrawal never
leaves a scheduled meeting on the withdrawn transaction."""

import datetime
import threading

import pytest
from django.db import connections
from django.urls import reverse

from meetings import services
from meetings.models import Meeting
from meetings.selectors import hosts_for_transaction
from meetings.tasks import cancel_meetings_for_abandoned_transaction
from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from tests.meetings.factories import book_about, first_free_slot
from tests.transactions.factories import make_idle, transaction_at
from transactions import services as transaction_services
from transactions.models import Transaction

S = Transaction.Status


def _failing_cancel(monkeypatch) -> list:
    calls = []

    def fail(**kwargs):
        calls.append(kwargs)
        raise RuntimeError("the mail server is down")

    monkeypatch.setattr("meetings.services.meetings_cancel_for_abandoned_transaction", fail)
    return calls


def test_a_failing_cancel_does_not_break_the_withdrawal_page(
    client, remarked, customer, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_about(remarked, customer=customer, remark=remarked.remarks.get())
    calls = _failing_cancel(monkeypatch)
    client.force_login(customer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("transactions:action", args=[remarked.pk, "withdraw"]),
            {"withdraw-reason": "Changed my mind"},
        )

    assert response.status_code == 302
    remarked.refresh_from_db()
    assert remarked.status == S.WITHDRAWN
    assert calls == [{"transaction_id": remarked.pk, "status": S.WITHDRAWN}]
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED  # left for the task's retry


def test_a_failing_cancel_does_not_stop_the_expiry_loop(
    transactional_db, service, people, monkeypatch, settings
):
    # transactional_db: each expiry commits on its own, as in the beat job, so the on-commit
    # work runs inside the loop.
    t1 = transaction_at(S.REMARKS_RETURNED, service=service, people=people)
    t2 = transaction_at(S.REMARKS_RETURNED, service=service, people=people)
    book_about(t1, customer=people.customer, remark=t1.remarks.get())
    make_idle(t1)
    make_idle(t2)
    calls = _failing_cancel(monkeypatch)

    assert transaction_services.transactions_expire_idle() == 2

    assert set(Transaction.objects.values_list("status", flat=True)) == {S.EXPIRED}
    assert sorted(c["transaction_id"] for c in calls) == sorted([t1.pk, t2.pk])


def test_the_cancel_task_is_idempotent(db, remarked, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_about(remarked, customer=customer, remark=remarked.remarks.get())
    # Withdrawn without the signal's task having run yet (e.g. it is waiting in the queue).
    Transaction.objects.filter(pk=remarked.pk).update(status=S.WITHDRAWN)

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            cancel_meetings_for_abandoned_transaction.apply(args=[remarked.pk, S.WITHDRAWN]).get()
            == 1
        )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    seen = (AuditEvent.objects.count(), Notification.objects.count(), meeting.ics_sequence)

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            cancel_meetings_for_abandoned_transaction.apply(args=[remarked.pk, S.WITHDRAWN]).get()
            == 0
        )
    meeting.refresh_from_db()
    assert (AuditEvent.objects.count(), Notification.objects.count(), meeting.ics_sequence) == seen


def test_the_withdrawal_queues_the_cancel_task_on_commit(
    db, remarked, customer, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book_about(remarked, customer=customer, remark=remarked.remarks.get())
    queued = []
    monkeypatch.setattr(
        cancel_meetings_for_abandoned_transaction, "delay", lambda *args: queued.append(args)
    )

    with django_capture_on_commit_callbacks(execute=True):
        transaction_services.transaction_withdraw(actor=customer, transaction=remarked)
        assert queued == []  # nothing runs inside the withdrawal's transaction
    assert queued == [(remarked.pk, S.WITHDRAWN)]


def test_the_sweep_cancels_meetings_whose_cancel_task_was_lost(
    db, remarked, customer, django_capture_on_commit_callbacks
):
    from meetings.tasks import sweep_abandoned_meetings

    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_about(remarked, customer=customer, remark=remarked.remarks.get())
    # Withdrawn while the broker was down: the on-commit task was never queued.
    Transaction.objects.filter(pk=remarked.pk).update(status=S.WITHDRAWN)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_abandoned_meetings.apply().get() == 1
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert sweep_abandoned_meetings.apply().get() == 0  # nothing left to do


@pytest.mark.parametrize("how", ["withdrawn", "expired"])
def test_a_booking_racing_the_withdrawal_leaves_no_scheduled_meeting(
    transactional_db, postgresql, service, people, monkeypatch, how
):
    """The booking reads the status, then (held here until the withdrawal or the expiry has
    committed, or 3 s passed) books. Without the transaction row lock the withdrawal commits in
    between, its sweep finds nothing to cancel, and the booking lands on a closed transaction."""
    t = transaction_at(S.REMARKS_RETURNED, service=service, people=people)
    if how == "expired":
        make_idle(t)
    slot = first_free_slot(hosts_for_transaction(transaction=t))
    booking_checked, withdrawn = threading.Event(), threading.Event()
    real_hosts = services.hosts_for_transaction

    def hosts_after_the_status_check(**kwargs):
        booking_checked.set()
        withdrawn.wait(timeout=3)
        return real_hosts(**kwargs)

    monkeypatch.setattr("meetings.services.hosts_for_transaction", hosts_after_the_status_check)

    def book():
        try:
            return book_about(t, customer=people.customer, starts_at=slot)
        except Exception as error:  # noqa: BLE001 - inspected below
            return error
        finally:
            connections.close_all()

    def withdraw():
        try:
            booking_checked.wait(timeout=10)
            if how == "withdrawn":
                transaction_services.transaction_withdraw(actor=people.customer, transaction=t)
            else:
                assert transaction_services.transactions_expire_idle() == 1
            withdrawn.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=withdraw)]
    results = []
    threads.append(threading.Thread(target=lambda: results.append(book())))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    t.refresh_from_db()
    assert t.status == how
    assert not Meeting.objects.filter(transaction=t, status=Meeting.Status.SCHEDULED).exists()
    # Here the booking held the lock first: it went through, and the sweep cancelled it.
    [result] = results
    assert isinstance(result, Meeting), result
    assert Meeting.objects.get(pk=result.pk).status == Meeting.Status.CANCELLED


def test_a_booking_re_reads_the_status_under_the_lock(db, service, people):
    t = transaction_at(S.REMARKS_RETURNED, service=service, people=people)
    stale = Transaction.objects.get(pk=t.pk)  # read before the withdrawal
    transaction_services.transaction_withdraw(actor=people.customer, transaction=t)

    with pytest.raises(DomainError) as refused:
        book_about(stale, customer=people.customer)
    assert refused.value.code == "topic_closed"
    assert not Meeting.objects.exists()


def test_a_reschedule_re_reads_the_status_under_the_lock(
    db, remarked, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_about(remarked, customer=customer, remark=remarked.remarks.get())
    # Withdrawn, its cancel task not run yet.
    Transaction.objects.filter(pk=remarked.pk).update(status=S.WITHDRAWN)
    later = meeting.starts_at + datetime.timedelta(hours=1)

    with pytest.raises(DomainError) as refused:
        services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=later)
    assert refused.value.code == "topic_closed"
    meeting.refresh_from_db()
    assert meeting.ics_sequence == 0

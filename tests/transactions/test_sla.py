"""The two SLA clocks in working days (Monday–Thursday, minus public holidays): the department's
runs only while it owns the next step, the customer's only while they do. The services run "on"
chosen dates (time-machine) in March 2026:

    Mon  2  3  4  5 Thu  |  Mon  9 10 11 12 Thu  |  Mon 16 17 18 19 Thu  |  Mon 23 24 25 26 Thu
"""

import datetime
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.models import Holiday
from tests.transactions.factories import draft, pdf
from transactions import selectors, services
from transactions.models import Transaction
from transactions.sla import clock_changes

S = Transaction.Status
DUBAI = ZoneInfo("Asia/Dubai")


def d(day: int) -> datetime.date:
    return datetime.date(2026, 3, day)


@contextmanager
def on(day: datetime.date):
    """Run the services at 10:00 Dubai time on `day`."""
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(10), DUBAI), tick=False):
        yield


def _holiday(day: datetime.date) -> None:
    Holiday.objects.create(date=day, name_ar="عطلة", name_en="Holiday")


def _fresh(t: Transaction) -> Transaction:
    return Transaction.objects.get(pk=t.pk)


def _submitted_on(day: datetime.date, people, service) -> Transaction:
    with on(day):
        t = draft(customer=people.customer, service=service)
        services.transaction_submit(actor=people.customer, transaction=t)
    return _fresh(t)


# --- the due date -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "submitted, holidays, due",
    [
        # Thursday + 5: Mon 9, Tue 10, Wed 11, Thu 12, (Fri–Sun skipped) Mon 16.
        (d(5), [], d(16)),
        # A holiday on Tue 10 pushes it one working day: Mon 9, Wed 11, Thu 12, Mon 16, Tue 17.
        (d(5), [d(10)], d(17)),
        # Two holidays, one each side of the weekend.
        (d(5), [d(9), d(12)], d(18)),
        # Submitted on a Saturday: the count starts on Monday.
        (d(7), [], d(16)),
        # Submitted on a Monday: Tue 3 … Mon 9 is four, Tue 10 the fifth.
        (d(2), [], d(10)),
        # A holiday on a Friday changes nothing: Friday is no working day anyway.
        (d(5), [d(6)], d(16)),
    ],
    ids=["thursday", "holiday-inside", "two-holidays", "saturday", "monday", "friday-holiday"],
)
def test_the_due_date_is_sla_working_days_after_submission(
    db, people, service, submitted, holidays, due
):
    assert service.sla_days == 5
    for day in holidays:
        _holiday(day)

    t = _submitted_on(submitted, people, service)

    assert t.sla_days == 5
    assert t.clock_started_on == submitted
    assert t.due_date == due
    assert (t.department_days, t.customer_days) == (0, 0)
    assert t.customer_clock_started_on is None
    assert t.expected_completion == due


def test_the_sla_is_copied_at_submission_not_read_live(db, people, service):
    t = _submitted_on(d(5), people, service)
    service.sla_days = 20
    service.save()
    with on(d(9)):
        services.transaction_claim(actor=people.agent, transaction=t)
    t = _fresh(t)
    assert (t.sla_days, t.due_date) == (5, d(16))


# --- pause and resume ---------------------------------------------------------------------------
def test_the_department_clock_pauses_while_the_customer_holds_the_transaction(db, people, service):
    customer, agent, reviewer = people.customer, people.agent, people.reviewer
    t = _submitted_on(d(2), people, service)
    assert t.due_date == d(10)
    with on(d(2)):
        services.transaction_claim(actor=agent, transaction=t)
    assert _fresh(t).clock_started_on == d(2)  # department to department: the clock runs on

    # Wed 4: returned incomplete after two working days (Tue 3, Wed 4).
    with on(d(4)):
        services.transaction_return_incomplete(
            actor=agent,
            transaction=t,
            missing_items=[t.version.checklist.get(code="plan")],
            note="Unreadable.",
        )
    t = _fresh(t)
    assert (t.department_days, t.customer_days) == (2, 0)
    assert (t.clock_started_on, t.due_date) == (None, None)
    assert t.customer_clock_started_on == d(4)
    assert t.days_remaining == 3
    assert not t.departments_turn and t.customers_turn

    # While paused the department's days stay at two; the expected completion is what the due
    # date would be if the customer answered today, so it moves with today.
    with on(d(4)):
        assert t.expected_completion == d(10)  # Thu 5, Mon 9, Tue 10
        assert not t.is_overdue
    with on(d(11)):
        assert t.expected_completion == d(17)  # Thu 12, Mon 16, Tue 17
        assert not t.is_overdue  # past the first due date, but it is the customer's turn
        assert _fresh(t).department_days == 2

    # Thu 12: resubmitted. The customer held it five working days (Thu 5 … Thu 12); the
    # department has the remaining three: Mon 16, Tue 17, Wed 18.
    with on(d(12)):
        services.transaction_document_upload(
            actor=customer, transaction=t, item=t.version.checklist.get(code="plan"), upload=pdf()
        )
        services.transaction_resubmit(actor=customer, transaction=t)
    t = _fresh(t)
    assert t.status == S.COMPLETENESS_CHECK
    assert (t.department_days, t.customer_days) == (2, 5)
    assert (t.clock_started_on, t.due_date) == (d(12), d(18))
    assert t.customer_clock_started_on is None
    assert t.expected_completion == d(18)

    # Mon 16: cycle 1 of the review; Tue 17 returned with remarks after two more days.
    with on(d(16)):
        services.transaction_accept_complete(actor=agent, transaction=t)
        services.transaction_claim(actor=reviewer, transaction=t)
    with on(d(17)):
        remark = services.remark_add(actor=reviewer, transaction=t, text="Setbacks?")
        services.transaction_return_remarks(actor=reviewer, transaction=t)
    t = _fresh(t)
    assert (t.cycle, t.department_days, t.customer_days) == (1, 4, 5)
    assert (t.due_date, t.customer_clock_started_on) == (None, d(17))

    # Mon 23: answered and resubmitted (Wed 18, Thu 19, Mon 23 on the customer's clock): cycle 2,
    # one working day left: due Tue 24.
    with on(d(23)):
        services.remark_answer(actor=customer, remark=remark, text="Added.")
        services.transaction_resubmit(actor=customer, transaction=t)
    t = _fresh(t)
    assert (t.status, t.cycle) == (S.UNDER_REVIEW, 2)
    assert (t.department_days, t.customer_days) == (4, 8)
    assert (t.clock_started_on, t.due_date) == (d(23), d(24))

    with on(d(24)):
        assert not t.is_overdue
    with on(d(25)):
        assert t.is_overdue
        assert list(selectors.staff_queue(user=reviewer, overdue=True)) == [t]

    # Thu 26: approved, fee due (the customer's turn again): seven department days, none left.
    with on(d(26)):
        services.remark_resolve(actor=reviewer, remark=remark)
        services.transaction_approve(actor=reviewer, transaction=t)
    t = _fresh(t)
    assert t.status == S.FEE_DUE
    assert (t.department_days, t.days_remaining, t.due_date) == (7, 0, None)
    with on(d(27)):  # a Friday: the customer could answer on Monday at the earliest
        assert t.expected_completion == d(30)
        assert not t.is_overdue

    # Mon 30: paid (one customer day: Mon 30); due at once, since nothing is left.
    with on(d(30)):
        services.fee_payment_submit(
            actor=customer, transaction=t, method="bank_transfer", payer_reference="FT-1"
        )
    t = _fresh(t)
    assert (t.customer_days, t.clock_started_on, t.due_date) == (9, d(30), d(30))
    with on(d(31)):
        services.fee_payment_confirm(actor=people.finance, payment=t.payments.get())
        assert _fresh(t).due_date == d(30)  # confirming is still the department's time
        services.transaction_issue_certificate(actor=reviewer, transaction=t)
    t = _fresh(t)
    assert t.status == S.ISSUED
    assert (t.department_days, t.customer_days) == (8, 9)
    assert (t.clock_started_on, t.customer_clock_started_on, t.due_date) == (None, None, None)
    assert t.expected_completion is None
    assert not t.is_overdue


def test_a_holiday_during_the_pause_is_counted_on_neither_clock(db, people, service):
    _holiday(d(10))
    t = _submitted_on(d(2), people, service)
    with on(d(3)):
        services.transaction_claim(actor=people.agent, transaction=t)
        services.transaction_return_incomplete(
            actor=people.agent, transaction=t, missing_items=[], note="Sign the form."
        )
    with on(d(12)):
        services.transaction_resubmit(actor=people.customer, transaction=t)
    t = _fresh(t)
    # Customer: Wed 4, Thu 5, Mon 9, Wed 11, Thu 12 (Tue 10 a holiday); department: Tue 3.
    assert (t.department_days, t.customer_days) == (1, 5)
    assert t.due_date == d(19)  # four left: Mon 16, Tue 17, Wed 18, Thu 19


def test_a_decision_stops_the_clock_and_keeps_the_days_spent(db, people, service):
    t = _submitted_on(d(2), people, service)
    with on(d(3)):
        services.transaction_claim(actor=people.agent, transaction=t)
        services.transaction_accept_complete(actor=people.agent, transaction=t)
        services.transaction_claim(actor=people.reviewer, transaction=t)
    with on(d(12)):
        assert _fresh(t).is_overdue  # due Tue 10
        services.transaction_reject(actor=people.reviewer, transaction=t, reason="No.")
    t = _fresh(t)
    assert t.status == S.REJECTED
    assert (t.department_days, t.due_date, t.clock_started_on) == (7, None, None)
    with on(d(16)):
        assert not t.is_overdue
        assert t.expected_completion is None


def test_withdrawing_while_the_customer_holds_it_stops_the_customer_clock(db, people, service):
    t = _submitted_on(d(2), people, service)
    with on(d(2)):
        services.transaction_claim(actor=people.agent, transaction=t)
        services.transaction_return_incomplete(
            actor=people.agent, transaction=t, missing_items=[], note="Sign the form."
        )
    with on(d(9)):
        services.transaction_withdraw(actor=people.customer, transaction=t)
    t = _fresh(t)
    assert (t.department_days, t.customer_days) == (0, 4)
    assert t.customer_clock_started_on is None


# --- clock_changes with explicit dates ----------------------------------------------------------
def test_clock_changes_between_two_department_statuses_is_nothing(db):
    t = Transaction(
        status=S.SUBMITTED, sla_days=5, clock_started_on=d(2), due_date=d(10), department_days=0
    )
    assert clock_changes(t, to=S.COMPLETENESS_CHECK, today=d(5)) == {}


def test_clock_changes_resumes_with_the_remaining_days(db):
    t = Transaction(
        status=S.REMARKS_RETURNED,
        sla_days=10,
        department_days=6,
        customer_days=1,
        customer_clock_started_on=d(5),
    )
    changes = clock_changes(t, to=S.UNDER_REVIEW, today=d(16))
    assert changes == {
        "customer_days": 1 + 5,  # Mon 9, Tue 10, Wed 11, Thu 12, Mon 16
        "customer_clock_started_on": None,
        "clock_started_on": d(16),
        "due_date": d(23),  # four left: Tue 17, Wed 18, Thu 19, Mon 23
    }


def test_clock_changes_never_gives_more_than_the_sla_nor_a_negative_remainder(db):
    t = Transaction(status=S.FEE_DUE, sla_days=3, department_days=9, customer_clock_started_on=d(5))
    changes = clock_changes(t, to=S.PAYMENT_SUBMITTED, today=d(9))
    assert (changes["clock_started_on"], changes["due_date"]) == (d(9), d(9))

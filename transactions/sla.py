"""The two SLA clocks, in working days from the working calendar.

The department's clock runs while the department owns the next step and pauses while the
customer does; the customer's clock runs the other way. Each status change passes through
`clock_changes`, which returns the fields to save with it.
"""

import datetime

from django.utils import timezone

from portal.workdays import (
    add_working_days,
    holidays_between,
    horizon_for,
    working_days_between,
)


def clock_changes(transaction, *, to: str, today: datetime.date | None = None) -> dict:
    """The SLA fields to change when `transaction` (locked, still in its old status) moves to
    status `to` on `today`."""
    today = today or timezone.localdate()
    model = type(transaction)
    changes: dict = {}
    department_days = transaction.department_days
    if transaction.clock_started_on and to not in model.DEPARTMENT_TURN:
        department_days += max(working_days_between(transaction.clock_started_on, today), 0)
        changes.update(department_days=department_days, clock_started_on=None, due_date=None)
    if transaction.customer_clock_started_on and to not in model.CUSTOMER_TURN:
        changes.update(
            customer_days=transaction.customer_days
            + max(working_days_between(transaction.customer_clock_started_on, today), 0),
            customer_clock_started_on=None,
        )
    if to in model.DEPARTMENT_TURN and not transaction.clock_started_on:
        remaining = max(transaction.sla_days - department_days, 0)
        changes.update(clock_started_on=today, due_date=add_working_days(today, remaining))
    if (
        to in model.CUSTOMER_TURN
        and to != model.Status.DRAFT
        and not transaction.customer_clock_started_on
    ):
        changes["customer_clock_started_on"] = today
    if to in model.CUSTOMER_TURN:
        now = timezone.now()
        changes.update(customer_turn_since=now, idle_since=now, expiry_warned_at=None)
    return changes


def expected_completion(transaction, *, today=None, holidays=None) -> datetime.date | None:
    """The due date while the department's clock runs; while it is paused on the customer's
    side, the date it would be if the customer answered today; None for drafts and closed
    ones."""
    model = type(transaction)
    if transaction.status in model.FINAL or transaction.status == model.Status.DRAFT:
        return None
    if transaction.clock_started_on:
        return transaction.due_date
    if transaction.customers_turn:
        today = today or timezone.localdate()
        return add_working_days(today, transaction.days_remaining, holidays)
    return None


def expected_completions(transactions) -> None:
    """Set `expected` on each transaction of a page with one holiday query in all (calling
    expected_completion one by one would read the holidays once per row)."""
    rows = list(transactions)
    if not rows:
        return
    today = timezone.localdate()
    longest = max(t.days_remaining for t in rows)
    holidays = holidays_between(today, horizon_for(today, longest))
    for t in rows:
        t.expected = expected_completion(t, today=today, holidays=holidays)

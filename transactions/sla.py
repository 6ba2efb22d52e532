"""The two SLA clocks, in working days from the working calendar.

The department's clock runs while the department owns the next step and pauses while the
customer does; the customer's clock runs the other way. Each status change passes through
`clock_changes`, which returns the fields to save with it.
"""

import datetime

from django.utils import timezone

from portal.workdays import add_working_days, working_days_between


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
        changes.update(customer_turn_since=timezone.now(), expiry_warned_at=None)
    return changes

"""The working calendar: weekdays from settings (Monday–Thursday in Sharjah government),
public holidays from the Holiday table. Used for SLA due dates."""

import datetime

from django.conf import settings

from portal.models import Holiday


def _holidays(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    return set(
        Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", flat=True)
    )


def is_working_day(day: datetime.date, holidays: set[datetime.date] | None = None) -> bool:
    if day.weekday() not in settings.WORKING_WEEKDAYS:
        return False
    if holidays is None:
        holidays = _holidays(day, day)
    return day not in holidays


def horizon_for(start: datetime.date, n: int) -> datetime.date:
    """Enough calendar days to cover n working days even with long holiday breaks."""
    return start + datetime.timedelta(days=n * 3 + 60)


def holidays_between(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    return _holidays(start, end)


def add_working_days(
    start: datetime.date, n: int, holidays: set[datetime.date] | None = None
) -> datetime.date:
    """The date n working days after `start` (start itself is not counted).

    n=0 gives `start` when it is a working day, otherwise the next working day. Pass
    `holidays` (from holidays_between(start, horizon_for(start, n)) or wider) to compute many
    dates with one query.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    horizon = horizon_for(start, n)
    if holidays is None:
        holidays = _holidays(start, horizon)
    day = start
    if n == 0:
        while not is_working_day(day, holidays):
            day += datetime.timedelta(days=1)
        return day
    counted = 0
    while counted < n:
        day += datetime.timedelta(days=1)
        if day > horizon:  # pragma: no cover - only with absurdly many holidays
            horizon += datetime.timedelta(days=365)
            holidays |= _holidays(day, horizon)
        if is_working_day(day, holidays):
            counted += 1
    return day


def working_days_between(a: datetime.date, b: datetime.date) -> int:
    """Working days from `a` (exclusive) to `b` (inclusive); negative when b is before a."""
    if b < a:
        return -working_days_between(b, a)
    holidays = _holidays(a, b)
    days = (b - a).days
    return sum(
        1 for i in range(1, days + 1) if is_working_day(a + datetime.timedelta(days=i), holidays)
    )

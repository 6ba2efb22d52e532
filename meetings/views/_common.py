"""What the meeting pages share."""

import datetime

from django.utils import timezone

# Customers choose among the free times of the coming two weeks.
BOOKING_DAYS = 14


def today() -> datetime.date:
    """Today in Dubai (the portal's TIME_ZONE)."""
    return timezone.localdate()


def booking_window() -> tuple[datetime.date, datetime.date]:
    start = today()
    return start, start + datetime.timedelta(days=BOOKING_DAYS - 1)

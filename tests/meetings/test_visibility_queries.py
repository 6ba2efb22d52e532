"""A customer's meetings are read by id from indexed lookups (issue 11: an OR across the
registrations join with DISTINCT read every meeting and registration at scale)."""

import datetime

from django.utils import timezone

from meetings.models import Meeting, Registration
from meetings.selectors import meetings_visible_to
from tests.factories import CustomerFactory, UserFactory
from tests.meetings.factories import meeting_row


def _session(host, starts_at, organization) -> Meeting:
    session = meeting_row(host, starts_at=starts_at, capacity=5, organization=organization)
    Meeting.objects.filter(pk=session.pk).update(kind=Meeting.Kind.SESSION)
    return session


def test_a_customer_sees_booked_registered_and_organization_meetings_without_distinct(db, customer):
    host = UserFactory(role="reviewer")
    start = timezone.now() + datetime.timedelta(days=3)
    booked = meeting_row(host, starts_at=start, customer=customer)
    colleague = CustomerFactory(organization=customer.organization)
    organizations = meeting_row(
        host,
        starts_at=start + datetime.timedelta(hours=1),
        customer=colleague,
        organization=customer.organization,
    )
    # A session of the organization is not one of its appointments: seen by registering.
    session = _session(host, start + datetime.timedelta(hours=2), customer.organization)
    Registration.objects.create(meeting=session, customer=customer)
    Registration.objects.create(meeting=session, customer=colleague)
    unseen = meeting_row(host, starts_at=start + datetime.timedelta(hours=3))  # someone else's
    other_session = _session(host, start + datetime.timedelta(hours=4), customer.organization)
    Registration.objects.create(meeting=other_session, customer=colleague)

    mine = meetings_visible_to(user=customer)
    assert sorted(m.pk for m in mine) == sorted([booked.pk, organizations.pk, session.pk])
    assert unseen.pk not in {m.pk for m in mine}
    sql = str(mine.query).upper()
    assert "DISTINCT" not in sql
    assert "UNION" in sql
    assert 'JOIN "MEETINGS_REGISTRATION"' not in sql

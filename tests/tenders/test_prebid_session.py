"""A tender's pre-bid video session: an open session of meetings/ that its contracts engineer
announces while the tender takes clarifications; its minutes reach every bidder as a
clarification, or are not recorded at all."""

import datetime

import pytest
from django.utils import timezone

from meetings import services as meetings
from meetings.models import Meeting
from portal.errors import DomainError
from tenders.models import Clarification
from tenders.services import lifecycle
from tests.meetings.factories import HostFactory
from tests.tenders.factories import tender_at


@pytest.fixture
def tender(people):
    HostFactory(user=people.engineer)
    return tender_at("published", people=people)


def _session(people, tender, *, host=None):
    return meetings.session_create(
        actor=host or people.engineer,
        title_ar="شرح المناقصة",
        title_en="The tender explained",
        agenda="The bill of quantities and the bid bond.",
        starts_at=timezone.now() + datetime.timedelta(days=1),
        minutes=60,
        capacity=50,
        tender=tender,
    )


def test_the_engineer_announces_it_and_its_minutes_are_published(people, tender, time_machine):
    session = _session(people, tender)
    assert session.tender == tender and session.kind == Meeting.Kind.SESSION
    time_machine.move_to(session.starts_at + datetime.timedelta(minutes=70))
    meetings.meeting_record_minutes(
        actor=people.engineer,
        meeting=session,
        minutes="The bond is 2% of the total; drawings version 2 apply.",
        outcome=Meeting.Outcome.RESOLVED,
    )
    [minutes] = Clarification.objects.filter(tender=tender)
    assert minutes.source == Clarification.Source.PREBID_MINUTES
    assert minutes.answer.startswith("The bond is 2%") and minutes.published_at


def test_another_host_cannot_attach_a_session_to_the_tender(people, tender):
    reviewer = HostFactory().user
    with pytest.raises(DomainError) as refused:
        _session(people, tender, host=reviewer)
    assert refused.value.code == "not_the_tender_engineer"
    assert not Meeting.objects.filter(tender=tender).exists()


def test_minutes_of_a_cancelled_tender_are_refused_and_not_recorded(people, tender, time_machine):
    session = _session(people, tender)
    lifecycle.tender_cancel(actor=people.engineer, tender=tender, reason="The scope changed.")
    time_machine.move_to(session.starts_at + datetime.timedelta(minutes=70))
    with pytest.raises(DomainError) as refused:
        meetings.meeting_record_minutes(
            actor=people.engineer,
            meeting=session,
            minutes="Anything.",
            outcome=Meeting.Outcome.RESOLVED,
        )
    assert refused.value.code == "tender_closed"
    session.refresh_from_db()
    assert session.status == Meeting.Status.SCHEDULED and not session.minutes
    assert not Clarification.objects.filter(tender=tender).exists()

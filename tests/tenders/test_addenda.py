"""Addenda: documents and dates change; too little time left moves the deadline; bidders who
already submitted must reconfirm; every eligible supplier is told."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portal.errors import TransitionNotAllowed
from portal.models import AuditEvent, Notification
from tenders.models import Addendum, Bid, OcdsRelease, Tender
from tenders.services import addenda
from tenders.services.lifecycle import tenders_advance
from tests.tenders import factories as f

pytestmark = pytest.mark.django_db
T = Tender.Status

ALL = [
    "draft",
    "published",
    "tendering",
    "closed",
    "opened",
    "technical_evaluation",
    "financial_evaluation",
    "unsuccessful",
    "awarded",
    "contracted",
    "cancelled",
]


def _issue(tender, actor, **kwargs):
    kwargs.setdefault("description_ar", "تعديل جدول الكميات.")
    kwargs.setdefault("description_en", "The bill of quantities changes.")
    return addenda.addendum_issue(actor=actor, tender=tender, **kwargs)


def test_an_addendum_with_time_left_keeps_the_deadline(people):
    tender = f.tender_at("published", people=people)  # bids due in 7 days
    deadline = tender.submission_deadline
    addendum = _issue(
        tender,
        people.engineer,
        documents=[{"kind": "boq", "title_ar": "الكميات", "title_en": "BoQ v2", "upload": f.pdf()}],
    )
    tender.refresh_from_db()
    assert addendum.number == 1 and not addendum.extended
    assert tender.submission_deadline == deadline and addendum.new_submission_deadline is None
    document = tender.documents.get(kind="boq")
    assert document.addendum == addendum and document.version == 1
    assert OcdsRelease.objects.filter(tender=tender, tags=["tenderAmendment"]).exists()
    assert AuditEvent.objects.filter(verb="addendum_issued", object_id=str(tender.pk)).exists()


def test_an_addendum_late_in_the_period_moves_the_deadline(people, settings):
    settings.TENDER_MIN_DAYS_AFTER_ADDENDUM = 5
    tender = f.tender_at("tendering", people=people)  # bids due in 5 days
    gap = tender.opening_at - tender.submission_deadline
    moment = tender.submission_deadline - timedelta(days=2)
    with time_machine.travel(moment, tick=False):
        addendum = _issue(tender, people.engineer)
    tender.refresh_from_db()
    assert addendum.extended
    assert tender.submission_deadline == moment + timedelta(days=5)
    assert tender.opening_at == tender.submission_deadline + gap
    assert addendum.new_submission_deadline == tender.submission_deadline
    assert addendum.old_submission_deadline == moment + timedelta(days=2)


def test_a_new_deadline_too_close_is_moved_to_the_minimum(people):
    tender = f.tender_at("published", people=people)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        addendum = _issue(
            tender, people.engineer, new_submission_deadline=tender.submission_deadline
        )
    minimum = now + timedelta(days=settings.TENDER_MIN_DAYS_AFTER_ADDENDUM)
    tender.refresh_from_db()
    assert tender.submission_deadline >= minimum
    assert addendum.extended == (tender.submission_deadline == minimum)


def test_a_later_deadline_can_be_set(people):
    tender = f.tender_at("published", people=people)
    later = tender.submission_deadline + timedelta(days=10)
    addendum = _issue(tender, people.engineer, new_submission_deadline=later)
    tender.refresh_from_db()
    assert tender.submission_deadline == later and not addendum.extended
    assert tender.opening_at >= later


def test_the_deadline_cannot_be_brought_forward(people):
    tender = f.tender_at("published", people=people)
    with pytest.raises(ValidationError):
        _issue(
            tender,
            people.engineer,
            new_submission_deadline=tender.submission_deadline - timedelta(days=1),
        )
    assert not Addendum.objects.exists()


def test_bidders_are_asked_to_reconfirm_and_everyone_eligible_is_told(people):
    tender = f.tender_at("tendering", people=people, bidders=[people.supplier])
    Notification.objects.all().delete()
    _issue(tender, people.engineer)
    bid = Bid.objects.get(tender=tender)
    assert bid.needs_reconfirmation and bid.reconfirmed_at is None
    emails = Notification.objects.filter(kind="tender_addendum_issued", channel="email")
    by_user = {n.recipient_id: n.context["reconfirm"] for n in emails}
    assert by_user == {people.supplier.pk: True, people.other_supplier.pk: False}


def test_numbers_follow_each_other(people):
    tender = f.tender_at("published", people=people)
    numbers = [_issue(tender, people.engineer).number for _ in range(3)]
    assert numbers == [1, 2, 3]


@pytest.mark.parametrize("status", [s for s in ALL if s not in Tender.BIDDING])
def test_no_addendum_in_any_other_status(people, status):
    tender = f.tender_at(status, people=people)
    with pytest.raises(TransitionNotAllowed):
        _issue(tender, people.engineer)


def test_no_addendum_at_or_after_the_submission_deadline(people):
    tender = f.tender_at("published", people=people)
    with (
        time_machine.travel(tender.submission_deadline),
        pytest.raises(TransitionNotAllowed),
    ):
        _issue(tender, people.engineer)  # beat has not closed it yet: the clock still rules
    assert not Addendum.objects.exists()


def test_only_a_contracts_engineer_issues(people, member_a):
    tender = f.tender_at("published", people=people)
    for user in (people.supplier, member_a):
        with pytest.raises(PermissionDenied):
            _issue(tender, user)


def test_a_refused_document_leaves_nothing_behind(people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    tender = f.tender_at("tendering", people=people, bidders=[people.supplier])
    deadline = tender.submission_deadline
    Notification.objects.all().delete()
    with (
        time_machine.travel(deadline - timedelta(days=1), tick=False),
        pytest.raises(ValidationError),
    ):
        _issue(
            tender,
            people.engineer,
            documents=[
                {
                    "kind": "drawings",
                    "title_ar": "مخطط",
                    "title_en": "Drawing",
                    "upload": SimpleUploadedFile("d.pdf", b"no pdf here"),
                }
            ],
        )
    tender.refresh_from_db()
    assert tender.submission_deadline == deadline
    assert not Addendum.objects.exists()
    assert not Bid.objects.filter(needs_reconfirmation=True).exists()
    assert not Notification.objects.exists()


def test_a_moved_deadline_holds_back_the_beat(people):
    tender = f.tender_at("tendering", people=people)
    old = tender.submission_deadline
    with time_machine.travel(old - timedelta(hours=1), tick=False):
        _issue(tender, people.engineer)
    with time_machine.travel(old + timedelta(minutes=1)):
        tenders_advance()
    tender.refresh_from_db()
    assert tender.status == T.TENDERING and tender.submission_deadline > old


def test_a_tender_listed_by_the_beat_before_an_addendum_is_rechecked_under_its_lock(people):
    """The beat lists due tenders, then moves each under its row lock: an addendum that moved
    the deadline in between wins (the time is checked again on the locked row)."""
    from tenders.services.lifecycle import _advance_one

    tender = f.tender_at("tendering", people=people)
    old = tender.submission_deadline
    with time_machine.travel(old - timedelta(hours=1), tick=False):
        _issue(tender, people.engineer)  # extends: fewer than the minimum days were left
    with time_machine.travel(old + timedelta(minutes=1), tick=False):
        moved = _advance_one(
            tender.pk,
            to=T.CLOSED,
            allowed_from=T.TENDERING,
            deadline="submission_deadline",
            now=old + timedelta(minutes=1),
            verb="tender_closed",
        )
    assert moved is False
    tender.refresh_from_db()
    assert tender.status == T.TENDERING

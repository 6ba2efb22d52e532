"""Questions until the enquiries deadline; answers (and pre-bid minutes) published to every
eligible supplier without naming who asked."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from portal.errors import TransitionNotAllowed
from portal.models import AuditEvent, Notification
from portal.notifications import _render
from tenders.models import Clarification, OcdsRelease, Tender
from tenders.services import clarifications as services
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


@pytest.fixture
def published(people):
    return f.tender_at("published", people=people)


def _ask(tender, user, text="Is the excavation depth fixed?"):
    return services.clarification_ask(actor=user, tender=tender, question=text)


# --- asking ------------------------------------------------------------------------------------
def test_an_eligible_supplier_asks_before_the_enquiries_deadline(people, published):
    with time_machine.travel(published.enquiries_deadline - timedelta(seconds=1)):
        question = _ask(published, people.supplier)
    assert question.asked_by == people.supplier and question.published_at is None
    assert question.source == Clarification.Source.QUESTION


def test_no_question_at_or_after_the_enquiries_deadline(people, published):
    with (
        time_machine.travel(published.enquiries_deadline),
        pytest.raises(TransitionNotAllowed),
    ):
        _ask(published, people.supplier)
    assert not Clarification.objects.exists()


@pytest.mark.parametrize("status", [s for s in ALL if s != "published"])
def test_no_question_in_any_other_status(people, status):
    tender = f.tender_at(status, people=people)
    with pytest.raises(TransitionNotAllowed):
        _ask(tender, people.supplier)


def test_ineligible_people_cannot_ask(people, published, member_a):
    for user in (people.ineligible_supplier, people.engineer, member_a):
        with pytest.raises(PermissionDenied):
            _ask(published, user)
    assert not Clarification.objects.exists()


def test_a_limited_tender_takes_questions_only_from_the_invited(people):
    invited = people.other_supplier.organization
    tender = f.tender_at("ready", people=people, method="limited", invited=[invited])
    from tenders.services import lifecycle

    lifecycle.tender_publish(actor=people.engineer, tender=tender)
    with pytest.raises(PermissionDenied):
        _ask(tender, people.supplier)
    assert _ask(tender, people.other_supplier)


def test_an_empty_question_is_refused(people, published):
    with pytest.raises(ValidationError):
        _ask(published, people.supplier, text="   ")


# --- answering ---------------------------------------------------------------------------------
def test_the_answer_goes_to_every_eligible_supplier_without_the_asker(people, published):
    question = _ask(published, people.supplier)
    Notification.objects.all().delete()
    services.clarification_answer_publish(
        actor=people.engineer, clarification=question, answer="Yes: 3 m, see drawing D-4."
    )
    question.refresh_from_db()
    assert question.published_at is not None and question.answered_by == people.engineer
    emails = Notification.objects.filter(kind="tender_clarification_published", channel="email")
    assert set(emails.values_list("recipient_id", flat=True)) == {
        people.supplier.pk,
        people.other_supplier.pk,
    }
    for email in emails:
        assert "asked_by" not in email.context
        rendered = _render(email)
        assert "3 m, see drawing D-4." in rendered["text"]
        if email.recipient_id == people.supplier.pk:
            continue  # the asker's own e-mail greets them by name
        for text in (rendered["subject"], rendered["text"], rendered["html"]):
            assert people.supplier.full_name not in text
            assert people.supplier.organization.name_en not in text
            assert people.supplier.organization.name_ar not in text
            assert people.supplier.email not in text
    assert OcdsRelease.objects.filter(tender=published, tags=["tenderUpdate"]).exists()


def test_answers_are_published_until_the_submission_deadline(people, published):
    question = _ask(published, people.supplier)
    with (
        time_machine.travel(published.submission_deadline),
        pytest.raises(TransitionNotAllowed),
    ):
        services.clarification_answer_publish(
            actor=people.engineer, clarification=question, answer="Late."
        )
    with time_machine.travel(published.submission_deadline - timedelta(seconds=1)):
        services.clarification_answer_publish(
            actor=people.engineer, clarification=question, answer="In time."
        )
    question.refresh_from_db()
    assert question.answer == "In time."


@pytest.mark.parametrize("status", ["tendering"])
def test_answers_are_published_while_tendering(people, status):
    tender = f.tender_at("published", people=people)
    question = _ask(tender, people.supplier)
    with time_machine.travel(tender.enquiries_deadline + timedelta(hours=1)):
        from tenders.services.lifecycle import tenders_advance

        tenders_advance()
        tender.refresh_from_db()
        assert tender.status == status
        services.clarification_answer_publish(
            actor=people.engineer, clarification=question, answer="Yes."
        )


def test_only_a_contracts_engineer_answers_and_only_once(people, published, member_a):
    question = _ask(published, people.supplier)
    for user in (people.supplier, member_a):
        with pytest.raises(PermissionDenied):
            services.clarification_answer_publish(actor=user, clarification=question, answer="x")
    services.clarification_answer_publish(
        actor=people.engineer, clarification=question, answer="First."
    )
    with pytest.raises(services.ClarificationError):
        services.clarification_answer_publish(
            actor=people.engineer, clarification=question, answer="Second."
        )
    question.refresh_from_db()
    assert question.answer == "First."


@pytest.mark.parametrize("status", [s for s in ALL if s not in ("published", "tendering", "draft")])
def test_no_answer_in_any_other_status(people, status):
    tender = f.tender_at(status, people=people)
    question = Clarification.objects.create(
        tender=tender, asked_by=people.supplier, question="Asked in time."
    )
    with pytest.raises(TransitionNotAllowed):
        services.clarification_answer_publish(
            actor=people.engineer, clarification=question, answer="Too late."
        )


def test_a_failed_answer_leaves_nothing_behind(people, published, monkeypatch):
    question = _ask(published, people.supplier)

    def broken(**kwargs):
        raise RuntimeError("release store down")

    monkeypatch.setattr(services, "release_record", broken)
    with pytest.raises(RuntimeError):
        services.clarification_answer_publish(
            actor=people.engineer, clarification=question, answer="Answer."
        )
    question.refresh_from_db()
    assert question.published_at is None and question.answer == ""
    assert not Notification.objects.filter(kind="tender_clarification_published").exists()
    assert not AuditEvent.objects.filter(verb="clarification_published").exists()


# --- pre-bid minutes ---------------------------------------------------------------------------
def test_prebid_minutes_are_published_as_a_clarification(people, published):
    minutes = services.clarification_publish_minutes(
        actor=people.engineer, tender=published, text="The site visit is on Monday."
    )
    assert minutes.source == Clarification.Source.PREBID_MINUTES
    assert minutes.asked_by is None and minutes.published_at is not None
    email = Notification.objects.filter(
        kind="tender_clarification_published", channel="email", recipient=people.supplier
    ).get()
    assert email.context["minutes"] is True
    assert "The site visit is on Monday." in _render(email)["text"]


def test_minutes_need_text_and_an_open_tender(people):
    tender = f.tender_at("closed", people=people)
    with pytest.raises(TransitionNotAllowed):
        services.clarification_publish_minutes(actor=people.engineer, tender=tender, text="x")
    published = f.tender_at("published", people=people)
    with pytest.raises(ValidationError):
        services.clarification_publish_minutes(actor=people.engineer, tender=published, text="")

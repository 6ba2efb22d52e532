"""Explaining the tender: eligible suppliers ask until the enquiries deadline; the contracts
engineer answers, and the answer is published to every eligible supplier WITHOUT naming who
asked (the notification's context holds the question and answer only); the pre-bid session's
minutes are published the same way.

Errors: ValidationError for empty text, PermissionDenied for the wrong person,
TransitionNotAllowed when the status or the clock does not allow it, DomainError otherwise.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction as db_transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from portal.audit import audit_record
from portal.errors import DomainError, TransitionNotAllowed
from portal.workflow import checks_passing
from tenders.models import Clarification, Tender
from tenders.selectors import (
    is_contracts_engineer,
    supplier_organization,
    supplier_users_eligible_for,
    tender_eligible,
)
from tenders.services.lifecycle import clock, lock, names, notify_each
from tenders.services.releases import release_record

T = Tender.Status
QUESTION_MAX_LENGTH = 4000
# Answers (and minutes) are published while bids may still be prepared.
ANSWERABLE = frozenset({T.PUBLISHED, T.TENDERING})


class ClarificationError(DomainError):
    code = "clarification"


# --- who may do what, when ------------------------------------------------------------------------
def check_ask(*, user: User, tender: Tender, now: datetime | None = None) -> None:
    """An eligible supplier, while the enquiries are open (published, before the deadline)."""
    if tender.status != T.PUBLISHED or clock(now) >= tender.enquiries_deadline:
        raise TransitionNotAllowed(_("Questions about this tender are closed."))
    if not tender_eligible(supplier_organization(user), tender):
        raise PermissionDenied


def check_answer(*, user: User, tender: Tender, now: datetime | None = None) -> None:
    """A contracts engineer, before the submission deadline."""
    if tender.status not in ANSWERABLE or clock(now) >= tender.submission_deadline:
        raise TransitionNotAllowed
    if not is_contracts_engineer(user):
        raise PermissionDenied


def clarification_actions(*, user: User, tender: Tender) -> set[str]:
    """ "ask" and "answer" (publish an answer or minutes) when the user may now."""
    return checks_passing({"ask": check_ask, "answer": check_answer}, user=user, tender=tender)


# --- services -----------------------------------------------------------------------------------
@db_transaction.atomic
def clarification_ask(
    *, actor: User, tender: Tender, question: str, now: datetime | None = None
) -> Clarification:
    """Ask a question; the engineer sees it in the inbox, nobody else sees who asked.

    Raises ValidationError (empty or too long), TransitionNotAllowed (enquiries closed — the
    deadline is checked under the tender's lock), PermissionDenied (not eligible)."""
    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": [_("Write your question.")]})
    if len(question) > QUESTION_MAX_LENGTH:
        raise ValidationError(
            {
                "question": [
                    _("Keep the question under %(count)s characters.")
                    % {"count": QUESTION_MAX_LENGTH}
                ]
            }
        )
    now = clock(now)
    tender = lock(tender)
    check_ask(user=actor, tender=tender, now=now)
    clarification = Clarification.objects.create(
        tender=tender, source=Clarification.Source.QUESTION, asked_by=actor, question=question
    )
    audit_record(
        actor=actor,
        verb="clarification_asked",
        obj=tender,
        data={"clarification": clarification.pk},
    )
    return clarification


def _publish(clarification: Clarification, tender: Tender) -> None:
    # Question and answer only: never the asker, their organization or the time they asked.
    context = names(tender) | {
        "question": clarification.question,
        "answer": clarification.answer,
        "minutes": clarification.source == Clarification.Source.PREBID_MINUTES,
    }
    notify_each(
        supplier_users_eligible_for(tender),
        kind="tender_clarification_published",
        tender=tender,
        context=context,
    )
    release_record(tender=tender, tag="tenderUpdate")


@db_transaction.atomic
def clarification_answer_publish(
    *, actor: User, clarification: Clarification, answer: str, now: datetime | None = None
) -> Clarification:
    """Answer a question and publish both to every eligible supplier.

    Raises ValidationError (empty answer), TransitionNotAllowed (past the submission deadline
    or not open), PermissionDenied, ClarificationError (already published)."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": [_("Write the answer.")]})
    now = clock(now)
    tender = lock(clarification.tender)
    check_answer(user=actor, tender=tender, now=now)
    clarification = Clarification.objects.select_for_update().get(pk=clarification.pk)
    if clarification.published_at is not None:
        raise ClarificationError(
            _("This question has already been answered."), code="already_published"
        )
    clarification.answer = answer
    clarification.answered_by = actor
    clarification.answered_at = now
    clarification.published_at = now
    clarification.save(update_fields=["answer", "answered_by", "answered_at", "published_at"])
    audit_record(
        actor=actor,
        verb="clarification_published",
        obj=tender,
        data={"clarification": clarification.pk},
    )
    _publish(clarification, tender)
    return clarification


@db_transaction.atomic
def clarification_publish_minutes(
    *, actor: User, tender: Tender, text: str, now: datetime | None = None
) -> Clarification:
    """Publish the pre-bid session's minutes as a clarification (meetings may call this).

    Raises ValidationError (empty), TransitionNotAllowed, PermissionDenied (not a contracts
    engineer)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the minutes.")]})
    now = clock(now)
    tender = lock(tender)
    check_answer(user=actor, tender=tender, now=now)
    clarification = Clarification.objects.create(
        tender=tender,
        source=Clarification.Source.PREBID_MINUTES,
        question="",
        answer=text,
        answered_by=actor,
        answered_at=now,
        published_at=now,
    )
    audit_record(
        actor=actor,
        verb="prebid_minutes_published",
        obj=tender,
        data={"clarification": clarification.pk},
    )
    _publish(clarification, tender)
    return clarification

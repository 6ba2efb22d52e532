"""Addenda: numbered changes to a published tender — new versions of documents and/or later
dates. When fewer than TENDER_MIN_DAYS_AFTER_ADDENDUM days would be left for bids, the
submission deadline moves to that many days after the addendum (and the opening with it);
bidders who already submitted are asked to reconfirm; every eligible supplier is told.

Errors: ValidationError for bad input, PermissionDenied for the wrong person,
TransitionNotAllowed when the status or the clock does not allow it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction as db_transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from portal.audit import audit_record
from portal.errors import TransitionNotAllowed
from portal.workflow import checks_passing
from tenders.models import Addendum, Tender
from tenders.selectors import is_contracts_engineer, supplier_users_eligible_for
from tenders.services.lifecycle import (
    bidder_users,
    clock,
    document_store,
    live_bids,
    lock,
    names,
    notify_each,
    sync,
)
from tenders.services.releases import release_record

T = Tender.Status


def check_addendum(*, user: User, tender: Tender, now: datetime | None = None) -> None:
    """A contracts engineer, while bids are accepted (published or tendering, before the
    submission deadline)."""
    if tender.status not in Tender.BIDDING or clock(now) >= tender.submission_deadline:
        raise TransitionNotAllowed
    if not is_contracts_engineer(user):
        raise PermissionDenied


def addendum_actions(*, user: User, tender: Tender) -> set[str]:
    return checks_passing({"addendum": check_addendum}, user=user, tender=tender)


def _new_dates(
    tender: Tender, *, now: datetime, new_submission_deadline, new_opening_at
) -> tuple[datetime, datetime, bool]:
    """(submission deadline, opening, extended) after the addendum."""
    errors: dict[str, list] = {}
    deadline = new_submission_deadline or tender.submission_deadline
    if deadline < tender.submission_deadline:
        errors["new_submission_deadline"] = [
            _("An addendum cannot bring the submission deadline forward.")
        ]
    minimum = now + timedelta(days=settings.TENDER_MIN_DAYS_AFTER_ADDENDUM)
    extended = deadline < minimum
    if extended:
        deadline = minimum
    opening = new_opening_at or tender.opening_at
    if new_opening_at is None and opening < deadline:
        # The opening keeps its distance from the deadline.
        opening = deadline + max(tender.opening_at - tender.submission_deadline, timedelta(0))
    if opening < deadline:
        errors["new_opening_at"] = [_("The opening cannot come before the submission deadline.")]
    if errors:
        raise ValidationError(errors)
    return deadline, opening, extended


@db_transaction.atomic
def addendum_issue(
    *,
    actor: User,
    tender: Tender,
    description_ar: str,
    description_en: str,
    new_submission_deadline: datetime | None = None,
    new_opening_at: datetime | None = None,
    documents: list[dict] = (),
    now: datetime | None = None,
) -> Addendum:
    """Issue the next addendum. `documents`: [{"kind", "title_ar", "title_en", "upload"}], each
    stored as the next version of its kind.

    Raises ValidationError (no description, a deadline brought forward, an opening before the
    deadline, a refused file), TransitionNotAllowed (bids no longer accepted: checked under the
    tender's lock), PermissionDenied."""
    description_ar = (description_ar or "").strip()
    description_en = (description_en or "").strip()
    if not description_ar or not description_en:
        raise ValidationError(
            {"description_ar": [_("Describe the change in Arabic and in English.")]}
        )
    now = clock(now)
    original, tender = tender, lock(tender)
    check_addendum(user=actor, tender=tender, now=now)
    deadline, opening, extended = _new_dates(
        tender,
        now=now,
        new_submission_deadline=new_submission_deadline,
        new_opening_at=new_opening_at,
    )
    number = (tender.addenda.aggregate(n=Max("number"))["n"] or 0) + 1
    addendum = Addendum.objects.create(
        tender=tender,
        number=number,
        description_ar=description_ar,
        description_en=description_en,
        old_submission_deadline=tender.submission_deadline,
        new_submission_deadline=deadline if deadline != tender.submission_deadline else None,
        old_opening_at=tender.opening_at,
        new_opening_at=opening if opening != tender.opening_at else None,
        extended=extended,
        created_by=actor,
    )
    for document in documents or []:
        document_store(
            actor=actor,
            tender=tender,
            kind=document["kind"],
            title_ar=document["title_ar"],
            title_en=document["title_en"],
            upload=document["upload"],
            addendum=addendum,
        )
    tender.submission_deadline = deadline
    tender.opening_at = opening
    tender.save(update_fields=["submission_deadline", "opening_at", "updated_at"])
    bidders = bidder_users(tender)
    reconfirm = live_bids(tender).update(needs_reconfirmation=True, reconfirmed_at=None)
    audit_record(
        actor=actor,
        verb="addendum_issued",
        obj=tender,
        data={
            "addendum": number,
            "extended": extended,
            "submission_deadline": deadline.isoformat(),
            "bids_to_reconfirm": reconfirm,
        },
    )
    context = names(tender) | {
        "number": number,
        "description_ar": description_ar,
        "description_en": description_en,
        "extended": extended,
    }
    notify_each(
        bidders, kind="tender_addendum_issued", tender=tender, context=context | {"reconfirm": True}
    )
    bidder_ids = {user.pk for user in bidders}
    notify_each(
        (u for u in supplier_users_eligible_for(tender) if u.pk not in bidder_ids),
        kind="tender_addendum_issued",
        tender=tender,
        context=context | {"reconfirm": False},
    )
    release_record(tender=tender, tag="tenderAmendment")
    sync(original, tender)
    return addendum

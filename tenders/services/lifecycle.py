"""A tender's life outside the bids: the draft (tender, criteria, bill of quantities, documents),
publication (with the sealing keys), cancellation, the time-driven moves and "unsuccessful".

Who: the contracts engineer drafts, publishes and cancels; Celery beat (no actor) moves
published → tendering at the enquiries deadline and tendering → closed at the submission deadline;
the evaluation marks a tender unsuccessful. Every move goes through portal.workflow.transition
(row lock, status AND time re-checked under it, audit event).

Errors: ValidationError for bad input, PermissionDenied for the wrong person,
TransitionNotAllowed when the status or the clock does not allow it, DomainError for every other
rule (with its own message).
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction as db_transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ClassificationCategory, Organization, User
from portal.audit import audit_record
from portal.errors import DomainError, TransitionNotAllowed
from portal.files import private_file_store
from portal.notifications import notify
from portal.references import reference_next
from portal.workflow import checks_passing, transition
from tenders import sealing
from tenders.models import (
    Addendum,
    Bid,
    BoqItem,
    CommitteeMember,
    Criterion,
    MemberKey,
    Tender,
    TenderDocument,
)
from tenders.selectors import is_contracts_engineer, supplier_users_eligible_for
from tenders.services.releases import release_record

T = Tender.Status

# What tender documents may be: drawings come as DWG/DXF, everything else as PDF.
DOCUMENT_KINDS = ("pdf", "dwg", "dxf")
HUNDRED = Decimal("100")

# The fields of a draft that tender_create and tender_update take (besides the M2M lists).
DRAFT_FIELDS = (
    "title_ar",
    "title_en",
    "description_ar",
    "description_en",
    "category",
    "method",
    "eligible_kinds",
    "min_grade",
    "estimated_value",
    "bid_bond_percent",
    "bid_validity_days",
    "technical_pass_mark",
    "financial_method",
    "technical_weight",
    "enquiries_deadline",
    "submission_deadline",
    "opening_at",
)


class NotReady(DomainError):
    code = "not_ready"


def plain_number(value: Decimal) -> str:
    """40.00 → "40", 12.50 → "12.5" (never "4E+1")."""
    return f"{value.normalize():f}"


def sync(original: Tender, locked: Tender) -> Tender:
    """Copy the locked row's values onto the caller's object, so that it sees the change."""
    if original is not locked:
        for field in Tender._meta.concrete_fields:
            setattr(original, field.attname, getattr(locked, field.attname))
    return locked


def clock(now: datetime | None = None) -> datetime:
    """The time of an action: `now` when given (seeding the demo, tests) but never later than
    the real clock, so no caller can move a tender ahead of its time."""
    real = timezone.now()
    return real if now is None or now > real else now


# --- who may do what, when (the services and allowed_actions ask these) -------------------------
def _require_status(tender: Tender, statuses: Iterable[str]) -> None:
    if tender.status not in set(statuses):
        raise TransitionNotAllowed


def check_edit(*, user: User, tender: Tender) -> None:
    """Drafts only, by a contracts engineer (criteria, BoQ, documents, committee too)."""
    _require_status(tender, {T.DRAFT})
    if not is_contracts_engineer(user):
        raise PermissionDenied


def publish_problems(tender: Tender, *, now: datetime | None = None) -> list[str]:
    """Everything that stops this draft from being published, as messages (empty: ready)."""
    now = clock(now)
    problems = []
    weights = tender.criteria.aggregate(total=Sum("weight"))["total"]
    if weights is None:
        problems.append(_("Add the evaluation criteria."))
    elif weights != HUNDRED:
        problems.append(
            _("The criteria's weights add up to %(total)s; they must add up to 100.")
            % {"total": plain_number(weights)}
        )
    if not tender.boq_items.exists():
        problems.append(_("Add the bill of quantities."))
    if not tender.documents.exists():
        problems.append(_("Add the tender documents."))
    if not (now < tender.enquiries_deadline < tender.submission_deadline <= tender.opening_at):
        problems.append(
            _(
                "The dates must be in the future and in order: enquiries deadline, then "
                "submission deadline, then opening."
            )
        )
    if tender.method == Tender.Method.LIMITED and not tender.invited.exists():
        problems.append(_("A limited tender needs at least one invited organization."))
    if tender.financial_method == Tender.FinancialMethod.COMBINED and not (
        0 < tender.technical_weight < HUNDRED
    ):
        problems.append(_("A combined evaluation needs a technical weight between 0 and 100."))
    members = list(tender.committee.select_related("user"))
    threshold = settings.TENDER_SHARE_THRESHOLD
    if len(members) < threshold:
        problems.append(_("The committee needs at least %(count)s members.") % {"count": threshold})
    with_keys = set(
        MemberKey.objects.filter(user_id__in=[m.user_id for m in members]).values_list(
            "user_id", flat=True
        )
    )
    missing = [str(m.user) for m in members if m.user_id not in with_keys]
    if missing:
        problems.append(
            _("These committee members have not set their opening passphrase: %(names)s.")
            % {"names": ", ".join(missing)}
        )
    return problems


def check_publish(*, user: User, tender: Tender, now: datetime | None = None) -> None:
    _require_status(tender, {T.DRAFT})
    if not is_contracts_engineer(user):
        raise PermissionDenied
    problems = publish_problems(tender, now=now)
    if problems:
        raise NotReady(" ".join(str(p) for p in problems))


def check_cancel(*, user: User, tender: Tender) -> None:
    _require_status(tender, Tender.CANCELLABLE)
    if not is_contracts_engineer(user):
        raise PermissionDenied


def lifecycle_actions(*, user: User, tender: Tender) -> set[str]:
    """ "edit", "publish", "cancel" when the user may take them now."""
    checks = {"edit": check_edit, "publish": check_publish, "cancel": check_cancel}
    return checks_passing(checks, user=user, tender=tender)


# --- helpers ------------------------------------------------------------------------------------
def lock(tender: Tender) -> Tender:
    """The tender's row, locked until the end of the caller's transaction."""
    return Tender.objects.select_for_update().get(pk=tender.pk)


def link(tender: Tender) -> str:
    return reverse("tenders:detail", args=[tender.pk])


def names(tender: Tender) -> dict:
    """What every tender e-mail names (stored with the notification, rendered later)."""
    return {
        "reference": tender.reference,
        "title_ar": tender.title_ar,
        "title_en": tender.title_en,
        "enquiries_deadline": tender.enquiries_deadline.isoformat(),
        "submission_deadline": tender.submission_deadline.isoformat(),
    }


def live_bids(tender: Tender):
    return Bid.objects.filter(tender_id=tender.pk, status=Bid.Status.SUBMITTED)


def bidder_users(tender: Tender) -> list[User]:
    """The people of every organization with a live bid (each once)."""
    organization_ids = live_bids(tender).values("organization_id")
    return list(User.objects.filter(organization_id__in=organization_ids, is_active=True))


def notify_each(users: Iterable[User], *, kind: str, tender: Tender, context: dict) -> int:
    sent = 0
    seen = set()
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        notify(recipient=user, kind=kind, obj=tender, context=context, link=link(tender))
        sent += 1
    return sent


def _validate(values: dict) -> None:
    """The draft's own rules (the model's constraints, said in words, per field)."""
    errors: dict[str, list] = {}
    if not values.get("title_ar", "").strip() or not values.get("title_en", "").strip():
        errors.setdefault("title_ar", []).append(_("Give the title in Arabic and in English."))
    kinds = set(Organization.Kind.values)
    if any(kind not in kinds for kind in values.get("eligible_kinds") or []):
        errors.setdefault("eligible_kinds", []).append(
            _("Choose organization kinds from the list.")
        )
    enquiries = values.get("enquiries_deadline")
    submission = values.get("submission_deadline")
    opening = values.get("opening_at")
    if enquiries and submission and not enquiries < submission:
        errors.setdefault("enquiries_deadline", []).append(
            _("The enquiries deadline must come before the submission deadline.")
        )
    if submission and opening and not submission <= opening:
        errors.setdefault("opening_at", []).append(
            _("The opening cannot come before the submission deadline.")
        )
    weight = values.get("technical_weight") or Decimal("0")
    if values.get("financial_method") == Tender.FinancialMethod.COMBINED and not (
        0 < weight < HUNDRED
    ):
        errors.setdefault("technical_weight", []).append(
            _("A combined evaluation needs a technical weight between 0 and 100.")
        )
    if errors:
        raise ValidationError(errors)


def _set_lists(tender: Tender, *, invited, categories) -> None:
    if invited is not None:
        tender.invited.set(invited)
    if categories is not None:
        tender.categories.set(categories)


# --- the draft ----------------------------------------------------------------------------------
@db_transaction.atomic
def tender_create(
    *,
    actor: User,
    title_ar: str,
    title_en: str,
    description_ar: str,
    description_en: str,
    category: str,
    enquiries_deadline: datetime,
    submission_deadline: datetime,
    opening_at: datetime,
    method: str = Tender.Method.OPEN,
    eligible_kinds: Iterable[str] = (),
    min_grade: str = "",
    categories: Iterable[ClassificationCategory] = (),
    invited: Iterable[Organization] = (),
    estimated_value: Decimal | None = None,
    bid_bond_percent: Decimal = Decimal("0"),
    bid_validity_days: int = 90,
    technical_pass_mark: Decimal = Decimal("70"),
    financial_method: str = Tender.FinancialMethod.LOWEST_PRICE,
    technical_weight: Decimal | None = Decimal("0"),
    contracts_engineer: User | None = None,
) -> Tender:
    """A new draft with its TND-YYYY-NNNN reference; `contracts_engineer` defaults to the actor.

    Raises PermissionDenied unless the actor is a contracts engineer, ValidationError for
    values that break the draft's rules."""
    if not is_contracts_engineer(actor):
        raise PermissionDenied
    values = {
        "title_ar": title_ar,
        "title_en": title_en,
        "description_ar": description_ar,
        "description_en": description_en,
        "category": category,
        "method": method,
        "eligible_kinds": sorted(set(eligible_kinds or [])),
        "min_grade": min_grade or "",
        "estimated_value": estimated_value,
        "bid_bond_percent": bid_bond_percent,
        "bid_validity_days": bid_validity_days,
        "technical_pass_mark": technical_pass_mark,
        "financial_method": financial_method,
        "technical_weight": technical_weight or Decimal("0"),
        "enquiries_deadline": enquiries_deadline,
        "submission_deadline": submission_deadline,
        "opening_at": opening_at,
    }
    _validate(values)
    tender = Tender(
        **values,
        contracts_engineer=contracts_engineer or actor,
        created_by=actor,
        reference=reference_next(prefix="TND", width=4),
    )
    tender.full_clean(exclude=["reference"])
    tender.save()
    _set_lists(tender, invited=list(invited or []), categories=list(categories or []))
    audit_record(actor=actor, verb="tender_created", obj=tender, to_status=tender.status)
    return tender


@db_transaction.atomic
def tender_update(
    *, actor: User, tender: Tender, invited=None, categories=None, **values
) -> Tender:
    """Change a draft's fields (any of DRAFT_FIELDS) and its invited / category lists.

    Raises TransitionNotAllowed when it is no longer a draft (changes then are addenda),
    PermissionDenied, ValidationError."""
    original, tender = tender, lock(tender)
    check_edit(user=actor, tender=tender)
    unknown = set(values) - set(DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"tender_update() got unexpected fields: {sorted(unknown)}")
    if "eligible_kinds" in values:
        values["eligible_kinds"] = sorted(set(values["eligible_kinds"] or []))
    if "technical_weight" in values:
        values["technical_weight"] = values["technical_weight"] or Decimal("0")
    if "min_grade" in values:
        values["min_grade"] = values["min_grade"] or ""
    merged = {name: getattr(tender, name) for name in DRAFT_FIELDS} | values
    _validate(merged)
    for name, value in values.items():
        setattr(tender, name, value)
    tender.full_clean()
    tender.save()
    _set_lists(tender, invited=invited, categories=categories)
    audit_record(actor=actor, verb="tender_updated", obj=tender, data={"fields": sorted(values)})
    return sync(original, tender)


@db_transaction.atomic
def criterion_add(
    *, actor: User, tender: Tender, name_ar: str, name_en: str, weight: Decimal
) -> Criterion:
    """Raises TransitionNotAllowed (not a draft), PermissionDenied, ValidationError (a weight
    outside 0–100, or one that takes the total past 100)."""
    tender = lock(tender)
    check_edit(user=actor, tender=tender)
    total = tender.criteria.aggregate(total=Sum("weight"))["total"] or Decimal("0")
    if weight is None or not Decimal("0") < weight <= HUNDRED:
        raise ValidationError({"weight": [_("A weight is more than 0 and at most 100.")]})
    if total + weight > HUNDRED:
        raise ValidationError(
            {
                "weight": [
                    _("The weights would add up to %(total)s; at most 100 is left to share.")
                    % {"total": plain_number(total + weight)}
                ]
            }
        )
    position = (tender.criteria.aggregate(p=Max("position"))["p"] or 0) + 1
    criterion = Criterion(
        tender=tender, name_ar=name_ar, name_en=name_en, weight=weight, position=position
    )
    criterion.full_clean()
    criterion.save()
    audit_record(actor=actor, verb="criterion_added", obj=tender, data={"criterion": criterion.pk})
    return criterion


@db_transaction.atomic
def criterion_remove(*, actor: User, criterion: Criterion) -> None:
    tender = lock(criterion.tender)
    check_edit(user=actor, tender=tender)
    audit_record(
        actor=actor, verb="criterion_removed", obj=tender, data={"criterion": criterion.pk}
    )
    criterion.delete()


@db_transaction.atomic
def boq_item_add(
    *,
    actor: User,
    tender: Tender,
    code: str,
    description_ar: str,
    description_en: str,
    unit: str,
    quantity: Decimal,
) -> BoqItem:
    """Raises TransitionNotAllowed (not a draft), PermissionDenied, ValidationError (a code
    already used, a quantity not above 0)."""
    tender = lock(tender)
    check_edit(user=actor, tender=tender)
    code = (code or "").strip()
    if tender.boq_items.filter(code=code).exists():
        raise ValidationError({"code": [_("This item code is already in the bill of quantities.")]})
    position = (tender.boq_items.aggregate(p=Max("position"))["p"] or 0) + 1
    item = BoqItem(
        tender=tender,
        code=code,
        description_ar=description_ar,
        description_en=description_en,
        unit=unit,
        quantity=quantity,
        position=position,
    )
    item.full_clean()
    item.save()
    audit_record(actor=actor, verb="boq_item_added", obj=tender, data={"item": item.code})
    return item


@db_transaction.atomic
def boq_item_remove(*, actor: User, item: BoqItem) -> None:
    tender = lock(item.tender)
    check_edit(user=actor, tender=tender)
    audit_record(actor=actor, verb="boq_item_removed", obj=tender, data={"item": item.code})
    item.delete()


def document_store(
    *,
    actor: User,
    tender: Tender,
    kind: str,
    title_ar: str,
    title_en: str,
    upload,
    addendum: Addendum | None = None,
) -> TenderDocument:
    """Store one document as the next version of its kind (the caller holds the tender's lock
    and has checked who and when). Raises ValidationError for a refused file."""
    if kind not in TenderDocument.Kind.values:
        raise ValidationError({"kind": [_("Choose the kind of document.")]})
    if not (title_ar or "").strip() or not (title_en or "").strip():
        raise ValidationError({"title_ar": [_("Give the title in Arabic and in English.")]})
    stored = private_file_store(
        actor=actor,
        upload=upload,
        purpose="tender_document",
        attach_to=tender,
        kinds=DOCUMENT_KINDS,
    )
    version = (tender.documents.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
    return TenderDocument.objects.create(
        tender=tender,
        kind=kind,
        title_ar=title_ar,
        title_en=title_en,
        version=version,
        file=stored,
        addendum=addendum,
        created_by=actor,
    )


@db_transaction.atomic
def tender_document_add(
    *, actor: User, tender: Tender, kind: str, title_ar: str, title_en: str, upload
) -> TenderDocument:
    """A document of a draft (after publication documents change only by addendum).

    Raises TransitionNotAllowed, PermissionDenied, ValidationError (the file)."""
    tender = lock(tender)
    check_edit(user=actor, tender=tender)
    document = document_store(
        actor=actor, tender=tender, kind=kind, title_ar=title_ar, title_en=title_en, upload=upload
    )
    audit_record(
        actor=actor,
        verb="tender_document_added",
        obj=tender,
        data={"kind": kind, "version": document.version},
    )
    return document


@db_transaction.atomic
def tender_document_remove(*, actor: User, document: TenderDocument) -> None:
    """Remove a draft's document (its file stays until the orphan sweep)."""
    tender = lock(document.tender)
    check_edit(user=actor, tender=tender)
    audit_record(
        actor=actor,
        verb="tender_document_removed",
        obj=tender,
        data={"kind": document.kind, "version": document.version},
    )
    document.delete()


# --- publication ------------------------------------------------------------------------------
@db_transaction.atomic
def tender_publish(*, actor: User, tender: Tender, now: datetime | None = None) -> Tender:
    """Publish a ready draft: make the tender's key pair and K, split K 2-of-n among the
    committee (each share sealed to the member's key), open the enquiries, tell every eligible
    supplier, record the OCDS "tender" release.

    Raises TransitionNotAllowed (not a draft), PermissionDenied, NotReady (what is missing)."""
    now = clock(now)
    original, tender = tender, lock(tender)
    check_publish(user=actor, tender=tender, now=now)
    members = list(CommitteeMember.objects.filter(tender=tender).order_by("pk"))
    keys = {
        k.user_id: bytes(k.public_key)
        for k in MemberKey.objects.filter(user_id__in=[m.user_id for m in members])
    }
    public_key, sealed_private_key, sealed_shares = sealing.tender_keys_create(
        [keys[m.user_id] for m in members], threshold=settings.TENDER_SHARE_THRESHOLD
    )
    for member, sealed_share in zip(members, sealed_shares, strict=True):
        member.sealed_share = sealed_share
        member.save(update_fields=["sealed_share"])
    tender = transition(
        obj=tender,
        to=T.PUBLISHED,
        allowed_from=[T.DRAFT],
        actor=actor,
        verb="tender_published",
        changes={
            "published_at": now,
            "public_key": public_key,
            "sealed_private_key": sealed_private_key,
        },
        data={"committee": [m.user_id for m in members]},
    )
    notify_each(
        supplier_users_eligible_for(tender),
        kind="tender_published",
        tender=tender,
        context=names(tender),
    )
    release_record(tender=tender, tag="tender")
    return sync(original, tender)


# --- cancel, unsuccessful -----------------------------------------------------------------------
@db_transaction.atomic
def tender_cancel(*, actor: User, tender: Tender, reason: str) -> Tender:
    """Cancel from draft up to the financial evaluation, with a reason; every bidder (and, once
    published, every eligible supplier) is told.

    Raises ValidationError (no reason), TransitionNotAllowed, PermissionDenied."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for cancelling the tender.")]})
    original, tender = tender, lock(tender)
    check_cancel(user=actor, tender=tender)
    was_published = tender.status != T.DRAFT
    tender = transition(
        obj=tender,
        to=T.CANCELLED,
        allowed_from=Tender.CANCELLABLE,
        actor=actor,
        verb="tender_cancelled",
        timestamp_field="cancelled_at",
        changes={"cancel_reason": reason},
        data={"reason": reason},
    )
    if was_published:
        context = names(tender) | {"reason": reason}
        notify_each(
            [*bidder_users(tender), *supplier_users_eligible_for(tender)],
            kind="tender_cancelled",
            tender=tender,
            context=context,
        )
        release_record(tender=tender, tag="tenderCancellation")
    return sync(original, tender)


@db_transaction.atomic
def tender_mark_unsuccessful(*, actor: User | None, tender: Tender, reason: str = "") -> Tender:
    """No bid can be awarded (none compliant, none above the pass mark): the tender ends
    unsuccessful and every bidder is told once. Called by the evaluation inside its own
    transaction (the tender's row may already be locked by it: same transaction, no wait).

    Raises TransitionNotAllowed outside opened … financial evaluation."""
    tender = transition(
        obj=tender,
        to=T.UNSUCCESSFUL,
        allowed_from=[T.OPENED, T.TECHNICAL_EVALUATION, T.FINANCIAL_EVALUATION],
        actor=actor,
        verb="tender_unsuccessful",
        data={"reason": reason} if reason else None,
    )
    notify_each(
        bidder_users(tender),
        kind="tender_unsuccessful",
        tender=tender,
        context=names(tender) | {"reason": reason},
    )
    release_record(tender=tender, tag="tenderUpdate")
    return tender


# --- time-driven moves (Celery beat) -----------------------------------------------------------
def _advance_one(tender_id: int, *, to: str, allowed_from: str, deadline: str, now, verb) -> bool:
    try:
        with db_transaction.atomic():
            tender = Tender.objects.get(pk=tender_id)
            transition(
                obj=tender,
                to=to,
                allowed_from=[allowed_from],
                actor=None,
                verb=verb,
                timestamp_field="closed_at" if to == T.CLOSED else None,
                condition=lambda locked: getattr(locked, deadline) <= now,
            )
    except TransitionNotAllowed:
        return False  # moved (or its dates changed by an addendum) since it was listed
    return True


def tenders_advance(*, now: datetime | None = None) -> int:
    """Published → tendering once the enquiries deadline has passed; tendering → closed once
    the submission deadline has. Each tender moves in its own transaction under its row lock,
    re-checking status and time there, so running twice (or late) changes nothing more and an
    addendum that moved a deadline wins. Returns how many moves were made."""
    now = clock(now)
    moved = 0
    for tender_id in Tender.objects.filter(
        status=T.PUBLISHED, enquiries_deadline__lte=now
    ).values_list("pk", flat=True):
        moved += _advance_one(
            tender_id,
            to=T.TENDERING,
            allowed_from=T.PUBLISHED,
            deadline="enquiries_deadline",
            now=now,
            verb="tender_enquiries_closed",
        )
    for tender_id in Tender.objects.filter(
        status=T.TENDERING, submission_deadline__lte=now
    ).values_list("pk", flat=True):
        moved += _advance_one(
            tender_id,
            to=T.CLOSED,
            allowed_from=T.TENDERING,
            deadline="submission_deadline",
            now=now,
            verb="tender_closed",
        )
    return moved

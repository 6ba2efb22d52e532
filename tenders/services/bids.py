"""Bids: submit, change, withdraw, reconfirm — sealed on arrival, refused after the deadline.

Every write locks the tender row first and reads the clock after the lock, so a request in the
last second is either stored whole (offer, files, receipt, audit event) or refused with a clear
message: the closing job takes the same lock, so nothing slips in between. The prices and files
reach the database and the disk only sealed to the tender's public key (tenders.sealing); the
receipt carries a salted hash of what was submitted, never the price.
"""

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from portal.audit import audit_record
from portal.documents import document_issue
from portal.errors import DomainError, TransitionNotAllowed
from portal.files import validate_upload
from portal.notifications import notify
from portal.workflow import checks_passing, transition
from tenders import sealing
from tenders.models import Bid, BidFile, Tender
from tenders.selectors import supplier_organization, tender_eligible

logger = logging.getLogger(__name__)

TECHNICAL_KINDS = ("pdf", "dwg", "dxf", "jpeg", "png")
BOND_SCAN_KINDS = ("pdf", "jpeg", "png")
TECHNICAL_FILES_MAX = 10
FILS = Decimal("0.01")


class BiddingClosed(TransitionNotAllowed):
    code = "bidding_closed"
    default_message = _(
        "The submission deadline has passed: bids can no longer be submitted, changed or withdrawn."
    )


class NotBidding(TransitionNotAllowed):
    code = "not_open_for_bids"
    default_message = _("This tender is not open for bids.")


class NotEligible(DomainError):
    code = "not_eligible"
    default_message = _("Your organization is not eligible to bid for this tender.")


class AlreadySubmitted(DomainError):
    code = "already_submitted"
    default_message = _(
        "Your organization has already submitted a bid for this tender; change or withdraw it."
    )


class BidNotLive(DomainError):
    code = "bid_withdrawn"
    default_message = _("This bid was withdrawn; submit a new bid instead.")


class NothingToReconfirm(DomainError):
    code = "nothing_to_reconfirm"
    default_message = _("This bid does not need to be reconfirmed.")


@dataclass(frozen=True)
class BidBond:
    """The bid bond (a bank guarantee): checked against the tender, then sealed with the offer
    and stored in clear only at the opening."""

    bank: str
    number: str
    amount: Decimal
    expiry: date


def fils(value: Decimal) -> Decimal:
    """Round half-up to fils (two decimals): every amount of a bid goes through here."""
    return Decimal(value).quantize(FILS, rounding=ROUND_HALF_UP)


# --- the rules, each in one place (services raise; bid_actions answers for pages and the API) ----
def _supplier(user, tender: Tender):
    """The organization the user bids for; raises when the user may not bid for this tender."""
    organization = supplier_organization(user)
    if organization is None:
        raise PermissionDenied(_("Only a supplier's account can bid."))
    if tender.published_at is None or not tender_eligible(organization, tender):
        raise NotEligible()
    return organization


def _check_open(tender: Tender, now: datetime) -> None:
    """Bids are accepted while the tender is published or tendering, until the deadline."""
    if tender.status not in Tender.BIDDING:
        if tender.status in (Tender.Status.DRAFT, Tender.Status.CANCELLED):
            raise NotBidding()
        raise BiddingClosed()
    if now >= tender.submission_deadline:
        raise BiddingClosed()


def _check_own(user, bid: Bid) -> None:
    if not getattr(user, "is_authenticated", False) or user.organization_id != bid.organization_id:
        raise PermissionDenied(_("Only the bidding organization can do this."))


def _live_bid(organization, tender: Tender) -> Bid | None:
    return Bid.objects.filter(
        tender_id=tender.pk, organization_id=organization.pk, status=Bid.Status.SUBMITTED
    ).first()


def bidding_open(tender: Tender, *, now: datetime | None = None) -> bool:
    try:
        _check_open(tender, now or timezone.now())
    except DomainError:
        return False
    return True


def check_bid(*, user, tender: Tender) -> None:
    """Raises unless the user may submit a bid for the tender now (for an organization that has
    no live bid on it)."""
    organization = _supplier(user, tender)
    _check_open(tender, timezone.now())
    if _live_bid(organization, tender) is not None:
        raise AlreadySubmitted()


def _check_live(*, user, tender: Tender) -> Bid:
    organization = _supplier(user, tender)
    _check_open(tender, timezone.now())
    bid = _live_bid(organization, tender)
    if bid is None:
        raise BidNotLive()
    return bid


def check_change_bid(*, user, tender: Tender) -> Bid:
    """Raises unless the user may change their organization's live bid now; returns it."""
    return _check_live(user=user, tender=tender)


def check_withdraw_bid(*, user, tender: Tender) -> Bid:
    """Raises unless the user may withdraw their organization's live bid now; returns it. A
    bidder may withdraw even if the organization is no longer eligible."""
    organization = supplier_organization(user)
    if organization is None:
        raise PermissionDenied(_("Only the bidding organization can do this."))
    _check_open(tender, timezone.now())
    bid = _live_bid(organization, tender)
    if bid is None:
        raise BidNotLive()
    return bid


def check_reconfirm_bid(*, user, tender: Tender) -> Bid:
    """Raises unless the organization's live bid waits for a reconfirmation (after an
    addendum) that the user may give now; returns it."""
    bid = _check_live(user=user, tender=tender)
    if not bid.needs_reconfirmation:
        raise NothingToReconfirm()
    return bid


def bid_actions(*, user, tender: Tender) -> set[str]:
    """The bid actions the user may take now, from the services' own checks: "bid",
    "change-bid", "withdraw-bid", "reconfirm-bid" (tenders.selectors.allowed_actions adds
    these)."""
    checks = {
        "bid": check_bid,
        "change-bid": check_change_bid,
        "withdraw-bid": check_withdraw_bid,
        "reconfirm-bid": check_reconfirm_bid,
    }
    return checks_passing(checks, user=user, tender=tender)


# --- checking and sealing what was submitted -----------------------------------------------------
@dataclass
class _SealedFile:
    kind: str
    original_name: str
    size: int
    sha256: str
    sealed_key: bytes
    ciphertext: bytes


def _error(errors: dict, field: str, message) -> None:
    errors.setdefault(field, []).append(message)


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _seal_files(
    tender: Tender, files: Sequence[tuple[str, object]], errors: dict
) -> list[_SealedFile]:
    """Check every file by content (in memory: bid uploads never touch the disk in clear), then
    encrypt it under its own key sealed to the tender. Problems go to errors["files"]."""
    counts = {kind: 0 for kind in BidFile.Kind.values}
    sealed = []
    for kind, upload in files:
        if kind not in counts:
            _error(errors, "files", _("Unknown kind of bid file: %(kind)s.") % {"kind": kind})
            continue
        counts[kind] += 1
        kinds = TECHNICAL_KINDS if kind == BidFile.Kind.TECHNICAL else BOND_SCAN_KINDS
        name = (getattr(upload, "name", "") or "file")[:255]
        try:
            validate_upload(upload, kinds=kinds)
        except ValidationError as error:
            for message in error.messages:
                _error(errors, "files", f"{name}: {message}")
            continue
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
        sealed_key, ciphertext = sealing.seal_file(tender.public_key, data)
        sealed.append(
            _SealedFile(
                kind=kind,
                original_name=name,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                sealed_key=sealed_key,
                ciphertext=ciphertext,
            )
        )
    if counts[BidFile.Kind.TECHNICAL] == 0:
        _error(errors, "files", _("Attach the technical envelope (at least one file)."))
    if counts[BidFile.Kind.TECHNICAL] > TECHNICAL_FILES_MAX:
        _error(
            errors,
            "files",
            _("Attach at most %(max)s files to the technical envelope.")
            % {"max": TECHNICAL_FILES_MAX},
        )
    if counts[BidFile.Kind.BOND_SCAN] != 1:
        _error(errors, "files", _("Attach the scan of the bid bond (one file)."))
    return sealed


def bond_expiry_required(tender: Tender) -> date:
    """The bond must stay valid for the bid validity period after the submission deadline."""
    deadline = timezone.localdate(tender.submission_deadline)
    return deadline + timedelta(days=tender.bid_validity_days)


def bond_amount_required(tender: Tender, total: Decimal) -> Decimal:
    return fils(total * tender.bid_bond_percent / Decimal(100))


def _offer(
    tender: Tender, *, offer, boq_prices: Mapping[str, object], bond, errors: dict
) -> dict | None:
    """The financial offer and the bond, checked against the tender (its locked row), as the
    JSON-ready dict that is sealed and hashed. Problems go to `errors`."""
    items = list(tender.boq_items.order_by("position", "id"))
    known = {item.code for item in items}
    prices = {str(code): value for code, value in (boq_prices or {}).items()}
    unknown = sorted(set(prices) - known)
    missing = [item.code for item in items if item.code not in prices]
    if unknown:
        _error(
            errors,
            "boq_prices",
            _("These items are not in the bill of quantities: %(codes)s.")
            % {"codes": ", ".join(unknown)},
        )
    if missing:
        _error(
            errors,
            "boq_prices",
            _("Price every item of the bill of quantities (missing: %(codes)s).")
            % {"codes": ", ".join(missing)},
        )
    lines, computed, bad = [], Decimal("0"), False
    for item in items:
        if item.code not in prices:
            continue
        rate = _decimal(prices[item.code])
        if rate is None or rate < 0 or rate != rate.quantize(FILS):
            bad = True
            continue
        amount = fils(item.quantity * rate)
        computed += amount
        lines.append({"code": item.code, "rate": str(fils(rate)), "amount": str(amount)})
    if bad:
        _error(
            errors,
            "boq_prices",
            _("Each unit rate is an amount in dirhams of zero or more, with at most two decimals."),
        )
    total = _decimal(offer)
    if total is None or total <= 0 or total != total.quantize(FILS):
        _error(
            errors, "offer", _("The total is an amount in dirhams above zero, with two decimals.")
        )
        total = None
    elif not unknown and not missing and not bad and fils(total) != fils(computed):
        _error(
            errors,
            "offer",
            _("The total must equal the priced bill of quantities: %(sum)s AED.")
            % {"sum": f"{fils(computed):,}"},
        )
    if isinstance(bond, Mapping):
        bond = BidBond(**bond)
    bank, number = (bond.bank or "").strip(), (bond.number or "").strip()
    if not bank or not number:
        _error(errors, "bond", _("Give the bank and the guarantee number of the bid bond."))
    bond_amount = _decimal(bond.amount)
    if bond_amount is None or bond_amount <= 0 or bond_amount != bond_amount.quantize(FILS):
        _error(errors, "bond", _("The bond amount is an amount in dirhams above zero."))
    elif total is not None and bond_amount < bond_amount_required(tender, total):
        _error(
            errors,
            "bond",
            _("The bid bond must be at least %(percent)s%% of the total: %(required)s AED.")
            % {
                "percent": tender.bid_bond_percent.normalize(),
                "required": f"{bond_amount_required(tender, total):,}",
            },
        )
    required_expiry = bond_expiry_required(tender)
    expiry = bond.expiry.date() if isinstance(bond.expiry, datetime) else bond.expiry
    if not isinstance(expiry, date) or expiry < required_expiry:
        _error(
            errors,
            "bond",
            _(
                "The bid bond must stay valid until at least %(date)s: the submission deadline "
                "plus %(days)s days of bid validity."
            )
            % {"date": required_expiry.isoformat(), "days": tender.bid_validity_days},
        )
    if errors:
        return None
    return {
        "tender": tender.reference,
        "total": str(fils(total)),
        "boq": lines,
        "bond": {
            "bank": bank,
            "number": number,
            "amount": str(fils(bond_amount)),
            "expiry": expiry.isoformat(),
        },
    }


def _sealed_payload(tender: Tender, offer: dict, files: list[_SealedFile]) -> tuple[bytes, str]:
    """(sealed_offer, receipt_hash). The hash covers the offer, the bond and every file's
    SHA-256; its salt travels only inside the sealed box."""
    content = {
        **offer,
        "files": [
            {"kind": f.kind, "name": f.original_name, "size": f.size, "sha256": f.sha256}
            for f in files
        ],
    }
    salt = sealing.receipt_salt()
    digest = sealing.receipt_hash(salt, sealing.canonical_json(content))
    payload = sealing.canonical_json({"salt": salt.hex(), "content": content})
    return sealing.seal(tender.public_key, payload), digest


def opened_payload(private_key: bytes, bid: Bid) -> tuple[dict, bool]:
    """Open a bid's sealed offer with the tender's private key: (content, offer hash matches
    the receipt). For the opening (tenders.services.opening)."""
    payload = json.loads(sealing.unseal(private_key, bytes(bid.sealed_offer)))
    content = payload["content"]
    digest = sealing.receipt_hash(bytes.fromhex(payload["salt"]), sealing.canonical_json(content))
    return content, digest == bid.receipt_hash


# --- storing -------------------------------------------------------------------------------------
def _lock_tender(tender: Tender) -> Tender:
    return Tender.objects.select_for_update(of=("self",)).get(pk=tender.pk)


def _lock_bid(bid: Bid) -> Bid:
    return Bid.objects.select_for_update(of=("self",)).get(pk=bid.pk)


def _prepare(*, actor, tender: Tender, files) -> tuple:
    """Everything that does not need the lock: who bids, a first look at the deadline (so a
    late bidder hears that before any remark on the files), the files checked and encrypted."""
    organization = _supplier(actor, tender)
    _check_open(tender, timezone.now())
    errors: dict = {}
    sealed_files = _seal_files(tender, list(files or []), errors)
    return organization, sealed_files, errors


def _check_and_seal(*, tender: Tender, offer, boq_prices, bond, sealed_files, errors) -> tuple:
    """Under the lock: the offer against the tender as it is now (an addendum may just have
    moved the deadline), then the sealed offer and its receipt hash."""
    content = _offer(tender, offer=offer, boq_prices=boq_prices, bond=bond, errors=errors)
    if errors:
        raise ValidationError({field: messages for field, messages in errors.items()})
    return _sealed_payload(tender, content, sealed_files)


def _write_files(bid: Bid, sealed_files: list[_SealedFile]) -> None:
    """Written last: a rollback cannot take a file off the disk, so nothing that can still fail
    comes after. If one write fails, the ones before it are removed."""
    written = []
    try:
        for f in sealed_files:
            row = BidFile(
                bid=bid,
                kind=f.kind,
                original_name=f.original_name,
                size=f.size,
                sealed_key=f.sealed_key,
            )
            # A random name: nothing on the disk says what the file is.
            row.ciphertext.save(f"{uuid.uuid4().hex}.sealed", ContentFile(f.ciphertext), save=False)
            written.append(row.ciphertext.name)
            row.save()
    except BaseException:
        storage = BidFile._meta.get_field("ciphertext").storage
        for name in written:
            storage.delete(name)
        raise


def _delete_files_on_commit(names: Iterable[str]) -> None:
    names = list(names)
    storage = BidFile._meta.get_field("ciphertext").storage

    def delete():
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("could not delete the replaced sealed file %s", name, exc_info=True)

    transaction.on_commit(delete)


def _receipt(*, actor, bid: Bid, tender: Tender, files: list[_SealedFile]) -> None:
    submitted = timezone.localtime(bid.submitted_at).strftime("%Y-%m-%d %H:%M:%S")
    organization = bid.organization
    reference = f"{tender.reference}-B{bid.pk}-V{bid.version}"
    document = document_issue(
        actor=actor,
        kind="bid_receipt",
        reference=reference,
        owner=actor,
        subject=bid,
        title_ar="إيصال استلام عطاء",
        title_en="Bid receipt",
        template="tenders/pdf/bid_receipt.html",
        # What the receipt shows; the price and the file hashes stay sealed.
        snapshot={
            "tender_reference": tender.reference,
            "tender_title_ar": tender.title_ar,
            "tender_title_en": tender.title_en,
            "bidder_ar": organization.name_ar,
            "bidder_en": organization.name_en,
            "submitted_by": actor.full_name or actor.email,
            "submitted_at": submitted,
            "submission_deadline": timezone.localtime(tender.submission_deadline).strftime(
                "%Y-%m-%d %H:%M"
            ),
            "version": bid.version,
            "receipt_hash": bid.receipt_hash,
            "files": [[f.kind, f.original_name, f.size] for f in files],
        },
        public_summary={
            "rows": [
                ["المناقصة", "Tender", tender.reference],
                ["مقدم العطاء", "Bidder", f"{organization.name_ar} / {organization.name_en}"],
                ["وقت التقديم", "Submitted at", submitted],
                ["الإصدار", "Version", str(bid.version)],
                ["البصمة المملحة (SHA-256)", "Salted hash (SHA-256)", bid.receipt_hash],
            ]
        },
    )
    bid.receipt = document
    bid.save(update_fields=["receipt", "updated_at"])
    notify(
        recipient=actor,
        kind="bid_received",
        obj=bid,
        context={
            "tender_reference": tender.reference,
            "tender_title_ar": tender.title_ar,
            "tender_title_en": tender.title_en,
            "version": bid.version,
            "receipt_hash": bid.receipt_hash,
        },
        link=reverse("document_download", args=[document.pk]),
    )


def bid_submit(
    *,
    actor: User,
    tender: Tender,
    offer: Decimal,
    boq_prices: Mapping[str, Decimal],
    bond: BidBond | Mapping,
    files: Sequence[tuple[str, object]],
) -> Bid:
    """An eligible supplier's sealed bid: `offer` is the total (AED), `boq_prices` the unit
    rate of every bill-of-quantities item by code, `bond` the bid bond, `files` (kind, upload)
    pairs — kinds "technical" (1 to 10 files) and "bond_scan" (exactly one).

    Raises PermissionDenied (not a supplier), NotEligible, NotBidding / BiddingClosed (status
    or deadline, read under the tender's lock), AlreadySubmitted, and ValidationError keyed by
    "offer", "boq_prices", "bond", "files" for what was filled in wrong. Nothing is stored
    then."""
    organization, sealed_files, errors = _prepare(actor=actor, tender=tender, files=files)
    with transaction.atomic():
        locked = _lock_tender(tender)
        now = timezone.now()
        _check_open(locked, now)
        if Bid.objects.filter(
            tender=locked, organization=organization, status=Bid.Status.SUBMITTED
        ).exists():
            raise AlreadySubmitted()
        sealed_offer, digest = _check_and_seal(
            tender=locked,
            offer=offer,
            boq_prices=boq_prices,
            bond=bond,
            sealed_files=sealed_files,
            errors=errors,
        )
        bid = Bid.objects.create(
            tender=locked,
            organization=organization,
            submitted_by=actor,
            status=Bid.Status.SUBMITTED,
            version=1,
            submitted_at=now,
            sealed_offer=sealed_offer,
            receipt_hash=digest,
        )
        audit_record(
            actor=actor,
            verb="bid_submitted",
            obj=bid,
            to_status=bid.status,
            data={"tender": locked.reference, "version": 1, "files": len(sealed_files)},
        )
        _receipt(actor=actor, bid=bid, tender=locked, files=sealed_files)
        _write_files(bid, sealed_files)
    return bid


def bid_change(
    *,
    actor: User,
    bid: Bid,
    offer: Decimal,
    boq_prices: Mapping[str, Decimal],
    bond: BidBond | Mapping,
    files: Sequence[tuple[str, object]],
) -> Bid:
    """Replace the bid with a new version — a whole new submission (offer, bond and files; the
    previous version's files are deleted) — and issue a new receipt. Also reconfirms a bid
    that an addendum asked to reconfirm.

    Raises as bid_submit, plus PermissionDenied (another organization's bid) and BidNotLive
    (withdrawn)."""
    _check_own(actor, bid)
    tender = bid.tender
    organization, sealed_files, errors = _prepare(actor=actor, tender=tender, files=files)
    with transaction.atomic():
        locked_tender = _lock_tender(tender)
        now = timezone.now()
        _check_open(locked_tender, now)
        locked = _lock_bid(bid)
        if locked.status != Bid.Status.SUBMITTED:
            raise BidNotLive()
        sealed_offer, digest = _check_and_seal(
            tender=locked_tender,
            offer=offer,
            boq_prices=boq_prices,
            bond=bond,
            sealed_files=sealed_files,
            errors=errors,
        )
        old_files = list(locked.files.all())
        reconfirmed = locked.needs_reconfirmation
        locked.version += 1
        locked.submitted_by = actor
        locked.submitted_at = now
        locked.sealed_offer = sealed_offer
        locked.receipt_hash = digest
        fields = ["version", "submitted_by", "submitted_at", "sealed_offer", "receipt_hash"]
        if reconfirmed:
            locked.needs_reconfirmation = False
            locked.reconfirmed_at = now
            fields += ["needs_reconfirmation", "reconfirmed_at"]
        locked.save(update_fields=[*fields, "updated_at"])
        BidFile.objects.filter(pk__in=[f.pk for f in old_files]).delete()
        _delete_files_on_commit(f.ciphertext.name for f in old_files)
        audit_record(
            actor=actor,
            verb="bid_changed",
            obj=locked,
            data={
                "tender": locked_tender.reference,
                "version": locked.version,
                "files": len(sealed_files),
                "reconfirmed": reconfirmed,
            },
        )
        _receipt(actor=actor, bid=locked, tender=locked_tender, files=sealed_files)
        _write_files(locked, sealed_files)
    for name in ("version", "submitted_at", "sealed_offer", "receipt_hash", "receipt_id"):
        setattr(bid, name, getattr(locked, name))
    bid.needs_reconfirmation, bid.reconfirmed_at = (
        locked.needs_reconfirmation,
        locked.reconfirmed_at,
    )
    return locked


@transaction.atomic
def bid_withdraw(*, actor: User, bid: Bid) -> Bid:
    """The bidder takes the bid back before the deadline; it is never opened. The organization
    may then submit a new bid.

    Raises PermissionDenied (another organization's bid), BiddingClosed / NotBidding,
    TransitionNotAllowed (already withdrawn)."""
    _check_own(actor, bid)
    tender = _lock_tender(bid.tender)
    _check_open(tender, timezone.now())
    withdrawn = transition(
        obj=bid,
        to=Bid.Status.WITHDRAWN,
        allowed_from=[Bid.Status.SUBMITTED],
        actor=actor,
        verb="bid_withdrawn",
        timestamp_field="withdrawn_at",
        data={"tender": tender.reference, "version": bid.version},
    )
    notify(
        recipient=actor,
        kind="bid_withdrawn",
        obj=withdrawn,
        context={
            "tender_reference": tender.reference,
            "tender_title_ar": tender.title_ar,
            "tender_title_en": tender.title_en,
        },
    )
    return withdrawn


@transaction.atomic
def bid_reconfirm(*, actor: User, bid: Bid) -> Bid:
    """After an addendum, the bidder confirms the bid stands as submitted.

    Raises PermissionDenied, BiddingClosed / NotBidding, BidNotLive, NothingToReconfirm."""
    _check_own(actor, bid)
    tender = _lock_tender(bid.tender)
    now = timezone.now()
    _check_open(tender, now)
    locked = _lock_bid(bid)
    if locked.status != Bid.Status.SUBMITTED:
        raise BidNotLive()
    if not locked.needs_reconfirmation:
        raise NothingToReconfirm()
    locked.needs_reconfirmation = False
    locked.reconfirmed_at = now
    locked.save(update_fields=["needs_reconfirmation", "reconfirmed_at", "updated_at"])
    audit_record(
        actor=actor,
        verb="bid_reconfirmed",
        obj=locked,
        data={"tender": tender.reference, "version": locked.version},
    )
    bid.needs_reconfirmation, bid.reconfirmed_at = False, now
    return locked


def bid_counts(tenders: Iterable[Tender]) -> dict[int, int]:
    """Live bids per tender id: all that staff may know before the opening."""
    rows = (
        Bid.objects.filter(tender__in=list(tenders), status=Bid.Status.SUBMITTED)
        .values("tender")
        .annotate(n=Count("id"))
    )
    return {row["tender"]: row["n"] for row in rows}

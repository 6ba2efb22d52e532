"""Bids: submit, change, withdraw, reconfirm — every rule, each refusal a clear message with
nothing stored; what is stored is sealed; the receipt never shows the price."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from portal.errors import TransitionNotAllowed
from portal.models import AuditEvent, IssuedDocument, Notification
from tenders.models import Bid, BidFile, Tender
from tenders.services import bids as services
from tenders.services.addenda import addendum_issue
from tenders.services.bids import (
    AlreadySubmitted,
    BiddingClosed,
    BidNotLive,
    NotBidding,
    NotEligible,
    NothingToReconfirm,
)
from tests.tenders import sealed_bids as sb
from tests.tenders.factories import tender_at

TOTAL = sb.total_of(sb.RATES)  # 30,600.00 + 361,000.00 = 391,600.00


@pytest.fixture
def tendering(people):
    return tender_at("tendering", people=people)


def _state(private_media) -> dict:
    """Everything a refused request must leave as it was."""
    files = sorted(p.name for p in private_media.rglob("*") if p.is_file())
    return {
        "bids": list(Bid.objects.values_list("pk", "version", "status", "receipt_hash")),
        "files": BidFile.objects.count(),
        "documents": IssuedDocument.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "disk": files,
    }


def _message(error) -> str:
    with translation.override("en"):
        if isinstance(error, ValidationError):
            return " | ".join(
                f"{field}: {m}" for field, messages in error.message_dict.items() for m in messages
            )
        return str(getattr(error, "message", error))


def _refused(private_media, error_class, call) -> str:
    before = _state(private_media)
    # Services word their errors in the request's language (here English).
    with translation.override("en"), pytest.raises(error_class) as caught:
        call()
    assert _state(private_media) == before
    return _message(caught.value)


# --- submitting ----------------------------------------------------------------------------------
def test_a_bid_is_stored_sealed_with_a_receipt(tendering, supplier, private_media):
    bid = sb.submit(tendering, supplier, marker="SUBMIT-MARK")
    bid.refresh_from_db()
    assert (bid.status, bid.version, bid.organization) == (
        Bid.Status.SUBMITTED,
        1,
        supplier.organization,
    )
    assert len(bid.receipt_hash) == 64
    # Nothing in clear: the price, the rates, the bond are inside the sealed offer only.
    sealed = bytes(bid.sealed_offer)
    for clear in (str(TOTAL), "25.50", "451.25", "Sharjah Islamic Bank", "BG-2026-0042"):
        assert clear.encode() not in sealed
    assert bid.total_price is None and bid.bond_amount is None and bid.hash_verified is None
    # The files: ciphertext only, under random names.
    files = list(bid.files.order_by("kind"))
    assert [(f.kind, f.original_name) for f in files] == [
        ("bond_scan", "bond.pdf"),
        ("technical", "method-statement.pdf"),
    ]
    for f in files:
        assert f.ciphertext.name.endswith(".sealed")
        with f.ciphertext.open("rb") as handle:
            assert b"SUBMIT-MARK" not in handle.read()
        assert f.opened_file is None
    # The receipt: tender, bidder, time, version, the salted hash — never the price.
    receipt = IssuedDocument.objects.get(kind="bid_receipt")
    assert bid.receipt == receipt and receipt.owner == supplier
    assert receipt.snapshot["receipt_hash"] == bid.receipt_hash
    assert receipt.snapshot["version"] == 1
    assert receipt.snapshot["tender_reference"] == tendering.reference
    flat = str(receipt.snapshot) + str(receipt.public_summary)
    for clear in (str(TOTAL), "391,600", "25.50", "451.25", "BG-2026-0042", "7832"):
        assert clear not in flat
    # The audit event has no contents either.
    event = AuditEvent.objects.get(verb="bid_submitted")
    assert event.data == {"tender": tendering.reference, "version": 1, "files": 2}
    assert Notification.objects.filter(recipient=supplier, kind="bid_received").exists()


def test_the_receipt_hash_is_salted_per_submission(tendering, supplier, other_supplier):
    first = sb.submit(tendering, supplier)
    second = sb.submit(tendering, other_supplier)
    # The same prices and files give different hashes: the salt differs.
    assert first.receipt_hash != second.receipt_hash


def test_only_suppliers_bid(tendering, contracts_engineer, member_a, private_media):
    for user in (contracts_engineer, member_a):
        message = _refused(private_media, PermissionDenied, lambda u=user: sb.submit(tendering, u))
        assert message == "Only a supplier's account can bid."


def test_an_ineligible_supplier_cannot_bid(tendering, ineligible_supplier, private_media):
    message = _refused(
        private_media, NotEligible, lambda: sb.submit(tendering, ineligible_supplier)
    )
    assert message == "Your organization is not eligible to bid for this tender."


def test_bids_after_the_deadline_are_refused(tendering, supplier, private_media):
    with time_machine.travel(tendering.submission_deadline, tick=False):
        message = _refused(private_media, BiddingClosed, lambda: sb.submit(tendering, supplier))
    assert message == (
        "The submission deadline has passed: bids can no longer be submitted, changed or withdrawn."
    )
    with sb.before_deadline(tendering, seconds=1):
        assert sb.submit(tendering, supplier).version == 1


def test_a_closed_tender_refuses_bids_even_with_a_clock_behind(tendering, supplier, private_media):
    sb.close(tendering)
    # Even at a time before the deadline (a skewed clock), the status says no.
    with sb.before_deadline(tendering):
        _refused(private_media, BiddingClosed, lambda: sb.submit(tendering, supplier))


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_draft_and_cancelled_tenders_take_no_bids(people, supplier, private_media, status):
    tender = tender_at(status, people=people)
    error = NotEligible if status == "draft" else NotBidding
    message = _refused(private_media, error, lambda: sb.submit(tender, supplier))
    if status == "cancelled":
        assert message == "This tender is not open for bids."


def test_bids_are_accepted_while_published(people, supplier):
    tender = tender_at("published", people=people)
    assert tender.status == Tender.Status.PUBLISHED
    assert sb.submit(tender, supplier).status == Bid.Status.SUBMITTED


def test_one_live_bid_per_organization(tendering, supplier, private_media):
    sb.submit(tendering, supplier)
    message = _refused(private_media, AlreadySubmitted, lambda: sb.submit(tendering, supplier))
    assert message == (
        "Your organization has already submitted a bid for this tender; change or withdraw it."
    )


# --- the offer, the bond and the files: field errors, nothing stored -----------------------------
def _invalid(private_media, tender, user, **kwargs) -> str:
    return _refused(private_media, ValidationError, lambda: sb.submit(tender, user, **kwargs))


def test_the_bond_must_cover_the_percentage(tendering, supplier, private_media):
    required = services.bond_amount_required(tendering, TOTAL)
    assert required == Decimal("7832.00")  # 2% of 391,600.00
    low = sb.bond_for(tendering, TOTAL, amount=required - Decimal("0.01"))
    assert _invalid(private_media, tendering, supplier, bond=low) == (
        "bond: The bid bond must be at least 2% of the total: 7,832.00 AED."
    )
    exact = sb.bond_for(tendering, TOTAL, amount=required)
    assert sb.submit(tendering, supplier, bond=exact).pk


def test_the_bond_must_outlast_the_bid_validity(tendering, supplier, private_media):
    required = services.bond_expiry_required(tendering)
    assert required == timezone.localdate(tendering.submission_deadline) + timedelta(days=90)
    short = sb.bond_for(tendering, TOTAL, expiry=required - timedelta(days=1))
    message = _invalid(private_media, tendering, supplier, bond=short)
    assert message == (
        f"bond: The bid bond must stay valid until at least {required.isoformat()}: the "
        "submission deadline plus 90 days of bid validity."
    )


def test_the_bond_needs_its_bank_and_number(tendering, supplier, private_media):
    blank = sb.bond_for(tendering, TOTAL, bank=" ", number="")
    assert _invalid(private_media, tendering, supplier, bond=blank) == (
        "bond: Give the bank and the guarantee number of the bid bond."
    )


def test_every_boq_item_is_priced(tendering, supplier, private_media):
    message = _invalid(
        private_media,
        tendering,
        supplier,
        boq_prices={"A.1": Decimal("25.50"), "Z.9": Decimal("1.00")},
        offer=TOTAL,
    )
    assert message == (
        "boq_prices: These items are not in the bill of quantities: Z.9. | "
        "boq_prices: Price every item of the bill of quantities (missing: A.2)."
    )


@pytest.mark.parametrize("rate", [Decimal("-1.00"), Decimal("1.005"), "abc", None])
def test_unit_rates_are_amounts_in_fils(tendering, supplier, private_media, rate):
    message = _invalid(
        private_media,
        tendering,
        supplier,
        boq_prices={"A.1": rate, "A.2": Decimal("451.25")},
        offer=TOTAL,
    )
    assert message.startswith(
        "boq_prices: Each unit rate is an amount in dirhams of zero or more, with at most two "
        "decimals."
    )


def test_the_total_must_equal_the_priced_boq(tendering, supplier, private_media):
    more = TOTAL + Decimal("1")
    bond = sb.bond_for(tendering, more)
    message = _invalid(private_media, tendering, supplier, offer=more, bond=bond)
    assert message == "offer: The total must equal the priced bill of quantities: 391,600.00 AED."
    message = _invalid(private_media, tendering, supplier, offer=Decimal("0"))
    assert message.startswith("offer: The total is an amount in dirhams above zero")


def test_the_technical_envelope_and_one_bond_scan_are_required(tendering, supplier, private_media):
    only_bond = [("bond_scan", sb.pdf_with("B", "bond.pdf"))]
    assert _invalid(private_media, tendering, supplier, files=only_bond) == (
        "files: Attach the technical envelope (at least one file)."
    )
    two_bonds = [
        ("technical", sb.pdf_with("T", "t.pdf")),
        ("bond_scan", sb.pdf_with("B1", "b1.pdf")),
        ("bond_scan", sb.pdf_with("B2", "b2.pdf")),
    ]
    assert _invalid(private_media, tendering, supplier, files=two_bonds) == (
        "files: Attach the scan of the bid bond (one file)."
    )
    too_many = [("technical", sb.pdf_with(f"T{i}", f"t{i}.pdf")) for i in range(11)]
    too_many.append(("bond_scan", sb.pdf_with("B", "b.pdf")))
    assert _invalid(private_media, tendering, supplier, files=too_many) == (
        "files: Attach at most 10 files to the technical envelope."
    )


def test_files_are_checked_by_content(tendering, supplier, private_media):
    page = SimpleUploadedFile("offer.pdf", b"<html><script>alert(1)</script></html>")
    files = [("technical", page), ("bond_scan", sb.pdf_with("B", "bond.pdf"))]
    message = _invalid(private_media, tendering, supplier, files=files)
    assert (
        message
        == "files: offer.pdf: The file's content is not an allowed type (PDF, DWG, DXF, JPEG, PNG)."
    )
    renamed = [("technical", sb.pdf_with("T", "t.pdf")), ("bond_scan", sb.pdf_with("B", "b.png"))]
    message = _invalid(private_media, tendering, supplier, files=renamed)
    assert message == "files: b.png: The file name does not match its content (PDF)."


def test_all_problems_are_reported_together(tendering, supplier, private_media):
    message = _invalid(
        private_media,
        tendering,
        supplier,
        offer=Decimal("5"),
        bond=sb.bond_for(tendering, TOTAL, bank=""),
        files=[],
    )
    assert message.count("files:") == 2 and "offer:" in message and "bond:" in message


# --- changing ------------------------------------------------------------------------------------
def test_a_change_is_a_new_sealed_version_with_a_new_receipt(tendering, supplier, private_media):
    bid = sb.submit(tendering, supplier, marker="FIRST")
    old_hash, old_receipt = bid.receipt_hash, bid.receipt
    old_names = [f.ciphertext.name for f in bid.files.all()]
    rates = {"A.1": Decimal("20.00"), "A.2": Decimal("400.00")}
    changed = sb.change(bid, supplier, rates=rates, marker="SECOND")
    changed.refresh_from_db()
    assert changed.pk == bid.pk and changed.version == 2
    assert changed.receipt_hash != old_hash and changed.receipt != old_receipt
    assert changed.receipt.snapshot["version"] == 2
    assert IssuedDocument.objects.filter(kind="bid_receipt").count() == 2
    assert b"344000" not in bytes(changed.sealed_offer)
    # The previous version's files are replaced (rows now; disk once the change commits).
    assert changed.files.count() == 2
    assert not BidFile.objects.filter(ciphertext__in=old_names).exists()
    event = AuditEvent.objects.get(verb="bid_changed")
    assert event.data == {
        "tender": tendering.reference,
        "version": 2,
        "files": 2,
        "reconfirmed": False,
    }


def test_replaced_files_leave_the_disk_on_commit(
    tendering, supplier, private_media, django_capture_on_commit_callbacks
):
    bid = sb.submit(tendering, supplier)
    storage = BidFile._meta.get_field("ciphertext").storage
    old_names = [f.ciphertext.name for f in bid.files.all()]
    assert all(storage.exists(name) for name in old_names)
    with django_capture_on_commit_callbacks(execute=True):
        sb.change(bid, supplier)
    assert not any(storage.exists(name) for name in old_names)
    assert all(storage.exists(f.ciphertext.name) for f in bid.files.all())


def test_a_change_is_refused_after_the_deadline_and_the_bid_stays_whole(
    tendering, supplier, private_media
):
    bid = sb.submit(tendering, supplier)
    with time_machine.travel(tendering.submission_deadline + timedelta(seconds=1), tick=False):
        _refused(private_media, BiddingClosed, lambda: sb.change(bid, supplier))
    bid.refresh_from_db()
    assert bid.version == 1 and bid.files.count() == 2


def test_only_the_bidding_organization_changes_its_bid(
    tendering, supplier, other_supplier, private_media
):
    bid = sb.submit(tendering, supplier)
    message = _refused(private_media, PermissionDenied, lambda: sb.change(bid, other_supplier))
    assert message == "Only the bidding organization can do this."


def test_a_withdrawn_bid_cannot_be_changed(tendering, supplier, private_media):
    bid = sb.submit(tendering, supplier)
    services.bid_withdraw(actor=supplier, bid=bid)
    message = _refused(private_media, BidNotLive, lambda: sb.change(bid, supplier))
    assert message == "This bid was withdrawn; submit a new bid instead."


def test_change_validates_like_submit(tendering, supplier, private_media):
    bid = sb.submit(tendering, supplier)
    _refused(
        private_media, ValidationError, lambda: sb.change(bid, supplier, offer=Decimal("1.00"))
    )


# --- withdrawing ---------------------------------------------------------------------------------
def test_withdraw_then_bid_again(tendering, supplier, private_media):
    bid = sb.submit(tendering, supplier)
    withdrawn = services.bid_withdraw(actor=supplier, bid=bid)
    assert withdrawn.status == Bid.Status.WITHDRAWN and withdrawn.withdrawn_at is not None
    assert AuditEvent.objects.filter(verb="bid_withdrawn", to_status="withdrawn").exists()
    again = sb.submit(tendering, supplier)
    assert again.pk != bid.pk and again.status == Bid.Status.SUBMITTED


def test_withdraw_is_refused_after_the_deadline(tendering, supplier, private_media):
    bid = sb.submit(tendering, supplier)
    with time_machine.travel(tendering.submission_deadline, tick=False):
        _refused(
            private_media, BiddingClosed, lambda: services.bid_withdraw(actor=supplier, bid=bid)
        )
    bid.refresh_from_db()
    assert bid.status == Bid.Status.SUBMITTED


def test_withdraw_twice_and_by_others(tendering, supplier, other_supplier, private_media):
    bid = sb.submit(tendering, supplier)
    _refused(
        private_media,
        PermissionDenied,
        lambda: services.bid_withdraw(actor=other_supplier, bid=bid),
    )
    services.bid_withdraw(actor=supplier, bid=bid)
    _refused(
        private_media,
        TransitionNotAllowed,
        lambda: services.bid_withdraw(actor=supplier, bid=bid),
    )


# --- reconfirming after an addendum --------------------------------------------------------------
def test_reconfirm_after_an_addendum(tendering, supplier, contracts_engineer, private_media):
    bid = sb.submit(tendering, supplier)
    message = _refused(
        private_media,
        NothingToReconfirm,
        lambda: services.bid_reconfirm(actor=supplier, bid=bid),
    )
    assert message == "This bid does not need to be reconfirmed."
    addendum_issue(
        actor=contracts_engineer,
        tender=tendering,
        description_ar="تعديل المواصفات",
        description_en="Specifications changed",
    )
    bid.refresh_from_db()
    assert bid.needs_reconfirmation
    assert "reconfirm-bid" in services.bid_actions(user=supplier, tender=tendering)
    services.bid_reconfirm(actor=supplier, bid=bid)
    bid.refresh_from_db()
    assert not bid.needs_reconfirmation and bid.reconfirmed_at is not None
    assert AuditEvent.objects.filter(verb="bid_reconfirmed").count() == 1


def test_a_change_after_an_addendum_reconfirms(tendering, supplier, contracts_engineer):
    bid = sb.submit(tendering, supplier)
    addendum_issue(
        actor=contracts_engineer,
        tender=tendering,
        description_ar="تعديل",
        description_en="Changed",
    )
    changed = sb.change(bid, supplier)
    assert not changed.needs_reconfirmation and changed.reconfirmed_at is not None


# --- what is offered is what the services accept -------------------------------------------------
def test_bid_actions_follow_the_services(
    tendering, supplier, other_supplier, ineligible_supplier, contracts_engineer, member_a
):
    assert services.bid_actions(user=supplier, tender=tendering) == {"bid"}
    for user in (ineligible_supplier, contracts_engineer, member_a):
        assert services.bid_actions(user=user, tender=tendering) == set()
    bid = sb.submit(tendering, supplier)
    assert services.bid_actions(user=supplier, tender=tendering) == {"change-bid", "withdraw-bid"}
    assert services.bid_actions(user=other_supplier, tender=tendering) == {"bid"}
    with time_machine.travel(tendering.submission_deadline, tick=False):
        assert services.bid_actions(user=supplier, tender=tendering) == set()
        assert services.bid_actions(user=other_supplier, tender=tendering) == set()
    services.bid_withdraw(actor=supplier, bid=bid)
    assert services.bid_actions(user=supplier, tender=tendering) == {"bid"}


def test_bid_counts_are_all_staff_learn_before_the_opening(tendering, supplier, other_supplier):
    sb.submit(tendering, supplier)
    withdrawn = sb.submit(tendering, other_supplier)
    services.bid_withdraw(actor=other_supplier, bid=withdrawn)
    assert services.bid_counts([tendering]) == {tendering.pk: 1}

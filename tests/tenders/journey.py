"""A tender taken along its whole life through the real services, for the page and API tests:
`tender_in(status, people=, clock=)` for every status. Bids are submitted while tendering; the
clock (time_machine's fixture) then moves past the deadline and the opening, and every later
step runs at that moved time. The core helper's factories build the states up to "closed"."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from tenders.models import Bid, Tender
from tenders.services import award, bids, evaluation, lifecycle, opening
from tests.tenders import factories as f

S = Tender.Status
# The factory tender's bill of quantities: A.1 1,200 m3 and A.2 800 m3.
RATES = {
    "supplier": {"A.1": Decimal("100.00"), "A.2": Decimal("200.00")},  # 280,000.00
    "other_supplier": {"A.1": Decimal("110.00"), "A.2": Decimal("210.00")},  # 300,000.00
}
TOTALS = {"supplier": Decimal("280000.00"), "other_supplier": Decimal("300000.00")}


def total_of(rates: dict) -> Decimal:
    return rates["A.1"] * 1200 + rates["A.2"] * 800


def bid_input(tender: Tender, rates: dict) -> dict:
    """bid_submit's arguments for a valid bid at these rates."""
    total = total_of(rates)
    expiry = timezone.localdate(tender.submission_deadline) + timedelta(
        days=tender.bid_validity_days + 1
    )
    return {
        "offer": total,
        "boq_prices": rates,
        "bond": {
            "bank": "Sharjah Islamic Bank",
            "number": "BG-2026-0042",
            "amount": (total * tender.bid_bond_percent / 100).quantize(Decimal("0.01")),
            "expiry": expiry,
        },
        "files": [("technical", f.pdf("method.pdf")), ("bond_scan", f.pdf("bond.pdf"))],
    }


def submit(tender: Tender, user, rates: dict) -> Bid:
    return bids.bid_submit(actor=user, tender=tender, **bid_input(tender, rates))


def tender_in(status: str, *, people, clock, with_bids: bool = True) -> Tender:
    """A tender in `status` (any of Tender.Status and "ready"), built through the services."""
    if status in ("draft", "ready", "published", "cancelled"):
        return f.tender_at(status, people=people)
    tender = f.tender_at("tendering", people=people)
    if with_bids:
        submit(tender, people.supplier, RATES["supplier"])
        submit(tender, people.other_supplier, RATES["other_supplier"])
    if status == "tendering":
        return tender
    clock.move_to(tender.opening_at + timedelta(minutes=5), tick=True)
    lifecycle.tenders_advance()
    tender.refresh_from_db()
    if status == "closed":
        return tender
    member_a, member_b = people.committee
    opening.tender_open_confirm(actor=member_a, tender=tender, passphrase=f.PASSPHRASES[0])
    tender = opening.tender_open_confirm(actor=member_b, tender=tender, passphrase=f.PASSPHRASES[1])
    if status == "opened":
        return _fresh(tender)
    for member in people.committee:
        evaluation.conflict_declare(actor=member, tender=tender, no_conflict=True)
    live = list(tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("pk"))
    if status == "unsuccessful":
        for bid in live:
            evaluation.technical_compliance_set(
                actor=member_a, bid=bid, compliant=False, reason="No method statement."
            )
        evaluation.tender_technical_complete(actor=member_a, tender=tender)
        return _fresh(tender)
    for bid in live:
        evaluation.technical_compliance_set(actor=member_a, bid=bid, compliant=True)
        for member in people.committee:
            for criterion in tender.criteria.all():
                evaluation.technical_score_set(
                    actor=member, bid=bid, criterion=criterion, score=Decimal("80")
                )
    if status == "technical_evaluation":
        return _fresh(tender)
    evaluation.tender_technical_complete(actor=member_a, tender=tender)
    if status == "financial_evaluation":
        return _fresh(tender)
    evaluation.recommendation_make(actor=member_a, tender=tender)
    evaluation.recommendation_approve(actor=member_a, tender=tender)
    evaluation.recommendation_approve(actor=member_b, tender=tender)
    made = award.award_make(actor=people.engineer, tender=tender)
    if status == "awarded":
        return _fresh(tender)
    clock.move_to(made.standstill_ends_at + timedelta(hours=1), tick=True)
    award.contract_sign(
        actor=people.engineer, tender=tender, signed_on=timezone.localdate(), value=made.amount
    )
    assert status == "contracted", status
    return _fresh(tender)


def _fresh(tender: Tender) -> Tender:
    tender.refresh_from_db()
    return tender

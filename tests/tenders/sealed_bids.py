"""Bids through the real services, for the sealing tests (bids, opening, the deadline race).

The factory tenders (tests/tenders/factories.py) have a two-line bill of quantities: A.1 1,200 m3
and A.2 800 m3, a 2% bid bond and 90 days of validity.
"""

from datetime import timedelta
from decimal import Decimal

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tenders.models import Bid, Tender
from tenders.services import bids as bid_services
from tenders.services import lifecycle
from tenders.services.bids import BidBond

RATES = {"A.1": Decimal("25.50"), "A.2": Decimal("451.25")}  # 30,600.00 + 361,000.00


def total_of(rates: dict) -> Decimal:
    quantities = {"A.1": Decimal("1200"), "A.2": Decimal("800")}
    return sum((quantities[code] * rate for code, rate in rates.items()), Decimal("0.00"))


def pdf_with(marker: str, name: str = "technical.pdf") -> SimpleUploadedFile:
    """A small valid PDF whose bytes carry `marker` (to look for it on the disk)."""
    data = (
        b"%PDF-1.4\n% " + marker.encode() + b"\n1 0 obj<</Type/Catalog>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def bond_for(tender: Tender, total: Decimal, **overrides) -> BidBond:
    values = {
        "bank": "Sharjah Islamic Bank",
        "number": "BG-2026-0042",
        "amount": bid_services.bond_amount_required(tender, total),
        "expiry": bid_services.bond_expiry_required(tender),
    }
    values.update(overrides)
    return BidBond(**values)


def files_with(marker: str) -> list:
    return [
        ("technical", pdf_with(f"{marker}-TECHNICAL", "method-statement.pdf")),
        ("bond_scan", pdf_with(f"{marker}-BOND", "bond.pdf")),
    ]


def bid_arguments(tender: Tender, *, rates=None, marker="MARKER", **overrides) -> dict:
    rates = dict(rates or RATES)
    total = total_of(rates)
    values = {
        "offer": total,
        "boq_prices": rates,
        "bond": bond_for(tender, total),
        "files": files_with(marker),
    }
    values.update(overrides)
    return values


def submit(tender: Tender, user, **kwargs) -> Bid:
    return bid_services.bid_submit(actor=user, tender=tender, **bid_arguments(tender, **kwargs))


def change(bid: Bid, user, **kwargs) -> Bid:
    return bid_services.bid_change(actor=user, bid=bid, **bid_arguments(bid.tender, **kwargs))


def close(tender: Tender) -> Tender:
    """Travel past the submission deadline and the opening time, and let beat close it.
    Returns the tender; the caller keeps travelling with `after_opening_time(tender)`."""
    with after_opening_time(tender):
        lifecycle.tenders_advance()
    tender.refresh_from_db()
    assert tender.status == Tender.Status.CLOSED, tender.status
    return tender


def after_opening_time(tender: Tender):
    moment = max(tender.opening_at, tender.submission_deadline) + timedelta(minutes=1)
    return time_machine.travel(moment, tick=False)


def before_deadline(tender: Tender, seconds: int = 60):
    return time_machine.travel(tender.submission_deadline - timedelta(seconds=seconds), tick=False)


def now():
    return timezone.now()

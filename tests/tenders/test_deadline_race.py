"""Done-when 3 (PostgreSQL): submissions and changes fired across the submission deadline, with
the closing job running among them. Every request gets an answer: stored whole (bid, files,
receipt, audit event) with a time before the deadline, or refused with the clear message; none
is lost and nothing is half-stored."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.storage import storages
from django.db import connections
from django.utils import timezone, translation

from portal.models import AuditEvent, IssuedDocument
from tenders.models import Bid, BidFile, Tender
from tenders.services import lifecycle
from tenders.services.bids import BiddingClosed
from tests.tenders import factories as f
from tests.tenders import sealed_bids as sb

CLOSED_MESSAGE = (
    "The submission deadline has passed: bids can no longer be submitted, changed or withdrawn."
)
# When each request fires, in seconds from the deadline: well before, in the last instant
# around it, and after.
BEFORE = [-3.0, -2.9, -2.8, -2.7, -2.6, -2.5]
AROUND = [-0.06, -0.04, -0.02, 0.0, 0.02, 0.04]
AFTER = [0.3, 0.4, 0.5, 0.6]
OFFSETS = BEFORE + AROUND + AFTER


@pytest.fixture
def racers(transactional_db, postgresql, people, private_media, monkeypatch):
    """A tendering tender; per offset one supplier submitting and one changing its bid."""
    # The receipts are issued (rows) but not rendered: WeasyPrint would only load the machine.
    monkeypatch.setattr("portal.documents._queue_render", lambda document_id: None)
    tender = f.tender_at("tendering", people=people)
    submitters, changers, bids = [], [], []
    for i, _offset in enumerate(OFFSETS):
        submitters.append(
            f.supplier_user(email=f"submitter{i}@example.ae", category=people.category)
        )
        changer = f.supplier_user(email=f"changer{i}@example.ae", category=people.category)
        changers.append(changer)
        bids.append(sb.submit(tender, changer, marker=f"V1-{i}"))
    return tender, submitters, changers, bids


def _fire(tender: Tender, jobs: list) -> list[dict]:
    """Run each job (offset, callable) in its own thread when the clock reaches deadline +
    offset; the closing job polls meanwhile. Each result records when it was answered."""
    deadline = tender.submission_deadline
    start = threading.Event()

    def run(job):
        offset, call = job
        start.wait(10)
        while timezone.now() < deadline + timedelta(seconds=offset):
            time.sleep(0.002)
        try:
            with translation.override("en"):
                value = call()
            return {"offset": offset, "ok": True, "value": value, "at": timezone.now()}
        except Exception as error:  # noqa: BLE001 - returned for the test to inspect
            return {"offset": offset, "ok": False, "error": error, "at": timezone.now()}
        finally:
            connections.close_all()

    def closer():
        start.wait(10)
        try:
            while timezone.now() < deadline + timedelta(seconds=1):
                lifecycle.tenders_advance()
                time.sleep(0.05)
        finally:
            connections.close_all()

    with (
        time_machine.travel(deadline - timedelta(seconds=3.5), tick=True),
        ThreadPoolExecutor(max_workers=len(jobs) + 1) as pool,
    ):
        closing = pool.submit(closer)
        futures = [pool.submit(run, job) for job in jobs]
        start.set()
        results = [future.result(timeout=120) for future in futures]
        closing.result(timeout=120)
    return results


def test_bids_and_changes_across_the_deadline_are_stored_whole_or_refused(racers):
    tender, submitters, changers, bids = racers
    deadline = tender.submission_deadline
    jobs = []
    for i, offset in enumerate(OFFSETS):
        jobs.append(
            (offset, lambda i=i: ("submit", i, sb.submit(tender, submitters[i], marker=f"N-{i}")))
        )
        jobs.append(
            (
                offset,
                lambda i=i: (
                    "change",
                    i,
                    sb.change(Bid.objects.get(pk=bids[i].pk), changers[i], marker=f"V2-{i}"),
                ),
            )
        )
    results = _fire(tender, jobs)

    # None lost: every request was answered, stored or refused with the clear message.
    assert len(results) == len(jobs)
    refused = [r for r in results if not r["ok"]]
    for r in refused:
        assert isinstance(r["error"], BiddingClosed), r["error"]
        assert r["error"].code == "bidding_closed"
        with translation.override("en"):  # the message is lazy: read it in English
            assert str(r["error"].message) == CLOSED_MESSAGE
        assert r["at"] >= deadline  # refused only once the deadline had come
    stored = [r for r in results if r["ok"]]
    assert {r["value"][0] for r in stored} == {"submit", "change"}
    assert refused, "some requests came after the deadline"
    # Well before the deadline every request is stored; after it every one is refused.
    assert all(r["ok"] for r in results if r["offset"] in BEFORE)
    assert not any(r["ok"] for r in results if r["offset"] in AFTER)

    tender.refresh_from_db()
    assert tender.status == Tender.Status.CLOSED
    submitted = {r["value"][1] for r in stored if r["value"][0] == "submit"}
    changed = {r["value"][1] for r in stored if r["value"][0] == "change"}
    for i in range(len(OFFSETS)):
        # A submission: stored whole, before the deadline, with its receipt — or not at all.
        new = Bid.objects.filter(tender=tender, organization=submitters[i].organization)
        if i in submitted:
            bid = new.get()
            _assert_whole(bid, version=1, deadline=deadline)
        else:
            assert not new.exists()
        # A change: version 2 whole, or version 1 untouched.
        bid = Bid.objects.get(pk=bids[i].pk)
        _assert_whole(bid, version=2 if i in changed else 1, deadline=deadline)
    # Nothing half-stored: every sealed file on the disk belongs to a stored bid file (the
    # refused requests wrote none; the changes' replaced files were removed on commit).
    on_disk = {p.name for p in Path(storages["private"].location).rglob("*.sealed")}
    in_rows = {
        name.rsplit("/", 1)[-1] for name in BidFile.objects.values_list("ciphertext", flat=True)
    }
    assert on_disk == in_rows
    assert BidFile.objects.count() == 2 * Bid.objects.filter(tender=tender).count()
    # One receipt and one audit event per stored submission or change.
    expected = len(OFFSETS) + len(stored)  # the first versions, then each stored request
    assert IssuedDocument.objects.filter(kind="bid_receipt").count() == expected
    verbs = AuditEvent.objects.filter(verb__in=["bid_submitted", "bid_changed"])
    assert verbs.count() == expected


def _assert_whole(bid: Bid, *, version: int, deadline) -> None:
    assert bid.status == Bid.Status.SUBMITTED
    assert bid.version == version
    assert bid.submitted_at < deadline
    assert bid.receipt is not None
    assert bid.receipt.snapshot["version"] == version
    assert bid.receipt.snapshot["receipt_hash"] == bid.receipt_hash
    files = list(bid.files.all())
    assert sorted(f.kind for f in files) == ["bond_scan", "technical"]
    for row in files:
        assert row.ciphertext.storage.exists(row.ciphertext.name)

"""The opening (Done-when 2): before it, nothing in the database or on the disk gives a price or a
file away; the whole database and the settings with fewer than two passphrases decrypt nothing;
one member alone cannot open; nothing opens before the deadline; two members open, and every
bid is checked against its receipt."""

import subprocess
import unicodedata
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import translation

from portal.documents import document_pdf_bytes
from portal.errors import TransitionNotAllowed
from portal.models import AuditEvent, IssuedDocument, Notification, PrivateFile
from tenders import sealing
from tenders.models import Bid, CommitteeMember, MemberKey, OpeningConfirmation, Tender
from tenders.services import opening
from tenders.services.bids import BiddingClosed, opened_payload
from tenders.services.opening import (
    AlreadyConfirmed,
    NoMemberKey,
    OpeningTooEarly,
    ReplaceError,
    committee_member_replace,
    tender_open_confirm,
)
from tests.tenders import sealed_bids as sb
from tests.tenders.factories import PASSPHRASES, committee_user, tender_at

TOTAL = sb.total_of(sb.RATES)  # 391,600.00
OTHER_RATES = {"A.1": Decimal("22.75"), "A.2": Decimal("433.10")}  # 27,300.00 + 346,480.00
OTHER_TOTAL = sb.total_of(OTHER_RATES)
# What must not be readable before the opening: the prices (as stored and as shown), the unit
# rates, the bond, and the files' contents.
SECRETS = [
    "391600.00",
    "391,600.00",
    "373780.00",
    "373,780.00",
    "25.50",
    "451.25",
    "22.75",
    "433.10",
    "BG-2026-0042",
    "Sharjah Islamic Bank",
    "SECRET-FILE-ONE",
    "SECRET-FILE-TWO",
]


def _en(message) -> str:
    """A lazy message read in English (the test settings' language is Arabic)."""
    with translation.override("en"):
        return str(message)


@pytest.fixture
def bid_tender(people, supplier, other_supplier):
    """A tendering tender with two bids (each file carries a marker), then closed at its
    deadline; the clock is still before the opening time."""
    tender = tender_at("tendering", people=people)
    sb.submit(tender, supplier, marker="SECRET-FILE-ONE")
    sb.submit(tender, other_supplier, rates=OTHER_RATES, marker="SECRET-FILE-TWO")
    return tender


def _close(tender: Tender) -> Tender:
    return sb.close(tender)


def _confirm(tender, user, passphrase):
    with sb.after_opening_time(tender):
        return tender_open_confirm(actor=user, tender=tender, passphrase=passphrase)


def _raw_database_bytes() -> bytes:
    """Every value of every table, read with plain SQL (as an operator with a copy would)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, memoryview | bytes | bytearray):
                        chunks.append(bytes(value))
                    else:
                        chunks.append(str(value).encode())
    return b"\n".join(chunks)


def _raw_disk_bytes(root) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def _leaks(data: bytes) -> list[str]:
    return [secret for secret in SECRETS if secret.encode() in data]


# --- before the opening: nothing to read ---------------------------------------------------------
def test_before_the_opening_no_price_or_file_content_in_the_database_or_on_disk(
    bid_tender, supplier, private_media, django_capture_on_commit_callbacks
):
    # A change, with its receipt rendered (eager Celery on commit) and sent: on the disk too.
    bid = Bid.objects.get(organization=supplier.organization)
    with django_capture_on_commit_callbacks(execute=True):
        sb.change(bid, supplier, marker="SECRET-FILE-ONE")
    assert IssuedDocument.objects.filter(kind="bid_receipt", status="ready").count() == 1
    _close(bid_tender)
    assert _leaks(_raw_database_bytes()) == []
    disk = _raw_disk_bytes(private_media)
    assert disk, "the sealed files and the receipts are on the disk"
    assert _leaks(disk) == []


def test_the_test_would_see_a_leak(bid_tender, private_media):
    # The same search finds the prices once the bids are opened (so the test above can fail).
    _close(bid_tender)
    _confirm(bid_tender, *_member(0))
    _confirm(bid_tender, *_member(1))
    assert "391600.00" in _leaks(_raw_database_bytes())
    assert {"SECRET-FILE-ONE", "SECRET-FILE-TWO"} <= set(_leaks(_raw_disk_bytes(private_media)))


def _member(i: int):
    """The factory committee's members (people.committee), with their passphrases."""
    from accounts.models import User

    email = ["member.a@example.ae", "member.b@example.ae"][i]
    return User.objects.get(email=email), PASSPHRASES[i]


def test_the_whole_database_and_settings_with_one_passphrase_decrypt_nothing(
    bid_tender, private_media
):
    _close(bid_tender)
    first, first_passphrase = _member(0)
    _confirm(bid_tender, first, first_passphrase)  # the held share is in the database now
    tender = Tender.objects.get(pk=bid_tender.pk)
    members = list(CommitteeMember.objects.filter(tender=tender).order_by("added_at", "id"))
    keys = {k.user_id: k for k in MemberKey.objects.all()}
    held = OpeningConfirmation.objects.get(tender=tender).held_share
    context = f"tender-opening:{tender.pk}:{tender.reference}"
    # Everything an operator has: the rows, SECRET_KEY (so the held share), one passphrase.
    held_share = sealing.held_share_recover(
        bytes(held), secret=settings.SECRET_KEY, context=context
    )
    own = sealing.share_open(
        bytes(members[0].sealed_share),
        sealing.member_private_key(keys[first.pk], first_passphrase),
    )
    assert held_share == own  # the same member's share twice is still one share
    with pytest.raises(sealing.NotEnoughShares):
        sealing.tender_private_key_rebuild(bytes(tender.sealed_private_key), [held_share, own])
    # The second member's key does not open without its passphrase: guesses fail.
    for guess in ("", first_passphrase, "password", PASSPHRASES[1][:-1]):
        with pytest.raises(sealing.WrongPassphrase):
            sealing.member_private_key(keys[members[1].user_id], guess)
    # A forged second share gives a wrong K, which the tender key's MAC refuses.
    forged = sealing.Share(index=2, low=bytes(16), high=bytes(16))
    with pytest.raises(sealing.SealingError):
        sealing.tender_private_key_rebuild(bytes(tender.sealed_private_key), [own, forged])
    # No key the operator holds opens a bid.
    member_private = sealing.member_private_key(keys[first.pk], first_passphrase)
    for bid in Bid.objects.filter(tender=tender):
        for key in (member_private, bytes(tender.public_key), settings.SECRET_KEY.encode()[:32]):
            with pytest.raises(sealing.SealingError):
                sealing.unseal(key, bytes(bid.sealed_offer))
    # And the bids stayed sealed.
    assert not Bid.objects.filter(total_price__isnull=False).exists()


def test_one_member_alone_cannot_open(bid_tender, private_media):
    _close(bid_tender)
    user, passphrase = _member(0)
    tender = _confirm(bid_tender, user, passphrase)
    assert tender.status == Tender.Status.CLOSED and tender.opened_at is None
    confirmation = OpeningConfirmation.objects.get(tender=tender)
    assert confirmation.member.user == user and confirmation.held_share
    assert AuditEvent.objects.filter(verb="opening_confirmed").count() == 1
    # Confirming again does not count twice.
    with translation.override("en"), pytest.raises(AlreadyConfirmed) as caught:
        _confirm(bid_tender, user, passphrase)
    assert _en(caught.value.message) == (
        "You have already confirmed the opening; a second, different member must confirm."
    )
    assert opening.opening_actions(user=user, tender=tender) == set()
    assert not Bid.objects.filter(total_price__isnull=False).exists()
    assert Tender.objects.get(pk=tender.pk).status == Tender.Status.CLOSED


def test_opening_before_the_deadline_is_refused(bid_tender, private_media):
    user, passphrase = _member(0)
    for moment in (
        bid_tender.submission_deadline - timedelta(seconds=1),
        bid_tender.opening_at + timedelta(days=1),  # late, but the tender is still tendering
    ):
        with (
            time_machine.travel(moment, tick=False),
            translation.override("en"),
            pytest.raises(OpeningTooEarly) as caught,
        ):
            tender_open_confirm(actor=user, tender=bid_tender, passphrase=passphrase)
    assert _en(caught.value.message) == (
        "The bids cannot be opened before the submission deadline and the opening time."
    )
    assert not OpeningConfirmation.objects.exists()


def test_opening_before_the_opening_time_is_refused(people, supplier, private_media):
    tender = tender_at("closed", people=people, opening_in=timedelta(hours=1))
    user, passphrase = _member(0)
    with pytest.raises(OpeningTooEarly):
        tender_open_confirm(actor=user, tender=tender, passphrase=passphrase)
    assert opening.opening_actions(user=user, tender=tender) == set()
    with time_machine.travel(tender.opening_at, tick=False):
        assert opening.opening_actions(user=user, tender=tender) == {"open"}


def test_a_wrong_passphrase_stores_nothing(bid_tender, private_media):
    _close(bid_tender)
    user, _passphrase = _member(0)
    with translation.override("en"), pytest.raises(sealing.WrongPassphrase) as caught:
        _confirm(bid_tender, user, "not my passphrase at all")
    assert _en(caught.value.message) == "The opening passphrase is not correct."
    assert not OpeningConfirmation.objects.exists()
    assert not AuditEvent.objects.filter(verb="opening_confirmed").exists()


def test_only_the_tenders_committee_opens(
    bid_tender, contracts_engineer, member_without_key, supplier, private_media
):
    _close(bid_tender)
    for user in (contracts_engineer, member_without_key, supplier):
        with pytest.raises(PermissionDenied):
            _confirm(bid_tender, user, PASSPHRASES[0])
    assert not OpeningConfirmation.objects.exists()


def test_a_member_whose_key_is_gone_is_told(bid_tender, private_media):
    _close(bid_tender)
    user, passphrase = _member(0)
    MemberKey.objects.filter(user=user).delete()  # e.g. removed by an administrator
    with translation.override("en"), pytest.raises(NoMemberKey) as caught:
        _confirm(bid_tender, user, passphrase)
    assert _en(caught.value.message) == "Set your opening passphrase before the opening."


# --- two members open ----------------------------------------------------------------------------
def test_two_members_open_every_bid_and_check_its_receipt(
    bid_tender, supplier, other_supplier, private_media
):
    _close(bid_tender)
    first, second = _member(0), _member(1)
    _confirm(bid_tender, *first)
    tender = _confirm(bid_tender, *second)
    assert tender.status == Tender.Status.OPENED and tender.opened_at is not None
    # The held share is erased; both confirmations recorded.
    confirmations = OpeningConfirmation.objects.filter(tender=tender)
    assert confirmations.count() == 2
    assert not confirmations.filter(held_share__isnull=False).exists()
    bids = {b.organization_id: b for b in Bid.objects.filter(tender=tender)}
    mine, theirs = bids[supplier.organization_id], bids[other_supplier.organization_id]
    assert (mine.total_price, theirs.total_price) == (TOTAL, OTHER_TOTAL)
    assert mine.hash_verified is True and theirs.hash_verified is True
    assert mine.bond_amount == Decimal("7832.00") and mine.bond_bank == "Sharjah Islamic Bank"
    assert mine.bond_number == "BG-2026-0042"
    # The files, decrypted, attached to their bid.
    for bid, marker in ((mine, b"SECRET-FILE-ONE"), (theirs, b"SECRET-FILE-TWO")):
        for f in bid.files.select_related("opened_file"):
            assert f.opened_file is not None
            with f.opened_file.file.open("rb") as handle:
                assert marker in handle.read()
            assert f.opened_file.attached_to == bid
    assert PrivateFile.objects.filter(purpose="tender_bid_file").count() == 4
    # The minutes: bidders, prices, hashes, who opened, when; told to every bidder.
    minutes = IssuedDocument.objects.get(kind="opening_minutes")
    rows = {row["bidder_en"]: row for row in minutes.snapshot["bids"]}
    assert rows[supplier.organization.name_en]["total"] == "391600.00"
    assert rows[supplier.organization.name_en]["receipt_hash"] == mine.receipt_hash
    assert all(row["hash_verified"] for row in rows.values())
    assert minutes.snapshot["opened_by"] == [first[0].full_name, second[0].full_name]
    told = Notification.objects.filter(kind="bids_opened").values_list("recipient", flat=True)
    assert set(told) == {supplier.pk, other_supplier.pk}
    event = AuditEvent.objects.get(verb="opened")
    assert (event.from_status, event.to_status) == ("closed", "opened")
    # Done: nobody can confirm again.
    with pytest.raises(TransitionNotAllowed):
        _confirm(bid_tender, *first)


def test_a_withdrawn_bid_is_never_opened(bid_tender, other_supplier, private_media):
    from tenders.services.bids import bid_withdraw

    withdrawn = Bid.objects.get(organization=other_supplier.organization)
    bid_withdraw(actor=other_supplier, bid=withdrawn)
    _close(bid_tender)
    _confirm(bid_tender, *_member(1))
    _confirm(bid_tender, *_member(0))
    withdrawn.refresh_from_db()
    assert withdrawn.total_price is None and withdrawn.hash_verified is None
    assert len(IssuedDocument.objects.get(kind="opening_minutes").snapshot["bids"]) == 1


def test_a_bid_altered_after_its_receipt_fails_the_hash_check(
    bid_tender, supplier, other_supplier, private_media
):
    mine = Bid.objects.get(organization=supplier.organization)
    theirs = Bid.objects.get(organization=other_supplier.organization)
    # An operator swaps one sealed file for another of the same bid's, and resets a receipt hash.
    files = list(theirs.files.order_by("kind"))
    storage = files[0].ciphertext.storage
    with storage.open(files[1].ciphertext.name, "rb") as handle:
        other_bytes = handle.read()
    storage.delete(files[0].ciphertext.name)
    storage.save(files[0].ciphertext.name, ContentFile(other_bytes))
    Bid.objects.filter(pk=mine.pk).update(receipt_hash="0" * 64)
    _close(bid_tender)
    _confirm(bid_tender, *_member(0))
    _confirm(bid_tender, *_member(1))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.hash_verified is False and mine.total_price == TOTAL
    assert theirs.hash_verified is False
    rows = IssuedDocument.objects.get(kind="opening_minutes").snapshot["bids"]
    assert sorted(row["hash_verified"] for row in rows) == [False, False]


def test_opened_payload_matches_the_receipt(bid_tender, supplier, private_media):
    # The opening's check, step by step: the salt inside the sealed offer gives back the hash.
    _close(bid_tender)
    tender = Tender.objects.get(pk=bid_tender.pk)
    shares = []
    for i, member in enumerate(CommitteeMember.objects.filter(tender=tender).order_by("id")):
        private = sealing.member_private_key(member.user.tender_member_key, PASSPHRASES[i])
        shares.append(sealing.share_open(bytes(member.sealed_share), private))
    private_key = sealing.tender_private_key_rebuild(bytes(tender.sealed_private_key), shares)
    bid = Bid.objects.get(organization=supplier.organization)
    content, verified = opened_payload(private_key, bid)
    assert verified and content["total"] == "391600.00"
    assert content["boq"] == [
        {"code": "A.1", "rate": "25.50", "amount": "30600.00"},
        {"code": "A.2", "rate": "451.25", "amount": "361000.00"},
    ]
    assert [f["name"] for f in content["files"]] == ["method-statement.pdf", "bond.pdf"]


# --- the documents, rendered ---------------------------------------------------------------------
BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def _pdf_text(document: IssuedDocument, tmp_path) -> str:
    path = tmp_path / f"{document.pk}.pdf"
    path.write_bytes(document_pdf_bytes(document))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return unicodedata.normalize("NFKC", text).translate(BIDI)


def _has_words(text: str, phrase: str) -> bool:
    words = set(text.split())
    return all(word in words for word in phrase.split())


def test_receipt_and_minutes_read_in_arabic_and_english(
    bid_tender, supplier, private_media, tmp_path
):
    receipt = Bid.objects.get(organization=supplier.organization).receipt
    text = _pdf_text(receipt, tmp_path)
    assert "Bid receipt" in text and _has_words(text, "Salted hash")
    assert "Page 1 of 1" in text
    assert "عطاء" in text and "المناقصة" in text
    assert receipt.snapshot["receipt_hash"] in text.replace("\n", "")
    assert not [s for s in ("391,600.00", "391600", "7,832.00") if s in text]
    _close(bid_tender)
    _confirm(bid_tender, *_member(0))
    _confirm(bid_tender, *_member(1))
    minutes = IssuedDocument.objects.get(kind="opening_minutes")
    text = _pdf_text(minutes, tmp_path)
    assert "Bid opening minutes" in text and _has_words(text, "Matches the receipt")
    assert "391,600.00" in text and "373,780.00" in text
    assert "محضر" in text and "العطاءات" in text
    assert supplier.organization.name_en in text


# --- replacing a member before the deadline ------------------------------------------------------
@pytest.fixture
def third_member(db):
    return committee_user(email="member.d@example.ae", passphrase="the third member's phrase")


def test_replace_a_member_who_forgot_the_passphrase(
    people, contracts_engineer, supplier, third_member, private_media
):
    people.committee = [*people.committee, third_member]
    tender = tender_at("tendering", people=people)
    sb.submit(tender, supplier)
    a, b = _member(0), _member(1)
    # Member b forgot the passphrase: a and the third member agree to replace b.
    newcomer = committee_user(email="member.new@example.ae", passphrase="the newcomer's phrase")
    committee_member_replace(
        actor=contracts_engineer,
        tender=tender,
        old_user=b[0],
        new_user=newcomer,
        approvals=[(a[0], a[1]), (third_member, "the third member's phrase")],
    )
    members = set(CommitteeMember.objects.filter(tender=tender).values_list("user", flat=True))
    assert members == {a[0].pk, third_member.pk, newcomer.pk}
    assert AuditEvent.objects.filter(verb="committee_member_replaced").count() == 1
    _close(tender)
    # The newcomer and one other open the bid sealed before the replacement.
    _confirm(tender, newcomer, "the newcomer's phrase")
    opened = _confirm(tender, third_member, "the third member's phrase")
    assert opened.status == Tender.Status.OPENED
    assert Bid.objects.get(tender=tender).total_price == TOTAL


def test_replacing_needs_two_other_members_before_the_deadline(
    people, contracts_engineer, third_member, private_media
):
    people.committee = [*people.committee, third_member]
    tender = tender_at("tendering", people=people)
    a, b = _member(0), _member(1)
    newcomer = committee_user(email="member.new@example.ae", passphrase="the newcomer's phrase")

    def replace(actor=contracts_engineer, approvals=None, old=b[0]):
        return committee_member_replace(
            actor=actor,
            tender=tender,
            old_user=old,
            new_user=newcomer,
            approvals=approvals or [(a[0], a[1]), (third_member, "the third member's phrase")],
        )

    before = list(CommitteeMember.objects.values_list("pk", "user", "sealed_share"))
    with translation.override("en"):
        with pytest.raises(ReplaceError) as caught:
            replace(approvals=[(a[0], a[1])])
        assert _en(caught.value.message) == (
            "Two different committee members must agree to the replacement."
        )
        with pytest.raises(ReplaceError):
            replace(approvals=[(a[0], a[1]), (a[0], a[1])])
        with pytest.raises(ReplaceError):
            replace(approvals=[(a[0], a[1]), (b[0], b[1])])  # the replaced member approving
        with pytest.raises(sealing.WrongPassphrase):
            replace(approvals=[(a[0], a[1]), (third_member, "wrong")])
        with pytest.raises(PermissionDenied):
            replace(actor=a[0])
        with (
            time_machine.travel(tender.submission_deadline, tick=False),
            pytest.raises(ReplaceError) as caught,
        ):
            replace()
        assert _en(caught.value.message) == (
            "A committee member can only be replaced before the submission deadline."
        )
    assert list(CommitteeMember.objects.values_list("pk", "user", "sealed_share")) == before
    assert opening.opening_actions(user=contracts_engineer, tender=tender) == {"replace-member"}


def test_bids_stay_closed_after_the_opening(bid_tender, supplier, private_media):
    _close(bid_tender)
    _confirm(bid_tender, *_member(0))
    _confirm(bid_tender, *_member(1))
    with sb.after_opening_time(bid_tender), pytest.raises(BiddingClosed):
        sb.submit(bid_tender, supplier)


def test_a_held_share_lost_to_a_new_secret_key_is_dropped_not_stuck(
    bid_tender, settings, private_media
):
    _close(bid_tender)
    first, second = _member(0), _member(1)
    _confirm(bid_tender, *first)
    settings.SECRET_KEY = "rotated-" + "y" * 50
    tender = _confirm(bid_tender, *second)
    # The first confirmation could not be used: dropped; the second is now the held one.
    assert tender.status == Tender.Status.CLOSED
    [held] = OpeningConfirmation.objects.filter(tender=tender)
    assert held.member.user == second[0] and held.held_share
    assert AuditEvent.objects.filter(verb="opening_confirmations_discarded").count() == 1
    # The first member confirms again, and the bids open.
    assert _confirm(bid_tender, *first).status == Tender.Status.OPENED

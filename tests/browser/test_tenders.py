"""One tender from publication to contract, in a real browser and in Arabic (issue 13, done-when
1): the committee members set their opening passphrases, the contracts engineer publishes, a
supplier asks a question that the engineer answers for everyone, two suppliers submit sealed
bids and get their receipts, the deadline passes, two committee members open the bids from their
own browsers, the committee evaluates, ranks and recommends, the engineer awards, the standstill
runs out and the engineer records the contract. Every receipt, the opening minutes and both
letters are downloaded and read with `pdftotext`, in Arabic and in English.

The draft (criteria, bill of quantities, documents, committee) is prepared by the core's
factories; every later step goes through the pages, one browser context per person. The clock
moves with time-machine (the live server runs in this process, so it moves there too), and the
time-driven close runs the beat job's own service, as Celery beat would.
"""

import re
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from nacl.pwhash import argon2id
from playwright.sync_api import Page, expect

from accounts.models import Organization
from accounts.roles import Role
from portal.models import IssuedDocument
from portal.templatetags.portal_format import money
from tenders import sealing
from tenders.models import Bid, BidFile, Tender
from tenders.services import bids as bid_services
from tenders.services import lifecycle
from tests.factories import PASSWORD, CustomerFactory, OrganizationFactory, UserFactory
from tests.tenders import factories as f

S = Tender.Status
PASSPHRASES = {
    "member.a@example.ae": "Opening-key-of-member-A",
    "member.b@example.ae": "Second member key, 2026",
}
QUESTION = "هل يشمل بند الخرسانة أعمال حديد التسليح؟"
ANSWER = "نعم، يشمل سعر البند A.2 حديد التسليح."
# Unit rates of the factory tender's two lines (A.1 1,200 m3, A.2 800 m3).
RATES = {
    "first": {"A.1": Decimal("100.00"), "A.2": Decimal("150.00")},  # 240,000.00
    "second": {"A.1": Decimal("110.00"), "A.2": Decimal("160.00")},  # 260,000.00
}
QUANTITIES = {"A.1": Decimal("1200"), "A.2": Decimal("800")}
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(autouse=True)
def _sealed_files_in_private_media(private_media, monkeypatch):
    # Bid ciphertexts go to the test's private storage, like the uploads and issued PDFs.
    from django.core.files.storage import storages

    monkeypatch.setattr(BidFile._meta.get_field("ciphertext"), "storage", storages["private"])


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch):
    # The same key chain at Argon2id's minimum cost (each key stores the limits it was made with).
    monkeypatch.setattr(sealing, "OPSLIMIT", argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(sealing, "MEMLIMIT", argon2id.MEMLIMIT_MIN)


def _total(rates: dict[str, Decimal]) -> Decimal:
    return sum((QUANTITIES[code] * rate for code, rate in rates.items()), Decimal("0.00"))


def _text(path: str | Path) -> str:
    """The PDF's text as pdftotext reads it, without the bidi embedding marks it adds."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return BIDI_CONTROLS.sub("", out.stdout.decode("utf-8"))


def _arabic_rtl(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def _signed_in(contexts, base: str, email: str, next_path: str) -> Page:
    page = contexts().new_page()
    page.goto(f"{base}/ar/accounts/login/?next={next_path}")
    _arabic_rtl(page)
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}{next_path}")
    _arabic_rtl(page)
    return page


def _press(page: Page, selector: str) -> None:
    """Press a form's button, wait for the page the POST redirects to, and see no error."""
    with page.expect_navigation():
        page.locator(selector).click()
    alerts = page.locator("main [role=alert]")
    assert alerts.count() == 0, alerts.all_inner_texts()


def _expect_status(page: Page, status: str) -> None:
    expect(page.locator("main [data-status]").first).to_have_attribute("data-status", status)


def _download(page: Page, document: IssuedDocument) -> str:
    """Download an issued document from its link on the page; its PDF's text."""
    assert document.status == IssuedDocument.Status.READY, document.last_error
    link = page.locator(f'main a[href$="/documents/{document.pk}/download/"]').first
    with page.expect_download() as info:
        link.click()
    path = info.value.path()
    assert Path(path).read_bytes()[:5] == b"%PDF-"
    return _text(path)


def _supplier(email: str, name_ar: str, name_en: str, category):
    organization = OrganizationFactory(
        kind=Organization.Kind.CONTRACTOR,
        classification_grade="2",
        name_ar=name_ar,
        name_en=name_en,
    )
    organization.categories.add(category)
    return CustomerFactory(email=email, organization=organization)


def _bid(page: Page, tender: Tender, rates: dict[str, Decimal]) -> None:
    """Fill in the bid form (offer, a rate per line, the bond, the files) and seal it."""
    page.locator("[data-action=bid]").click()
    expect(page).to_have_url(re.compile(rf"/ar/tenders/{tender.pk}/bid/$"))
    _arabic_rtl(page)
    items = list(tender.boq_items.order_by("position", "id"))
    assert {i.code: i.quantity for i in items} == QUANTITIES
    total = _total(rates)
    form = page.locator("form[data-testid=bid-form]")
    form.locator("input[name=total]").fill(str(total))
    for item in items:
        form.locator(f"input[name=rate_{item.pk}]").fill(str(rates[item.code]))
    form.locator("input[name=bond_bank]").fill("مصرف الشارقة الإسلامي")
    form.locator("input[name=bond_number]").fill(f"BG-2026-{int(total)}")
    form.locator("input[name=bond_amount]").fill(
        str(bid_services.bond_amount_required(tender, total))
    )
    form.locator("input[name=bond_expiry]").fill(
        bid_services.bond_expiry_required(tender).isoformat()
    )
    pdf = {"mimeType": "application/pdf", "buffer": f.PDF_BYTES}
    form.locator("input[name=technical_files]").set_input_files(
        [{"name": "method-statement.pdf", **pdf}, {"name": "programme.pdf", **pdf}]
    )
    form.locator("input[name=bond_scan]").set_input_files({"name": "bid-bond.pdf", **pdf})
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/ar/tenders/{tender.pk}/$"))
    expect(page.locator("main [role=alert]")).to_have_count(0)


@pytest.mark.browser
def test_a_tender_from_publication_to_contract_in_arabic(
    live_server, transactional_db, private_media, contexts
):
    base = live_server.url
    category = f.category()
    engineer = UserFactory(
        role=Role.CONTRACTS_ENGINEER, full_name="م. هدى العلي", email="contracts@example.ae"
    )
    member_a = UserFactory(
        role=Role.TENDER_COMMITTEE, full_name="أحمد المرزوقي", email="member.a@example.ae"
    )
    member_b = UserFactory(
        role=Role.TENDER_COMMITTEE, full_name="فاطمة الزرعوني", email="member.b@example.ae"
    )
    first = _supplier("first@example.ae", "شركة الخليج للمقاولات", "Gulf Contracting LLC", category)
    second = _supplier(
        "second@example.ae", "مؤسسة البناء المتكامل", "Integrated Building Est.", category
    )
    people = f.TenderPeople(engineer=engineer, committee=[member_a, member_b], category=category)
    now = timezone.now()
    tender = f.tender_make_ready(
        f.tender_draft(
            people=people,
            enquiries_deadline=now + timedelta(hours=1),
            submission_deadline=now + timedelta(hours=2),
            opening_at=now + timedelta(hours=2, minutes=30),
        ),
        people=people,
    )
    detail = f"/ar/tenders/{tender.pk}/"

    # --- each committee member sets an opening passphrase (publication needs their keys) -----
    members = {}
    for member in (member_a, member_b):
        page = _signed_in(contexts, base, member.email, "/ar/staff/tenders/passphrase/")
        passphrase = PASSPHRASES[member.email]
        page.locator("input[name=passphrase]").fill(passphrase)
        page.locator("input[name=passphrase2]").fill(passphrase)
        _press(page, "main form button[type=submit]")
        assert member.tender_member_key.public_key  # the key exists; the passphrase does not
        members[member.email] = page

    # --- the contracts engineer publishes -----------------------------------------------------
    ep = _signed_in(contexts, base, engineer.email, detail)
    _expect_status(ep, S.DRAFT)
    _press(ep, "button[data-action=publish]")
    _expect_status(ep, S.PUBLISHED)
    tender.refresh_from_db()
    assert tender.status == S.PUBLISHED and tender.public_key
    assert all(m.sealed_share for m in tender.committee.all())

    # --- a supplier asks; the engineer answers and publishes it to every eligible supplier ---
    sa = _signed_in(contexts, base, first.email, detail)
    _expect_status(sa, S.PUBLISHED)
    sa.locator("summary[data-action=ask]").click()
    sa.locator("textarea[name=ask-question]").fill(QUESTION)
    _press(sa, 'form[action$="/ask/"] button[type=submit]')
    question = tender.clarifications.get()
    ep.reload()
    inbox = ep.locator("[data-testid=inbox]")
    expect(inbox).to_contain_text(QUESTION)
    inbox.locator(f'textarea[name="answer-{question.pk}-answer"]').fill(ANSWER)
    _press(ep, f'form[action$="/clarifications/{question.pk}/answer/"] button[type=submit]')
    sb = _signed_in(contexts, base, second.email, detail)
    published = sb.locator("[data-testid=clarifications]")
    expect(published).to_contain_text(QUESTION)
    expect(published).to_contain_text(ANSWER)
    # Published to all without naming who asked.
    expect(sb.locator("main")).not_to_contain_text(first.organization.name_ar)
    expect(sb.locator("main")).not_to_contain_text(first.full_name)

    # --- two suppliers submit sealed bids and get their receipts ------------------------------
    for page, supplier, rates in ((sa, first, RATES["first"]), (sb, second, RATES["second"])):
        page.reload()
        _bid(page, tender, rates)
        bid = Bid.objects.get(tender=tender, organization=supplier.organization)
        expect(page.locator("[data-testid=receipt-hash]")).to_have_text(bid.receipt_hash)
        page.reload()
        receipt = IssuedDocument.objects.get(kind="bid_receipt", owner=supplier)
        text = _download(page, receipt)
        assert "Bid receipt" in text and "إيصال استلام عطاء" in text
        assert "Bidder" in text and "مقدم العطاء" in text
        assert supplier.organization.name_ar in text
        assert bid.receipt_hash in text
        assert tender.reference in text and supplier.organization.name_en in text
        # The receipt proves what was sent without showing the price.
        assert money(_total(rates)) not in text
        assert bid.total_price is None
    # Before the opening staff see only how many bids there are.
    ep.reload()
    expect(ep.locator("[data-testid=bid-count]")).to_have_text("2")
    expect(ep.locator("main")).not_to_contain_text(first.organization.name_ar)
    expect(ep.locator("main")).not_to_contain_text(money(Decimal("240000")))

    with time_machine.travel(tender.opening_at + timedelta(minutes=5), tick=True) as clock:
        # --- the deadline passes: the beat job closes the tender --------------------------------
        assert lifecycle.tenders_advance() == 2  # published → tendering → closed
        ep.reload()
        _expect_status(ep, S.CLOSED)

        # --- two members open the bids, each from their own browser -------------------------
        opening = f"{base}/ar/staff/tenders/{tender.pk}/opening/"
        ap, bp = members[member_a.email], members[member_b.email]
        ap.goto(opening)
        ap.locator("input[name=passphrase]").fill(PASSPHRASES[member_a.email])
        _press(ap, "button[data-action=open]")
        expect(ap.locator("[data-testid=waiting]")).to_be_visible()
        tender.refresh_from_db()
        assert tender.status == S.CLOSED and tender.opened_at is None
        bp.goto(opening)
        expect(bp.locator("[data-testid=confirmations] li")).to_have_count(1)
        bp.locator("input[name=passphrase]").fill(PASSPHRASES[member_b.email])
        _press(bp, "button[data-action=open]")
        expect(bp.locator("[data-testid=confirmations] li")).to_have_count(2)
        tender.refresh_from_db()
        assert tender.status == S.OPENED and tender.opened_at is not None
        opened = {b.organization_id: b for b in tender.bids.all()}
        assert all(b.hash_verified for b in opened.values())
        assert opened[first.organization_id].total_price == Decimal("240000.00")
        assert opened[second.organization_id].total_price == Decimal("260000.00")
        bp.reload()
        minutes = IssuedDocument.objects.get(kind="opening_minutes")
        text = _download(bp, minutes)
        assert "Bid opening minutes" in text and "محضر فتح العطاءات" in text
        assert "Bidder" in text and "مقدم العطاء" in text
        for supplier in (first, second):
            bid = opened[supplier.organization_id]
            assert supplier.organization.name_en in text
            assert supplier.organization.name_ar in text
            assert money(bid.total_price) in text and bid.receipt_hash in text
        assert member_a.full_name in text and member_b.full_name in text

        # --- the committee evaluates ----------------------------------------------------------
        evaluation = f"{base}/ar/staff/tenders/{tender.pk}/evaluation/"
        criteria = list(tender.criteria.all())
        marks = {first.organization_id: "85", second.organization_id: "78"}
        for page in (ap, bp):
            page.goto(evaluation)
            _arabic_rtl(page)
            page.locator('input[name=declare-no_conflict][value="yes"]').check()
            _press(page, "button[data-action=declare]")
            for bid in opened.values():
                card_selector = f"article[data-bid='{bid.pk}']"
                card = page.locator(card_selector)
                if page is ap:
                    card.locator("summary[data-action=compliance]").click()
                    card.locator(f"select[name=compliance-{bid.pk}-compliant]").select_option("yes")
                    _press(
                        page, f"article[data-bid='{bid.pk}'] form[action$='/compliance/'] button"
                    )
                    card = page.locator(card_selector)
                card.locator("summary[data-action=score]").click()
                for criterion in criteria:
                    card.locator(f"input[name=scores-{bid.pk}-score_{criterion.pk}]").fill(
                        marks[bid.organization_id]
                    )
                _press(page, f"{card_selector} form[action$='/scores/'] button")
        ap.goto(evaluation)  # after the second member's scores
        _press(ap, "button[data-action=complete-technical]")
        _expect_status(ap, S.FINANCIAL_EVALUATION)
        ranking = ap.locator("[data-testid=ranking] tbody tr")
        expect(ranking).to_have_count(2)
        expect(ranking.first).to_contain_text(first.organization.name_ar)
        winner = opened[first.organization_id]
        ap.locator("select[name=recommend-bid]").select_option(str(winner.pk))
        _press(ap, "button[data-action=recommend]")
        _press(ap, "button[data-action=approve]")
        bp.goto(evaluation)
        _press(bp, "button[data-action=approve]")
        expect(bp.locator("[data-testid=recommendation]")).to_contain_text(member_b.full_name)

        # --- the engineer awards: letters to both bidders, the standstill starts ---------------
        ep.reload()
        _press(ep, "button[data-action=award]")
        _expect_status(ep, S.AWARDED)
        award = Tender.objects.get(pk=tender.pk).award
        assert award.bid == winner and award.amount == Decimal("240000.00")
        # No contract during the standstill.
        expect(ep.locator("summary[data-action=sign-contract]")).to_have_count(0)

        sa.reload()
        expect(sa.locator("[data-testid=award-amount]")).to_contain_text(money(award.amount))
        text = _download(sa, IssuedDocument.objects.get(kind="award_letter", owner=first))
        assert "Letter of award" in text and "خطاب ترسية" in text
        assert "Awarded to" in text and "الفائز" in text
        assert first.organization.name_ar in text and first.organization.name_en in text
        assert money(award.amount) in text and tender.reference in text
        sb.reload()
        expect(sb.locator("[data-testid=my-rank]")).to_have_text("2")
        text = _download(sb, IssuedDocument.objects.get(kind="regret_letter", owner=second))
        assert "Letter of regret" in text and "خطاب اعتذار" in text
        assert "Ranked 2 of 2" in text and "نتيجة عطائكم" in text
        assert second.organization.name_en in text and second.organization.name_ar in text
        assert money(Decimal("260000")) in text and money(award.amount) in text

        # --- the standstill ends: the engineer records the signed contract ---------------------
        clock.move_to(award.standstill_ends_at + timedelta(hours=1))
        ep.reload()
        ep.locator("summary[data-action=sign-contract]").click()
        ep.locator("input[name=sign-contract-signed_on]").fill(timezone.localdate().isoformat())
        ep.locator("input[name=sign-contract-value]").fill(str(award.amount))
        _press(ep, 'form[action$="/sign-contract/"] button[type=submit]')
        _expect_status(ep, S.CONTRACTED)

    award.refresh_from_db()
    assert re.fullmatch(r"CNT-\d{4}-\d{6}", award.contract_reference)
    assert award.contract_value == Decimal("240000.00")
    assert Tender.objects.get(pk=tender.pk).status == S.CONTRACTED
    assert IssuedDocument.objects.filter(kind="bid_receipt").count() == 2

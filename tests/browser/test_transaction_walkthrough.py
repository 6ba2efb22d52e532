"""One transaction, from the draft to the issued certificate, in a real browser and in Arabic:
the customer applies, the happiness agent returns it once as incomplete, the reviewer returns
it once with remarks, the customer pays, the agent confirms the payment and issues the
certificate, and the customer downloads it.

Every step goes through the pages (forms found by their `action`, inputs by their name), one
browser context per persona. Visible text is only compared with what Django itself translates
at test time, so the test does not depend on the state of the Arabic catalogue.
"""

import re

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Locator, Page, expect

from accounts.roles import Role
from portal.audit import audit_timeline
from portal.models import IssuedDocument
from tests.factories import PASSWORD, CustomerFactory, UserFactory
from tests.transactions.factories import PDF_BYTES, ServiceFactory
from transactions import selectors
from transactions.models import Transaction, TransactionDocument
from transactions.views.detail import VERB_LABELS

S = Transaction.Status

TITLE = "فيلا سكنية، القطعة 312"
PLOT = "312-0457"
RETURN_NOTE = "المخطط غير مقروء؛ يرجى رفع نسخة أوضح."
REMARK_TEXT = "يرجى توضيح الارتدادات على المخطط."
ANSWER_TEXT = "تم توضيح الارتدادات في النسخة الجديدة من المخطط."
PAYER_REFERENCE = "FT-2026-0042"

# The audit trail of the walk, oldest first.
EXPECTED_VERBS = [
    "created",
    "document_uploaded",  # plan v1
    "submitted",
    "claimed",  # agent
    "returned_incomplete",
    "document_uploaded",  # plan v2
    "resubmitted",
    "accepted_complete",
    "claimed",  # reviewer
    "remark_added",
    "returned_remarks",
    "document_uploaded",  # plan v3, with the answer
    "remark_answered",
    "resubmitted",  # review cycle 2
    "remark_resolved",
    "approved",
    "payment_submitted",
    "payment_confirmed",
    "certificate_issued",
]


def _pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def _arabic_rtl(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def _sign_in(page: Page, email: str) -> None:
    """Fill in the real sign-in page the browser is on and send it."""
    expect(page).to_have_url(re.compile(r"/ar/accounts/login/"))
    _arabic_rtl(page)
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _staff_page(contexts, base: str, email: str) -> Page:
    """A staff member's own browser, signed in, on the transactions queue."""
    page = contexts().new_page()
    page.goto(f"{base}/ar/accounts/login/?next=/ar/staff/transactions/")
    _sign_in(page, email)
    expect(page).to_have_url(f"{base}/ar/staff/transactions/")
    _arabic_rtl(page)
    return page


def _open_from_queue(page: Page, t: Transaction) -> None:
    """Back to the queue (the breadcrumb of a transaction page), then open `t` from its row."""
    if page.url.endswith("/ar/staff/transactions/"):
        page.reload()
    else:
        page.locator('main nav a[href$="/ar/staff/transactions/"]').click()
        expect(page).to_have_url(re.compile(r"/ar/staff/transactions/$"))
    row = page.locator("[data-testid=queue] tbody tr").filter(has_text=t.reference)
    expect(row.locator("[data-status]")).to_have_attribute("data-status", t.status)
    row.locator(f'a[href$="/transactions/{t.pk}/"]').click()
    expect(page).to_have_url(re.compile(rf"/ar/transactions/{t.pk}/$"))
    _arabic_rtl(page)


def _press(page: Page, button: Locator) -> None:
    """Press a form's button and wait for the page the POST redirects to."""
    with page.expect_navigation():
        button.click()


def _post(page: Page, action: str) -> None:
    """Send the form whose action ends in `/<action>/`."""
    _press(page, page.locator(f'form[action$="/{action}/"] button[type=submit]'))


def _expect_status(page: Page, status: str) -> None:
    expect(page.locator("main header [data-status]")).to_have_attribute("data-status", status)
    expect(page.locator("main [role=alert]")).to_have_count(0)


def _upload(page: Page, item_pk: int, name: str) -> None:
    form = page.locator("form[data-testid=upload-form]")
    form.locator("select[name=upload-item]").select_option(str(item_pk))
    form.locator("input[name=upload-file]").set_input_files(_pdf(name))
    _press(page, form.locator("button[type=submit]"))
    expect(page.locator("main [role=alert]")).to_have_count(0)


def _checklist_row(page: Page, name: str) -> Locator:
    return page.locator("[data-testid=checklist] > li").filter(has_text=name)


def _header_value(page: Page, label: str) -> Locator:
    """The value of one of the facts in the transaction page's header, by its (English) label
    as Django translates it into Arabic now."""
    with translation.override("ar"):
        label = gettext(label)
    term = page.locator("dt", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return page.locator("main header dl > div").filter(has=term).locator("dd")


def _refresh(t: Transaction) -> Transaction:
    t.refresh_from_db()
    return t


@pytest.mark.browser
def test_a_transaction_from_draft_to_certificate_in_arabic(
    live_server, transactional_db, private_media, contexts
):
    base = live_server.url
    service = ServiceFactory(name_ar="رخصة بناء فيلا", name_en="Villa building permit")
    plan = service.versions.get().checklist.get(code="plan")
    customer = CustomerFactory(full_name="سارة المهيري", email="customer@example.ae")
    agent = UserFactory(
        role=Role.HAPPINESS_AGENT, full_name="خالد السويدي", email="agent@example.ae"
    )
    reviewer = UserFactory(role=Role.REVIEWER, full_name="منى الحمادي", email="reviewer@example.ae")
    service.team.members.add(reviewer)

    # --- the customer applies: catalogue → service → sign in → draft → plan → submit ---------
    cp = contexts().new_page()
    cp.goto(f"{base}/ar/services/")
    _arabic_rtl(cp)
    cp.locator(f'[data-testid=service-card] a[href$="/services/{service.code}/"]').click()
    expect(cp).to_have_url(f"{base}/ar/services/{service.code}/")
    expect(cp.locator("[data-testid=required-documents] li")).to_have_count(2)
    cp.locator("[data-testid=start-application]").click()
    _sign_in(cp, customer.email)
    expect(cp).to_have_url(f"{base}/ar/services/{service.code}/apply/")
    _arabic_rtl(cp)
    cp.locator("input[name=title]").fill(TITLE)
    cp.locator("input[name=f_plot-number]").fill(PLOT)
    _press(cp, cp.locator("main form button[type=submit]"))
    expect(cp).to_have_url(re.compile(r"/ar/transactions/\d+/$"))
    t = Transaction.objects.get(applicant=customer)
    assert t.status == S.DRAFT and t.title == TITLE and t.data == {"plot-number": PLOT}
    _expect_status(cp, S.DRAFT)
    expect(cp.locator("main h1")).to_have_text(TITLE)
    expect(_checklist_row(cp, plan.name_ar).locator(".badge-warning")).to_be_visible()

    _upload(cp, plan.pk, "plan-v1.pdf")
    expect(_checklist_row(cp, plan.name_ar)).to_contain_text("plan-v1.pdf")
    _post(cp, "submit")
    _expect_status(cp, S.SUBMITTED)
    t = _refresh(t)
    assert re.fullmatch(rf"TRX-{timezone.localdate().year}-\d{{6}}", t.reference)
    expect(cp.locator("[data-testid=reference]")).to_have_text(t.reference)
    expect(cp.locator("main [role=status]").first).to_contain_text(t.reference)

    # --- the agent takes it up and returns it as incomplete ----------------------------------
    ap = _staff_page(contexts, base, agent.email)
    _open_from_queue(ap, t)
    expect(ap.locator("[data-testid=assignee]")).not_to_contain_text(agent.full_name)
    _post(ap, "claim")
    _expect_status(ap, S.COMPLETENESS_CHECK)
    expect(ap.locator("[data-testid=assignee]")).to_have_text(agent.full_name)
    ap.locator("summary[data-action=return-incomplete]").click()
    ap.locator(f'input[name=return-incomplete-items][value="{plan.pk}"]').check()
    ap.locator("textarea[name=return-incomplete-note]").fill(RETURN_NOTE)
    _post(ap, "return-incomplete")
    _expect_status(ap, S.INCOMPLETE_RETURNED)

    # --- the customer sees what is missing, uploads version 2 and resubmits ------------------
    cp.reload()
    _expect_status(cp, S.INCOMPLETE_RETURNED)
    returned = cp.locator("[data-testid=returned-incomplete]")
    expect(returned.locator("li")).to_have_text([plan.name_ar])
    expect(returned).to_contain_text(RETURN_NOTE)
    expect(_checklist_row(cp, plan.name_ar).locator(".badge-error")).to_be_visible()
    _upload(cp, plan.pk, "plan-v2.pdf")
    expect(_checklist_row(cp, plan.name_ar).locator("ol > li")).to_have_count(2)
    expect(_checklist_row(cp, plan.name_ar).locator("ol > li").first).to_contain_text("plan-v2.pdf")
    _post(cp, "resubmit")
    _expect_status(cp, S.COMPLETENESS_CHECK)

    # --- the agent finds it complete ---------------------------------------------------------
    _open_from_queue(ap, _refresh(t))
    _post(ap, "accept")
    _expect_status(ap, S.UNDER_REVIEW)
    assert _refresh(t).cycle == 1

    # --- the reviewer takes it up, writes a remark on the plan and returns it ----------------
    rp = _staff_page(contexts, base, reviewer.email)
    _open_from_queue(rp, t)
    _post(rp, "claim")
    expect(rp.locator("[data-testid=assignee]")).to_have_text(reviewer.full_name)
    rp.locator("summary[data-action=remark]").click()
    rp.locator("textarea[name=remark-text]").fill(REMARK_TEXT)
    rp.locator("select[name=remark-item]").select_option(str(plan.pk))
    _post(rp, "remark")
    _expect_status(rp, S.UNDER_REVIEW)
    expect(rp.locator("[data-testid=remark]")).to_have_count(1)
    expect(rp.locator("[data-testid=remark]")).to_contain_text(REMARK_TEXT)
    expect(rp.locator("button[data-action=approve]")).to_have_count(0)
    _post(rp, "return-remarks")
    _expect_status(rp, S.REMARKS_RETURNED)

    # --- the customer answers the remark with text and plan version 3, and resubmits ---------
    cp.reload()
    _expect_status(cp, S.REMARKS_RETURNED)
    remark = t.remarks.get()
    item = cp.locator("[data-testid=remark]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(REMARK_TEXT)
    expect(item).to_contain_text(plan.name_ar)
    item.locator("details > summary").click()
    answer = item.locator(f'form[action$="/remarks/{remark.pk}/answer/"]')
    answer.locator(f'textarea[name="answer-{remark.pk}-text"]').fill(ANSWER_TEXT)
    answer.locator(f'input[name="answer-{remark.pk}-file"]').set_input_files(_pdf("plan-v3.pdf"))
    _press(cp, answer.locator("button[type=submit]"))
    expect(cp.locator("main [role=alert]")).to_have_count(0)
    expect(item).to_contain_text(ANSWER_TEXT)
    expect(item.locator('a[href*="/files/"]')).to_contain_text("plan-v3.pdf")
    expect(_checklist_row(cp, plan.name_ar).locator("ol > li")).to_have_count(3)
    expect(_header_value(cp, "Review cycle")).to_have_text("1")
    _post(cp, "resubmit")
    _expect_status(cp, S.UNDER_REVIEW)
    expect(_header_value(cp, "Review cycle")).to_have_text("2")
    assert _refresh(t).cycle == 2

    # --- the reviewer resolves the remark and approves: the fee becomes due ------------------
    _open_from_queue(rp, t)
    expect(rp.locator("[data-testid=remark]")).to_contain_text(ANSWER_TEXT)
    _post(rp, f"remarks/{remark.pk}/resolve")
    expect(rp.locator("[data-testid=remark] .badge-success")).to_have_count(1)
    _post(rp, "approve")
    _expect_status(rp, S.FEE_DUE)

    # --- the customer declares a bank transfer -----------------------------------------------
    cp.reload()
    _expect_status(cp, S.FEE_DUE)
    expect(cp.locator("[data-testid=fee-panel]")).to_contain_text("1,500.00")
    form = cp.locator("form[data-testid=payment-form]")
    form.locator("select[name=pay-method]").select_option("bank_transfer")
    form.locator("input[name=pay-payer_reference]").fill(PAYER_REFERENCE)
    _post(cp, "pay")
    _expect_status(cp, S.PAYMENT_SUBMITTED)
    expect(cp.locator("[data-testid=fee-panel] li")).to_contain_text(PAYER_REFERENCE)

    # --- the agent confirms the payment and issues the certificate ---------------------------
    _open_from_queue(ap, _refresh(t))
    payment = t.payments.get()
    expect(ap.locator("[data-testid=fee-panel]")).to_contain_text(PAYER_REFERENCE)
    _post(ap, f"payments/{payment.pk}/confirm")
    _expect_status(ap, S.PAID)
    _post(ap, "issue-certificate")
    _expect_status(ap, S.ISSUED)

    # --- the customer sees the certificate, downloads it and reads the history ---------------
    cp.reload()
    _expect_status(cp, S.ISSUED)
    certificate = IssuedDocument.objects.get(kind="transaction_certificate")
    assert certificate.status == IssuedDocument.Status.READY
    link = cp.locator(
        f'[data-testid=issued-documents] a[href$="/documents/{certificate.pk}/download/"]'
    )
    expect(link).to_contain_text(certificate.reference)
    with cp.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{certificate.reference}.pdf"
    with open(download.path(), "rb") as pdf_file:
        assert pdf_file.read(5) == b"%PDF-"

    with translation.override("ar"):
        expected_labels = [
            str(VERB_LABELS[event.verb])
            for event in selectors.transaction_timeline(transaction=t, user=customer)[::-1]
        ]
        issued_label = str(S.ISSUED.label)
    expect(cp.locator("main header [data-status]")).to_have_text(issued_label)
    expect(cp.locator("[data-testid=timeline] > li > span.font-semibold")).to_have_text(
        expected_labels
    )
    # Customers see the department, not the names of its staff.
    expect(cp.locator("[data-testid=timeline]")).not_to_contain_text(agent.full_name)
    expect(cp.locator("[data-testid=timeline]")).not_to_contain_text(reviewer.full_name)
    cp.screenshot(path="/tmp/walkthrough-final.png", full_page=True)

    # --- what the database says --------------------------------------------------------------
    t = _refresh(t)
    assert t.status == S.ISSUED
    assert t.cycle == 2
    versions = TransactionDocument.objects.filter(transaction=t, item=plan).order_by("number")
    assert [d.number for d in versions] == [1, 2, 3]
    assert [d.file.original_name for d in versions] == ["plan-v1.pdf", "plan-v2.pdf", "plan-v3.pdf"]
    assert [e.verb for e in audit_timeline(obj=t)] == EXPECTED_VERBS
    actors = [e.actor for e in audit_timeline(obj=t)]
    assert actors[EXPECTED_VERBS.index("returned_incomplete")] == agent
    assert actors[EXPECTED_VERBS.index("returned_remarks")] == reviewer
    assert actors[EXPECTED_VERBS.index("payment_confirmed")] == agent

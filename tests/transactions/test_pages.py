"""The HTML pages of transactions: catalogue, application, detail with its actions, lists, queue."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from portal.models import AuditEvent, IssuedDocument
from tests.transactions.factories import (
    PDF_BYTES,
    ServiceFactory,
    draft,
    pdf,
    transaction_at,
)
from transactions import services
from transactions.models import Remark, Transaction, TransactionDocument

S = Transaction.Status


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    # MFA has its own tests; here only roles decide.
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture(autouse=True)
def _arabic():
    # A request leaves its language active in the thread; reverse() below means Arabic.
    translation.activate("ar")
    yield
    translation.deactivate()


def en(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def detail_url(t: Transaction) -> str:
    return reverse("transactions:detail", args=[t.pk])


def action_url(t: Transaction, action: str) -> str:
    return reverse("transactions:action", args=[t.pk, action])


def snapshot(t: Transaction) -> tuple:
    """What a refused request must leave untouched."""
    t.refresh_from_db()
    return (
        t.status,
        t.assignee_id,
        t.cycle,
        t.documents.count(),
        t.remarks.count(),
        t.payments.count(),
        AuditEvent.objects.filter(object_id=str(t.pk)).count(),
    )


# --- the public catalogue ---------------------------------------------------------------------


def test_catalogue_is_public_and_shows_fee_and_time(client, service):
    free = ServiceFactory(fee=Decimal("0.00"), sla_days=3)
    response = client.get(en("transactions:catalogue"))
    assert response.status_code == 200
    page = response.content.decode()
    assert service.name_en in page and free.name_en in page
    assert "1,500.00 AED" in page
    assert "Free" in page
    assert "5 working days" in page and "3 working days" in page
    assert "Building permits" in page  # the category heading
    # Arabic first: the same page in Arabic, right to left.
    arabic = client.get("/ar/services/").content.decode()
    assert 'dir="rtl"' in arabic and service.name_ar in arabic


def test_service_page_is_public_and_shows_requirements(client, service):
    response = client.get(en("transactions:service", service.code))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Site plan", "Site photo", "Mandatory", "Optional", "PDF, DWG", "Plot number"):
        assert text in page
    assert "1,500.00 AED" in page and "5 working days" in page
    assert service.team.name_en in page
    assert en("transactions:new", service.code) in page


def test_staff_see_no_apply_button_and_cannot_apply(client, service, agent):
    client.force_login(agent)
    page = client.get(en("transactions:service", service.code)).content.decode()
    assert 'data-testid="start-application"' not in page
    response = client.post(
        reverse("transactions:new", args=[service.code]), {"title": "x", "f_plot-number": "1"}
    )
    assert response.status_code == 302
    assert not Transaction.objects.exists()


def test_unknown_or_closed_service_is_404(client, service):
    service.is_active = False
    service.save()
    assert client.get(reverse("transactions:service", args=[service.code])).status_code == 404
    assert client.get("/ar/services/nothing-here/").status_code == 404


# --- applying ---------------------------------------------------------------------------------


def test_apply_needs_login(client, service):
    url = reverse("transactions:new", args=[service.code])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/ar/accounts/login/")


def test_apply_creates_a_draft_and_goes_to_it(client, customer, service):
    client.force_login(customer)
    url = reverse("transactions:new", args=[service.code])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "Villa", "f_plot-number": "312-0457", "f_area": "900"})
    t = Transaction.objects.get()
    assert response.status_code == 302 and response.url == detail_url(t)
    assert (t.status, t.applicant, t.title) == (S.DRAFT, customer, "Villa")
    assert t.data == {"plot-number": "312-0457", "area": "900"}
    page = client.get(detail_url(t)).content.decode()
    assert 'data-testid="upload-form"' in page and 'data-action="submit"' in page


def test_apply_with_bad_values_shows_errors(client, customer, service):
    client.force_login(customer)
    response = client.post(
        reverse("transactions:new", args=[service.code]), {"title": "", "f_area": "lots"}
    )
    assert response.status_code == 400
    assert not Transaction.objects.exists()


def test_edit_changes_a_draft(client, customer, service):
    t = draft(customer=customer, service=service, complete=False)
    client.force_login(customer)
    url = reverse("transactions:edit", args=[t.pk])
    assert "312-0457" in client.get(url).content.decode()  # initial from the transaction
    response = client.post(url, {"title": "New title", "f_plot-number": "99"})
    assert response.status_code == 302
    t.refresh_from_db()
    assert (t.title, t.data) == ("New title", {"plot-number": "99"})


def test_upload_adds_a_version(client, customer, service):
    t = draft(customer=customer, service=service, complete=False)
    plan = t.version.checklist.get(code="plan")
    client.force_login(customer)
    url = reverse("transactions:document_upload", args=[t.pk])
    for _n in range(2):
        response = client.post(url, {"upload-item": plan.pk, "upload-file": pdf("plan.pdf")})
        assert response.status_code == 302
    assert list(t.documents.values_list("number", flat=True).order_by("number")) == [1, 2]
    page = client.get(en("transactions:detail", t.pk)).content.decode()
    assert "Version 2" in page and "Version 1" in page
    for document in t.documents.all():
        assert reverse("file_download", args=[document.file.uuid]) in page


def test_upload_of_a_wrong_file_shows_the_error_and_stores_nothing(client, customer, service):
    t = draft(customer=customer, service=service, complete=False)
    plan = t.version.checklist.get(code="plan")
    client.force_login(customer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("plan.pdf", b"MZ not a pdf at all", content_type="application/pdf")
    response = client.post(
        reverse("transactions:document_upload", args=[t.pk]),
        {"upload-item": plan.pk, "upload-file": fake},
    )
    assert response.status_code == 400
    assert not t.documents.exists()


def test_submit_via_the_page(client, customer, service, django_capture_on_commit_callbacks):
    t = draft(customer=customer, service=service)
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action_url(t, "submit"), follow=True)
    t.refresh_from_db()
    assert t.status == S.SUBMITTED and t.reference
    page = response.content.decode()
    assert t.reference in page
    assert IssuedDocument.objects.filter(kind="transaction_receipt").exists()


def test_domain_error_shows_a_message_and_changes_nothing(client, customer, service):
    t = draft(customer=customer, service=service, complete=False)  # no plan uploaded
    client.force_login(customer)
    before = snapshot(t)
    response = client.post(
        action_url(t, "submit"), HTTP_REFERER="http://testserver" + detail_url(t), follow=True
    )
    assert response.redirect_chain[-1][0].endswith(detail_url(t))
    assert "المخطط" in response.content.decode()  # the Incomplete message names the plan
    assert 'class="aegov-alert alert-error"' in response.content.decode()
    assert snapshot(t) == before
    assert t.reference == ""


def test_withdraw_with_a_reason(client, customer, service):
    t = draft(customer=customer, service=service)
    client.force_login(customer)
    response = client.post(action_url(t, "withdraw"), {"withdraw-reason": "Changed my mind"})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.status == S.WITHDRAWN


def test_answer_remarks_and_resubmit(client, people, service):
    t = transaction_at(S.REMARKS_RETURNED, service=service, people=people)
    remark = t.remarks.get()
    client.force_login(people.customer)
    page = client.get(en("transactions:detail", t.pk)).content.decode()
    assert "Show the setbacks." in page and "Answer this remark" in page
    response = client.post(
        reverse("transactions:remark_action", args=[t.pk, remark.pk, "answer"]),
        {f"answer-{remark.pk}-text": "Setbacks are on sheet 3."},
    )
    assert response.status_code == 302
    assert remark.replies.get().text == "Setbacks are on sheet 3."
    client.post(action_url(t, "resubmit"))
    t.refresh_from_db()
    assert (t.status, t.cycle) == (S.UNDER_REVIEW, 2)


def test_pay_the_fee_then_finance_confirms(client, people, service):
    t = transaction_at(S.FEE_DUE, service=service, people=people)
    client.force_login(people.customer)
    response = client.post(
        action_url(t, "pay"), {"pay-method": "bank_transfer", "pay-payer_reference": "FT-9"}
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.status == S.PAYMENT_SUBMITTED
    payment = t.payments.get()
    client.force_login(people.finance)
    page = client.get(detail_url(t)).content.decode()
    assert 'data-action="confirm"' in page
    client.post(reverse("transactions:payment_action", args=[t.pk, payment.pk, "confirm"]))
    t.refresh_from_db()
    assert t.status == S.PAID


def test_invalid_staff_form_is_400_and_changes_nothing(client, people, service):
    t = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    client.force_login(people.reviewer)
    before = snapshot(t)
    response = client.post(action_url(t, "reject"), {"reject-reason": ""})
    assert response.status_code == 400
    assert 'data-action="reject"' in response.content.decode()
    assert snapshot(t) == before


def test_unknown_action_is_404_and_a_get_goes_back_to_the_page(client, customer, service):
    """Reloading the address an invalid form was shown at (a POST-only URL) must not end on a
    blank 405: it leads back to the transaction's page, and changes nothing."""
    t = draft(customer=customer, service=service)
    client.force_login(customer)
    assert client.post(action_url(t, "explode")).status_code == 404
    detail = reverse("transactions:detail", args=[t.pk])
    for url in [
        action_url(t, "submit"),
        reverse("transactions:document_upload", args=[t.pk]),
        reverse("transactions:remark_action", args=[t.pk, 1, "answer"]),
        reverse("transactions:payment_action", args=[t.pk, 1, "confirm"]),
    ]:
        response = client.get(url)
        assert (response.status_code, response.url) == (302, detail), url
    t.refresh_from_db()
    assert t.status == Transaction.Status.DRAFT
    assert (
        client.post(reverse("transactions:remark_action", args=[t.pk, 1, "x"])).status_code == 404
    )


# --- outsiders and roles ----------------------------------------------------------------------


def test_another_customer_gets_404_everywhere(client, people, service, other_customer):
    t = transaction_at(S.ISSUED, service=service, people=people)
    document = t.documents.first()
    certificate = IssuedDocument.objects.get(kind="transaction_certificate")
    payment = t.payments.get()
    client.force_login(other_customer)
    before = snapshot(t)
    assert client.get(detail_url(t)).status_code == 404
    assert client.get(reverse("transactions:edit", args=[t.pk])).status_code == 404
    posts = [
        reverse("transactions:document_upload", args=[t.pk]),
        reverse("transactions:remark_action", args=[t.pk, 1, "answer"]),
        reverse("transactions:remark_action", args=[t.pk, 1, "resolve"]),
        reverse("transactions:payment_action", args=[t.pk, payment.pk, "confirm"]),
        reverse("transactions:payment_action", args=[t.pk, payment.pk, "refuse"]),
    ] + [
        action_url(t, slug)
        for slug in [
            "submit",
            "resubmit",
            "withdraw",
            "claim",
            "assign",
            "return-incomplete",
            "accept",
            "remark",
            "return-remarks",
            "approve",
            "reject",
            "pay",
            "issue-certificate",
            "close",
        ]
    ]
    for url in posts:
        assert client.post(url, {"withdraw-reason": "x"}).status_code == 404, url
    assert client.get(reverse("file_download", args=[document.file.uuid])).status_code == 404
    assert client.get(reverse("document_download", args=[certificate.pk])).status_code == 404
    assert snapshot(t) == before
    # ... and the transaction is not in their list.
    assert t.title not in client.get(reverse("transactions:list")).content.decode()


ALL_STAFF_ACTIONS = [
    "claim",
    "assign",
    "return-incomplete",
    "accept",
    "remark",
    "return-remarks",
    "approve",
    "reject",
    "issue-certificate",
    "close",
    "confirm",
]


def _shown(page: str) -> set[str]:
    return {a for a in ALL_STAFF_ACTIONS if f'data-action="{a}"' in page}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.SUBMITTED, {"agent": {"claim", "assign"}, "reviewer": None, "finance": None}),
        (
            S.COMPLETENESS_CHECK,
            {"agent": {"return-incomplete", "accept", "assign"}, "reviewer": set()},
        ),
        (
            S.UNDER_REVIEW,
            {"agent": set(), "reviewer": {"remark", "approve", "reject", "assign"}},
        ),
        (S.PAYMENT_SUBMITTED, {"agent": {"confirm"}, "reviewer": set(), "finance": {"confirm"}}),
        (S.PAID, {"agent": {"issue-certificate"}, "reviewer": {"issue-certificate"}}),
        (S.ISSUED, {"agent": {"close"}, "reviewer": {"close"}, "finance": set()}),
    ],
)
def test_staff_actions_are_shown_only_to_the_right_roles(client, people, service, status, expected):
    t = transaction_at(status, service=service, people=people)
    for persona, actions in {**expected, "customer": set()}.items():
        client.force_login(getattr(people, persona))
        response = client.get(detail_url(t))
        if actions is None:  # this role does not see the transaction at this stage
            assert response.status_code == 404, persona
            continue
        assert response.status_code == 200, persona
        assert _shown(response.content.decode()) == actions, persona


def test_reviewer_sees_return_with_remarks_once_a_remark_is_open(client, people, service):
    t = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    client.force_login(people.reviewer)
    response = client.post(action_url(t, "remark"), {"remark-text": "Fix the setbacks."})
    assert response.status_code == 302
    page = client.get(detail_url(t)).content.decode()
    assert _shown(page) == {"remark", "return-remarks", "reject", "assign"}
    assert 'data-action="resolve"' in page
    # The remark is the reviewer's working note until returned: the customer does not see it.
    client.force_login(people.customer)
    assert "Fix the setbacks." not in client.get(detail_url(t)).content.decode()


@pytest.mark.parametrize(
    ("status", "action", "data"),
    [
        (S.SUBMITTED, "claim", {}),
        (S.COMPLETENESS_CHECK, "accept", {}),
        (S.UNDER_REVIEW, "approve", {}),
        (S.UNDER_REVIEW, "remark", {"remark-text": "I approve myself"}),
        (S.UNDER_REVIEW, "reject", {"reject-reason": "no"}),
        (S.PAID, "issue-certificate", {}),
    ],
)
def test_customer_cannot_post_staff_actions(client, people, service, status, action, data):
    t = transaction_at(status, service=service, people=people)
    client.force_login(people.customer)
    before = snapshot(t)
    response = client.post(action_url(t, action), data)
    assert response.status_code in (403, 404)
    assert snapshot(t) == before


def test_customer_cannot_confirm_their_own_payment(client, people, service):
    t = transaction_at(S.PAYMENT_SUBMITTED, service=service, people=people)
    payment = t.payments.get()
    client.force_login(people.customer)
    before = snapshot(t)
    url = reverse("transactions:payment_action", args=[t.pk, payment.pk, "confirm"])
    assert client.post(url).status_code == 403
    assert snapshot(t) == before


# --- lists ------------------------------------------------------------------------------------


def test_customer_list_filters_by_status(client, people, service):
    submitted = transaction_at(S.SUBMITTED, service=service, people=people)
    mine = draft(customer=people.customer, service=service, title="Just a draft")
    client.force_login(people.customer)
    page = client.get(en("transactions:list")).content.decode()
    assert submitted.reference in page and "Just a draft" in page
    assert "The department" in page  # who owns the next step of the submitted one
    page = client.get(en("transactions:list") + "?status=draft").content.decode()
    assert submitted.reference not in page and mine.title in page


def test_queue_is_for_staff_and_filters(client, people, service, customer):
    t = transaction_at(S.SUBMITTED, service=service, people=people)
    client.force_login(customer)
    assert client.get(reverse("transactions:queue")).status_code == 403
    client.force_login(people.agent)
    page = client.get(reverse("transactions:queue")).content.decode()
    assert t.reference in page
    assert (
        t.reference
        not in client.get(reverse("transactions:queue") + "?assignee=me").content.decode()
    )
    Transaction.objects.filter(pk=t.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    page = client.get(reverse("transactions:queue") + "?overdue=on").content.decode()
    assert t.reference in page and 'data-overdue="1"' in page


def test_navigation_links(client, customer, agent):
    anonymous = client.get("/ar/").content.decode()
    assert 'data-testid="nav-services"' in anonymous
    client.force_login(customer)
    page = client.get("/ar/").content.decode()
    assert 'data-testid="nav-my-transactions"' in page and 'data-testid="nav-queue"' not in page
    client.force_login(agent)
    page = client.get("/ar/").content.decode()
    assert 'data-testid="nav-queue"' in page and 'data-testid="nav-my-transactions"' not in page
    assert 'data-testid="queue-link"' in client.get("/ar/staff/").content.decode()


# --- query budgets ----------------------------------------------------------------------------


def _clone(t: Transaction, n: int, **changes) -> None:
    """n more rows like t (the list pages read only the row and its joined relations)."""
    rows = []
    for i in range(n):
        copy = Transaction.objects.get(pk=t.pk)
        copy.pk = None
        copy.reference = f"{t.reference}-{i}" if t.reference else ""
        for field, values in changes.items():
            setattr(copy, field, values[i % len(values)])
        rows.append(copy)
    Transaction.objects.bulk_create(rows)


@pytest.mark.parametrize("n", [1, 50])
def test_customer_list_query_budget(client, people, service, n, django_assert_num_queries):
    t = transaction_at(S.REMARKS_RETURNED, service=service, people=people)
    # Rows whose expected completion is computed (customer's turn, paused clock, different
    # remaining days) and rows with a running clock.
    _clone(
        t,
        n - 1,
        status=[S.REMARKS_RETURNED, S.FEE_DUE, S.UNDER_REVIEW, S.DRAFT],
        department_days=[0, 1, 2, 3, 4],
    )
    client.force_login(people.customer)
    url = reverse("transactions:list")
    client.get(url)  # warm the content-type cache
    # session, user, the user's groups (header), unread notifications, count for the paginator,
    # the page of transactions with service/team/applicant/organization/assignee joined,
    # the holidays for every paused row's expected completion.
    with django_assert_num_queries(7):
        response = client.get(url)
    assert response.status_code == 200
    assert len(re.findall(r'href="/ar/transactions/\d+/"', response.content.decode())) == min(n, 20)


@pytest.mark.parametrize("n", [1, 50])
def test_staff_queue_query_budget(client, people, service, n, django_assert_num_queries):
    t = transaction_at(S.SUBMITTED, service=service, people=people)
    _clone(
        t,
        n - 1,
        assignee=[None, people.agent],
        due_date=[timezone.localdate() - datetime.timedelta(days=2), timezone.localdate()],
    )
    client.force_login(people.agent)
    url = reverse("transactions:queue")
    client.get(url)
    # session, user, the user's groups, unread notifications, the services of the filter,
    # count for the paginator, the page of transactions with its relations joined.
    with django_assert_num_queries(7):
        response = client.get(url)
    assert response.status_code == 200
    assert len(re.findall(r'href="/ar/transactions/\d+/"', response.content.decode())) == min(n, 20)


def _busy_transaction(people, service, n: int) -> Transaction:
    """A transaction returned with n remarks, n answers and n document versions (and so
    about 3n timeline events)."""
    t = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    plan = t.version.checklist.get(code="plan")
    for i in range(n):
        services.remark_add(actor=people.reviewer, transaction=t, text=f"Remark {i}", item=plan)
    services.transaction_return_remarks(actor=people.reviewer, transaction=t)
    t.refresh_from_db()
    for remark in t.remarks.all():
        services.remark_answer(
            actor=people.customer, remark=remark, text="Done", upload=pdf(f"plan-{remark.pk}.pdf")
        )
    return t


@pytest.mark.parametrize("n", [1, 50])
def test_detail_query_budget(client, people, service, n, django_assert_num_queries):
    t = _busy_transaction(people, service, n)
    assert TransactionDocument.objects.filter(transaction=t).count() == n + 1
    url = detail_url(t)
    client.force_login(people.customer)
    client.get(url)
    # user (the session is read from the cache), the user's groups (role checks), the
    # transaction with its joined relations, then its prefetches: checklist, form fields,
    # missing items, documents (with files and uploaders), remarks (with authors and items),
    # their replies (with authors, documents and files), payments; the issued documents, the
    # timeline (with actors), unread notifications (header), the holidays (expected completion
    # while the clock is paused), the checklist choices of the upload form.
    with django_assert_num_queries(15):
        response = client.get(url)
    page = response.content.decode()
    assert page.count('data-testid="remark"') == n
    assert PDF_BYTES and "Remark 0" in page
    # The reviewer's view of the same page (returned, so nothing to act on): the same reads,
    # with the reviewer's teams (role check) in place of the upload form's choices.
    client.force_login(people.reviewer)
    client.get(url)
    with django_assert_num_queries(15):
        client.get(url)
    assert Remark.objects.filter(transaction=t).count() == n


def test_numbers_typed_with_arabic_digits_are_understood_and_zero_floors_refused(
    client, customer, db
):
    """Customers on an Arabic keyboard type ٠-٩; a required count or measure is at least 1."""
    from decimal import Decimal

    from transactions.catalogue import catalogue_load
    from transactions.models import Service

    catalogue_load()
    client.force_login(customer)
    url = "/ar/services/new-building-permit/apply/"
    refused = client.post(
        url,
        {"title": "فيلا", "f_plot-number": "١٢٣", "f_plot-area": "٩٠٠٫٥", "f_floors": "٠"},
    )
    assert refused.status_code == 400
    assert Transaction.objects.count() == 0
    client.post(
        url,
        {"title": "فيلا", "f_plot-number": "١٢٣", "f_plot-area": "٩٠٠٫٥", "f_floors": "٢"},
    )
    transaction = Transaction.objects.get()
    assert transaction.service == Service.objects.get(code="new-building-permit")
    assert transaction.data["floors"] == "2"
    assert Decimal(transaction.data["plot-area"]) == Decimal("900.5")


def test_a_fee_due_shows_where_to_transfer_it(client, settings, db):
    t = transaction_at(Transaction.Status.FEE_DUE)
    client.force_login(t.people.customer)
    page = client.get(f"/en/transactions/{t.pk}/").content.decode()
    assert "contact the Customer Happiness Center" in page
    settings.FEE_BANK_ACCOUNT_NAME = "Public Works Department"
    settings.FEE_BANK_IBAN = "AE07 0331 2345 6789 0123 456"
    page = client.get(f"/en/transactions/{t.pk}/").content.decode()
    assert "AE07 0331 2345 6789 0123 456" in page and t.reference in page

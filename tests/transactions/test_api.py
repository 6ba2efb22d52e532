"""The transactions REST API: the catalogue, the lifecycle through the API, who may do what
(404 outsiders, 403 wrong role, 409 wrong status, 400 bad input, and nothing changes), filters,
pagination and query budgets."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from portal.models import AuditEvent, IssuedDocument
from tests.transactions.factories import ServiceFactory, draft, pdf, transaction_at
from transactions import services
from transactions.models import FeePayment, Remark, Transaction, TransactionDocument

S = Transaction.Status
API = "/api/v1"


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def token_api(user) -> APIClient:
    # A fresh user object per request, as in production (no role cache carried over).
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def url(t, action: str = "") -> str:
    return f"{API}/transactions/{t.pk}/" + (f"{action}/" if action else "")


def not_a_pdf(name: str = "plan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"this is not a PDF", content_type="application/pdf")


@pytest.fixture
def people(people, service):
    """The personas of tests/transactions/conftest.py, with their service at hand."""
    people.service = service
    return people


def snapshot(t) -> tuple:
    """What must not change when a request is refused."""
    t.refresh_from_db()
    return (
        t.status,
        t.assignee_id,
        t.cycle,
        t.title,
        t.data,
        AuditEvent.objects.count(),
        TransactionDocument.objects.count(),
        Remark.objects.count(),
        FeePayment.objects.count(),
    )


# --- the catalogue -------------------------------------------------------------------------------


def test_catalogue_is_public_with_the_current_checklist(db):
    service = ServiceFactory(code="building-permit")
    ServiceFactory(code="closed-service", is_active=False)

    response = api().get(f"{API}/services/")
    assert response.status_code == 200
    [row] = response.json()
    assert row["code"] == "building-permit"
    assert row["fee"] == "1500.00"
    assert row["sla_days"] == 5
    assert row["team"]["code"] == service.team.code
    assert row["version"]["number"] == 1
    assert [i["code"] for i in row["version"]["checklist"]] == ["plan", "photo"]
    assert row["version"]["checklist"][0]["kinds"] == ["pdf", "dwg"]
    assert [f["code"] for f in row["version"]["fields"]] == ["plot-number", "area"]

    one = api().get(f"{API}/services/building-permit/")
    assert one.status_code == 200
    assert one.json() == row
    missing = api().get(f"{API}/services/closed-service/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_catalogue_query_budget_does_not_grow_with_services(db, django_assert_num_queries):
    for _ in range(5):
        ServiceFactory()
    # services with their team, their versions, the versions' checklists, their fields
    with django_assert_num_queries(4):
        assert len(api().get(f"{API}/services/").json()) == 5


# --- the whole lifecycle through the API -------------------------------------------------------


def test_happy_path_through_the_api(people, django_capture_on_commit_callbacks):
    service = people.service
    customer, agent = api(people.customer), api(people.agent)
    reviewer, finance = api(people.reviewer), api(people.finance)

    def status_of(pk: int, client=customer) -> str:
        return client.get(f"{API}/transactions/{pk}/").json()["status"]

    created = customer.post(
        f"{API}/transactions/",
        {"service": service.code, "title": "Villa, plot 12", "data": {"plot-number": "312-0457"}},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    pk = body["id"]
    assert body["status"] == "draft"
    assert body["next_step_owner"] == "customer"
    assert body["data"] == {"plot-number": "312-0457"}
    assert {"submit", "upload-document", "update", "withdraw"} <= set(body["allowed_actions"])
    plan_id = next(i["id"] for i in body["checklist"] if i["code"] == "plan")

    upload = customer.post(
        f"{API}/transactions/{pk}/documents/",
        {"item": "plan", "file": pdf("plan.pdf")},
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    assert upload.json()["number"] == 1
    assert upload.json()["file"]["name"] == "plan.pdf"
    assert len(upload.json()["file"]["sha256"]) == 64

    submitted = customer.post(f"{API}/transactions/{pk}/submit/")
    assert submitted.status_code == 200, submitted.json()
    body = submitted.json()
    assert body["status"] == "submitted"
    assert body["reference"].startswith("TRX-")
    assert body["next_step_owner"] == "department"
    assert body["due_date"] and body["expected_completion"] == body["due_date"]
    assert body["sla"]["sla_days"] == 5
    assert [d["kind"] for d in body["issued_documents"]] == ["transaction_receipt"]
    assert "claim" in agent.get(f"{API}/transactions/{pk}/").json()["allowed_actions"]

    claimed = agent.post(f"{API}/transactions/{pk}/claim/")
    assert claimed.json()["status"] == "completeness_check"
    assert claimed.json()["assignee"]["id"] == people.agent.pk

    returned = agent.post(
        f"{API}/transactions/{pk}/return-incomplete/",
        {"items": [plan_id], "note": "The plan is unreadable."},
        format="json",
    )
    assert returned.status_code == 200, returned.json()
    body = returned.json()
    assert body["status"] == "incomplete_returned"
    assert body["missing_items"] == [plan_id]
    assert next(i for i in body["checklist"] if i["id"] == plan_id)["missing"] is True
    assert body["return_note"] == "The plan is unreadable."

    upload = customer.post(
        f"{API}/transactions/{pk}/documents/",
        {"item": str(plan_id), "file": pdf("plan-v2.pdf")},
        format="multipart",
    )
    assert upload.json()["number"] == 2
    assert customer.post(f"{API}/transactions/{pk}/resubmit/").json()["status"] == (
        "completeness_check"
    )

    accepted = agent.post(f"{API}/transactions/{pk}/accept/")
    assert accepted.json()["status"] == "under_review"
    assert accepted.json()["sla"]["cycle"] == 1
    assert reviewer.post(f"{API}/transactions/{pk}/claim/").json()["assignee"]["id"] == (
        people.reviewer.pk
    )
    assert status_of(pk) == "under_review"

    remark = reviewer.post(
        f"{API}/transactions/{pk}/remarks/",
        {"text": "Show the setbacks.", "item": "plan"},
        format="json",
    )
    assert remark.status_code == 201, remark.json()
    remark_id = remark.json()["id"]
    assert remark.json()["item"]["code"] == "plan"
    assert remark.json()["allowed_actions"] == ["resolve"]

    assert reviewer.post(f"{API}/transactions/{pk}/return-remarks/").json()["status"] == (
        "remarks_returned"
    )
    detail = customer.get(f"{API}/transactions/{pk}/").json()
    assert detail["remarks"][0]["allowed_actions"] == ["answer"]

    answer = customer.post(
        f"{API}/transactions/{pk}/remarks/{remark_id}/answer/",
        {"text": "Setbacks added.", "file": pdf("plan-v3.pdf")},
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["document"]["number"] == 3
    assert status_of(pk) == "remarks_returned"

    resubmitted = customer.post(f"{API}/transactions/{pk}/resubmit/")
    assert resubmitted.json()["status"] == "under_review"
    assert resubmitted.json()["sla"]["cycle"] == 2

    resolved = reviewer.post(f"{API}/transactions/{pk}/remarks/{remark_id}/resolve/")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["remarks"][0]["status"] == "resolved"
    assert resolved.json()["remarks"][0]["replies"][0]["text"] == "Setbacks added."
    assert "approve" in resolved.json()["allowed_actions"]

    approved = reviewer.post(f"{API}/transactions/{pk}/approve/")
    assert approved.json()["status"] == "fee_due"
    assert approved.json()["fee_amount"] == "1500.00"
    assert "pay" in customer.get(f"{API}/transactions/{pk}/").json()["allowed_actions"]

    paid = customer.post(
        f"{API}/transactions/{pk}/pay/",
        {"method": "bank_transfer", "payer_reference": "FT-0001", "proof": pdf("transfer.pdf")},
        format="multipart",
    )
    assert paid.status_code == 201, paid.json()
    payment_id = paid.json()["id"]
    assert paid.json()["status"] == "pending"
    assert paid.json()["proof"]["name"] == "transfer.pdf"
    assert status_of(pk) == "payment_submitted"
    finance_view = finance.get(f"{API}/transactions/{pk}/").json()
    assert finance_view["payments"][0]["allowed_actions"] == ["confirm", "refuse"]

    confirmed = finance.post(f"{API}/transactions/{pk}/payments/{payment_id}/confirm/")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "paid"
    assert confirmed.json()["payments"][0]["status"] == "confirmed"

    with django_capture_on_commit_callbacks(execute=True):
        issued = reviewer.post(f"{API}/transactions/{pk}/issue-certificate/")
    assert issued.json()["status"] == "issued"

    closed = reviewer.post(f"{API}/transactions/{pk}/close/")
    assert closed.json()["status"] == "closed"
    assert closed.json()["next_step_owner"] is None
    assert closed.json()["allowed_actions"] == []

    # The customer downloads the certificate and the documents through the detail's URLs,
    # with nothing but an API token.
    detail = customer.get(f"{API}/transactions/{pk}/").json()
    certificate = next(
        d for d in detail["issued_documents"] if d["kind"] == "transaction_certificate"
    )
    assert certificate["status"] == "ready"
    browser = token_api(people.customer)
    download = browser.get(certificate["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    plan = next(i for i in detail["checklist"] if i["code"] == "plan")
    assert [d["number"] for d in plan["documents"]] == [3, 2, 1]
    assert browser.get(plan["documents"][0]["file"]["download_url"]).status_code == 200

    timeline = customer.get(f"{API}/transactions/{pk}/timeline/")
    assert timeline.status_code == 200
    verbs = [e["verb"] for e in timeline.json()]
    assert verbs[0] == "created" and verbs[-1] == "closed"
    assert {"submitted", "returned_incomplete", "remark_answered", "approved"} <= set(verbs)
    assert timeline.json()[-1]["to_status"] == "closed"


def test_patch_changes_title_and_merges_data(people):
    t = draft(customer=people.customer, service=people.service)
    response = api(people.customer).patch(
        url(t), {"title": "New title", "data": {"area": "450.5"}}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "New title"
    assert response.json()["data"] == {"plot-number": "312-0457", "area": "450.5"}


def test_withdraw_with_a_reason(people):
    t = transaction_at(S.SUBMITTED, service=people.service, people=people)
    response = api(people.customer).post(url(t, "withdraw"), {"reason": "Changed plans"})
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert AuditEvent.objects.filter(verb="withdrawn", data__reason="Changed plans").exists()


def test_refused_payment_makes_the_fee_due_again(people):
    t = transaction_at(S.PAYMENT_SUBMITTED, service=people.service, people=people)
    payment = t.payments.get()
    response = api(people.finance).post(
        url(t, f"payments/{payment.pk}/refuse"), {"note": "No transfer found."}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "fee_due"
    assert response.json()["payments"][0]["note"] == "No transfer found."


def test_assign_hands_the_stage_to_a_colleague(people):
    from accounts.roles import Role
    from tests.factories import UserFactory

    colleague = UserFactory(role=Role.HAPPINESS_AGENT)
    t = transaction_at(S.SUBMITTED, service=people.service, people=people)
    response = api(people.agent).post(url(t, "assign"), {"assignee": colleague.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "completeness_check"
    assert response.json()["assignee"]["id"] == colleague.pk


# --- outsiders, wrong roles, wrong states, bad input ---------------------------------------------


@pytest.fixture
def issued(people, django_capture_on_commit_callbacks):
    """An issued transaction with a resolved remark, a confirmed payment and its certificate
    rendered."""
    t = transaction_at(S.REMARKS_RETURNED, service=people.service, people=people)
    remark = t.remarks.get()
    services.remark_answer(actor=people.customer, remark=remark, text="Done.")
    services.transaction_resubmit(actor=people.customer, transaction=t)
    services.remark_resolve(actor=people.reviewer, remark=remark)
    services.transaction_approve(actor=people.reviewer, transaction=t)
    services.fee_payment_submit(
        actor=people.customer, transaction=t, method="counter", payer_reference="R-1"
    )
    services.fee_payment_confirm(actor=people.finance, payment=t.payments.get())
    with django_capture_on_commit_callbacks(execute=True):
        services.transaction_issue_certificate(actor=people.reviewer, transaction=t)
    t.refresh_from_db()
    return t


def test_another_customer_gets_404_everywhere(issued, people, other_customer):
    t = issued
    remark, payment = t.remarks.get(), t.payments.get()
    before = snapshot(t)
    outsider = api(other_customer)

    for path in [url(t), url(t, "timeline")]:
        response = outsider.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    assert outsider.patch(url(t), {"title": "Mine"}, format="json").status_code == 404
    actions = [
        "submit",
        "resubmit",
        "withdraw",
        "claim",
        "assign",
        "return-incomplete",
        "accept",
        "remarks",
        "return-remarks",
        "approve",
        "reject",
        "pay",
        "issue-certificate",
        "close",
        f"remarks/{remark.pk}/answer",
        f"remarks/{remark.pk}/resolve",
        f"payments/{payment.pk}/confirm",
        f"payments/{payment.pk}/refuse",
    ]
    for action in actions:
        response = outsider.post(url(t, action), {"text": "x", "reason": "x"}, format="json")
        assert response.status_code == 404, action
    upload = outsider.post(url(t, "documents"), {"item": "plan", "file": pdf()}, format="multipart")
    assert upload.status_code == 404
    assert t.pk not in [row["id"] for row in outsider.get(f"{API}/transactions/").json()["results"]]
    assert snapshot(t) == before

    # The files and the certificate, through the URLs the owner's detail gives.
    detail = api(people.customer).get(url(t)).json()
    certificate = next(
        d for d in detail["issued_documents"] if d["kind"] == "transaction_certificate"
    )
    document = detail["checklist"][0]["documents"][0]
    owner, stranger = token_api(people.customer), token_api(other_customer)
    for link in [certificate["download_url"], document["file"]["download_url"]]:
        assert owner.get(link).status_code == 200, link
        assert stranger.get(link).status_code == 404, link


STAFF_ACTIONS = [
    (S.SUBMITTED, "claim", {}),
    (S.SUBMITTED, "assign", "agent"),
    (S.COMPLETENESS_CHECK, "return-incomplete", {"note": "Missing."}),
    (S.COMPLETENESS_CHECK, "accept", {}),
    (S.UNDER_REVIEW, "remarks", {"text": "Mine."}),
    (S.UNDER_REVIEW, "approve", {}),
    (S.UNDER_REVIEW, "reject", {"reason": "No."}),
    (S.PAYMENT_SUBMITTED, "payments/{payment}/confirm", {}),
    (S.PAYMENT_SUBMITTED, "payments/{payment}/refuse", {"note": "No."}),
    (S.PAID, "issue-certificate", {}),
    (S.ISSUED, "close", {}),
]


@pytest.mark.parametrize(("status", "action", "body"), STAFF_ACTIONS)
def test_customer_calling_a_staff_action_gets_403(people, status, action, body):
    t = transaction_at(status, service=people.service, people=people)
    if body == "agent":
        body = {"assignee": people.agent.pk}
    if "{payment}" in action:
        action = action.format(payment=t.payments.get().pk)
    before = snapshot(t)
    response = api(people.customer).post(url(t, action), body, format="json")
    assert response.status_code == 403, response.json()
    assert response.json()["error"]["code"] == "permission_denied"
    assert snapshot(t) == before


def test_customer_cannot_resolve_a_remark(people):
    t = transaction_at(S.REMARKS_RETURNED, service=people.service, people=people)
    remark = t.remarks.get()
    services.remark_answer(actor=people.customer, remark=remark, text="Done.")
    services.transaction_resubmit(actor=people.customer, transaction=t)
    before = snapshot(t)
    response = api(people.customer).post(url(t, f"remarks/{remark.pk}/resolve"))
    assert response.status_code == 403
    assert snapshot(t) == before
    remark.refresh_from_db()
    assert remark.status == Remark.Status.OPEN


def test_staff_cannot_create_a_transaction(people):
    response = api(people.agent).post(
        f"{API}/transactions/",
        {"service": people.service.code, "title": "T", "data": {}},
        format="json",
    )
    assert response.status_code == 403
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    ("status", "who", "action", "code"),
    [
        (S.SUBMITTED, "customer", "submit", "transition_not_allowed"),
        (S.DRAFT, "customer", "resubmit", "transition_not_allowed"),
        (S.FEE_DUE, "reviewer", "close", "transition_not_allowed"),
        (S.FEE_DUE, "reviewer", "issue-certificate", "transition_not_allowed"),
        (S.UNDER_REVIEW, "reviewer", "return-remarks", "no_remarks"),
        (S.CLOSED, "customer", "withdraw", "transition_not_allowed"),
    ],
)
def test_wrong_state_is_409_and_nothing_changes(people, status, who, action, code):
    t = transaction_at(status, service=people.service, people=people)
    before = snapshot(t)
    response = api(getattr(people, who)).post(url(t, action), {}, format="json")
    assert response.status_code == 409, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert snapshot(t) == before


def test_submitting_an_incomplete_draft_is_409_naming_what_is_missing(people):
    t = draft(customer=people.customer, service=people.service, complete=False)
    before = snapshot(t)
    response = api(people.customer).post(url(t, "submit"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "incomplete"
    assert "Site plan" in response.json()["error"]["message"]
    assert snapshot(t) == before


def test_editing_after_submission_is_409(people):
    t = transaction_at(S.SUBMITTED, service=people.service, people=people)
    before = snapshot(t)
    customer = api(people.customer)
    assert customer.patch(url(t), {"title": "Late"}, format="json").status_code == 409
    upload = customer.post(url(t, "documents"), {"item": "plan", "file": pdf()}, format="multipart")
    assert upload.status_code == 409
    assert upload.json()["error"]["code"] == "not_editable"
    assert snapshot(t) == before


def test_bad_input_when_creating_is_400_and_nothing_is_created(people):
    customer = api(people.customer)
    cases = [
        ({"service": "nope", "title": "T"}, {"service"}),
        ({"service": people.service.code}, {"title"}),
        ({"service": people.service.code, "title": "T", "data": {"area": "lots"}}, {"data"}),
        ({"service": people.service.code, "title": "T", "data": {"colour": "red"}}, {"data"}),
    ]
    for body, fields in cases:
        response = customer.post(f"{API}/transactions/", body, format="json")
        assert response.status_code == 400, body
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert set(error["fields"]) == fields
    assert response.json()["error"]["fields"]["data"]  # the unknown field is named
    bad_area = customer.post(
        f"{API}/transactions/",
        {"service": people.service.code, "title": "T", "data": {"area": "lots"}},
        format="json",
    )
    assert set(bad_area.json()["error"]["fields"]["data"]) == {"area"}
    assert not Transaction.objects.exists()


def test_bad_input_on_a_draft_is_400_and_nothing_changes(people):
    t = draft(customer=people.customer, service=people.service)
    customer = api(people.customer)
    before = snapshot(t)

    response = customer.patch(url(t), {"data": {"area": "lots"}}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"data"}

    for body, field in [
        ({"item": "plan", "file": not_a_pdf()}, "file"),
        ({"item": "photo", "file": SimpleUploadedFile("a.dwg", b"AC1032xxxx")}, "file"),
        ({"item": "nope", "file": pdf()}, "item"),
        ({"item": "plan"}, "file"),
    ]:
        response = customer.post(url(t, "documents"), body, format="multipart")
        assert response.status_code == 400, body
        assert set(response.json()["error"]["fields"]) == {field}
    assert snapshot(t) == before


def test_bad_input_on_staff_actions_is_400_and_nothing_changes(people):
    t = transaction_at(S.COMPLETENESS_CHECK, service=people.service, people=people)
    agent = api(people.agent)
    before = snapshot(t)
    for body in [{}, {"items": [999999]}, {"items": ["nope"], "note": "x"}]:
        response = agent.post(url(t, "return-incomplete"), body, format="json")
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid"
    assert agent.post(url(t, "assign"), {"assignee": 999999}, format="json").status_code == 400
    assert snapshot(t) == before

    t = transaction_at(S.UNDER_REVIEW, service=people.service, people=people)
    reviewer = api(people.reviewer)
    before = snapshot(t)
    assert reviewer.post(url(t, "reject"), {"reason": ""}, format="json").status_code == 400
    assert reviewer.post(url(t, "remarks"), {"text": ""}, format="json").status_code == 400
    response = reviewer.post(url(t, "remarks"), {"text": "x", "item": "nope"}, format="json")
    assert set(response.json()["error"]["fields"]) == {"item"}
    assert snapshot(t) == before


def test_bad_payment_or_answer_is_400_and_nothing_changes(people):
    t = transaction_at(S.FEE_DUE, service=people.service, people=people)
    customer = api(people.customer)
    before = snapshot(t)
    response = customer.post(
        url(t, "pay"), {"method": "cash", "payer_reference": "R"}, format="multipart"
    )
    assert set(response.json()["error"]["fields"]) == {"method"}
    response = customer.post(
        url(t, "pay"),
        {"method": "counter", "payer_reference": "R", "proof": not_a_pdf("proof.pdf")},
        format="multipart",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"proof"}
    assert snapshot(t) == before

    t = transaction_at(S.REMARKS_RETURNED, service=people.service, people=people)
    remark = t.remarks.get()
    before = snapshot(t)
    response = customer.post(url(t, f"remarks/{remark.pk}/answer"), {"text": " "}, format="json")
    assert response.status_code == 400
    # This remark is not about a document: a file cannot answer it.
    response = customer.post(
        url(t, f"remarks/{remark.pk}/answer"), {"text": "x", "file": pdf()}, format="multipart"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"file"}
    assert snapshot(t) == before


def test_remark_and_payment_ids_of_another_transaction_are_404(people):
    t = transaction_at(S.REMARKS_RETURNED, service=people.service, people=people)
    other = draft(customer=people.customer, service=people.service)
    remark = t.remarks.get()
    response = api(people.customer).post(
        url(other, f"remarks/{remark.pk}/answer"), {"text": "x"}, format="json"
    )
    assert response.status_code == 404


# --- lists: filters, the queue, pagination -------------------------------------------------------


def test_customer_list_filters_and_pagination(people, other_customer):
    service, customer = people.service, people.customer
    second = ServiceFactory()
    for _ in range(24):
        draft(customer=customer, service=service, complete=False)
    draft(customer=customer, service=second, complete=False)
    submitted = transaction_at(S.SUBMITTED, service=service, people=people)
    draft(customer=other_customer, service=service, complete=False)
    client = api(customer)

    page1 = client.get(f"{API}/transactions/").json()
    assert page1["count"] == 26
    assert len(page1["results"]) == 25
    assert page1["results"][0]["id"] == submitted.pk  # latest activity first
    page2 = client.get(page1["next"]).json()
    assert len(page2["results"]) == 1

    by_status = client.get(f"{API}/transactions/", {"status": "submitted"}).json()
    assert [r["id"] for r in by_status["results"]] == [submitted.pk]
    assert by_status["results"][0]["service"]["code"] == service.code
    by_service = client.get(f"{API}/transactions/", {"service": second.code}).json()
    assert by_service["count"] == 1
    assert client.get(f"{API}/transactions/", {"queue": "true"}).json()["count"] == 0

    bad = client.get(f"{API}/transactions/", {"status": "nonsense", "assignee": "someone"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"status", "assignee"}


def test_staff_queue_filters_and_order(people):
    service = people.service
    late = transaction_at(S.SUBMITTED, service=service, people=people)
    mine = transaction_at(S.COMPLETENESS_CHECK, service=service, people=people)
    transaction_at(S.FEE_DUE, service=service, people=people)  # the customer's turn
    draft(customer=people.customer, service=service)
    Transaction.objects.filter(pk=late.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    agent = api(people.agent)

    queue = agent.get(f"{API}/transactions/", {"queue": "true"}).json()
    assert [r["id"] for r in queue["results"]] == [late.pk, mine.pk]  # soonest due first
    assert queue["results"][0]["is_overdue"] is True

    def ids(**params):
        return [r["id"] for r in agent.get(f"{API}/transactions/", params).json()["results"]]

    assert ids(queue="true", assignee="me") == [mine.pk]
    assert ids(queue="true", assignee="unassigned") == [late.pk]
    assert ids(queue="true", assignee=str(people.agent.pk)) == [mine.pk]
    assert ids(queue="true", overdue="true") == [late.pk]
    assert ids(queue="true", status="completeness_check") == [mine.pk]
    # Without the queue an agent sees everything submitted, the customer's turn included.
    assert len(ids()) == 3
    # A reviewer's queue holds only their team's work under review.
    assert api(people.reviewer).get(f"{API}/transactions/?queue=true").json()["count"] == 0


def test_unauthenticated_list_is_401(db):
    assert api().get(f"{API}/transactions/").status_code == 401


def test_api_root_lists_the_transactions_endpoints(db):
    links = api().get(f"{API}/").json()
    assert links["transaction-list"].endswith("/api/v1/transactions/")
    assert links["service-list"].endswith("/api/v1/services/")


# --- query budgets -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_customer_list_query_budget(people, rows, django_assert_num_queries):
    for _ in range(rows):
        draft(customer=people.customer, service=people.service, complete=False)
    client = token_api(people.customer)
    # token with its user, the user's roles (what they may see), COUNT, the page's ids, those
    # rows with service, applicant, organization and assignee joined
    with django_assert_num_queries(5):
        response = client.get(f"{API}/transactions/")
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_staff_queue_query_budget(people, rows, django_assert_num_queries):
    for _ in range(rows):
        services.transaction_submit(
            actor=people.customer,
            transaction=draft(customer=people.customer, service=people.service),
        )
    client = token_api(people.agent)
    # token with its user, the user's roles (queue statuses), COUNT, the page's ids, those
    # rows with service, applicant, organization and assignee joined
    with django_assert_num_queries(5):
        response = client.get(f"{API}/transactions/?queue=true")
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_detail_query_budget(people, rows, django_assert_num_queries):
    """`rows` remarks, each answered with a new version of the plan."""
    t = transaction_at(S.UNDER_REVIEW, service=people.service, people=people)
    plan = t.version.checklist.get(code="plan")
    for n in range(rows):
        services.remark_add(actor=people.reviewer, transaction=t, text=f"Remark {n}", item=plan)
    services.transaction_return_remarks(actor=people.reviewer, transaction=t)
    for remark in t.remarks.all():
        services.remark_answer(actor=people.customer, remark=remark, text="Done.", upload=pdf())
    client = token_api(people.customer)
    # token with its user; the user's roles (what they may see; reused for the allowed
    # actions); the transaction with service, team, applicant, organization, assignee and
    # version; prefetches: checklist, form fields, missing items, documents with files and
    # uploaders, remarks with authors and items, their replies with authors and documents
    # with files, payments with proofs; the issued documents; holidays (the expected
    # completion while the customer's clock runs)
    with django_assert_num_queries(12):
        response = client.get(url(t))
    body = response.json()
    assert len(body["remarks"]) == rows
    assert len(body["checklist"][0]["documents"]) == rows + 1
    assert IssuedDocument.objects.filter(kind="transaction_receipt").count() == 1

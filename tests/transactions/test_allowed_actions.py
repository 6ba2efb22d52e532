"""One rule, one place (STYLE 16): for every transaction status × persona, the actions the page and
the API offer (selectors.allowed_actions) are exactly those the services accept. And the staff
queue's statuses are defined once, for the queue and its filter."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction as db_transaction
from django.http import Http404
from rest_framework.test import APIClient

from accounts.roles import Role
from portal.errors import DomainError
from tests.factories import UserFactory
from tests.transactions.factories import TeamFactory, pdf, transaction_at
from transactions import selectors, services
from transactions.models import FeePayment, Remark, Transaction

S = Transaction.Status
PERSONAS = [
    "customer",
    "other_customer",
    "agent",
    "reviewer",  # holds the review (the service's team)
    "colleague",  # the same team, not holding it
    "other_reviewer",  # another team
    "finance",
    "admin",
]


@pytest.fixture
def persons(people, other_customer, admin_user, service):
    colleague = UserFactory(role=Role.REVIEWER)
    service.team.members.add(colleague)
    other_reviewer = UserFactory(role=Role.REVIEWER)
    TeamFactory().members.add(other_reviewer)
    return {
        "customer": people.customer,
        "other_customer": other_customer,
        "agent": people.agent,
        "reviewer": people.reviewer,
        "colleague": colleague,
        "other_reviewer": other_reviewer,
        "finance": people.finance,
        "admin": admin_user,
    }


def _open_remark(t: Transaction) -> Remark:
    remark = t.remarks.filter(status=Remark.Status.OPEN).first()
    if remark is None:
        raise Http404  # nothing to answer or resolve: the action cannot be taken
    return remark


def _pending(t: Transaction) -> FeePayment:
    payment = t.payments.filter(status=FeePayment.Status.PENDING).first()
    if payment is None:
        raise Http404
    return payment


def _assignee(t: Transaction):
    person = selectors.eligible_assignees(transaction=t).order_by("pk").first()
    if person is None:
        raise Http404
    return person


# Each action of selectors.allowed_actions through its service, with valid input.
ATTEMPTS: dict[str, Callable] = {
    "edit": lambda u, t: services.transaction_update(
        actor=u, transaction=t, title="Villa, plot 14", data={"plot-number": "312-0457"}
    ),
    "upload": lambda u, t: services.transaction_document_upload(
        actor=u, transaction=t, item=t.version.checklist.get(code="plan"), upload=pdf()
    ),
    "submit": lambda u, t: services.transaction_submit(actor=u, transaction=t),
    "resubmit": lambda u, t: services.transaction_resubmit(actor=u, transaction=t),
    "answer": lambda u, t: services.remark_answer(actor=u, remark=_open_remark(t), text="Done."),
    "withdraw": lambda u, t: services.transaction_withdraw(actor=u, transaction=t),
    "pay": lambda u, t: services.fee_payment_submit(
        actor=u, transaction=t, method="bank_transfer", payer_reference="FT-0002"
    ),
    "claim": lambda u, t: services.transaction_claim(actor=u, transaction=t),
    "assign": lambda u, t: services.transaction_assign(
        actor=u, transaction=t, assignee=_assignee(t)
    ),
    "return-incomplete": lambda u, t: services.transaction_return_incomplete(
        actor=u, transaction=t, missing_items=[t.version.checklist.get(code="plan")], note="Blurred"
    ),
    "accept": lambda u, t: services.transaction_accept_complete(actor=u, transaction=t),
    "remark": lambda u, t: services.remark_add(actor=u, transaction=t, text="Show the setbacks."),
    "reject": lambda u, t: services.transaction_reject(actor=u, transaction=t, reason="No."),
    "resolve": lambda u, t: services.remark_resolve(actor=u, remark=_open_remark(t)),
    "approve": lambda u, t: services.transaction_approve(actor=u, transaction=t),
    "return-remarks": lambda u, t: services.transaction_return_remarks(actor=u, transaction=t),
    "confirm": lambda u, t: services.fee_payment_confirm(actor=u, payment=_pending(t)),
    "refuse": lambda u, t: services.fee_payment_refuse(actor=u, payment=_pending(t), note="No."),
    "issue-certificate": lambda u, t: services.transaction_issue_certificate(
        actor=u, transaction=t
    ),
    "close": lambda u, t: services.transaction_close(actor=u, transaction=t),
}


class _Undo(Exception):
    """Rolls back an accepted attempt, so each action is tried on the same state."""


def _accepted(action: str, user, pk: int) -> bool:
    try:
        with db_transaction.atomic():
            ATTEMPTS[action](user, Transaction.objects.get(pk=pk))
            raise _Undo
    except (_Undo, services.Incomplete):
        # Incomplete: the action is open to the user; what the application still lacks is
        # named in the refusal (the button is how the customer learns it).
        return True
    except (PermissionDenied, DomainError, Http404):
        return False


@pytest.mark.parametrize("status", list(S))
def test_offered_is_exactly_what_the_services_accept(status, people, service, persons):
    if status == S.APPROVED:  # reached only with a free service (transaction_at)
        service.fee = Decimal("0.00")
        service.save(update_fields=["fee"])
    t = transaction_at(status, service=service, people=people)
    for persona in PERSONAS:
        user = persons[persona]
        visible = selectors.transactions_visible_to(user=user).filter(pk=t.pk).exists()
        offered = (
            selectors.allowed_actions(
                user=user, transaction=selectors.transaction_get_for_user(user=user, pk=t.pk)
            )
            if visible
            else set()
        )
        assert offered <= set(ATTEMPTS), (status, persona)  # every action named is tried
        accepted = {a for a in ATTEMPTS if _accepted(a, user, t.pk)}
        assert offered == accepted, (status, persona)


def test_the_api_offers_what_the_page_offers(people, service):
    t = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    page = selectors.allowed_actions(
        user=people.reviewer,
        transaction=selectors.transaction_get_for_user(user=people.reviewer, pk=t.pk),
    )
    client = APIClient()
    client.force_authenticate(people.reviewer)
    offered = client.get(f"/api/v1/transactions/{t.pk}/").json()["allowed_actions"]
    # The same actions, under the API's endpoint names ("remark" is POST .../remarks/).
    assert page == {"assign", "remark", "reject", "approve"}
    assert offered == ["approve", "assign", "reject", "remarks"]


# --- the staff queue ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.HAPPINESS_AGENT, Role.REVIEWER, Role.FINANCE_OFFICER, "admin"]
)
def test_the_queue_and_its_filter_read_one_list_of_statuses(client, db, role):
    from transactions.views.queue import QueueFilterForm

    user = (
        UserFactory(is_staff=True, is_superuser=True) if role == "admin" else UserFactory(role=role)
    )
    statuses = selectors.queue_statuses(user)
    expected: list[str] = []
    for in_queue in [v for r, v in selectors.QUEUE_STATUSES.items() if role in ("admin", r)]:
        expected += [s for s in in_queue if s not in expected]
    assert statuses == expected
    client.force_login(user)
    form = client.get("/en/staff/transactions/").context["form"]
    assert isinstance(form, QueueFilterForm)
    # The filter lists them in the statuses' own order, after "All statuses".
    assert {value for value, _label in form.fields["status"].choices[1:]} == set(statuses)

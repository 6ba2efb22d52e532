"""The transaction lifecycle through its services: every status change from each allowed and each
disallowed source status, who may do what, what a complete application is (on its own checklist
version), remarks and answers, references, receipts, customer notifications, and that a failure
half-way leaves nothing behind."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from accounts.roles import Role
from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent, IssuedDocument, Notification, ReferenceCounter
from tests.factories import UserFactory
from tests.transactions.factories import (
    People,
    ServiceFactory,
    draft,
    make_idle,
    pdf,
    transaction_at,
)
from transactions import selectors, services
from transactions.models import (
    ChecklistItem,
    FeePayment,
    Remark,
    ServiceVersion,
    Transaction,
    TransactionDocument,
)

S = Transaction.Status
ALL = list(S)
# Before a decision, and never while the fee is being paid.
WITHDRAWABLE = {
    S.DRAFT,
    S.SUBMITTED,
    S.COMPLETENESS_CHECK,
    S.INCOMPLETE_RETURNED,
    S.UNDER_REVIEW,
    S.REMARKS_RETURNED,
}


# --- helpers ------------------------------------------------------------------------------------
def _events(t: Transaction):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Transaction), object_id=str(t.pk)
    )


def _state(t: Transaction) -> tuple:
    """Everything a refused move must leave as it was."""
    t = Transaction.objects.get(pk=t.pk)
    return (
        t.status,
        t.assignee_id,
        t.cycle,
        t.reference,
        t.due_date,
        t.department_days,
        AuditEvent.objects.count(),
        Notification.objects.count(),
        IssuedDocument.objects.count(),
        FeePayment.objects.filter(status=FeePayment.Status.PENDING).count(),
    )


def _new_notifications(before: int) -> list[Notification]:
    return list(Notification.objects.order_by("pk")[before:])


def _under_review_unassigned(service=None) -> Transaction:
    t = transaction_at(S.COMPLETENESS_CHECK, service=service)
    services.transaction_accept_complete(actor=t.people.agent, transaction=t)
    t.refresh_from_db()
    assert t.status == S.UNDER_REVIEW and t.assignee_id is None
    return t


def _answer_everything(t: Transaction, p: People) -> None:
    """What the customer must do before resubmitting."""
    if t.status == S.INCOMPLETE_RETURNED:
        for item in t.missing_items.all():
            services.transaction_document_upload(
                actor=p.customer, transaction=t, item=item, upload=pdf("again.pdf")
            )
    else:
        for remark in selectors.unanswered_remarks(t):
            services.remark_answer(actor=p.customer, remark=remark, text="Setbacks added.")


def _pending_payment(t: Transaction) -> FeePayment:
    return FeePayment.objects.create(
        transaction=t,
        provider="offline",
        method=FeePayment.Method.BANK_TRANSFER,
        amount=Decimal("1500.00"),
        payer_reference="FT-9999",
        created_by=t.applicant,
    )


# --- what each status-changing service does, with a permitted actor ----------------------------
def _submit(t, actor):
    services.transaction_submit(actor=actor, transaction=t)


def _resubmit(t, actor):
    services.transaction_resubmit(actor=actor, transaction=t)


def _withdraw(t, actor):
    services.transaction_withdraw(actor=actor, transaction=t, reason="Plans changed.")


def _claim(t, actor):
    services.transaction_claim(actor=actor, transaction=t)


def _return_incomplete(t, actor):
    services.transaction_return_incomplete(
        actor=actor,
        transaction=t,
        missing_items=[t.version.checklist.get(code="plan")],
        note="The plan is unreadable.",
    )


def _accept(t, actor):
    services.transaction_accept_complete(actor=actor, transaction=t)


def _return_remarks(t, actor):
    services.transaction_return_remarks(actor=actor, transaction=t)


def _approve(t, actor):
    services.transaction_approve(actor=actor, transaction=t)


def _reject(t, actor):
    services.transaction_reject(actor=actor, transaction=t, reason="Outside the zoning plan.")


def _pay(t, actor):
    services.fee_payment_submit(
        actor=actor, transaction=t, method="bank_transfer", payer_reference="FT-0002"
    )


def _confirm(t, actor):
    payment = t.payments.filter(status=FeePayment.Status.PENDING).first() or _pending_payment(t)
    services.fee_payment_confirm(actor=actor, payment=payment)


def _refuse(t, actor):
    payment = t.payments.filter(status=FeePayment.Status.PENDING).first() or _pending_payment(t)
    services.fee_payment_refuse(actor=actor, payment=payment, note="No such transfer.")


def _issue(t, actor):
    services.transaction_issue_certificate(actor=actor, transaction=t)


def _close(t, actor):
    services.transaction_close(actor=actor, transaction=t)


def _expire(t, actor):
    make_idle(t)
    services.transactions_expire_idle()


# --- from each allowed source status ------------------------------------------------------------
@dataclass
class Allowed:
    service: str
    source: str
    to: str
    verb: str
    run: Callable
    actor: str  # attribute of People, or "admin"
    notice: str | None = None
    build: Callable | None = None
    prepare: Callable | None = None
    check: Callable | None = None
    id: str = field(default="")


def _another_agent(t, p):
    return UserFactory(role=Role.HAPPINESS_AGENT, full_name="Second Agent")


def _another_reviewer(t, p):
    colleague = UserFactory(role=Role.REVIEWER, full_name="Second Reviewer")
    t.service.team.members.add(colleague)
    return colleague


def _assign_to(make_assignee):
    def run(t, actor):
        t.new_assignee = make_assignee(t, t.people)
        services.transaction_assign(actor=actor, transaction=t, assignee=t.new_assignee)

    return run


def _add_remark(t, p):
    services.remark_add(actor=p.reviewer, transaction=t, text="Show the setbacks.")


def _assigned_to_new(t, moved):
    assert moved.assignee_id == t.new_assignee.pk


ALLOWED = [
    Allowed("submit", S.DRAFT, S.SUBMITTED, "submitted", _submit, "customer",
            notice="transaction_submitted"),
    Allowed("resubmit", S.INCOMPLETE_RETURNED, S.COMPLETENESS_CHECK, "resubmitted", _resubmit,
            "customer", prepare=_answer_everything,
            check=lambda t, m: m.missing_items.count() == 0 or pytest.fail("missing kept")),
    Allowed("resubmit", S.REMARKS_RETURNED, S.UNDER_REVIEW, "resubmitted", _resubmit,
            "customer", prepare=_answer_everything,
            check=lambda t, m: m.cycle == 2 or pytest.fail(f"cycle {m.cycle}")),
    *[
        Allowed("withdraw", source, S.WITHDRAWN, "withdrawn", _withdraw, "customer",
                notice=None if source == S.DRAFT else "transaction_withdrawn")
        for source in sorted(WITHDRAWABLE)
    ],
    Allowed("claim", S.SUBMITTED, S.COMPLETENESS_CHECK, "claimed", _claim, "agent",
            check=lambda t, m: m.assignee_id == t.people.agent.pk or pytest.fail("assignee"),
            id="claim-agent"),
    Allowed("claim", S.UNDER_REVIEW, S.UNDER_REVIEW, "claimed", _claim, "reviewer",
            build=lambda: _under_review_unassigned(),
            check=lambda t, m: m.assignee_id == t.people.reviewer.pk or pytest.fail("assignee"),
            id="claim-reviewer"),
    Allowed("assign", S.SUBMITTED, S.COMPLETENESS_CHECK, "assigned",
            _assign_to(_another_agent), "agent", check=_assigned_to_new),
    Allowed("assign", S.COMPLETENESS_CHECK, S.COMPLETENESS_CHECK, "assigned",
            _assign_to(_another_agent), "agent", check=_assigned_to_new),
    Allowed("assign", S.UNDER_REVIEW, S.UNDER_REVIEW, "assigned",
            _assign_to(_another_reviewer), "reviewer", check=_assigned_to_new),
    Allowed("return_incomplete", S.COMPLETENESS_CHECK, S.INCOMPLETE_RETURNED,
            "returned_incomplete", _return_incomplete, "agent",
            notice="transaction_returned_incomplete",
            check=lambda t, m: [i.code for i in m.missing_items.all()] == ["plan"]
            or pytest.fail("missing items")),
    Allowed("accept_complete", S.COMPLETENESS_CHECK, S.UNDER_REVIEW, "accepted_complete",
            _accept, "agent",
            check=lambda t, m: (m.cycle, m.assignee_id) == (1, None) or pytest.fail("cycle")),
    Allowed("return_remarks", S.UNDER_REVIEW, S.REMARKS_RETURNED, "returned_remarks",
            _return_remarks, "reviewer", prepare=_add_remark,
            notice="transaction_remarks_returned"),
    Allowed("approve", S.UNDER_REVIEW, S.FEE_DUE, "approved", _approve, "reviewer",
            notice="transaction_fee_due",
            check=lambda t, m: m.fee_amount == Decimal("1500.00") or pytest.fail("fee"),
            id="approve-fee"),
    Allowed("approve", S.UNDER_REVIEW, S.APPROVED, "approved", _approve, "reviewer",
            notice="transaction_approved",
            build=lambda: transaction_at(S.UNDER_REVIEW, service=ServiceFactory(fee=0)),
            check=lambda t, m: m.fee_amount == 0 or pytest.fail("fee"),
            id="approve-free"),
    Allowed("reject", S.UNDER_REVIEW, S.REJECTED, "rejected", _reject, "reviewer",
            notice="transaction_rejected",
            check=lambda t, m: m.rejection_reason == "Outside the zoning plan."
            or pytest.fail("reason")),
    Allowed("fee_payment_submit", S.FEE_DUE, S.PAYMENT_SUBMITTED, "payment_submitted", _pay,
            "customer",
            check=lambda t, m: m.payments.get().status == FeePayment.Status.PENDING
            or pytest.fail("payment")),
    Allowed("fee_payment_confirm", S.PAYMENT_SUBMITTED, S.PAID, "payment_confirmed", _confirm,
            "finance", notice="transaction_payment_confirmed",
            check=lambda t, m: m.payments.get().status == FeePayment.Status.CONFIRMED
            or pytest.fail("payment")),
    Allowed("fee_payment_refuse", S.PAYMENT_SUBMITTED, S.FEE_DUE, "payment_refused", _refuse,
            "finance", notice="transaction_payment_refused",
            check=lambda t, m: m.payments.get().status == FeePayment.Status.REFUSED
            or pytest.fail("payment")),
    Allowed("issue_certificate", S.APPROVED, S.ISSUED, "certificate_issued", _issue, "reviewer",
            notice="transaction_certificate_issued"),
    Allowed("issue_certificate", S.PAID, S.ISSUED, "certificate_issued", _issue, "agent",
            notice="transaction_certificate_issued"),
    Allowed("close", S.ISSUED, S.CLOSED, "closed", _close, "reviewer"),
    *[
        Allowed("expire", source, S.EXPIRED, "expired", _expire, "customer",
                notice="transaction_expired")
        for source in (S.INCOMPLETE_RETURNED, S.REMARKS_RETURNED, S.FEE_DUE)
    ],
]  # fmt: skip


@pytest.mark.parametrize(
    "case", ALLOWED, ids=[c.id or f"{c.service}-from-{c.source}" for c in ALLOWED]
)
def test_each_allowed_source_status_moves_and_is_audited(db, case: Allowed):
    t = case.build() if case.build else transaction_at(case.source)
    p = t.people
    assert t.status == case.source
    if case.prepare:
        case.prepare(t, p)
    events_before = _events(t).filter(verb=case.verb).count()
    notifications_before = Notification.objects.count()

    case.run(t, getattr(p, case.actor))

    moved = Transaction.objects.get(pk=t.pk)
    assert moved.status == case.to
    event = _events(t).filter(verb=case.verb).latest("id")
    assert _events(t).filter(verb=case.verb).count() == events_before + 1
    assert (event.from_status, event.to_status) == (case.source, case.to)
    expected_actor = None if case.service == "expire" else getattr(p, case.actor).pk
    assert event.actor_id == expected_actor
    new = _new_notifications(notifications_before)
    if case.notice:
        assert [(n.kind, n.recipient_id) for n in new] == [(case.notice, p.customer.pk)]
        assert new[0].context["reference"] == moved.reference
    else:
        assert new == []
    if case.check:
        case.check(t, moved)


# --- from each disallowed source status ---------------------------------------------------------
# Each service and the statuses it may start from. Staff services are tried by an administrator,
# who passes every role and assignment check, so only the status can refuse them; customer
# services by the applicant. UNDER_REVIEW here is already claimed, so claiming it is refused
# (claiming it unclaimed is an allowed case above).
SOURCES = {
    "submit": ({S.DRAFT}, _submit, "customer"),
    "resubmit": ({S.INCOMPLETE_RETURNED, S.REMARKS_RETURNED}, _resubmit, "customer"),
    "withdraw": (WITHDRAWABLE, _withdraw, "customer"),
    "claim": ({S.SUBMITTED}, _claim, "admin"),
    "assign": (
        {S.SUBMITTED, S.COMPLETENESS_CHECK, S.UNDER_REVIEW},
        lambda t, actor: services.transaction_assign(
            actor=actor, transaction=t, assignee=t.people.agent
        ),
        "admin",
    ),
    "return_incomplete": ({S.COMPLETENESS_CHECK}, _return_incomplete, "admin"),
    "accept_complete": ({S.COMPLETENESS_CHECK}, _accept, "admin"),
    "return_remarks": ({S.UNDER_REVIEW}, _return_remarks, "admin"),
    "approve": ({S.UNDER_REVIEW}, _approve, "admin"),
    "reject": ({S.UNDER_REVIEW}, _reject, "admin"),
    "fee_payment_submit": ({S.FEE_DUE}, _pay, "customer"),
    "fee_payment_confirm": ({S.PAYMENT_SUBMITTED}, _confirm, "admin"),
    "fee_payment_refuse": ({S.PAYMENT_SUBMITTED}, _refuse, "admin"),
    "issue_certificate": ({S.APPROVED, S.PAID}, _issue, "admin"),
    "close": ({S.ISSUED}, _close, "admin"),
    "expire": ({S.INCOMPLETE_RETURNED, S.REMARKS_RETURNED, S.FEE_DUE}, _expire, "customer"),
}

DISALLOWED = [
    (name, source)
    for name, (allowed, _run, _actor) in SOURCES.items()
    for source in ALL
    if source not in allowed
]


def test_the_allowed_cases_cover_exactly_the_allowed_sources():
    covered: dict[str, set] = {}
    for case in ALLOWED:
        covered.setdefault(case.service, set()).add(case.source)
    expected = {name: set(allowed) for name, (allowed, _, _) in SOURCES.items()}
    expected["claim"].add(S.UNDER_REVIEW)  # only while no reviewer holds it
    assert covered == expected


@pytest.mark.parametrize("name, source", DISALLOWED, ids=[f"{n}-from-{s}" for n, s in DISALLOWED])
def test_each_disallowed_source_status_is_refused_and_changes_nothing(db, admin_user, name, source):
    _allowed, run, actor = SOURCES[name]
    t = transaction_at(source)
    if name == "expire":
        make_idle(t)  # idle and warned long ago: only the status may stop it
    if name in ("fee_payment_confirm", "fee_payment_refuse"):
        _pending_payment(t)  # a payment waiting for a decision: only the status may stop it
    actor = admin_user if actor == "admin" else getattr(t.people, actor)
    before = _state(t)

    if name == "expire":
        assert services.transactions_expire_idle() == 0
    else:
        with pytest.raises(DomainError):
            run(t, actor)

    assert _state(t) == before


def test_a_refused_move_raises_transition_not_allowed(db, admin_user):
    t = transaction_at(S.CLOSED)
    for run in (_submit, _withdraw, _resubmit, _pay):
        with pytest.raises(TransitionNotAllowed):
            run(t, t.people.customer)
    for run in (_claim, _accept, _approve, _reject, _issue, _close, _confirm):
        with pytest.raises(TransitionNotAllowed):
            run(t, admin_user)


# --- who may do it ------------------------------------------------------------------------------
def _remark_as(t, actor):
    services.remark_add(actor=actor, transaction=t, text="Show the setbacks.")


def _refused(t: Transaction, call: Callable) -> None:
    before = _state(t)
    with pytest.raises(PermissionDenied):
        call()
    assert _state(t) == before


@pytest.mark.parametrize(
    "source, run",
    [
        (S.SUBMITTED, _claim),
        (S.SUBMITTED, lambda t, a: services.transaction_assign(actor=a, transaction=t, assignee=a)),
        (S.COMPLETENESS_CHECK, _accept),
        (S.COMPLETENESS_CHECK, _return_incomplete),
        (S.UNDER_REVIEW, _approve),
        (S.UNDER_REVIEW, _reject),
        (S.UNDER_REVIEW, _remark_as),
        (S.PAYMENT_SUBMITTED, _confirm),
        (S.PAYMENT_SUBMITTED, _refuse),
        (S.PAID, _issue),
        (S.ISSUED, _close),
    ],
)
def test_a_customer_cannot_do_staff_work(db, source, run):
    t = transaction_at(source)
    _refused(t, lambda: run(t, t.people.customer))


@pytest.mark.parametrize(
    "source, run",
    [
        (S.DRAFT, _submit),
        (S.DRAFT, _withdraw),
        (S.UNDER_REVIEW, _withdraw),
        (S.INCOMPLETE_RETURNED, _resubmit),
        (S.FEE_DUE, _pay),
    ],
)
def test_another_customer_cannot_act_on_the_transaction(db, other_customer, source, run):
    t = transaction_at(source)
    _refused(t, lambda: run(t, other_customer))


def test_another_customer_cannot_upload_answer_or_edit(db, other_customer):
    t = transaction_at(S.REMARKS_RETURNED)
    remark = t.remarks.get()
    plan = t.version.checklist.get(code="plan")
    _refused(
        t,
        lambda: services.transaction_document_upload(
            actor=other_customer, transaction=t, item=plan, upload=pdf()
        ),
    )
    _refused(t, lambda: services.remark_answer(actor=other_customer, remark=remark, text="Hi"))
    _refused(
        t,
        lambda: services.transaction_update(
            actor=other_customer, transaction=t, title="Mine", data={}
        ),
    )
    assert TransactionDocument.objects.filter(transaction=t).count() == 1


def test_a_member_of_the_applicants_organization_may_act_for_it(db):
    from tests.factories import CustomerFactory

    t = transaction_at(S.DRAFT)
    colleague = CustomerFactory(organization=t.people.customer.organization)
    services.transaction_submit(actor=colleague, transaction=t)
    assert Transaction.objects.get(pk=t.pk).status == S.SUBMITTED


def test_a_reviewer_outside_the_services_team_can_neither_claim_nor_decide(db):
    outsider = UserFactory(role=Role.REVIEWER, full_name="Other Team Reviewer")
    unassigned = _under_review_unassigned()
    _refused(unassigned, lambda: _claim(unassigned, outsider))
    claimed = transaction_at(S.UNDER_REVIEW)
    for run in (_approve, _reject, _return_remarks, _issue):
        _refused(claimed, lambda run=run: run(claimed, outsider))


def test_only_the_assigned_reviewer_decides(db):
    t = transaction_at(S.UNDER_REVIEW)
    colleague = UserFactory(role=Role.REVIEWER)
    t.service.team.members.add(colleague)
    _refused(t, lambda: _approve(t, colleague))
    _refused(t, lambda: services.remark_add(actor=colleague, transaction=t, text="x"))


def test_an_agent_cannot_approve_or_reject(db):
    t = _under_review_unassigned()
    _refused(t, lambda: _approve(t, t.people.agent))
    _refused(t, lambda: _reject(t, t.people.agent))
    _refused(t, lambda: _claim(t, t.people.agent))


def test_only_the_assigned_agent_checks_completeness(db):
    t = transaction_at(S.COMPLETENESS_CHECK)
    colleague = UserFactory(role=Role.HAPPINESS_AGENT)
    _refused(t, lambda: _accept(t, colleague))
    _refused(t, lambda: _return_incomplete(t, colleague))


def test_a_reviewer_cannot_confirm_a_payment(db):
    t = transaction_at(S.PAYMENT_SUBMITTED)
    _refused(t, lambda: _confirm(t, t.people.reviewer))


def test_assigning_to_someone_who_cannot_do_the_stage_is_refused(db):
    t = transaction_at(S.COMPLETENESS_CHECK)
    before = _state(t)
    with pytest.raises(DomainError):
        services.transaction_assign(actor=t.people.agent, transaction=t, assignee=t.people.reviewer)
    assert _state(t) == before


def test_staff_cannot_start_an_application(db, agent, service):
    with pytest.raises(PermissionDenied):
        services.transaction_create(actor=agent, service=service, title="x", data={})
    assert not Transaction.objects.exists()


# --- a complete application, on its own checklist version ---------------------------------------
def test_submit_names_every_missing_document_and_field(db, people, service):
    t = services.transaction_create(actor=people.customer, service=service, title="Villa", data={})
    before = _state(t)
    with translation.override("en"), pytest.raises(services.Incomplete) as refused:
        services.transaction_submit(actor=people.customer, transaction=t)
    message = str(refused.value.message)
    assert "Site plan" in message  # the mandatory document
    assert "Plot number" in message  # the required field
    assert "Site photo" not in message and "Area" not in message  # optional ones
    assert _state(t) == before

    with translation.override("ar"), pytest.raises(services.Incomplete) as refused:
        services.transaction_submit(actor=people.customer, transaction=t)
    assert "المخطط" in str(refused.value.message) and "رقم القطعة" in str(refused.value.message)

    services.transaction_update(
        actor=people.customer, transaction=t, title="Villa", data={"plot-number": "312-0457"}
    )
    with translation.override("en"), pytest.raises(services.Incomplete) as refused:
        services.transaction_submit(actor=people.customer, transaction=t)
    assert "Site plan" in str(refused.value.message)
    assert "Plot number" not in str(refused.value.message)


def _publish_version_2(service) -> ServiceVersion:
    version = ServiceVersion.objects.create(service=service, number=2)
    for item in service.versions.get(number=1).checklist.all():
        ChecklistItem.objects.create(
            version=version,
            code=item.code,
            name_ar=item.name_ar,
            name_en=item.name_en,
            mandatory=item.mandatory,
            kinds=item.kinds,
            position=item.position,
        )
    ChecklistItem.objects.create(
        version=version,
        code="noc-letter",
        name_ar="خطاب عدم ممانعة",
        name_en="NOC letter",
        mandatory=True,
        kinds=["pdf"],
        position=5,
    )
    for form_field in service.versions.get(number=1).fields.all():
        form_field.pk, form_field.version = None, version
        form_field.save()
    return version


def test_a_transaction_keeps_its_checklist_version(db, people, service):
    t = draft(customer=people.customer, service=service)
    version_2 = _publish_version_2(service)
    assert selectors.service_current_version(service=service) == version_2

    # A new application is asked for the new item; the one started on version 1 never is.
    newer = draft(customer=people.customer, service=service)
    assert newer.version == version_2
    with translation.override("en"), pytest.raises(services.Incomplete, match="NOC letter"):
        services.transaction_submit(actor=people.customer, transaction=newer)

    services.transaction_submit(actor=people.customer, transaction=t)
    services.transaction_claim(actor=people.agent, transaction=t)
    t.refresh_from_db()
    assert t.version.number == 1

    noc = version_2.checklist.get(code="noc-letter")
    plan_v2 = version_2.checklist.get(code="plan")
    for item in (noc, plan_v2):
        before = _state(t)
        with pytest.raises(DomainError):
            services.transaction_return_incomplete(
                actor=people.agent, transaction=t, missing_items=[item], note="Needed."
            )
        assert _state(t) == before
    with pytest.raises(DomainError):
        services.transaction_return_incomplete(
            actor=people.agent, transaction=t, missing_items=[], note="  "
        )

    _return_incomplete(t, people.agent)
    t.refresh_from_db()
    with pytest.raises(DomainError):  # nor can the customer upload a later version's item
        services.transaction_document_upload(
            actor=people.customer, transaction=t, item=noc, upload=pdf()
        )
    _answer_everything(t, people)
    services.transaction_resubmit(actor=people.customer, transaction=t)
    assert Transaction.objects.get(pk=t.pk).status == S.COMPLETENESS_CHECK


def test_resubmit_after_an_incomplete_return_needs_a_new_version_of_each_missing_item(
    db, people, service
):
    t = transaction_at(S.COMPLETENESS_CHECK, service=service, people=people)
    photo = t.version.checklist.get(code="photo")
    plan = t.version.checklist.get(code="plan")
    services.transaction_return_incomplete(
        actor=people.agent, transaction=t, missing_items=[plan, photo], note="Both unreadable."
    )
    t.refresh_from_db()

    before = _state(t)
    with translation.override("en"), pytest.raises(services.Incomplete) as refused:
        services.transaction_resubmit(actor=people.customer, transaction=t)
    assert "Site plan" in str(refused.value.message)
    assert "Site photo" in str(refused.value.message)

    services.transaction_document_upload(
        actor=people.customer, transaction=t, item=plan, upload=pdf("plan-2.pdf")
    )
    with translation.override("en"), pytest.raises(services.Incomplete) as refused:
        services.transaction_resubmit(actor=people.customer, transaction=t)
    assert "Site photo" in str(refused.value.message)
    assert "Site plan" not in str(refused.value.message)
    assert _state(t)[0] == before[0]

    services.transaction_document_upload(
        actor=people.customer, transaction=t, item=photo, upload=pdf("photo.pdf")
    )
    services.transaction_resubmit(actor=people.customer, transaction=t)
    t.refresh_from_db()
    assert t.status == S.COMPLETENESS_CHECK
    assert t.assignee == people.agent  # back to the agent who returned it
    assert not t.missing_items.exists()
    assert list(
        TransactionDocument.objects.filter(transaction=t, item=plan).values_list(
            "number", flat=True
        )
    ) == [2, 1]


def test_resubmit_after_remarks_needs_an_answer_to_each_and_starts_the_next_cycle(
    db, people, service
):
    t = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    assert t.cycle == 1
    first = services.remark_add(actor=people.reviewer, transaction=t, text="Show the setbacks.")
    second = services.remark_add(actor=people.reviewer, transaction=t, text="Parking count?")
    services.transaction_return_remarks(actor=people.reviewer, transaction=t)
    t.refresh_from_db()

    before = _state(t)
    with pytest.raises(services.Incomplete):
        services.transaction_resubmit(actor=people.customer, transaction=t)
    services.remark_answer(actor=people.customer, remark=first, text="Added to sheet A-101.")
    with pytest.raises(services.Incomplete):
        services.transaction_resubmit(actor=people.customer, transaction=t)
    assert _state(t)[:3] == before[:3]
    with pytest.raises(DomainError):  # an empty answer is no answer
        services.remark_answer(actor=people.customer, remark=second, text="   ")

    services.remark_answer(actor=people.customer, remark=second, text="Twelve bays.")
    services.transaction_resubmit(actor=people.customer, transaction=t)
    t.refresh_from_db()
    assert (t.status, t.cycle, t.assignee) == (S.UNDER_REVIEW, 2, people.reviewer)
    event = _events(t).filter(verb="resubmitted").get()
    assert event.data == {"cycle": 2}

    # Cycle 2: the reviewer may return again; remarks are numbered by their cycle.
    third = services.remark_add(actor=people.reviewer, transaction=t, text="Fire exits?")
    assert third.cycle == 2
    for remark in (first, second):
        services.remark_resolve(actor=people.reviewer, remark=remark)
    services.transaction_return_remarks(actor=people.reviewer, transaction=t)
    services.remark_answer(actor=people.customer, remark=third, text="Two exits.")
    services.transaction_resubmit(actor=people.customer, transaction=t)
    assert Transaction.objects.get(pk=t.pk).cycle == 3


def test_return_remarks_needs_an_open_remark(db):
    t = transaction_at(S.UNDER_REVIEW)
    before = _state(t)
    with pytest.raises(DomainError):
        _return_remarks(t, t.people.reviewer)
    assert _state(t) == before


def test_approve_is_refused_while_a_remark_is_open(db, people, service):
    t = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    remark = services.remark_add(actor=people.reviewer, transaction=t, text="Show the setbacks.")
    before = _state(t)
    with pytest.raises(DomainError):
        services.transaction_approve(actor=people.reviewer, transaction=t)
    assert _state(t) == before

    # Answered in the next cycle but not yet resolved: still refused.
    services.transaction_return_remarks(actor=people.reviewer, transaction=t)
    services.remark_answer(actor=people.customer, remark=remark, text="Done.")
    services.transaction_resubmit(actor=people.customer, transaction=t)
    with pytest.raises(DomainError):
        services.transaction_approve(actor=people.reviewer, transaction=t)

    services.remark_resolve(actor=people.reviewer, remark=remark)
    services.transaction_approve(actor=people.reviewer, transaction=t)
    assert Transaction.objects.get(pk=t.pk).status == S.FEE_DUE
    assert Remark.objects.get(pk=remark.pk).status == Remark.Status.RESOLVED


def test_an_answer_with_a_file_adds_a_document_version_and_keeps_the_earlier_one(
    db, people, service
):
    t = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    plan = t.version.checklist.get(code="plan")
    first = TransactionDocument.objects.get(transaction=t, item=plan)
    remark = services.remark_add(
        actor=people.reviewer, transaction=t, item=plan, text="Dimensions are missing."
    )
    general = services.remark_add(actor=people.reviewer, transaction=t, text="Which zone?")
    services.transaction_return_remarks(actor=people.reviewer, transaction=t)

    with pytest.raises(DomainError):  # a remark about no document is answered in writing
        services.remark_answer(
            actor=people.customer, remark=general, text="", upload=pdf("zone.pdf")
        )
    reply = services.remark_answer(
        actor=people.customer, remark=remark, text="", upload=pdf("plan-v2.pdf")
    )

    versions = list(TransactionDocument.objects.filter(transaction=t, item=plan))
    assert [d.number for d in versions] == [2, 1]
    assert versions[1] == first and versions[1].file_id == first.file_id
    assert reply.document == versions[0]
    assert reply.document.file.original_name == "plan-v2.pdf"
    assert reply.document.cycle == 1
    assert selectors.unanswered_remarks(t).get() == general


def test_references_are_given_at_submission_in_sequence(db, people, service):
    year = timezone.localdate().year
    first = draft(customer=people.customer, service=service)
    second = draft(customer=people.customer, service=service)
    assert first.reference == second.reference == ""
    services.transaction_submit(actor=people.customer, transaction=second)
    services.transaction_submit(actor=people.customer, transaction=first)
    second.refresh_from_db()
    first.refresh_from_db()
    assert re.fullmatch(rf"TRX-{year}-\d{{6}}", second.reference)
    assert second.reference == f"TRX-{year}-000001"
    assert first.reference == f"TRX-{year}-000002"
    assert _events(first).get(verb="submitted").data == {"reference": first.reference}


def test_submission_issues_a_receipt_and_starts_the_clock(db, people, service):
    t = transaction_at(S.SUBMITTED, service=service, people=people)
    receipt = IssuedDocument.objects.get(kind="transaction_receipt")
    assert receipt.reference == t.reference
    assert receipt.subject == t
    assert receipt.owner == people.customer
    assert receipt.snapshot["reference"] == t.reference
    assert receipt.snapshot["applicant"] == people.customer.full_name
    assert [row[0] for row in receipt.snapshot["documents"]] == ["المخطط"]
    assert list(selectors.transaction_documents_issued(transaction=t)) == [receipt]
    assert t.submitted_at is not None
    assert t.sla_days == service.sla_days
    assert t.clock_started_on == timezone.localdate()
    assert t.due_date is not None


def test_the_certificate_is_issued_with_its_own_number(db):
    t = transaction_at(S.ISSUED)
    certificate = IssuedDocument.objects.get(kind="transaction_certificate")
    assert re.fullmatch(rf"CRT-{timezone.localdate().year}-\d{{6}}", certificate.reference)
    assert certificate.subject == t
    assert certificate.snapshot["reference"] == t.reference
    assert certificate.snapshot["certificate_number"] == certificate.reference
    assert certificate.snapshot["fields"] == [["رقم القطعة", "Plot number", "312-0457"]]
    assert (
        Notification.objects.get(kind="transaction_certificate_issued").context[
            "certificate_number"
        ]
        == certificate.reference
    )


def test_the_customer_hears_of_every_step_that_needs_them(db, people, service):
    """One transaction along the longest path: what the customer is told, in order."""
    t = draft(customer=people.customer, service=service)
    _submit(t, people.customer)
    _claim(t, people.agent)
    _return_incomplete(t, people.agent)
    t.refresh_from_db()
    _answer_everything(t, people)
    _resubmit(t, people.customer)
    _accept(t, people.agent)
    _claim(t, people.reviewer)
    _add_remark(t, people)
    _return_remarks(t, people.reviewer)
    t.refresh_from_db()
    _answer_everything(t, people)
    _resubmit(t, people.customer)
    services.remark_resolve(actor=people.reviewer, remark=t.remarks.get())
    _approve(t, people.reviewer)
    _pay(t, people.customer)
    _refuse(t, people.finance)
    _pay(t, people.customer)
    _confirm(t, people.finance)
    _issue(t, people.agent)
    _close(t, people.agent)

    kinds = list(
        Notification.objects.filter(recipient=people.customer)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "transaction_submitted",
        "transaction_returned_incomplete",
        "transaction_remarks_returned",
        "transaction_fee_due",
        "transaction_payment_refused",
        "transaction_payment_confirmed",
        "transaction_certificate_issued",
    ]
    assert Transaction.objects.get(pk=t.pk).status == S.CLOSED
    path = list(_events(t).exclude(to_status="").values_list("from_status", "to_status"))
    assert path[0] == ("", S.DRAFT) and path[-1] == (S.ISSUED, S.CLOSED)


def test_the_customers_notifications_are_delivered_by_email(
    db, people, service, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        t = transaction_at(S.REMARKS_RETURNED, service=service, people=people)
    subjects = [m.subject for m in mailoutbox]
    assert len(subjects) == 2  # submitted, remarks returned
    assert [m.to for m in mailoutbox] == [[people.customer.email]] * 2
    assert all(t.reference in s for s in subjects)
    assert all(
        n.status == Notification.Status.SENT
        for n in Notification.objects.filter(recipient=people.customer)
    )


@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_transaction_notification_renders_and_is_delivered(
    db, settings, mailoutbox, language
):
    """Each kind of message, with the context its service stores, in each language."""
    from accounts.models import User
    from portal.notifications import notification_deliver

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for status in (S.CLOSED, S.APPROVED, S.REJECTED, S.EXPIRED, S.REMARKS_RETURNED):
        transaction_at(status)
    refused = transaction_at(S.PAYMENT_SUBMITTED)
    _refuse(refused, refused.people.finance)
    withdrawn = transaction_at(S.SUBMITTED)
    _withdraw(withdrawn, withdrawn.people.customer)
    warned = transaction_at(S.FEE_DUE)
    make_idle(warned, warned=False)
    assert services.transactions_warn_expiring() == 1
    supervisor = UserFactory()
    late = transaction_at(S.UNDER_REVIEW)
    late.service.team.supervisor = supervisor
    late.service.team.save()
    Transaction.objects.filter(pk=late.pk).update(due_date=timezone.localdate().replace(year=2000))
    assert services.transactions_notify_overdue() == 1
    User.objects.update(preferred_language=language)

    notifications = list(Notification.objects.order_by("pk"))
    assert {n.kind for n in notifications} == {
        "transaction_submitted",
        "transaction_returned_incomplete",
        "transaction_remarks_returned",
        "transaction_fee_due",
        "transaction_approved",
        "transaction_rejected",
        "transaction_payment_refused",
        "transaction_payment_confirmed",
        "transaction_certificate_issued",
        "transaction_withdrawn",
        "transaction_expiry_warning",
        "transaction_expired",
        "transactions_overdue",
    }
    for notification in notifications:
        assert notification_deliver(notification_id=notification.pk), notification.kind
    assert len(mailoutbox) == len(notifications)
    for notification, message in zip(notifications, mailoutbox, strict=True):
        assert message.to == [notification.recipient.email]
        body = message.body + message.alternatives[0][0]
        if notification.kind == "transactions_overdue":
            assert late.reference in body
        else:
            assert notification.context["reference"] in message.subject + body
        assert "{{" not in body and "{%" not in body


# --- a failure half-way leaves nothing behind ---------------------------------------------------
def _trx_counter() -> int:
    counter = ReferenceCounter.objects.filter(prefix="TRX").first()
    return counter.last_value if counter else 0


def test_a_failure_half_way_through_submission_leaves_nothing_behind(
    db, people, service, monkeypatch
):
    transaction_at(S.SUBMITTED, service=service, people=people)  # the counter exists: 1
    t = draft(customer=people.customer, service=service)
    counter, audits, notices, issued = (
        _trx_counter(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
        IssuedDocument.objects.count(),
    )

    def broken(**kwargs):
        raise RuntimeError("PDF service unavailable")

    monkeypatch.setattr("transactions.services.applications.document_issue", broken)
    with pytest.raises(RuntimeError):
        services.transaction_submit(actor=people.customer, transaction=t)

    t = Transaction.objects.get(pk=t.pk)
    assert (t.status, t.reference, t.submitted_at, t.due_date) == (S.DRAFT, "", None, None)
    assert t.clock_started_on is None
    assert _trx_counter() == counter == 1
    assert AuditEvent.objects.count() == audits
    assert not _events(t).filter(verb="submitted").exists()
    assert Notification.objects.count() == notices
    assert IssuedDocument.objects.count() == issued

    monkeypatch.undo()
    services.transaction_submit(actor=people.customer, transaction=t)
    t.refresh_from_db()
    assert t.reference.endswith("-000002")  # the failed attempt used no number


def test_a_failure_half_way_through_issuing_leaves_nothing_behind(db, monkeypatch):
    t = transaction_at(S.PAID)
    before = _state(t)

    def broken(**kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr("transactions.services.review.document_issue", broken)
    with pytest.raises(RuntimeError):
        _issue(t, t.people.reviewer)

    assert _state(t) == before
    assert not ReferenceCounter.objects.filter(prefix="CRT", last_value__gt=0).exists()


@pytest.mark.parametrize(
    "status, who, call",
    [
        # A transaction that has moved on is a conflict for whoever acts on the old stage,
        # not a question of who holds it: stale buttons and API clients get 409, not 403.
        (
            S.UNDER_REVIEW,
            "agent",
            lambda t, a: services.transaction_accept_complete(actor=a, transaction=t),
        ),
        (
            S.UNDER_REVIEW,
            "agent",
            lambda t, a: services.transaction_return_incomplete(
                actor=a, transaction=t, missing_items=[], note="Late."
            ),
        ),
        (
            S.COMPLETENESS_CHECK,
            "reviewer",
            lambda t, a: services.transaction_approve(actor=a, transaction=t),
        ),
        (
            S.SUBMITTED,
            "reviewer",
            lambda t, a: services.remark_add(actor=a, transaction=t, text="Too early."),
        ),
    ],
)
def test_acting_on_a_stage_that_has_passed_is_a_conflict_not_a_refusal(db, status, who, call):
    t = transaction_at(status)
    with pytest.raises(TransitionNotAllowed):
        call(t, getattr(t.people, who))


def test_remarks_never_returned_stay_the_reviewers_notes_after_the_decision(db):
    from transactions.selectors import remarks_visible_to, transaction_timeline

    t = transaction_at(S.UNDER_REVIEW)
    p = t.people
    note = services.remark_add(actor=p.reviewer, transaction=t, text="Internal: check dates.")
    services.remark_resolve(actor=p.reviewer, remark=note)
    services.transaction_approve(actor=p.reviewer, transaction=t)
    t = Transaction.objects.prefetch_related("remarks").get(pk=t.pk)
    assert remarks_visible_to(user=p.customer, transaction=t) == []
    assert [r.pk for r in remarks_visible_to(user=p.reviewer, transaction=t)] == [note.pk]
    assert "remark_added" not in [
        e.verb for e in transaction_timeline(transaction=t, user=p.customer)
    ]


def test_sending_remarks_back_again_needs_a_remark_of_this_cycle(db):
    t = transaction_at(S.REMARKS_RETURNED)
    p = t.people
    [first] = t.remarks.all()
    assert first.returned_at is not None
    services.remark_answer(actor=p.customer, remark=first, text="Setbacks are 3 m.")
    services.transaction_resubmit(actor=p.customer, transaction=t)
    # The answer did not settle it, but returning it unchanged would tell the customer nothing.
    with pytest.raises(DomainError) as refused:
        services.transaction_return_remarks(actor=p.reviewer, transaction=t)
    assert refused.value.code == "no_remarks"
    services.remark_add(actor=p.reviewer, transaction=t, text="3 m is below the 5 m minimum.")
    services.transaction_return_remarks(actor=p.reviewer, transaction=t)
    t.refresh_from_db()
    assert t.status == S.REMARKS_RETURNED and t.cycle == 2
    assert all(r.returned_at for r in t.remarks.all())

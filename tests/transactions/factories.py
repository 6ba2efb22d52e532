"""Catalogue factories and `transaction_at(status)`, which takes a transaction to any status
through the real services (so every state is one the portal can actually reach)."""

from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Team
from tests.factories import CustomerFactory, UserFactory
from transactions import services
from transactions.models import ChecklistItem, FormField, Service, ServiceVersion, Transaction

S = Transaction.Status
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf(name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"team-{n}")
    name_ar = factory.Sequence(lambda n: f"فريق {n}")
    name_en = factory.Sequence(lambda n: f"Team {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service with version 1: a mandatory plan (PDF or DWG), an optional photo, a required
    plot number and an optional area."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"service-{n}")
    name_ar = factory.Sequence(lambda n: f"رخصة بناء {n}")
    name_en = factory.Sequence(lambda n: f"Building permit {n}")
    description_ar = "وصف الخدمة"
    description_en = "What the service is for"
    category = Service.Category.BUILDING
    team = factory.SubFactory(TeamFactory)
    fee = Decimal("1500.00")
    sla_days = 5

    @factory.post_generation
    def version(service, create, extracted, **kwargs):
        if not create:
            return
        version = ServiceVersion.objects.create(service=service, number=1)
        ChecklistItem.objects.create(
            version=version,
            code="plan",
            name_ar="المخطط",
            name_en="Site plan",
            mandatory=True,
            kinds=["pdf", "dwg"],
            position=0,
        )
        ChecklistItem.objects.create(
            version=version,
            code="photo",
            name_ar="صورة الموقع",
            name_en="Site photo",
            mandatory=False,
            kinds=["pdf", "jpeg", "png"],
            position=1,
        )
        FormField.objects.create(
            version=version,
            code="plot-number",
            label_ar="رقم القطعة",
            label_en="Plot number",
            kind=FormField.Kind.TEXT,
            required=True,
            position=0,
        )
        FormField.objects.create(
            version=version,
            code="area",
            label_ar="المساحة",
            label_en="Area",
            kind=FormField.Kind.DECIMAL,
            required=False,
            position=1,
        )


def draft(*, customer, service, title: str = "Villa, plot 12", complete: bool = True):
    transaction = services.transaction_create(
        actor=customer, service=service, title=title, data={"plot-number": "312-0457"}
    )
    if complete:
        plan = transaction.version.checklist.get(code="plan")
        services.transaction_document_upload(
            actor=customer, transaction=transaction, item=plan, upload=pdf("plan.pdf")
        )
    return transaction


# The path through the lifecycle to each status, as (status reached, step).
def _submit(t, p):
    services.transaction_submit(actor=p.customer, transaction=t)


def _claim_agent(t, p):
    services.transaction_claim(actor=p.agent, transaction=t)


def _return_incomplete(t, p):
    services.transaction_return_incomplete(
        actor=p.agent,
        transaction=t,
        missing_items=[t.version.checklist.get(code="plan")],
        note="The plan is unreadable.",
    )


def _accept(t, p):
    services.transaction_accept_complete(actor=p.agent, transaction=t)


def _claim_reviewer(t, p):
    services.transaction_claim(actor=p.reviewer, transaction=t)


def _return_remarks(t, p):
    services.remark_add(actor=p.reviewer, transaction=t, text="Show the setbacks.")
    services.transaction_return_remarks(actor=p.reviewer, transaction=t)


def _approve(t, p):
    services.transaction_approve(actor=p.reviewer, transaction=t)


def _pay(t, p):
    services.fee_payment_submit(
        actor=p.customer, transaction=t, method="bank_transfer", payer_reference="FT-0001"
    )


def _confirm(t, p):
    services.fee_payment_confirm(actor=p.finance, payment=t.payments.get())


def _issue(t, p):
    services.transaction_issue_certificate(actor=p.reviewer, transaction=t)


def _close(t, p):
    services.transaction_close(actor=p.reviewer, transaction=t)


def make_idle(t, *, days: int | None = None, warned: bool = True) -> None:
    """Pretend the customer has held `t` for `days` (default: past the expiry limit) and, when
    `warned`, that the expiry warning went out when it was due; only the expiry clock fields
    are touched."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    days = settings.TRANSACTION_EXPIRY_DAYS + 1 if days is None else days
    now = timezone.now()
    since = now - timedelta(days=days)
    warning_due = since + timedelta(
        days=settings.TRANSACTION_EXPIRY_DAYS - settings.TRANSACTION_EXPIRY_WARNING_DAYS
    )
    Transaction.objects.filter(pk=t.pk).update(
        idle_since=since, expiry_warned_at=min(warning_due, now) if warned else None
    )


def _expire(t, p):
    make_idle(t)
    services.transactions_expire_idle()


PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: [_submit],
    S.COMPLETENESS_CHECK: [_submit, _claim_agent],
    S.INCOMPLETE_RETURNED: [_submit, _claim_agent, _return_incomplete],
    S.UNDER_REVIEW: [_submit, _claim_agent, _accept, _claim_reviewer],
    S.REMARKS_RETURNED: [_submit, _claim_agent, _accept, _claim_reviewer, _return_remarks],
    S.FEE_DUE: [_submit, _claim_agent, _accept, _claim_reviewer, _approve],
    S.PAYMENT_SUBMITTED: [_submit, _claim_agent, _accept, _claim_reviewer, _approve, _pay],
    S.PAID: [_submit, _claim_agent, _accept, _claim_reviewer, _approve, _pay, _confirm],
    S.ISSUED: [_submit, _claim_agent, _accept, _claim_reviewer, _approve, _pay, _confirm, _issue],
    S.CLOSED: [
        _submit,
        _claim_agent,
        _accept,
        _claim_reviewer,
        _approve,
        _pay,
        _confirm,
        _issue,
        _close,
    ],
}


class People:
    """The people a transaction's path needs; made on demand, the reviewer in the team."""

    def __init__(self, *, service, customer=None, agent=None, reviewer=None, finance=None):
        from accounts.roles import Role

        self.customer = customer or CustomerFactory()
        self.agent = agent or UserFactory(role=Role.HAPPINESS_AGENT)
        self.reviewer = reviewer or UserFactory(role=Role.REVIEWER)
        self.finance = finance or UserFactory(role=Role.FINANCE_OFFICER)
        service.team.members.add(self.reviewer)


def transaction_at(status: str, *, service=None, people: People | None = None, **kwargs):
    """A transaction in `status`, reached through the services. APPROVED needs a free service
    (the fee is skipped), REJECTED/WITHDRAWN/EXPIRED are reached from UNDER_REVIEW/DRAFT/
    INCOMPLETE_RETURNED (expired by the daily housekeeping after a back-dated warning)."""
    if service is None:
        service = ServiceFactory(fee=Decimal("0.00")) if status == S.APPROVED else ServiceFactory()
    people = people or People(service=service, **kwargs)
    t = draft(customer=people.customer, service=service)
    if status == S.APPROVED:
        steps = [_submit, _claim_agent, _accept, _claim_reviewer, _approve]
    elif status == S.REJECTED:
        steps = PATHS[S.UNDER_REVIEW] + [
            lambda t, p: services.transaction_reject(actor=p.reviewer, transaction=t, reason="No")
        ]
    elif status == S.WITHDRAWN:
        steps = [lambda t, p: services.transaction_withdraw(actor=p.customer, transaction=t)]
    elif status == S.EXPIRED:
        steps = PATHS[S.INCOMPLETE_RETURNED] + [_expire]
    else:
        steps = PATHS[status]
    for step in steps:
        step(t, people)
        t.refresh_from_db()
    t.people = people
    return t

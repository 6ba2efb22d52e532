"""Transactions: 200,000 a year at scale 1.0, over the last three years, in realistic status
proportions, each with the rows its services would have written (transactions/services/*,
portal/audit.py, portal/documents.py): checklist documents (a PrivateFile each), remarks and
answers per review cycle, receipts and certificates as IssuedDocuments, one audit event per
step, and the customer's notifications."""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter

from django.contrib.contenttypes.models import ContentType

from bench.registry import PUBLIC, BenchApp, Endpoint, SeedContext, register
from bench.seed import bulk
from portal.models import AuditEvent, IssuedDocument, Notification, PrivateFile, ReferenceCounter
from transactions.models import Remark, RemarkReply, Service, Transaction, TransactionDocument

S = Transaction.Status
TRANSACTIONS = 200_000
CHUNK = 4000
HISTORY_DAYS = 3 * 365

# Share of the year's transactions by current status (most are long finished).
STATUS_WEIGHTS = {
    S.CLOSED: 44,
    S.ISSUED: 8,
    S.REJECTED: 5,
    S.WITHDRAWN: 4,
    S.EXPIRED: 3,
    S.DRAFT: 5,
    S.SUBMITTED: 2,
    S.COMPLETENESS_CHECK: 3,
    S.INCOMPLETE_RETURNED: 3,
    S.UNDER_REVIEW: 9,
    S.REMARKS_RETURNED: 6,
    S.APPROVED: 2,
    S.FEE_DUE: 3,
    S.PAYMENT_SUBMITTED: 1,
    S.PAID: 2,
}
_REVIEW = [S.DRAFT, S.SUBMITTED, S.COMPLETENESS_CHECK, S.UNDER_REVIEW]
_FEE = [*_REVIEW, S.FEE_DUE, S.PAYMENT_SUBMITTED, S.PAID]
# The steps a transaction took to reach its status (one audit event each).
PATHS = {
    S.DRAFT: [S.DRAFT],
    S.SUBMITTED: [S.DRAFT, S.SUBMITTED],
    S.COMPLETENESS_CHECK: [S.DRAFT, S.SUBMITTED, S.COMPLETENESS_CHECK],
    S.INCOMPLETE_RETURNED: [S.DRAFT, S.SUBMITTED, S.COMPLETENESS_CHECK, S.INCOMPLETE_RETURNED],
    S.EXPIRED: [S.DRAFT, S.SUBMITTED, S.COMPLETENESS_CHECK, S.INCOMPLETE_RETURNED, S.EXPIRED],
    S.WITHDRAWN: [S.DRAFT, S.SUBMITTED, S.WITHDRAWN],
    S.UNDER_REVIEW: _REVIEW,
    S.REMARKS_RETURNED: [*_REVIEW, S.REMARKS_RETURNED],
    S.REJECTED: [*_REVIEW, S.REJECTED],
    S.APPROVED: [*_REVIEW, S.APPROVED],
    S.FEE_DUE: [*_REVIEW, S.FEE_DUE],
    S.PAYMENT_SUBMITTED: [*_REVIEW, S.FEE_DUE, S.PAYMENT_SUBMITTED],
    S.PAID: _FEE,
    S.ISSUED: [*_FEE, S.ISSUED],
    S.CLOSED: [*_FEE, S.ISSUED, S.CLOSED],
}
VERBS = {
    S.DRAFT: "created",
    S.SUBMITTED: "submitted",
    S.COMPLETENESS_CHECK: "claimed",
    S.INCOMPLETE_RETURNED: "returned_incomplete",
    S.UNDER_REVIEW: "accepted_complete",
    S.REMARKS_RETURNED: "returned_remarks",
    S.APPROVED: "approved",
    S.FEE_DUE: "approved",
    S.PAYMENT_SUBMITTED: "payment_submitted",
    S.PAID: "payment_confirmed",
    S.ISSUED: "certificate_issued",
    S.CLOSED: "closed",
    S.REJECTED: "rejected",
    S.WITHDRAWN: "withdrawn",
    S.EXPIRED: "expired",
}
# The e-mail each step sends the customer (templates/emails/<kind>_subject.txt).
NOTICES = {
    S.SUBMITTED: "transaction_submitted",
    S.INCOMPLETE_RETURNED: "transaction_returned_incomplete",
    S.REMARKS_RETURNED: "transaction_remarks_returned",
    S.APPROVED: "transaction_approved",
    S.FEE_DUE: "transaction_fee_due",
    S.PAID: "transaction_payment_confirmed",
    S.ISSUED: "transaction_certificate_issued",
    S.REJECTED: "transaction_rejected",
    S.WITHDRAWN: "transaction_withdrawn",
    S.EXPIRED: "transaction_expired",
}
REVIEWED = {S.REMARKS_RETURNED, S.APPROVED, S.FEE_DUE, S.PAYMENT_SUBMITTED, S.PAID}
REVIEWED |= {S.ISSUED, S.CLOSED, S.REJECTED}


def _per_customer(ctx: SeedContext, total: int) -> list[int]:
    """Transactions per customer: 1 to 50, most have a few, a few have many (the first customer,
    the persona, has 50)."""
    rng = ctx.rng
    customers = ctx.data["customers"]
    mean = max(total / len(customers), 1.0)
    counts = [min(50, max(1, round(rng.expovariate(1 / mean)))) for _ in customers]
    counts[0] = min(50, max(total // 4, 1))
    counts[-1] = 1  # the light persona
    return counts


def _checklists() -> dict[int, tuple[int, list[int]]]:
    """Service id -> (version id, checklist item ids) of its current version."""
    out = {}
    for service in Service.objects.prefetch_related("versions__checklist"):
        version = max(service.versions.all(), key=lambda v: v.number)
        out[service.pk] = (version.pk, [i.pk for i in version.checklist.all()])
    return out


def seed(ctx: SeedContext) -> None:
    rng, now = ctx.rng, ctx.now
    total = ctx.n(TRANSACTIONS, minimum=50)
    services = list(Service.objects.all())
    checklists = _checklists()
    team_of = {s.pk: s.team_id for s in services}
    statuses = [s for s, w in STATUS_WEIGHTS.items() for _ in range(w)]
    ct_trx = ContentType.objects.get_for_model(Transaction)
    ct_doc = ContentType.objects.get_for_model(IssuedDocument)
    refs: Counter = Counter()
    plan = []
    for customer, count in zip(ctx.data["customers"], _per_customer(ctx, total), strict=True):
        plan.extend([customer] * count)
    rng.shuffle(plan)
    ctx.data["transactions_of_persona"] = []
    heavy = ctx.data["personas"]["customer"]
    detail_ids = {}
    for start in range(0, len(plan), CHUNK):
        applicants = plan[start : start + CHUNK]
        rows = []
        for applicant in applicants:
            service = rng.choice(services)
            status = rng.choice(statuses)
            created = now - datetime.timedelta(days=rng.uniform(1, HISTORY_DAYS))
            path = PATHS[status]
            cycles = (
                rng.choice([1, 1, 1, 2, 2, 3])
                if status in REVIEWED
                else (1 if S.UNDER_REVIEW in path else 0)
            )
            submitted = created + datetime.timedelta(hours=rng.uniform(1, 72))
            updated = min(created + datetime.timedelta(days=rng.uniform(1, 60)), now)
            reference = ""
            if status != S.DRAFT:
                year = submitted.year
                refs[year] += 1
                reference = f"TRX-{year}-{refs[year]:06d}"
            assignee = None
            if S.UNDER_REVIEW in path:
                assignee = rng.choice(ctx.data["teams"][team_of[service.pk]])
            t = Transaction(
                reference=reference,
                service=service,
                version_id=checklists[service.pk][0],
                applicant_id=applicant,
                organization_id=ctx.data["customer_org"][applicant],
                title=f"Plot {rng.randint(1, 99999)} — {service.name_en}",
                data={},
                status=status,
                assignee_id=assignee,
                cycle=cycles,
                fee_amount=service.fee if status != S.DRAFT else 0,
                sla_days=service.sla_days,
                department_days=rng.randint(0, service.sla_days),
                customer_days=rng.randint(0, 10),
                due_date=(submitted + datetime.timedelta(days=service.sla_days * 1.4)).date()
                if status != S.DRAFT
                else None,
                created_at=created,
                updated_at=updated,
                submitted_at=submitted if status != S.DRAFT else None,
                decided_at=updated if status in REVIEWED - {S.REMARKS_RETURNED} else None,
                closed_at=updated if status in Transaction.FINAL else None,
            )
            if t.customers_turn:
                t.customer_turn_since = t.idle_since = updated
            elif t.departments_turn:
                t.clock_started_on = updated.date()
            rows.append(t)
        rows = bulk(Transaction, rows, ctx.counts)
        with_remarks = _children(ctx, rows, checklists, ct_trx, ct_doc)
        # The detail pages open a typical closed one (see _typical), so that the query counts
        # compare like with like across scales.
        for t in rows:
            if t.applicant_id == heavy and t.status != S.DRAFT:
                detail_ids.setdefault("customer_any", t.pk)
                if _typical(t, with_remarks):
                    detail_ids.setdefault("customer", t.pk)
            if t.assignee_id == ctx.data["personas"]["reviewer"]:
                detail_ids.setdefault("reviewer_any", t.pk)
                if _typical(t, with_remarks):
                    detail_ids.setdefault("reviewer", t.pk)
    for year, last in refs.items():
        ReferenceCounter.objects.update_or_create(
            prefix="TRX", year=year, defaults={"last_value": last}
        )
    ctx.data["transaction_detail"] = detail_ids


def _typical(t: Transaction, with_remarks: set[int]) -> bool:
    """Closed after one review cycle, with a fee and remarks: every section of the detail page
    has rows (an empty section skips its prefetch, a difference of data, not of table size)."""
    return t.status == S.CLOSED and t.cycle == 1 and t.fee_amount > 0 and t.pk in with_remarks


def _children(ctx, rows, checklists, ct_trx, ct_doc) -> set[int]:
    """Writes the rows a transaction's services would have written; returns the ids of the
    transactions that got remarks."""
    rng = ctx.rng
    files, docs, remarks, audits, issued, notes = [], [], [], [], [], []
    for t in rows:
        items = checklists[t.service_id][1]
        path = PATHS[t.status]
        step = (t.updated_at - t.created_at) / max(len(path), 1)
        for n, status in enumerate(path):
            actor = t.applicant_id if n in (0, 1) else (t.assignee_id or t.applicant_id)
            audits.append(
                AuditEvent(
                    actor_id=actor,
                    verb=VERBS[status],
                    content_type=ct_trx,
                    object_id=str(t.pk),
                    from_status=path[n - 1] if n else "",
                    to_status=status,
                    data={"reference": t.reference} if status == S.SUBMITTED else {},
                    created_at=t.created_at + step * n,
                )
            )
            if status in NOTICES:
                notes.append(
                    Notification(
                        recipient_id=t.applicant_id,
                        kind=NOTICES[status],
                        content_type=ct_trx,
                        object_id=str(t.pk),
                        context={
                            "reference": t.reference,
                            "title": t.title,
                            "service_name_ar": t.service.name_ar,
                            "service_name_en": t.service.name_en,
                        },
                        link=f"/transactions/{t.pk}/",
                        status=Notification.Status.SENT,
                        created_at=t.created_at + step * n,
                        sent_at=t.created_at + step * n,
                        read_at=None if rng.random() < 0.1 else t.updated_at,
                    )
                )
        for version in range(1, (2 if t.cycle > 1 else 1) + 1):
            for item in items if version == 1 else items[:1]:
                digest = hashlib.sha256(f"{t.pk}-{item}-{version}".encode()).hexdigest()
                files.append(
                    PrivateFile(
                        file=f"uploads/bench/{digest}.pdf",
                        original_name=f"document-{item}.pdf",
                        content_type_detected="application/pdf",
                        size=rng.randint(50_000, 5_000_000),
                        sha256=digest,
                        purpose="transaction_document",
                        uploaded_by_id=t.applicant_id,
                        uploaded_at=t.created_at,
                        content_type=ct_trx,
                        object_id=str(t.pk),
                    )
                )
                docs.append(
                    TransactionDocument(
                        transaction_id=t.pk,
                        item_id=item,
                        number=version,
                        cycle=version - 1,
                        uploaded_by_id=t.applicant_id,
                        uploaded_at=t.created_at,
                    )
                )
                audits.append(
                    AuditEvent(
                        actor_id=t.applicant_id,
                        verb="document_uploaded",
                        content_type=ct_trx,
                        object_id=str(t.pk),
                        created_at=t.created_at,
                    )
                )
        for cycle in range(1, t.cycle + 1):
            current = cycle == t.cycle and t.status in (S.UNDER_REVIEW, S.REMARKS_RETURNED)
            for _ in range(rng.randint(0 if cycle == t.cycle else 1, 3)):
                remarks.append(
                    Remark(
                        transaction_id=t.pk,
                        cycle=cycle,
                        item_id=rng.choice(items) if items and rng.random() < 0.6 else None,
                        text="The drawings must show the setback from the plot boundary.",
                        author_id=t.assignee_id or t.applicant_id,
                        status=Remark.Status.OPEN if current else Remark.Status.RESOLVED,
                        created_at=t.submitted_at or t.created_at,
                        returned_at=None
                        if current and t.status == S.UNDER_REVIEW
                        else (t.submitted_at or t.created_at),
                        resolved_at=None if current else t.updated_at,
                    )
                )
        if t.status != S.DRAFT:
            kinds = [("transaction_receipt", "transactions/pdf/receipt.html", t.reference)]
            if t.status in (S.PAID, S.ISSUED, S.CLOSED) and t.fee_amount:
                kinds.append(("fee_receipt", "transactions/pdf/fee_receipt.html", f"RCP-{t.pk}"))
            if t.status in (S.ISSUED, S.CLOSED):
                kinds.append(
                    ("transaction_certificate", "transactions/pdf/certificate.html", f"CRT-{t.pk}")
                )
            for kind, template, reference in kinds:
                issued.append(
                    IssuedDocument(
                        kind=kind,
                        reference=reference,
                        title_ar="إيصال",
                        title_en=kind.replace("_", " ").capitalize(),
                        template=template,
                        owner_id=t.applicant_id,
                        content_type=ct_trx,
                        object_id=str(t.pk),
                        snapshot={
                            "reference": t.reference,
                            "title": t.title,
                            "service_name_ar": t.service.name_ar,
                            "service_name_en": t.service.name_en,
                            "applicant": f"Customer {t.applicant_id}",
                            "organization_ar": "",
                            "organization_en": "",
                            "submitted_at": f"{t.submitted_at:%Y-%m-%d %H:%M}",
                        },
                        public_summary={"rows": [["المرجع", "Reference", t.reference]]},
                        status=IssuedDocument.Status.READY,
                        pdf=f"documents/bench/{kind}-{t.pk}.pdf",
                        issued_at=t.submitted_at,
                        issued_by_id=t.assignee_id,
                    )
                )
    files = bulk(PrivateFile, files, ctx.counts)
    for doc, f in zip(docs, files, strict=True):
        doc.file_id = f.pk
    docs = bulk(TransactionDocument, docs, ctx.counts)
    remarks = bulk(Remark, remarks, ctx.counts)
    applicant_of = {t.pk: t.applicant_id for t in rows}
    replies = [
        RemarkReply(
            remark_id=r.pk,
            text="The drawings are corrected.",
            author_id=applicant_of[r.transaction_id],
            created_at=r.created_at,
        )
        for r in remarks
        if r.status == Remark.Status.RESOLVED
    ]
    bulk(RemarkReply, replies, ctx.counts)
    issued = bulk(IssuedDocument, issued, ctx.counts)
    audits.extend(
        AuditEvent(
            actor_id=d.issued_by_id,
            verb="document_issued",
            content_type=ct_doc,
            object_id=str(d.pk),
            data={"kind": d.kind, "reference": d.reference},
            created_at=d.issued_at,
        )
        for d in issued
    )
    bulk(AuditEvent, audits, ctx.counts)
    bulk(Notification, notes, ctx.counts)
    ctx.data.setdefault("verification_code", issued[0].verification_code if issued else "")
    return {r.transaction_id for r in remarks}


def endpoints(ctx: SeedContext) -> list[Endpoint]:
    detail = ctx.data["transaction_detail"]
    service = Service.objects.order_by("position", "code").values_list("code", flat=True)[0]
    trx_c = detail.get("customer") or detail["customer_any"]
    trx_r = detail.get("reviewer") or detail.get("reviewer_any") or trx_c
    return [
        Endpoint("catalogue", "/ar/services/", None, PUBLIC),
        Endpoint("service page", f"/ar/services/{service}/", None, PUBLIC),
        Endpoint("verify page", f"/verify/{ctx.data['verification_code']}/", None, PUBLIC),
        Endpoint("transaction list (customer)", "/ar/transactions/", "customer"),
        Endpoint("transaction detail (customer)", f"/ar/transactions/{trx_c}/", "customer"),
        Endpoint("staff queue (reviewer)", "/ar/staff/transactions/", "reviewer"),
        Endpoint("staff queue (agent)", "/ar/staff/transactions/", "agent"),
        Endpoint("transaction detail (reviewer)", f"/ar/transactions/{trx_r}/", "reviewer"),
        Endpoint("API services", "/api/v1/services/", "customer", api=True),
        Endpoint("API transaction list (customer)", "/api/v1/transactions/", "customer", api=True),
        Endpoint("API transaction list (reviewer)", "/api/v1/transactions/", "reviewer", api=True),
        Endpoint(
            "API transaction detail (customer)",
            f"/api/v1/transactions/{trx_c}/",
            "customer",
            api=True,
        ),
        Endpoint(
            "API transaction timeline (customer)",
            f"/api/v1/transactions/{trx_c}/timeline/",
            "customer",
            api=True,
        ),
    ]


register(BenchApp("transactions", seed, endpoints, after=("accounts",)))

"""Reads: what each user may see, with what the pages show already loaded."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Team, User
from accounts.roles import Role, has_role, is_staff_member, staff_names_visible_to
from portal.audit import audit_timeline
from portal.models import AuditEvent, IssuedDocument
from portal.pagination import COUNT_CAP
from transactions.models import (
    ChecklistItem,
    FeePayment,
    Remark,
    RemarkReply,
    Service,
    ServiceVersion,
    Transaction,
    TransactionDocument,
)

S = Transaction.Status

# --- the catalogue ------------------------------------------------------------------------------


def services_published() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).select_related("team")


def service_current_version(*, service: Service) -> ServiceVersion | None:
    return service.versions.prefetch_related("checklist", "fields").order_by("-number").first()


def service_get_published(*, code: str) -> Service:
    service = services_published().filter(code=code).first()
    if service is None:
        raise Http404
    return service


# --- who may do what ------------------------------------------------------------------------------


def is_customer_party(user, transaction: Transaction) -> bool:
    """The applicant, or a member of the organization the transaction was made for."""
    if not getattr(user, "is_authenticated", False):
        return False
    if transaction.applicant_id == user.pk:
        return True
    return bool(transaction.organization_id and transaction.organization_id == user.organization_id)


def person_name_visible(*, viewer, person, transaction: Transaction) -> bool:
    """Whether the viewer may see this person's name on the transaction (a timeline's actor):
    the customer's own side always, the department's staff only when
    accounts.roles.staff_names_visible_to allows. The page and the API ask this one function."""
    return staff_names_visible_to(viewer) or is_customer_party(person, transaction)


def is_agent(user) -> bool:
    return user.is_superuser or has_role(user, Role.HAPPINESS_AGENT)


def is_team_reviewer(user, transaction: Transaction) -> bool:
    if user.is_superuser:
        return True
    if not has_role(user, Role.REVIEWER):
        return False
    team_ids = getattr(user, "_team_ids", None)
    if team_ids is None:
        team_ids = frozenset(user.teams.values_list("pk", flat=True))
        user._team_ids = team_ids
    return transaction.service.team_id in team_ids


def is_fee_officer(user) -> bool:
    return user.is_superuser or has_role(user, Role.FINANCE_OFFICER, Role.HAPPINESS_AGENT)


def _staff_filter(user) -> Q | None:
    """What a staff member's roles cover, as a filter; None when they cover nothing."""
    if user.is_superuser:
        return ~Q(status=S.DRAFT)
    q = Q(pk__in=[])
    covered = False
    if has_role(user, Role.HAPPINESS_AGENT):
        q |= ~Q(status=S.DRAFT)
        covered = True
    if has_role(user, Role.REVIEWER):
        # A subquery, not a join: no duplicate rows, no DISTINCT.
        my_teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
        q |= Q(service__team_id__in=my_teams) & ~Q(status__in=[S.DRAFT, S.SUBMITTED])
        q |= Q(assignee=user)
        covered = True
    if has_role(user, Role.FINANCE_OFFICER):
        q |= Q(fee_amount__gt=0) & Q(
            status__in=[S.FEE_DUE, S.PAYMENT_SUBMITTED, S.PAID, S.ISSUED, S.CLOSED]
        )
        covered = True
    return q if covered else None


def transactions_visible_to(*, user) -> QuerySet[Transaction]:
    """Customers: their own and their organization's; staff: what their roles cover."""
    if not getattr(user, "is_authenticated", False):
        return Transaction.objects.none()
    staff_q = _staff_filter(user)
    own = Q(applicant=user)
    if user.organization_id:
        own |= Q(organization_id=user.organization_id)
    return Transaction.objects.filter(own if staff_q is None else (own | staff_q))


def transaction_visible_to_user(*, user, transaction: Transaction) -> bool:
    if is_customer_party(user, transaction):
        return True
    return transactions_visible_to(user=user).filter(pk=transaction.pk).exists()


def _with_list_relations(qs: QuerySet[Transaction]) -> QuerySet[Transaction]:
    return qs.select_related("service", "service__team", "applicant", "organization", "assignee")


def customer_transactions(*, user, status: str = "") -> QuerySet[Transaction]:
    """The customer's own and their organization's transactions, newest first."""
    own = Q(applicant=user)
    if user.organization_id:
        own |= Q(organization_id=user.organization_id)
    qs = _with_list_relations(Transaction.objects.filter(own))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-updated_at", "-pk")


QUEUE_STATUSES = {
    Role.HAPPINESS_AGENT: [
        S.SUBMITTED,
        S.COMPLETENESS_CHECK,
        S.PAYMENT_SUBMITTED,
        S.PAID,
        S.APPROVED,
    ],
    Role.REVIEWER: [S.UNDER_REVIEW, S.PAID, S.APPROVED],
    Role.FINANCE_OFFICER: [S.PAYMENT_SUBMITTED],
}


def queue_statuses(user) -> list[str]:
    """The statuses of the work waiting for the user's roles (QUEUE_STATUSES), in the order
    the queue's status filter offers them. The queue and its filter both read this."""
    statuses: list[str] = []
    for role, in_queue in QUEUE_STATUSES.items():
        if user.is_superuser or has_role(user, role):
            statuses += [s for s in in_queue if s not in statuses]
    return statuses


def staff_queue(
    *,
    user,
    service: Service | None = None,
    status: str = "",
    assignee: str = "",
    overdue: bool = False,
) -> QuerySet[Transaction]:
    """The work waiting on the department that the user's roles cover, soonest due first.

    `assignee` is "me", "unassigned" or a user id."""
    staff_q = _staff_filter(user)
    if staff_q is None:
        return Transaction.objects.none()
    qs = Transaction.objects.filter(staff_q, status__in=queue_statuses(user))
    if service is not None:
        qs = qs.filter(service=service)
    if status:
        qs = qs.filter(status=status)
    if assignee == "me":
        qs = qs.filter(assignee=user)
    elif assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif assignee.isdigit():
        qs = qs.filter(assignee_id=int(assignee))
    if overdue:
        qs = qs.filter(due_date__lt=timezone.localdate())
    return _with_list_relations(qs).order_by("due_date", "submitted_at", "pk")


def transaction_get_for_user(*, user, pk: int) -> Transaction:
    """One transaction the user may see, with everything the detail page shows; 404 if not."""
    transaction = (
        _with_list_relations(transactions_visible_to(user=user))
        .select_related("version")
        .prefetch_related(
            Prefetch(
                "version__checklist",
                queryset=ChecklistItem.objects.order_by("position", "pk"),
            ),
            "version__fields",
            "missing_items",
            Prefetch(
                "documents",
                queryset=TransactionDocument.objects.select_related("file", "uploaded_by"),
            ),
            Prefetch(
                "remarks",
                queryset=Remark.objects.select_related("author", "item").prefetch_related(
                    Prefetch(
                        "replies",
                        queryset=RemarkReply.objects.select_related("author", "document__file"),
                    )
                ),
            ),
            Prefetch("payments", queryset=FeePayment.objects.select_related("proof", "created_by")),
        )
        .filter(pk=pk)
        .first()
    )
    if transaction is None:
        raise Http404
    return transaction


def transaction_timeline(*, transaction: Transaction, user) -> list[AuditEvent]:
    """The transaction's audit events, oldest first. Customers do not see the reviewer's
    remarks being written or resolved during a review (they read the returned remarks
    themselves, in the remarks section, not in the timeline)."""
    events = list(audit_timeline(obj=transaction))
    if is_staff_member(user):
        return events
    visible = {r.pk for r in remarks_visible_to(user=user, transaction=transaction)}
    shown = []
    for event in events:
        if event.verb in ("remark_added", "remark_resolved"):
            if event.data.get("remark") not in visible:
                continue
            event.data = {k: v for k, v in event.data.items() if k != "text"}
        if "assignee" in event.data and not staff_names_visible_to(user):
            # The name of the official the work was handed to.
            event.data = {k: v for k, v in event.data.items() if k != "assignee"}
        shown.append(event)
    return shown


def transaction_documents_issued(*, transaction: Transaction) -> QuerySet[IssuedDocument]:
    """Receipts (of submission and of the fee) and the certificate issued for the transaction,
    newest first."""
    return IssuedDocument.objects.filter(
        kind__in=["transaction_receipt", "fee_receipt", "transaction_certificate"],
        object_id=str(transaction.pk),
        content_type__app_label="transactions",
        content_type__model="transaction",
    ).order_by("-issued_at")


def current_documents(transaction: Transaction) -> dict[int, list[TransactionDocument]]:
    """Versions per checklist item id, newest first (uses the prefetched documents)."""
    by_item: dict[int, list[TransactionDocument]] = {}
    for document in transaction.documents.all():
        by_item.setdefault(document.item_id, []).append(document)
    for versions in by_item.values():
        versions.sort(key=lambda d: -d.number)
    return by_item


def eligible_assignees(*, transaction: Transaction) -> QuerySet[User]:
    """Who the work may be handed to at its current stage."""
    if transaction.status in (S.SUBMITTED, S.COMPLETENESS_CHECK):
        return User.objects.filter(groups__name=Role.HAPPINESS_AGENT, is_active=True)
    return User.objects.filter(
        groups__name=Role.REVIEWER, teams=transaction.service.team_id, is_active=True
    )


def has_open_remarks(transaction: Transaction) -> bool:
    return transaction.remarks.filter(status=Remark.Status.OPEN).exists()


def unanswered_remarks(transaction: Transaction) -> QuerySet[Remark]:
    """Open remarks of the current cycle with no answer since they were returned."""
    return transaction.remarks.filter(status=Remark.Status.OPEN).exclude(
        Exists(
            RemarkReply.objects.filter(
                remark=OuterRef("pk"), created_at__gte=OuterRef("transaction__customer_turn_since")
            )
        )
    )


def remarks_visible_to(*, user, transaction: Transaction) -> list[Remark]:
    """The transaction's remarks (prefetched) the user may read: staff all of them; the
    customer those returned to them. A remark never returned (written, and perhaps resolved,
    during a review that ended in a decision) stays the reviewer's working note."""
    remarks = list(transaction.remarks.all())
    if is_staff_member(user):
        return remarks
    return [r for r in remarks if r.returned_at is not None]


def allowed_actions(*, user, transaction: Transaction) -> set[str]:
    """What the user may do to the transaction now (uses the prefetched remarks and payments).
    It mirrors the rules of transactions/services so that pages and the API offer only what
    will work; the services still decide. Names are the page's action slugs."""
    t = transaction
    party = is_customer_party(user, t)
    staff = is_staff_member(user)
    agent = staff and is_agent(user)
    team_reviewer = staff and is_team_reviewer(user, t)
    fee_officer = staff and is_fee_officer(user)
    assigned_reviewer = team_reviewer and (t.assignee_id == user.pk or user.is_superuser)
    open_remarks = any(r.status == Remark.Status.OPEN for r in t.remarks.all())
    pending = any(p.status == FeePayment.Status.PENDING for p in t.payments.all())
    allowed: set[str] = set()
    if party:
        if t.status in Transaction.EDITABLE:
            allowed |= {"edit", "upload"}
        if t.status == S.DRAFT:
            allowed.add("submit")
        if t.status in (S.INCOMPLETE_RETURNED, S.REMARKS_RETURNED):
            allowed.add("resubmit")
        if t.status == S.REMARKS_RETURNED and open_remarks:
            allowed.add("answer")
        if t.status in Transaction.WITHDRAWABLE:
            allowed.add("withdraw")
        if t.status == S.FEE_DUE:
            allowed.add("pay")
    if (t.status == S.SUBMITTED and agent) or (
        t.status == S.UNDER_REVIEW and t.assignee_id is None and team_reviewer
    ):
        allowed.add("claim")
    if (t.status in (S.SUBMITTED, S.COMPLETENESS_CHECK) and agent) or (
        t.status == S.UNDER_REVIEW and team_reviewer
    ):
        allowed.add("assign")
    if t.status == S.COMPLETENESS_CHECK and (
        agent and (t.assignee_id in (None, user.pk) or user.is_superuser)
    ):
        allowed |= {"return-incomplete", "accept"}
    if t.status == S.UNDER_REVIEW and assigned_reviewer:
        allowed |= {"remark", "reject"}
        if open_remarks:
            allowed.add("resolve")
        else:
            allowed.add("approve")
        if any(r.status == Remark.Status.OPEN and r.cycle == t.cycle for r in t.remarks.all()):
            allowed.add("return-remarks")
    if t.status == S.PAYMENT_SUBMITTED and fee_officer and pending:
        allowed |= {"confirm", "refuse"}
    if t.status in (S.APPROVED, S.PAID) and (agent or team_reviewer):
        allowed.add("issue-certificate")
    if t.status == S.ISSUED and (agent or team_reviewer):
        allowed.add("close")
    return allowed


# --- the staff home -------------------------------------------------------------------------
STAFF_HOME_OVERDUE_SHOWN = 5


def _count_capped(qs: QuerySet[Transaction]) -> int:
    """Up to COUNT_CAP + 1: "more than COUNT_CAP" is all a page needs to say past it."""
    return qs.order_by()[: COUNT_CAP + 1].count()


def staff_queue_summary(*, user) -> dict:
    """What waits in the member's queue (staff_queue): a count per status in the queue filter's
    order, how many are past their due date, and the most overdue few with what a row shows.

    Counts stop past COUNT_CAP (`more` says so): counting a department's whole queue exactly
    read every row of it on each visit (issue 11). One query per queue status, one for the
    overdue count and one for the overdue few, whatever the queue's size."""
    by_status = []
    for status in queue_statuses(user):
        n = _count_capped(staff_queue(user=user, status=status))
        if n:
            by_status.append(
                {
                    "status": status,
                    "label": S(status).label,
                    "count": min(n, COUNT_CAP),
                    "more": n > COUNT_CAP,
                }
            )
    overdue_count = _count_capped(staff_queue(user=user, overdue=True))
    overdue = (
        list(staff_queue(user=user, overdue=True)[:STAFF_HOME_OVERDUE_SHOWN])
        if overdue_count
        else []
    )
    return {
        "by_status": by_status,
        "total": sum(row["count"] for row in by_status),
        "more": any(row["more"] for row in by_status),
        "overdue_count": min(overdue_count, COUNT_CAP),
        "overdue_more": overdue_count > COUNT_CAP,
        "overdue": overdue,
    }

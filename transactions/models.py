"""The service catalogue (services, versioned checklists and form fields) and transactions
with their documents, remarks and fee payments."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Team
from portal.models import PrivateFile


def _bilingual(ar: str, en: str) -> str:
    return ar if (get_language() or "ar").startswith("ar") else en


class Service(models.Model):
    class Category(models.TextChoices):
        BUILDING = "building", _("Building permits")
        ROADS = "roads", _("Roads and right of way")
        INFRASTRUCTURE = "infrastructure", _("Infrastructure")
        REGISTRATION = "registration", _("Registration and classification")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ar = models.TextField(_("description (Arabic)"))
    description_en = models.TextField(_("description (English)"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="services", verbose_name=_("reviewing team")
    )
    fee = models.DecimalField(
        _("fee (AED)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    sla_days = models.PositiveSmallIntegerField(
        _("service time (working days)"), validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("open for applications"), default=True)
    position = models.PositiveSmallIntegerField(_("position in the catalogue"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _bilingual(self.name_ar, self.name_en)

    @property
    def description(self) -> str:
        return _bilingual(self.description_ar, self.description_en)


class ServiceVersion(models.Model):
    """One published version of a service's checklist and form. A transaction keeps the
    version it was started on, so it is never asked for items added later."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="versions", verbose_name=_("service")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        ordering = ["service", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="service_version_unique")
        ]
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")

    def __str__(self) -> str:
        return f"{self.service.code} v{self.number}"

    @property
    def in_use(self) -> bool:
        """Applications were started on this version: its checklist and form are history."""
        return self.pk is not None and self.transactions.exists()


def _refuse_if_version_in_use(row: "ChecklistItem | FormField") -> None:
    """A checklist item or form field of a version in use must not change, appear or go: the
    applications started on it were promised exactly that list (a change is a new version).
    Raises ValidationError. Checks the stored version too, so a row cannot be moved off one."""
    version_ids = {row.version_id}
    if row.pk is not None:
        version_ids.update(type(row).objects.filter(pk=row.pk).values_list("version_id", flat=True))
    if Transaction.objects.filter(version_id__in=version_ids).exists():
        raise ValidationError(
            _(
                "This checklist version is in use by applications and cannot be changed; "
                "publish a new version instead."
            ),
            code="version_in_use",
        )


class _LockedWithVersion(models.Model):
    """Checklist items and form fields: locked once their version is in use."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        _refuse_if_version_in_use(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_version_in_use(self)
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        _refuse_if_version_in_use(self)


class ChecklistItem(_LockedWithVersion):
    version = models.ForeignKey(
        ServiceVersion,
        on_delete=models.CASCADE,
        related_name="checklist",
        verbose_name=_("checklist version"),
    )
    code = models.SlugField(_("code"), max_length=60)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    kinds = models.JSONField(_("allowed file kinds"), default=list)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["version", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="checklist_item_unique")
        ]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _bilingual(self.name_ar, self.name_en)


class FormField(_LockedWithVersion):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        INTEGER = "integer", _("Whole number")
        DECIMAL = "decimal", _("Number")
        DATE = "date", _("Date")

    version = models.ForeignKey(
        ServiceVersion,
        on_delete=models.CASCADE,
        related_name="fields",
        verbose_name=_("checklist version"),
    )
    code = models.SlugField(_("code"), max_length=60)
    label_ar = models.CharField(_("label (Arabic)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(_("required"), default=True)
    min_value = models.DecimalField(
        _("smallest value"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("For numbers; 0 when empty."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["version", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="form_field_unique")
        ]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _bilingual(self.label_ar, self.label_en)


class Transaction(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        COMPLETENESS_CHECK = "completeness_check", _("Completeness check")
        INCOMPLETE_RETURNED = "incomplete_returned", _("Returned as incomplete")
        UNDER_REVIEW = "under_review", _("Under technical review")
        REMARKS_RETURNED = "remarks_returned", _("Returned with remarks")
        FEE_DUE = "fee_due", _("Approved, fee due")
        PAYMENT_SUBMITTED = "payment_submitted", _("Payment being confirmed")
        PAID = "paid", _("Fee paid")
        APPROVED = "approved", _("Approved")
        ISSUED = "issued", _("Certificate issued")
        CLOSED = "closed", _("Closed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    reference = models.CharField(_("reference"), max_length=20, blank=True)
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("service")
    )
    version = models.ForeignKey(
        ServiceVersion,
        on_delete=models.PROTECT,
        related_name="transactions",
        verbose_name=_("checklist version"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="transactions",
        verbose_name=_("applicant"),
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
        verbose_name=_("organization"),
    )
    title = models.CharField(_("project title"), max_length=200)
    data = models.JSONField(_("application data"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_transactions",
        verbose_name=_("assigned to"),
    )
    cycle = models.PositiveSmallIntegerField(_("review cycle"), default=0)
    missing_items = models.ManyToManyField(
        ChecklistItem, blank=True, related_name="+", verbose_name=_("missing documents")
    )
    return_note = models.TextField(_("note to the customer"), blank=True)
    rejection_reason = models.TextField(_("reasons for rejection"), blank=True)
    fee_amount = models.DecimalField(
        _("fee (AED)"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )

    # The SLA clocks, in working days. The department's clock runs while it owns the next
    # step (clock_started_on set); the customer's while they do (customer_clock_started_on).
    sla_days = models.PositiveSmallIntegerField(_("service time (working days)"), default=0)
    department_days = models.PositiveSmallIntegerField(_("department working days"), default=0)
    customer_days = models.PositiveSmallIntegerField(_("customer working days"), default=0)
    clock_started_on = models.DateField(null=True, blank=True, editable=False)
    customer_clock_started_on = models.DateField(null=True, blank=True, editable=False)
    due_date = models.DateField(_("due date"), null=True, blank=True, db_index=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # When the customer's current turn began (answers and uploads count from here) and when
    # they last did anything in it (the expiry clock counts from there).
    customer_turn_since = models.DateTimeField(null=True, blank=True, editable=False)
    idle_since = models.DateTimeField(null=True, blank=True, editable=False)
    expiry_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_notified_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(reference=""), name="transaction_reference"
            )
        ]
        # One index per filter and sort the lists offer, so that no list sorts or filters the
        # whole history (issue 11): the customer's list (own or organization's, newest activity
        # first), the API list of everything visible, the staff queue (status, service, team via
        # service, assignee; soonest due first) and the admin's date columns.
        indexes = [
            models.Index(fields=["applicant", "-updated_at"], name="trx_applicant_updated"),
            models.Index(fields=["organization", "-updated_at"], name="trx_org_updated"),
            models.Index(fields=["-updated_at", "-id"], name="trx_updated"),
            models.Index(fields=["created_at"], name="trx_created"),
            # The queue's own order, so that a page stops after its rows (no sort of the queue).
            models.Index(fields=["due_date", "submitted_at", "id"], name="trx_queue_order"),
            models.Index(fields=["service", "status"], name="trx_service_status"),
            models.Index(fields=["assignee", "status"], name="trx_assignee_status"),
        ]
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"

    CUSTOMER_TURN = frozenset(
        {Status.DRAFT, Status.INCOMPLETE_RETURNED, Status.REMARKS_RETURNED, Status.FEE_DUE}
    )
    DEPARTMENT_TURN = frozenset(
        {
            Status.SUBMITTED,
            Status.COMPLETENESS_CHECK,
            Status.UNDER_REVIEW,
            Status.PAYMENT_SUBMITTED,
            Status.PAID,
            Status.APPROVED,
        }
    )
    FINAL = frozenset({Status.CLOSED, Status.REJECTED, Status.WITHDRAWN, Status.EXPIRED})
    EDITABLE = frozenset({Status.DRAFT, Status.INCOMPLETE_RETURNED, Status.REMARKS_RETURNED})
    WITHDRAWABLE = frozenset(
        {
            Status.DRAFT,
            Status.SUBMITTED,
            Status.COMPLETENESS_CHECK,
            Status.INCOMPLETE_RETURNED,
            Status.UNDER_REVIEW,
            Status.REMARKS_RETURNED,
        }
    )

    @property
    def customers_turn(self) -> bool:
        return self.status in self.CUSTOMER_TURN

    @property
    def departments_turn(self) -> bool:
        return self.status in self.DEPARTMENT_TURN

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return bool(
            self.departments_turn and self.due_date and self.due_date < timezone.localdate()
        )

    @property
    def days_remaining(self) -> int:
        return max(self.sla_days - self.department_days, 0)

    @property
    def expected_completion(self) -> datetime.date | None:
        from transactions.sla import expected_completion

        return expected_completion(self)

    def user_can_view_files(self, user) -> bool:
        from transactions.selectors import transaction_visible_to_user

        return transaction_visible_to_user(user=user, transaction=self)


class TransactionDocument(models.Model):
    """One version of one checklist item's document; earlier versions are kept."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="documents")
    item = models.ForeignKey(
        ChecklistItem,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("required document"),
    )
    number = models.PositiveSmallIntegerField(_("version"))
    file = models.OneToOneField(PrivateFile, on_delete=models.PROTECT, related_name="+")
    cycle = models.PositiveSmallIntegerField(_("review cycle"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["item__position", "item_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "item", "number"], name="transaction_document_version"
            )
        ]
        verbose_name = _("transaction document")
        verbose_name_plural = _("transaction documents")

    def __str__(self) -> str:
        return f"{self.item.code} v{self.number}"


class Remark(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="remarks")
    cycle = models.PositiveSmallIntegerField(_("review cycle"))
    item = models.ForeignKey(
        ChecklistItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("about document"),
    )
    text = models.TextField(_("remark"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # When it was sent to the customer (with the return for correction); until then it is the
    # reviewer's working note and the customer does not see it.
    returned_at = models.DateTimeField(_("returned to the customer at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["cycle", "created_at", "pk"]
        verbose_name = _("remark")
        verbose_name_plural = _("remarks")

    def __str__(self) -> str:
        return self.text[:60]


class RemarkReply(models.Model):
    remark = models.ForeignKey(Remark, on_delete=models.CASCADE, related_name="replies")
    text = models.TextField(_("answer"), blank=True)
    document = models.ForeignKey(
        TransactionDocument,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("new document version"),
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("answer to a remark")
        verbose_name_plural = _("answers to remarks")

    def __str__(self) -> str:
        return self.text[:60]


class FeePayment(models.Model):
    class Method(models.TextChoices):
        COUNTER = "counter", _("Paid at the counter")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REFUSED = "refused", _("Not confirmed")

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="payments")
    provider = models.CharField(_("provider"), max_length=40)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    amount = models.DecimalField(_("amount (AED)"), max_digits=14, decimal_places=2)
    payer_reference = models.CharField(_("receipt or transfer reference"), max_length=60)
    proof = models.ForeignKey(
        PrivateFile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proof of payment"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("fee payment")
        verbose_name_plural = _("fee payments")

    def __str__(self) -> str:
        return f"{self.transaction} {self.amount} ({self.status})"

"""Tenders: the tender and its documents, criteria and bill of quantities; the committee and
its members' keys; clarifications and addenda; sealed bids and their files; the opening,
evaluation, recommendation, award, objections and the OCDS releases.

Sealed data (a bid's offer, a file's key and ciphertext, a member's share, the tender's private
key) is stored only encrypted (tenders.sealing); no admin screen shows it (tenders.admin)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import ClassificationCategory, Organization
from portal.models import IssuedDocument, PrivateFile
from portal.storage import private_storage

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _bilingual(ar: str, en: str) -> str:
    return ar if (get_language() or "ar").startswith("ar") else en


class Tender(models.Model):
    class Category(models.TextChoices):
        WORKS = "works", _("Works")
        CONSULTANCY = "consultancy", _("Consultancy")
        SUPPLY = "supply", _("Supply")

    class Method(models.TextChoices):
        OPEN = "open", _("Open tender")
        LIMITED = "limited", _("Limited (by invitation)")

    class FinancialMethod(models.TextChoices):
        LOWEST_PRICE = "lowest_price", _("Lowest price")
        COMBINED = "combined", _("Combined technical and financial score")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published (enquiries open)")
        TENDERING = "tendering", _("Open for bids")
        CLOSED = "closed", _("Closed for bids")
        OPENED = "opened", _("Bids opened")
        TECHNICAL_EVALUATION = "technical_evaluation", _("Technical evaluation")
        FINANCIAL_EVALUATION = "financial_evaluation", _("Financial evaluation")
        AWARDED = "awarded", _("Awarded (standstill)")
        CONTRACTED = "contracted", _("Contracted")
        CANCELLED = "cancelled", _("Cancelled")
        UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    title_ar = models.CharField(_("title (Arabic)"), max_length=250)
    title_en = models.CharField(_("title (English)"), max_length=250)
    description_ar = models.TextField(_("description (Arabic)"))
    description_en = models.TextField(_("description (English)"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    method = models.CharField(
        _("method"), max_length=10, choices=Method.choices, default=Method.OPEN
    )
    invited = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="tender_invitations",
        verbose_name=_("invited organizations"),
        help_text=_("Limited tenders only: the organizations that may bid."),
    )
    # Eligibility. An empty list / blank grade / no category means "any".
    eligible_kinds = models.JSONField(
        _("eligible organization kinds"),
        default=list,
        blank=True,
        help_text=_("Values of Organization.Kind; empty means any kind."),
    )
    min_grade = models.CharField(
        _("lowest eligible classification grade"),
        max_length=2,
        choices=Organization.Grade.choices,
        blank=True,
        help_text=_("Grade 1 is the highest; organizations of this grade or better are eligible."),
    )
    categories = models.ManyToManyField(
        ClassificationCategory,
        blank=True,
        related_name="tenders",
        verbose_name=_("eligible classification categories"),
        help_text=_("An organization needs at least one of them; none means any."),
    )
    # Staff only: never in a supplier's page, the API for suppliers, the public pages or OCDS.
    estimated_value = models.DecimalField(
        _("estimated value (AED)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    bid_bond_percent = models.DecimalField(
        _("bid bond (per cent of the offer)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=PERCENT,
    )
    bid_validity_days = models.PositiveSmallIntegerField(
        _("bid validity (days)"), default=90, validators=[MinValueValidator(1)]
    )
    technical_pass_mark = models.DecimalField(
        _("technical pass mark (out of 100)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("70.00"),
        validators=PERCENT,
    )
    financial_method = models.CharField(
        _("financial evaluation"),
        max_length=20,
        choices=FinancialMethod.choices,
        default=FinancialMethod.LOWEST_PRICE,
    )
    technical_weight = models.DecimalField(
        _("technical weight (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=PERCENT,
        help_text=_("Combined evaluation only; the financial weight is the rest."),
    )

    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    enquiries_deadline = models.DateTimeField(_("enquiries deadline"))
    submission_deadline = models.DateTimeField(_("submission deadline"))
    opening_at = models.DateTimeField(_("opening"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    status = models.CharField(
        _("status"), max_length=25, choices=Status.choices, default=Status.DRAFT
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    contracts_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tenders_managed",
        verbose_name=_("contracts engineer"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    # Sealing (tenders.sealing): the X25519 public key bids are sealed to, and the private key
    # in a SecretBox under K, which only two committee members' shares rebuild.
    public_key = models.BinaryField(_("public key"), null=True, blank=True, editable=False)
    sealed_private_key = models.BinaryField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # One index per filter and sort the lists offer: the staff dashboard by status (newest
        # change first) and by engineer; the supplier's list (latest deadline first); the public
        # list of open tenders (soonest deadline first) and of results (Award's index); the
        # beat's scans by status and deadline; the API's category/method filters; admin dates.
        indexes = [
            models.Index(fields=["status", "submission_deadline"], name="tnd_status_deadline"),
            models.Index(fields=["status", "-updated_at"], name="tnd_status_updated"),
            models.Index(fields=["-updated_at", "-id"], name="tnd_updated"),
            models.Index(fields=["-submission_deadline", "-id"], name="tnd_deadline_desc"),
            models.Index(fields=["status", "-published_at"], name="tnd_status_published"),
            models.Index(fields=["status", "enquiries_deadline"], name="tnd_status_enquiries"),
            models.Index(fields=["contracts_engineer", "status"], name="tnd_engineer_status"),
            models.Index(fields=["category", "status"], name="tnd_category_status"),
            models.Index(fields=["method", "status"], name="tnd_method_status"),
            models.Index(fields=["created_at"], name="tnd_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(enquiries_deadline__lte=models.F("submission_deadline"))
                & Q(submission_deadline__lte=models.F("opening_at")),
                name="tender_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(technical_weight__gte=0) & Q(technical_weight__lte=100),
                name="tender_technical_weight_percent",
            ),
        ]
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")

    def __str__(self) -> str:
        return self.reference

    # Where bids are accepted (until the submission deadline), cancelling is allowed, and the
    # status is final.
    BIDDING = frozenset({Status.PUBLISHED, Status.TENDERING})
    CANCELLABLE = frozenset(
        {
            Status.DRAFT,
            Status.PUBLISHED,
            Status.TENDERING,
            Status.CLOSED,
            Status.OPENED,
            Status.TECHNICAL_EVALUATION,
            Status.FINANCIAL_EVALUATION,
        }
    )
    AFTER_OPENING = frozenset(
        {
            Status.OPENED,
            Status.TECHNICAL_EVALUATION,
            Status.FINANCIAL_EVALUATION,
            Status.AWARDED,
            Status.CONTRACTED,
            Status.UNSUCCESSFUL,
        }
    )
    FINAL = frozenset({Status.CONTRACTED, Status.CANCELLED, Status.UNSUCCESSFUL})

    @property
    def title(self) -> str:
        return _bilingual(self.title_ar, self.title_en)

    @property
    def description(self) -> str:
        return _bilingual(self.description_ar, self.description_en)

    @property
    def is_opened(self) -> bool:
        """Bids were decrypted (the opening happened); the tender was not cancelled before."""
        return self.opened_at is not None

    def user_can_view_files(self, user) -> bool:
        # Tender documents and the opening minutes: whoever may see the tender.
        from tenders.selectors import tender_visible_to_user

        return tender_visible_to_user(user=user, tender=self)


class Addendum(models.Model):
    """A numbered change to a published tender: documents and/or dates."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="addenda")
    number = models.PositiveSmallIntegerField(_("number"))
    description_ar = models.TextField(_("description (Arabic)"))
    description_en = models.TextField(_("description (English)"))
    old_submission_deadline = models.DateTimeField(_("submission deadline before"))
    new_submission_deadline = models.DateTimeField(
        _("new submission deadline"), null=True, blank=True
    )
    old_opening_at = models.DateTimeField(_("opening before"), null=True, blank=True)
    new_opening_at = models.DateTimeField(_("new opening"), null=True, blank=True)
    extended = models.BooleanField(
        _("deadline extended"),
        default=False,
        help_text=_("The deadline moved because too little time was left after the addendum."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="addendum_number_unique")
        ]
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")

    def __str__(self) -> str:
        return f"{self.tender.reference} #{self.number}"

    @property
    def description(self) -> str:
        return _bilingual(self.description_ar, self.description_en)


class TenderDocument(models.Model):
    """One version of one of the tender's documents; earlier versions are kept."""

    class Kind(models.TextChoices):
        BOQ = "boq", _("Bill of quantities")
        DRAWINGS = "drawings", _("Drawings")
        SPECIFICATIONS = "specifications", _("Specifications")
        OTHER = "other", _("Other")

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title_ar = models.CharField(_("title (Arabic)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    file = models.ForeignKey(
        PrivateFile, on_delete=models.PROTECT, related_name="+", verbose_name=_("file")
    )
    addendum = models.ForeignKey(
        Addendum,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("issued with addendum"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["tender", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "kind", "version"], name="tender_document_version"
            )
        ]
        verbose_name = _("tender document")
        verbose_name_plural = _("tender documents")

    def __str__(self) -> str:
        return f"{self.tender.reference} {self.kind} v{self.version}"

    @property
    def title(self) -> str:
        return _bilingual(self.title_ar, self.title_en)

    def user_can_view_files(self, user) -> bool:
        return self.tender.user_can_view_files(user)


class Criterion(models.Model):
    """A technical evaluation criterion; a tender's weights sum to 100."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="criteria")
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    weight = models.DecimalField(
        _("weight (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["tender", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=100), name="criterion_weight_percent"
            )
        ]
        verbose_name = _("evaluation criterion")
        verbose_name_plural = _("evaluation criteria")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _bilingual(self.name_ar, self.name_en)


class BoqItem(models.Model):
    """A line of the bill of quantities; bidders price it inside the sealed offer."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="boq_items")
    code = models.CharField(_("item"), max_length=30)
    description_ar = models.TextField(_("description (Arabic)"))
    description_en = models.TextField(_("description (English)"))
    unit = models.CharField(_("unit"), max_length=20)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=14,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["tender", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "code"], name="boq_item_code_unique")
        ]
        verbose_name = _("bill of quantities item")
        verbose_name_plural = _("bill of quantities items")

    def __str__(self) -> str:
        return self.code

    @property
    def description(self) -> str:
        return _bilingual(self.description_ar, self.description_en)


class MemberKey(models.Model):
    """A committee member's key pair; the private key only inside a SecretBox under a key
    derived (Argon2id) from the member's opening passphrase, which is never stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tender_member_key",
        verbose_name=_("member"),
    )
    public_key = models.BinaryField(_("public key"), editable=False)
    protected_private_key = models.BinaryField(editable=False)
    salt = models.BinaryField(editable=False)
    opslimit = models.PositiveBigIntegerField(editable=False)
    memlimit = models.PositiveBigIntegerField(editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("committee member key")
        verbose_name_plural = _("committee member keys")

    def __str__(self) -> str:
        return str(self.user)


class CommitteeMember(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="committee")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tender_memberships",
        verbose_name=_("member"),
    )
    # This member's Shamir share of K, sealed to the member's public key (set at publication).
    sealed_share = models.BinaryField(null=True, blank=True, editable=False)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["tender", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "user"], name="committee_member_unique")
        ]
        indexes = [models.Index(fields=["user", "tender"], name="committee_user_tender")]
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")

    def __str__(self) -> str:
        return f"{self.tender.reference} — {self.user}"


class Clarification(models.Model):
    """A supplier's question and the engineer's answer, or the pre-bid session's minutes.
    Published to every eligible supplier WITHOUT naming who asked: `asked_by` is for staff."""

    class Source(models.TextChoices):
        QUESTION = "question", _("Question")
        PREBID_MINUTES = "prebid_minutes", _("Pre-bid session minutes")

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="clarifications")
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.QUESTION
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tender_questions",
        verbose_name=_("asked by"),
    )
    question = models.TextField(_("question"), blank=True)
    asked_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["tender", "published_at", "id"]
        indexes = [
            # The published list per tender, and the engineer's inbox of unanswered questions.
            models.Index(fields=["tender", "published_at"], name="clar_tender_published"),
            models.Index(fields=["published_at", "asked_at"], name="clar_inbox"),
            models.Index(fields=["asked_by", "tender"], name="clar_asker_tender"),
        ]
        verbose_name = _("clarification")
        verbose_name_plural = _("clarifications")

    def __str__(self) -> str:
        return f"{self.tender.reference} Q{self.pk}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Bid(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="bids")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="tender_bids"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tender_bids"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # SealedBox to the tender's public key of the canonical JSON {total, boq prices, bond
    # details, salt, file manifest}. Never shown, exported or logged.
    sealed_offer = models.BinaryField(editable=False)
    # Hex salted SHA-256 of exactly what was submitted; the salt is inside the sealed offer.
    receipt_hash = models.CharField(_("receipt hash"), max_length=64)
    receipt = models.ForeignKey(
        IssuedDocument,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("latest receipt"),
    )
    needs_reconfirmation = models.BooleanField(_("needs reconfirmation"), default=False)
    reconfirmed_at = models.DateTimeField(_("reconfirmed at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    # In clear only after the opening (decrypted from sealed_offer).
    total_price = models.DecimalField(
        _("total price (AED)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    bond_bank = models.CharField(_("bond bank"), max_length=150, blank=True)
    bond_number = models.CharField(_("guarantee number"), max_length=60, blank=True)
    bond_amount = models.DecimalField(
        _("bond amount (AED)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    bond_expiry = models.DateField(_("bond expiry"), null=True, blank=True)
    hash_verified = models.BooleanField(_("hash verified"), null=True, blank=True)
    technically_compliant = models.BooleanField(_("technically compliant"), null=True, blank=True)
    compliance_note = models.TextField(_("reason (technical compliance)"), blank=True)
    technical_score = models.DecimalField(
        _("technical score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    financial_score = models.DecimalField(
        _("financial score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    combined_score = models.DecimalField(
        _("combined score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)

    class Meta:
        ordering = ["tender", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "organization"],
                condition=Q(status="submitted"),
                name="one_live_bid_per_organization",
            )
        ]
        indexes = [
            models.Index(fields=["tender", "status"], name="bid_tender_status"),
            models.Index(fields=["organization", "-updated_at"], name="bid_org_updated"),
            models.Index(fields=["tender", "rank"], name="bid_tender_rank"),
        ]
        verbose_name = _("bid")
        verbose_name_plural = _("bids")

    def __str__(self) -> str:
        return f"{self.tender.reference} — {self.organization}"

    def user_can_view_files(self, user) -> bool:
        # Receipts and, after the opening, the decrypted files.
        from tenders.selectors import bid_visible_to_user

        return bid_visible_to_user(user=user, bid=self)


class BidFile(models.Model):
    """A file of a bid: only its ciphertext reaches disk until the opening."""

    class Kind(models.TextChoices):
        TECHNICAL = "technical", _("Technical envelope")
        BOND_SCAN = "bond_scan", _("Bid bond scan")

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    # The file's SecretBox key sealed to the tender's public key.
    sealed_key = models.BinaryField(editable=False)
    ciphertext = models.FileField(storage=private_storage, upload_to="tenders/sealed/%Y/%m/")
    opened_file = models.ForeignKey(
        PrivateFile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened file"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["bid", "kind", "id"]
        verbose_name = _("bid file")
        verbose_name_plural = _("bid files")

    def __str__(self) -> str:
        return f"{self.bid_id} {self.kind}"

    def user_can_view_files(self, user) -> bool:
        return self.bid.user_can_view_files(user)


class OpeningConfirmation(models.Model):
    """One committee member's confirmation of the opening. The first confirmer's decrypted
    share waits in `held_share` (encrypted under a key derived from settings.SECRET_KEY) until a
    second, different member confirms; then K is rebuilt, bids opened and every held share
    erased."""

    tender = models.ForeignKey(
        Tender, on_delete=models.CASCADE, related_name="opening_confirmations"
    )
    member = models.ForeignKey(
        CommitteeMember, on_delete=models.PROTECT, related_name="opening_confirmations"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))
    held_share = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["tender", "confirmed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "member"], name="opening_confirmation_once")
        ]
        verbose_name = _("opening confirmation")
        verbose_name_plural = _("opening confirmations")

    def __str__(self) -> str:
        return f"{self.tender.reference} — {self.member.user}"


class ConflictDeclaration(models.Model):
    tender = models.ForeignKey(
        Tender, on_delete=models.CASCADE, related_name="conflict_declarations"
    )
    member = models.ForeignKey(
        CommitteeMember, on_delete=models.PROTECT, related_name="conflict_declarations"
    )
    declared_at = models.DateTimeField(_("declared at"))
    no_conflict = models.BooleanField(
        _("no conflict of interest"), help_text=_("True to take part in the evaluation.")
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["tender", "declared_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "member"], name="conflict_declaration_once")
        ]
        verbose_name = _("conflict of interest declaration")
        verbose_name_plural = _("conflict of interest declarations")

    def __str__(self) -> str:
        return f"{self.tender.reference} — {self.member.user}"


class TechnicalScore(models.Model):
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="technical_scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    evaluator = models.ForeignKey(
        CommitteeMember, on_delete=models.PROTECT, related_name="technical_scores"
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, validators=PERCENT)
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["bid", "criterion__position", "evaluator", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bid", "criterion", "evaluator"], name="technical_score_once"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="technical_score_percent"
            ),
        ]
        verbose_name = _("technical score")
        verbose_name_plural = _("technical scores")

    def __str__(self) -> str:
        return f"{self.bid_id} {self.criterion_id}: {self.score}"


class Recommendation(models.Model):
    tender = models.OneToOneField(Tender, on_delete=models.CASCADE, related_name="recommendation")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField(_("justification"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")

    def __str__(self) -> str:
        return f"{self.tender.reference} → {self.bid_id}"


class RecommendationApproval(models.Model):
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="approvals"
    )
    member = models.ForeignKey(CommitteeMember, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved at"))

    class Meta:
        ordering = ["recommendation", "approved_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "member"], name="recommendation_approval_once"
            )
        ]
        verbose_name = _("recommendation approval")
        verbose_name_plural = _("recommendation approvals")

    def __str__(self) -> str:
        return f"{self.recommendation} — {self.member.user}"


class Award(models.Model):
    """The award (standstill until `standstill_ends_at`) and then the contract; the payments
    issue makes its contracts from this row."""

    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="award")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="awards")
    amount = models.DecimalField(_("amount (AED)"), max_digits=14, decimal_places=2)
    awarded_at = models.DateTimeField(_("awarded at"))
    standstill_ends_at = models.DateTimeField(_("standstill ends at"))
    contract_reference = models.CharField(_("contract reference"), max_length=20, blank=True)
    # The date written on the contract, and when the signing was recorded.
    contract_signed_on = models.DateField(_("contract signed on"), null=True, blank=True)
    contract_signed_at = models.DateTimeField(_("contract recorded at"), null=True, blank=True)
    contract_value = models.DecimalField(
        _("contract value (AED)"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-awarded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract_reference"],
                condition=~Q(contract_reference=""),
                name="award_contract_reference",
            )
        ]
        # The public results list, newest first.
        indexes = [models.Index(fields=["-awarded_at", "-id"], name="award_awarded_desc")]
        verbose_name = _("award")
        verbose_name_plural = _("awards")

    def __str__(self) -> str:
        return f"{self.tender.reference} → {self.bid.organization}"

    def user_can_view_files(self, user) -> bool:
        # Award and regret letters: whoever may see the tender (the letters' owner always).
        return self.tender.user_can_view_files(user)


class Objection(models.Model):
    """A bidder's objection during the standstill; the committee must answer it before the
    contract can be signed."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="objections")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="tender_objections"
    )
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("objection"))
    lodged_at = models.DateTimeField(_("lodged at"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["tender", "lodged_at", "id"]
        indexes = [models.Index(fields=["tender", "answered_at"], name="objection_open")]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.tender.reference} — {self.organization}"


class OcdsRelease(models.Model):
    """One OCDS 1.1 release; its auto id is the public change feed's cursor."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="ocds_releases")
    release_id = models.CharField(_("release id"), max_length=120, unique=True)
    tags = models.JSONField(_("tags"), default=list)
    date = models.DateTimeField(_("date"))
    data = models.JSONField(_("release"))

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tender", "id"], name="ocds_tender_id")]
        verbose_name = _("OCDS release")
        verbose_name_plural = _("OCDS releases")

    def __str__(self) -> str:
        return self.release_id

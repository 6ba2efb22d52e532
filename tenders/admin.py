"""Tenders in the admin: read-only (every change goes through tenders.services, so the audit
trail, the time guards and the sealing stay whole).

Every admin here lists its fields explicitly (`fields`, `list_display`): a sealed value — a bid's
offer, a file's key or ciphertext, a member's share or protected key, a held share, the tender's
private key — is never among them, so no list, detail page or search shows it, in clear or not.
Prices and bond details are shown only once the opening has written them in clear."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import ReadOnlyAdmin
from tenders.models import (
    Addendum,
    Award,
    Bid,
    BidFile,
    BoqItem,
    Clarification,
    CommitteeMember,
    ConflictDeclaration,
    Criterion,
    MemberKey,
    Objection,
    OcdsRelease,
    OpeningConfirmation,
    Recommendation,
    Tender,
    TenderDocument,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CriterionInline(_ReadOnlyInline):
    model = Criterion
    fields = ["position", "name_ar", "name_en", "weight"]


class BoqItemInline(_ReadOnlyInline):
    model = BoqItem
    fields = ["position", "code", "description_ar", "description_en", "unit", "quantity"]


class TenderDocumentInline(_ReadOnlyInline):
    model = TenderDocument
    fields = ["kind", "version", "title_ar", "title_en", "addendum", "created_at"]
    readonly_fields = ["created_at"]


class CommitteeMemberInline(_ReadOnlyInline):
    model = CommitteeMember
    fields = ["user", "added_at", "has_share"]
    readonly_fields = ["added_at", "has_share"]

    @admin.display(boolean=True, description=_("share issued"))
    def has_share(self, obj: CommitteeMember) -> bool:
        return bool(obj.sealed_share)


@admin.register(Tender)
class TenderAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "title_en",
        "category",
        "method",
        "status",
        "submission_deadline",
        "contracts_engineer",
    ]
    list_filter = ["status", "category", "method"]
    search_fields = ["reference", "title_ar", "title_en"]
    date_hierarchy = "created_at"
    list_select_related = ["contracts_engineer"]
    # The estimated value is for staff; the admin is staff only.
    fields = [
        "reference",
        "title_ar",
        "title_en",
        "description_ar",
        "description_en",
        "category",
        "method",
        "invited",
        "eligible_kinds",
        "min_grade",
        "categories",
        "estimated_value",
        "bid_bond_percent",
        "bid_validity_days",
        "technical_pass_mark",
        "financial_method",
        "technical_weight",
        "status",
        "published_at",
        "enquiries_deadline",
        "submission_deadline",
        "opening_at",
        "closed_at",
        "opened_at",
        "cancelled_at",
        "cancel_reason",
        "contracts_engineer",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [CriterionInline, BoqItemInline, TenderDocumentInline, CommitteeMemberInline]


@admin.register(Addendum)
class AddendumAdmin(ReadOnlyAdmin):
    list_display = ["tender", "number", "extended", "new_submission_deadline", "created_at"]
    list_select_related = ["tender"]
    fields = [
        "tender",
        "number",
        "description_ar",
        "description_en",
        "old_submission_deadline",
        "new_submission_deadline",
        "old_opening_at",
        "new_opening_at",
        "extended",
        "created_by",
        "created_at",
    ]


@admin.register(Clarification)
class ClarificationAdmin(ReadOnlyAdmin):
    list_display = ["tender", "source", "asked_at", "answered_at", "published_at"]
    list_filter = ["source"]
    list_select_related = ["tender"]
    fields = [
        "tender",
        "source",
        "asked_by",
        "question",
        "asked_at",
        "answer",
        "answered_by",
        "answered_at",
        "published_at",
    ]


@admin.register(MemberKey)
class MemberKeyAdmin(ReadOnlyAdmin):
    """Only that a member has a key, and since when: the key material stays out of sight."""

    list_display = ["user", "created_at", "updated_at"]
    list_select_related = ["user"]
    fields = ["user", "created_at", "updated_at"]


class BidFileInline(_ReadOnlyInline):
    model = BidFile
    # Name, kind and size only: no ciphertext link, no sealed key. The opened copy is a
    # PrivateFile that exists only after the opening.
    fields = ["kind", "original_name", "size", "opened_file", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Bid)
class BidAdmin(ReadOnlyAdmin):
    list_display = ["tender", "organization", "status", "version", "submitted_at", "rank"]
    list_filter = ["status"]
    search_fields = ["tender__reference", "organization__name_en", "organization__name_ar"]
    list_select_related = ["tender", "organization"]
    # The clear fields below are written only by the opening (empty until then).
    fields = [
        "tender",
        "organization",
        "submitted_by",
        "status",
        "version",
        "submitted_at",
        "updated_at",
        "receipt_hash",
        "receipt",
        "needs_reconfirmation",
        "reconfirmed_at",
        "withdrawn_at",
        "total_price",
        "bond_bank",
        "bond_number",
        "bond_amount",
        "bond_expiry",
        "hash_verified",
        "technically_compliant",
        "compliance_note",
        "technical_score",
        "financial_score",
        "combined_score",
        "rank",
    ]
    inlines = [BidFileInline]


@admin.register(OpeningConfirmation)
class OpeningConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["tender", "member", "confirmed_at"]
    list_select_related = ["tender", "member__user"]
    fields = ["tender", "member", "confirmed_at"]


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(ReadOnlyAdmin):
    list_display = ["tender", "member", "no_conflict", "declared_at"]
    list_select_related = ["tender", "member__user"]
    fields = ["tender", "member", "no_conflict", "note", "declared_at"]


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin):
    list_display = ["tender", "bid", "created_by", "created_at"]
    list_select_related = ["tender", "bid__organization", "created_by"]
    fields = ["tender", "bid", "justification", "created_by", "created_at"]


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = [
        "tender",
        "bid",
        "amount",
        "awarded_at",
        "standstill_ends_at",
        "contract_reference",
        "contract_signed_at",
    ]
    list_select_related = ["tender", "bid__organization", "bid__tender"]
    fields = [
        "tender",
        "bid",
        "amount",
        "awarded_at",
        "standstill_ends_at",
        "contract_reference",
        "contract_signed_on",
        "contract_signed_at",
        "contract_value",
    ]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["tender", "organization", "lodged_at", "answered_at"]
    list_select_related = ["tender", "organization"]
    fields = [
        "tender",
        "organization",
        "lodged_by",
        "text",
        "lodged_at",
        "answer",
        "answered_by",
        "answered_at",
    ]


@admin.register(OcdsRelease)
class OcdsReleaseAdmin(ReadOnlyAdmin):
    list_display = ["release_id", "tender", "date"]
    list_select_related = ["tender"]
    fields = ["release_id", "tender", "tags", "date", "data"]

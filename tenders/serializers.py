"""What the tenders API reads and writes. Read serializers show only rows the views already
loaded for the user, and hide from each person what the pages hide (STYLE 17): the estimated
value and the bid count are staff-only (null for suppliers); who asked a question is never
shown to suppliers; amounts and bidders exist only after the opening. Write serializers only
check input; the services decide and change state."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_field
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organization
from portal.models import IssuedDocument
from tenders.models import (
    Addendum,
    Award,
    Bid,
    BidFile,
    BoqItem,
    Clarification,
    CommitteeMember,
    Criterion,
    Objection,
    Tender,
    TenderDocument,
)


class _NamedChoiceField(serializers.ChoiceField):
    """A choice field whose schema is one named enum component (`enum_name`), the same
    wherever it appears (without it, spectacular warns of colliding enum names)."""

    enum_name = ""
    choice_set: list = []

    def __init__(self, **kwargs):
        super().__init__(choices=self.choice_set, **kwargs)


def _named(name: str, choices) -> type[_NamedChoiceField]:
    return type(
        name, (_NamedChoiceField,), {"enum_name": f"{name[:-5]}Enum", "choice_set": choices}
    )


TenderStatusField = _named("TenderStatusField", Tender.Status.choices)
TenderCategoryField = _named("TenderCategoryField", Tender.Category.choices)
TenderMethodField = _named("TenderMethodField", Tender.Method.choices)
TenderFinancialMethodField = _named("TenderFinancialMethodField", Tender.FinancialMethod.choices)
TenderDocumentKindField = _named("TenderDocumentKindField", TenderDocument.Kind.choices)
BidStatusField = _named("BidStatusField", Bid.Status.choices)
BidFileKindField = _named("BidFileKindField", BidFile.Kind.choices)
ClarificationSourceField = _named("ClarificationSourceField", Clarification.Source.choices)
TenderEligibleKindField = _named("TenderEligibleKindField", Organization.Kind.choices)
TenderGradeField = _named(
    "TenderGradeField", [("", gettext_lazy("Any grade")), *Organization.Grade.choices]
)


class _NamedChoiceFieldSchema(OpenApiSerializerFieldExtension):
    target_class = _NamedChoiceField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        name = self.target.enum_name
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def _is_staff(context) -> bool:
    return bool(context.get("staff"))


class IssuedDocumentSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = IssuedDocument
        fields = [
            "id",
            "kind",
            "reference",
            "title_ar",
            "title_en",
            "status",
            "issued_at",
            "download",
        ]

    def get_download(self, obj) -> str:
        return _absolute(
            self.context.get("request"), reverse("api:document-download", args=[obj.pk])
        )


# --- a tender and its parts ----------------------------------------------------------------------


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "name_ar", "name_en", "weight", "position"]


class BoqItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = BoqItem
        fields = ["id", "code", "description_ar", "description_en", "unit", "quantity", "position"]


class TenderDocumentSerializer(serializers.ModelSerializer):
    kind = TenderDocumentKindField(read_only=True)
    addendum = serializers.IntegerField(source="addendum.number", allow_null=True, default=None)
    download = serializers.SerializerMethodField()
    file_name = serializers.CharField(source="file.original_name")

    class Meta:
        model = TenderDocument
        fields = [
            "id",
            "kind",
            "title_ar",
            "title_en",
            "version",
            "addendum",
            "file_name",
            "download",
            "created_at",
        ]

    def get_download(self, obj) -> str:
        return _absolute(
            self.context.get("request"), reverse("api:file-download", args=[obj.file.uuid])
        )


class AddendumSerializer(serializers.ModelSerializer):
    class Meta:
        model = Addendum
        fields = [
            "id",
            "number",
            "description_ar",
            "description_en",
            "old_submission_deadline",
            "new_submission_deadline",
            "extended",
            "created_at",
        ]


class ClarificationSerializer(serializers.ModelSerializer):
    """A published question and its answer (or the pre-bid minutes). Staff also see the
    unanswered ones with the asking organization; suppliers never see who asked."""

    source = ClarificationSourceField(read_only=True)
    asked_by_organization = serializers.SerializerMethodField()

    class Meta:
        model = Clarification
        fields = [
            "id",
            "source",
            "question",
            "answer",
            "published_at",
            "asked_at",
            "asked_by_organization",
        ]

    def get_asked_by_organization(self, obj) -> str | None:
        if not _is_staff(self.context) or obj.asked_by_id is None:
            return None
        organization = obj.asked_by.organization
        return organization.name if organization else None


class CommitteeMemberSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.full_name")
    has_key = serializers.SerializerMethodField()

    class Meta:
        model = CommitteeMember
        fields = ["id", "user", "name", "has_key"]

    def get_has_key(self, obj) -> bool:
        return hasattr(obj.user, "tender_member_key")


class BidFileSerializer(serializers.ModelSerializer):
    kind = BidFileKindField(read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = BidFile
        fields = ["kind", "original_name", "size", "download"]

    def get_download(self, obj) -> str | None:
        # Only the decrypted copy, written at the opening, can be downloaded.
        if obj.opened_file_id is None:
            return None
        return _absolute(
            self.context.get("request"),
            reverse("api:file-download", args=[obj.opened_file.uuid]),
        )


class OwnBidSerializer(serializers.ModelSerializer):
    """The supplier's own bid: never its contents before the opening (they are sealed)."""

    tender = serializers.IntegerField(source="tender_id")
    tender_reference = serializers.CharField(source="tender.reference")
    status = BidStatusField(read_only=True)
    files = BidFileSerializer(many=True, source="files.all")
    documents = serializers.SerializerMethodField()

    class Meta:
        model = Bid
        fields = [
            "id",
            "tender",
            "tender_reference",
            "status",
            "version",
            "submitted_at",
            "updated_at",
            "receipt_hash",
            "needs_reconfirmation",
            "reconfirmed_at",
            "withdrawn_at",
            "total_price",
            "rank",
            "files",
            "documents",
        ]

    def get_documents(self, obj) -> list[dict]:
        issued = self.context.get("issued", {}).get(obj.pk, [])
        return IssuedDocumentSerializer(issued, many=True, context=self.context).data


class OpenedBidSerializer(serializers.ModelSerializer):
    """A bid as the committee and contracts engineers see it after the opening."""

    organization = serializers.CharField(source="organization.name")
    files = BidFileSerializer(many=True, source="files.all")

    class Meta:
        model = Bid
        fields = [
            "id",
            "organization",
            "submitted_at",
            "version",
            "total_price",
            "bond_bank",
            "bond_number",
            "bond_amount",
            "bond_expiry",
            "hash_verified",
            "technically_compliant",
            "technical_score",
            "financial_score",
            "combined_score",
            "rank",
            "files",
        ]


class AwardSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="bid.organization.name")

    class Meta:
        model = Award
        fields = [
            "organization",
            "amount",
            "awarded_at",
            "standstill_ends_at",
            "contract_reference",
            "contract_signed_at",
            "contract_value",
        ]


class ObjectionSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.name")

    class Meta:
        model = Objection
        fields = ["id", "organization", "text", "lodged_at", "answer", "answered_at"]


class TenderListSerializer(serializers.ModelSerializer):
    """A row of the tenders list. `estimated_value` and `bid_count` are for staff only (null
    for suppliers); the count is all anyone may know about the bids before the opening."""

    category = TenderCategoryField(read_only=True)
    method = TenderMethodField(read_only=True)
    status = TenderStatusField(read_only=True)
    estimated_value = serializers.SerializerMethodField()
    bid_count = serializers.SerializerMethodField()

    class Meta:
        model = Tender
        fields = [
            "id",
            "reference",
            "title_ar",
            "title_en",
            "category",
            "method",
            "status",
            "published_at",
            "enquiries_deadline",
            "submission_deadline",
            "opening_at",
            "estimated_value",
            "bid_count",
        ]

    def get_estimated_value(self, obj) -> str | None:
        if not _is_staff(self.context) or obj.estimated_value is None:
            return None
        return f"{obj.estimated_value:.2f}"

    def get_bid_count(self, obj) -> int | None:
        if not _is_staff(self.context):
            return None
        return getattr(obj, "bid_count", None)


class TenderDetailSerializer(TenderListSerializer):
    """A tender with its parts, what the user may do now, and what the user may see of its
    bids: a supplier its own bid; staff the count before the opening and the bids after."""

    categories = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    eligible_kinds = serializers.ListField(child=TenderEligibleKindField(), read_only=True)
    min_grade = TenderGradeField(read_only=True)
    financial_method = TenderFinancialMethodField(read_only=True)
    criteria = CriterionSerializer(many=True, source="criteria.all")
    boq_items = BoqItemSerializer(many=True, source="boq_items.all")
    documents = serializers.SerializerMethodField()
    addenda = AddendumSerializer(many=True, source="addenda.all")
    allowed_actions = serializers.SerializerMethodField()
    my_bid = serializers.SerializerMethodField()
    bids = serializers.SerializerMethodField()
    award = serializers.SerializerMethodField()
    committee = serializers.SerializerMethodField()

    class Meta(TenderListSerializer.Meta):
        fields = [
            *TenderListSerializer.Meta.fields,
            "description_ar",
            "description_en",
            "eligible_kinds",
            "min_grade",
            "categories",
            "bid_bond_percent",
            "bid_validity_days",
            "technical_pass_mark",
            "financial_method",
            "technical_weight",
            "cancel_reason",
            "criteria",
            "boq_items",
            "documents",
            "addenda",
            "committee",
            "allowed_actions",
            "my_bid",
            "bids",
            "award",
        ]

    def get_documents(self, obj) -> list[dict]:
        rows = self.context.get("documents", [])
        return TenderDocumentSerializer(rows, many=True, context=self.context).data

    def get_allowed_actions(self, obj) -> list[str]:
        return sorted(self.context.get("allowed", ()))

    def get_my_bid(self, obj) -> dict | None:
        bid = self.context.get("my_bid")
        return OwnBidSerializer(bid, context=self.context).data if bid else None

    def get_bids(self, obj) -> list[dict] | None:
        if not _is_staff(self.context) or not obj.is_opened:
            return None
        return OpenedBidSerializer(self.context.get("bids", []), many=True).data

    def get_award(self, obj) -> dict | None:
        award = self.context.get("award")
        return AwardSerializer(award).data if award else None

    def get_committee(self, obj) -> list[dict] | None:
        if not _is_staff(self.context):
            return None
        return CommitteeMemberSerializer(self.context.get("committee", []), many=True).data


# --- input ---------------------------------------------------------------------------------------

# Inputs whose schema says exactly what the field takes (drf-spectacular's own pattern for a
# decimal allows a sign and an empty string, which the field then refuses).
ID = {"min_value": 1, "max_value": 2**63 - 1}


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^\d{1,12}(\.\d{1,2})?$"})
class MoneyField(serializers.DecimalField):
    """An amount in AED, zero or more, at most two decimals."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, min_value=0, **kwargs)


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^(100(\.0{1,2})?|\d{1,2}(\.\d{1,2})?)$"}
)
class PercentField(serializers.DecimalField):
    """0 to 100, at most two decimals."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=5, decimal_places=2, min_value=0, max_value=100, **kwargs)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^\d{1,11}(\.\d{1,3})?$"})
class QuantityField(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=3, min_value=0, **kwargs)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as multipart/form-data (the services check its content and size)."""


MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


class TenderWriteSerializer(serializers.Serializer):
    """A draft's fields (all required to create one; PATCH takes any of them)."""

    title_ar = serializers.CharField(max_length=250)
    title_en = serializers.CharField(max_length=250)
    description_ar = serializers.CharField()
    description_en = serializers.CharField()
    category = TenderCategoryField()
    method = TenderMethodField(default=Tender.Method.OPEN)
    eligible_kinds = serializers.ListField(child=TenderEligibleKindField(), default=list)
    min_grade = TenderGradeField(allow_blank=True, default="")
    categories = serializers.ListField(child=serializers.SlugField(), default=list)
    invited = serializers.ListField(child=serializers.IntegerField(**ID), default=list)
    estimated_value = MoneyField(allow_null=True, default=None)
    bid_bond_percent = PercentField()
    bid_validity_days = serializers.IntegerField(min_value=1, max_value=730)
    technical_pass_mark = PercentField()
    financial_method = TenderFinancialMethodField()
    technical_weight = PercentField(default=0)
    enquiries_deadline = serializers.DateTimeField()
    submission_deadline = serializers.DateTimeField()
    opening_at = serializers.DateTimeField()


class CriterionWriteSerializer(serializers.Serializer):
    name_ar = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200)
    weight = PercentField()


class BoqItemWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=30)
    description_ar = serializers.CharField()
    description_en = serializers.CharField()
    unit = serializers.CharField(max_length=20)
    quantity = QuantityField()


class DocumentWriteSerializer(serializers.Serializer):
    kind = TenderDocumentKindField()
    title_ar = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200)
    file = UploadField()


class CommitteeWriteSerializer(serializers.Serializer):
    user = serializers.IntegerField(**ID, help_text="A tender committee member's user id.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class QuestionSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=4000)


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)


class ObjectionWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class AddendumWriteSerializer(serializers.Serializer):
    description_ar = serializers.CharField()
    description_en = serializers.CharField()
    new_submission_deadline = serializers.DateTimeField(required=False, allow_null=True)
    document_kind = TenderDocumentKindField(required=False)
    document_title_ar = serializers.CharField(max_length=200, required=False)
    document_title_en = serializers.CharField(max_length=200, required=False)
    document_file = UploadField(required=False)

    def validate(self, data):
        if bool(data.get("document_file")) != bool(data.get("document_kind")):
            raise serializers.ValidationError(
                {"document_file": [_("Give the document's kind and its file together.")]}
            )
        return data


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "string", "format": "decimal"}}
)
class BoqPricesField(serializers.JSONField):
    """{item code: unit rate}; the rates are checked as amounts here, the codes by the service
    against the tender's bill of quantities."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise serializers.ValidationError(_("Give an object of item codes and unit rates."))
        rate = MoneyField()
        return {code: rate.to_internal_value(amount) for code, amount in value.items()}


class BidWriteSerializer(serializers.Serializer):
    """A whole bid (multipart): the total, a unit rate for every bill-of-quantities item (a
    JSON object, item code -> rate), the bid bond and its scan, and the technical files."""

    total = MoneyField()
    boq_prices = BoqPricesField(
        help_text="Item code -> unit rate in AED, as a JSON object (a JSON string in multipart)."
    )
    bond_bank = serializers.CharField(max_length=150)
    bond_number = serializers.CharField(max_length=60)
    bond_amount = MoneyField()
    bond_expiry = serializers.DateField()
    bond_scan = UploadField()
    technical_files = serializers.ListField(child=UploadField(), min_length=1)

    def service_kwargs(self) -> dict:
        data = self.validated_data
        return {
            "offer": data["total"],
            "boq_prices": dict(data["boq_prices"]),
            "bond": {
                "bank": data["bond_bank"],
                "number": data["bond_number"],
                "amount": data["bond_amount"],
                "expiry": data["bond_expiry"],
            },
            "files": [(BidFile.Kind.TECHNICAL, f) for f in data["technical_files"]]
            + [(BidFile.Kind.BOND_SCAN, data["bond_scan"])],
        }


class PassphraseSerializer(serializers.Serializer):
    passphrase = serializers.CharField(trim_whitespace=False, write_only=True)


class ApprovalSerializer(serializers.Serializer):
    user = serializers.IntegerField(**ID, help_text="A member of the tender's committee.")
    passphrase = serializers.CharField(trim_whitespace=False, write_only=True)


class ReplaceMemberSerializer(serializers.Serializer):
    """Replace a member (before the deadline) with two other members' passphrases."""

    old_user = serializers.IntegerField(**ID)
    new_user = serializers.IntegerField(**ID)
    approvals = ApprovalSerializer(many=True)


class DeclarationSerializer(serializers.Serializer):
    no_conflict = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ComplianceSerializer(serializers.Serializer):
    compliant = serializers.BooleanField()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ScoreSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(**ID)
    score = PercentField()


class ScoreSheetSerializer(serializers.Serializer):
    """One evaluator's scores for one bid: stored all together, or none."""

    scores = serializers.ListField(child=ScoreSerializer(), min_length=1)


class RecommendationWriteSerializer(serializers.Serializer):
    bid = serializers.IntegerField(**ID, required=False, help_text="Default: rank 1.")
    justification = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ContractSerializer(serializers.Serializer):
    signed_on = serializers.DateField()
    value = MoneyField()

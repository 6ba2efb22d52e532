"""What the transactions API reads and writes. Read serializers only show rows the selectors
already loaded; write serializers only check input (the services decide and change state)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_field
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from accounts.roles import staff_names_visible_to
from portal.api import RequiredChoice
from portal.models import AuditEvent, IssuedDocument, PrivateFile
from transactions import selectors
from transactions.models import (
    ChecklistItem,
    FeePayment,
    FormField,
    Remark,
    RemarkReply,
    Service,
    Transaction,
    TransactionDocument,
)

S = Transaction.Status


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# --- the catalogue -----------------------------------------------------------------------------


class ChecklistItemSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ChecklistItem
        fields = ["id", "code", "name_ar", "name_en", "mandatory", "kinds"]


class FormFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = FormField
        fields = ["id", "code", "label_ar", "label_en", "kind", "required"]


class ServiceVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    checklist = ChecklistItemSerializer(many=True, source="checklist.all")
    fields = FormFieldSerializer(many=True, source="fields.all")


class TeamBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_ar = serializers.CharField()
    name_en = serializers.CharField()


class ServiceSerializer(serializers.ModelSerializer):
    """A service with its current checklist version (set by the view as `current_version`)."""

    team = TeamBriefSerializer()
    version = ServiceVersionSerializer(source="current_version", allow_null=True)

    class Meta:
        model = Service
        fields = [
            "code",
            "name_ar",
            "name_en",
            "description_ar",
            "description_en",
            "category",
            "fee",
            "sla_days",
            "team",
            "version",
        ]


# --- transactions: reading ---------------------------------------------------------------------


class ServiceBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_ar = serializers.CharField()
    name_en = serializers.CharField()


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


def _staff_person(serializer: serializers.Serializer, person: User | None) -> dict | None:
    """A member of staff (assignee, remark author) for those who may see staff names, null for
    the others: customers deal with the department, as on the pages."""
    request = serializer.context.get("request")
    if person is None or request is None or not staff_names_visible_to(request.user):
        return None
    return PersonSerializer(person).data


STAFF_PERSON_HELP = "Null for customers, who see the department rather than its staff's names."


class OrganizationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name_ar = serializers.CharField()
    name_en = serializers.CharField()


class FileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField(source="content_type_detected")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = PrivateFile
        fields = ["uuid", "name", "size", "sha256", "content_type", "download_url"]

    def get_download_url(self, obj: PrivateFile) -> str:
        return _absolute(self.context.get("request"), reverse("api:file-download", args=[obj.uuid]))


class DocumentVersionSerializer(serializers.ModelSerializer):
    file = FileSerializer()

    class Meta:
        model = TransactionDocument
        fields = ["id", "item", "number", "cycle", "uploaded_at", "file"]


class ChecklistItemStateSerializer(ChecklistItemSerializer):
    """A checklist item of the transaction's own version, with its document versions."""

    missing = serializers.BooleanField(
        source="is_missing", help_text="Named as missing by the completeness check."
    )
    documents = DocumentVersionSerializer(
        many=True, source="document_versions", help_text="Newest version first."
    )

    class Meta(ChecklistItemSerializer.Meta):
        fields = [*ChecklistItemSerializer.Meta.fields, "missing", "documents"]


class RemarkReplySerializer(serializers.ModelSerializer):
    author = PersonSerializer()
    document = DocumentVersionSerializer(allow_null=True)

    class Meta:
        model = RemarkReply
        fields = ["id", "text", "document", "author", "created_at"]


class ChecklistItemBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name_ar = serializers.CharField()
    name_en = serializers.CharField()


class RemarkSerializer(serializers.ModelSerializer):
    item = ChecklistItemBriefSerializer(allow_null=True)
    author = serializers.SerializerMethodField()
    replies = RemarkReplySerializer(many=True, source="replies.all")
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Remark
        fields = [
            "id",
            "cycle",
            "item",
            "text",
            "status",
            "author",
            "created_at",
            "resolved_at",
            "replies",
            "allowed_actions",
        ]

    @extend_schema_field(
        PersonSerializer(allow_null=True, help_text=f"The reviewer. {STAFF_PERSON_HELP}")
    )
    def get_author(self, obj: Remark) -> dict | None:
        return _staff_person(self, obj.author)

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(["answer", "resolve"]))
    )
    def get_allowed_actions(self, obj: Remark) -> list[str]:
        return remark_actions(self.context.get("request"), obj)


class PaymentSerializer(serializers.ModelSerializer):
    proof = FileSerializer(allow_null=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = FeePayment
        fields = [
            "id",
            "provider",
            "method",
            "amount",
            "payer_reference",
            "status",
            "note",
            "proof",
            "created_at",
            "decided_at",
            "allowed_actions",
        ]

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(["confirm", "refuse"]))
    )
    def get_allowed_actions(self, obj: FeePayment) -> list[str]:
        return payment_actions(self.context.get("request"), obj)


class IssuedDocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IssuedDocument
        fields = [
            "id",
            "reference",
            "kind",
            "title_ar",
            "title_en",
            "status",
            "issued_at",
            "download_url",
        ]

    def get_download_url(self, obj: IssuedDocument) -> str:
        return _absolute(
            self.context.get("request"), reverse("api:document-download", args=[obj.pk])
        )


class SlaSerializer(serializers.Serializer):
    sla_days = serializers.IntegerField(help_text="Service time, in working days.")
    department_days = serializers.IntegerField(help_text="Working days used by the department.")
    customer_days = serializers.IntegerField(help_text="Working days used by the customer.")
    days_remaining = serializers.IntegerField()
    cycle = serializers.IntegerField(help_text="Review cycle (0 before technical review).")


class TransactionStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Transaction.Status.choices, **kwargs)


class TransactionStatusFieldSchema(OpenApiSerializerFieldExtension):
    """The list row and the detail both show the status: one named enum component, instead of
    the enum post-processing's naming collision warning."""

    target_class = TransactionStatusField

    def map_serializer_field(self, auto_schema, direction):
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        component = ResolvedComponent(
            name="TransactionStatusEnum",
            type=ResolvedComponent.SCHEMA,
            schema=schema,
            object="TransactionStatusEnum",
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


NEXT_STEP_OWNERS = ["customer", "department"]


class TransactionListSerializer(serializers.ModelSerializer):
    """One row of a list: only the transaction and what the list selects with it."""

    status = TransactionStatusField(read_only=True)
    status_display = serializers.CharField(source="get_status_display")
    service = ServiceBriefSerializer()
    applicant = PersonSerializer()
    organization = OrganizationBriefSerializer(allow_null=True)
    assignee = serializers.SerializerMethodField()
    next_step_owner = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "status_display",
            "service",
            "applicant",
            "organization",
            "assignee",
            "cycle",
            "next_step_owner",
            "due_date",
            "is_overdue",
            "created_at",
            "updated_at",
            "submitted_at",
            "url",
        ]

    @extend_schema_field(
        PersonSerializer(
            allow_null=True, help_text=f"Who has the work; null when nobody. {STAFF_PERSON_HELP}"
        )
    )
    def get_assignee(self, obj: Transaction) -> dict | None:
        return _staff_person(self, obj.assignee)

    @extend_schema_field(serializers.ChoiceField(NEXT_STEP_OWNERS, allow_null=True))
    def get_next_step_owner(self, obj: Transaction) -> str | None:
        if obj.customers_turn:
            return "customer"
        if obj.departments_turn:
            return "department"
        return None

    def get_url(self, obj: Transaction) -> str:
        return _absolute(
            self.context.get("request"), reverse("api:transaction-detail", args=[obj.pk])
        )


TRANSACTION_ACTIONS = [
    "update",
    "upload-document",
    "submit",
    "resubmit",
    "withdraw",
    "pay",
    "claim",
    "assign",
    "return-incomplete",
    "accept",
    "remarks",
    "return-remarks",
    "approve",
    "reject",
    "issue-certificate",
    "close",
]


class TransactionDetailSerializer(TransactionListSerializer):
    """Everything the detail page shows. Expects a transaction from
    `selectors.transaction_get_for_user` and the issued documents in the context."""

    version = serializers.IntegerField(source="version.number")
    expected_completion = serializers.DateField(allow_null=True)
    sla = SlaSerializer(source="*")
    data = serializers.DictField(child=serializers.CharField())
    fields = FormFieldSerializer(many=True, source="version.fields.all")
    checklist = serializers.SerializerMethodField()
    missing_items = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    remarks = serializers.SerializerMethodField()
    payments = PaymentSerializer(many=True, source="payments.all")
    issued_documents = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(TransactionListSerializer.Meta):
        fields = [
            *TransactionListSerializer.Meta.fields,
            "version",
            "expected_completion",
            "sla",
            "fee_amount",
            "return_note",
            "rejection_reason",
            "decided_at",
            "closed_at",
            "data",
            "fields",
            "checklist",
            "missing_items",
            "remarks",
            "payments",
            "issued_documents",
            "allowed_actions",
        ]

    @extend_schema_field(ChecklistItemStateSerializer(many=True))
    def get_checklist(self, obj: Transaction) -> list:
        versions = selectors.current_documents(obj)
        missing = {item.pk for item in obj.missing_items.all()}
        items = []
        for item in obj.version.checklist.all():
            item.is_missing = item.pk in missing
            item.document_versions = versions.get(item.pk, [])
            items.append(item)
        return ChecklistItemStateSerializer(items, many=True, context=self.context).data

    @extend_schema_field(RemarkSerializer(many=True))
    def get_remarks(self, obj: Transaction) -> list:
        request = self.context.get("request")
        if request is None:
            return []
        remarks = selectors.remarks_visible_to(user=request.user, transaction=obj)
        return RemarkSerializer(remarks, many=True, context=self.context).data

    @extend_schema_field(IssuedDocumentSerializer(many=True))
    def get_issued_documents(self, obj: Transaction) -> list:
        issued = self.context.get("issued_documents", [])
        return IssuedDocumentSerializer(issued, many=True, context=self.context).data

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(TRANSACTION_ACTIONS)),
    )
    def get_allowed_actions(self, obj: Transaction) -> list[str]:
        return transaction_actions(self.context.get("request"), obj)


class TimelineEventSerializer(serializers.ModelSerializer):
    """An event of selectors.transaction_timeline (which already leaves out what the user may
    not read); expects the request and the transaction in the context."""

    actor = serializers.SerializerMethodField()
    data = serializers.DictField(child=serializers.JSONField())

    class Meta:
        model = AuditEvent
        fields = ["id", "verb", "from_status", "to_status", "actor", "data", "created_at"]

    @extend_schema_field(
        PersonSerializer(
            allow_null=True,
            help_text="Who did it; null for the system, and for customers when it was the "
            "department's staff (the page says “the department”).",
        )
    )
    def get_actor(self, obj: AuditEvent) -> dict | None:
        request = self.context.get("request")
        if obj.actor is None or request is None:
            return None
        visible = selectors.person_name_visible(
            viewer=request.user, person=obj.actor, transaction=self.context["transaction"]
        )
        return PersonSerializer(obj.actor).data if visible else None


# --- who may do what now (cheap: the role predicates and the rows already loaded) ----------------


# The API's endpoint names for the page's action slugs (selectors.allowed_actions).
_API_NAMES = {"edit": "update", "upload": "upload-document", "remark": "remarks"}
# Actions on one remark or one payment, listed on that object rather than on the transaction.
_NESTED = {"answer", "resolve", "confirm", "refuse"}


def _allowed(request, transaction: Transaction) -> set[str]:
    if request is None:
        return set()
    cached = getattr(transaction, "_allowed_for_request", None)
    if cached is None:
        cached = selectors.allowed_actions(user=request.user, transaction=transaction)
        transaction._allowed_for_request = cached
    return cached


def transaction_actions(request, transaction: Transaction) -> list[str]:
    """The action endpoints the requesting user may call now (the services stay the
    authority)."""
    return sorted(_API_NAMES.get(a, a) for a in _allowed(request, transaction) - _NESTED)


def remark_actions(request, remark: Remark) -> list[str]:
    if remark.status != Remark.Status.OPEN:
        return []
    return sorted(_allowed(request, remark.transaction) & {"answer", "resolve"})


def payment_actions(request, payment: FeePayment) -> list[str]:
    if payment.status != FeePayment.Status.PENDING:
        return []
    return sorted(_allowed(request, payment.transaction) & {"confirm", "refuse"})


# --- transactions: writing ----------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class ChecklistItemRefField(serializers.Field):
    """A checklist item of the transaction's own version (context["transaction"]), given by id
    or by code."""

    default_error_messages = {
        "unknown": _("This document is not on the checklist of this application."),
    }

    def to_internal_value(self, data) -> ChecklistItem:
        value = str(data).strip()
        items = self.context["checklist"]
        found = next(
            (i for i in items if (str(i.pk) == value if value.isdigit() else i.code == value)),
            None,
        )
        if found is None:
            self.fail("unknown")
        return found

    def to_representation(self, value: ChecklistItem) -> str:
        return value.code


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent as multipart/form-data (the services check its content and size)."""


class TransactionCreateSerializer(serializers.Serializer):
    service = serializers.SlugRelatedField(
        slug_field="code", queryset=selectors.services_published(), help_text="Its code."
    )
    title = serializers.CharField(max_length=200)
    data = serializers.DictField(
        required=False,
        default=dict,
        help_text="Form field values by field code.",
        child=serializers.JSONField(),
    )


class TransactionUpdateSerializer(RequiredChoice, serializers.Serializer):
    """A PATCH changes the title, the form data or both; an empty one is a 400."""

    schema_any_of = ("title", "data")

    title = serializers.CharField(max_length=200, required=False)
    data = serializers.DictField(
        required=False,
        help_text="Form field values by field code; merged into the current values "
        "(send null or an empty string to clear one).",
        child=serializers.JSONField(),
    )

    def validate(self, attrs: dict) -> dict:
        # An empty PATCH would answer 200 having changed nothing; say what was expected.
        if not attrs:
            raise serializers.ValidationError(
                _("Send at least one field to change: title or data."), code="empty"
            )
        return attrs


class DocumentUploadSerializer(serializers.Serializer):
    item = ChecklistItemRefField(help_text="Checklist item id or code.")
    file = UploadField()


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), help_text="User id."
    )


class ReturnIncompleteSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=ChecklistItemRefField(),
        required=False,
        default=list,
        help_text="Checklist item ids (or codes) of the missing documents.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs["items"] and not attrs["note"].strip():
            raise serializers.ValidationError(
                _("Name the missing documents or explain what is missing.")
            )
        return attrs


class RemarkCreateSerializer(serializers.Serializer):
    text = serializers.CharField()
    item = ChecklistItemRefField(
        required=False, allow_null=True, default=None, help_text="Checklist item id or code."
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField()


class PaySerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=FeePayment.Method.choices)
    payer_reference = serializers.CharField(max_length=60)
    proof = UploadField(required=False)


class RemarkAnswerSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    file = UploadField(required=False, help_text="A new version of the document.")

    def validate(self, attrs):
        if not attrs["text"].strip() and attrs.get("file") is None:
            raise serializers.ValidationError(_("Write an answer or attach a new document."))
        return attrs


class RefuseSerializer(serializers.Serializer):
    note = serializers.CharField()

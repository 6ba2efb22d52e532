"""The transactions REST API: the catalogue, and the same operations the pages offer to
customers and staff. Every change goes through one service; every read through a selector.

Outsiders get 404 (the selectors filter to what the user may see), a wrong role 403, a wrong
status 409 and bad input 400, all in portal.api's error format.
"""

import functools
from collections.abc import Callable

from django import forms
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api import FieldErrors, error_responses
from transactions import selectors, services
from transactions.filters import TransactionFilter
from transactions.models import FeePayment, Remark, Service, ServiceVersion, Transaction
from transactions.serializers import (
    AssignSerializer,
    DocumentUploadSerializer,
    DocumentVersionSerializer,
    PaymentSerializer,
    PaySerializer,
    RefuseSerializer,
    RejectSerializer,
    RemarkAnswerSerializer,
    RemarkCreateSerializer,
    RemarkReplySerializer,
    RemarkSerializer,
    ReturnIncompleteSerializer,
    ServiceSerializer,
    TimelineEventSerializer,
    TransactionCreateSerializer,
    TransactionDetailSerializer,
    TransactionListSerializer,
    TransactionUpdateSerializer,
    WithdrawSerializer,
)

TAGS = ["transactions"]
MULTIPART = [MultiPartParser, FormParser]
ANY_BODY = [JSONParser, MultiPartParser, FormParser]


_errors = error_responses(
    not_found="No such transaction (or the user may not see it).",
    conflict="Not allowed in the transaction's current status.",
)


# --- the catalogue -------------------------------------------------------------------------------


@extend_schema(responses=ServiceSerializer(many=True), tags=["catalogue"])
@api_view(["GET"])
@permission_classes([AllowAny])
def service_list(request: Request) -> Response:
    """The services open for applications, each with its current checklist and form fields."""
    catalogue = list(
        selectors.services_published().prefetch_related(
            Prefetch(
                "versions",
                queryset=ServiceVersion.objects.order_by("-number").prefetch_related(
                    "checklist", "fields"
                ),
                to_attr="newest_versions",
            )
        )
    )
    for service in catalogue:
        service.current_version = service.newest_versions[0] if service.newest_versions else None
    return Response(ServiceSerializer(catalogue, many=True).data)


@extend_schema(responses={200: ServiceSerializer, **_errors(404)}, tags=["catalogue"])
@api_view(["GET"])
@permission_classes([AllowAny])
def service_detail(request: Request, code: str) -> Response:
    """One published service with its current checklist and form fields."""
    service: Service = selectors.service_get_published(code=code)
    service.current_version = selectors.service_current_version(service=service)
    return Response(ServiceSerializer(service).data)


# --- transactions --------------------------------------------------------------------------------


def _transaction_for(user, pk: int) -> Transaction:
    """A transaction the user may see (the same rule as transaction_get_for_user, without the
    detail's prefetching: the service re-reads it under lock); 404 otherwise."""
    transaction = (
        selectors.transactions_visible_to(user=user)
        .select_related("service", "version")
        .filter(pk=pk)
        .first()
    )
    if transaction is None:
        raise Http404
    return transaction


def _detail(request: Request, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    transaction = selectors.transaction_get_for_user(user=request.user, pk=pk)
    issued = list(selectors.transaction_documents_issued(transaction=transaction))
    serializer = TransactionDetailSerializer(
        transaction, context={"request": request, "issued_documents": issued}
    )
    return Response(serializer.data, status=status_code)


def _is_true(value: str | None) -> bool:
    return bool(forms.NullBooleanField().to_python(value))


class TransactionListView(generics.ListCreateAPIView):
    """GET: the transactions the user may see (customers: their own and their organization's;
    staff: what their roles cover), newest activity first; `queue=true` gives the staff work
    queue, soonest due first. POST: start a draft (customers only)."""

    filterset_class = TransactionFilter
    serializer_class = TransactionListSerializer

    def get_queryset(self) -> QuerySet[Transaction]:
        if getattr(self, "swagger_fake_view", False):
            return Transaction.objects.none()
        user = self.request.user
        if _is_true(self.request.query_params.get("queue")):
            qs = selectors.staff_queue(user=user)
        else:
            qs = selectors.transactions_visible_to(user=user).order_by("-updated_at", "-pk")
        # Everything the row shows, in the one query.
        return qs.select_related("service", "applicant", "organization", "assignee")

    @extend_schema(tags=TAGS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=TransactionCreateSerializer,
        responses={201: TransactionDetailSerializer, **_errors(400, 403, 409)},
        tags=TAGS,
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = TransactionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with FieldErrors("data"):
            transaction = services.transaction_create(
                actor=request.user, **serializer.validated_data
            )
        return _detail(request, transaction.pk, status_code=status.HTTP_201_CREATED)


@extend_schema(
    methods=["GET"], responses={200: TransactionDetailSerializer, **_errors(404)}, tags=TAGS
)
@extend_schema(
    methods=["PATCH"],
    request=TransactionUpdateSerializer,
    responses={200: TransactionDetailSerializer, **_errors(400, 403, 404, 409)},
    tags=TAGS,
)
@api_view(["GET", "PATCH"])
# JSON only: the form data is a nested object, which the form encodings cannot carry.
@parser_classes([JSONParser])
def transaction_detail(request: Request, pk: int) -> Response:
    """One transaction with its checklist, documents, remarks, payments, issued documents and
    the actions the user may take now. PATCH changes the title and form data (merged) while
    the customer holds it."""
    if request.method == "PATCH":
        transaction = _transaction_for(request.user, pk)
        serializer = TransactionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {**transaction.data, **serializer.validated_data.get("data", {})}
        with FieldErrors("data"):
            services.transaction_update(
                actor=request.user,
                transaction=transaction,
                title=serializer.validated_data.get("title", transaction.title),
                data={k: v for k, v in data.items() if v not in (None, "")},
            )
    return _detail(request, pk)


@extend_schema(responses={200: TimelineEventSerializer(many=True), **_errors(404)}, tags=TAGS)
@api_view(["GET"])
def transaction_timeline(request: Request, pk: int) -> Response:
    """Everything that happened to the transaction, oldest first."""
    transaction = _transaction_for(request.user, pk)
    events = selectors.transaction_timeline(transaction=transaction, user=request.user)
    context = {"request": request, "transaction": transaction}
    return Response(TimelineEventSerializer(events, many=True, context=context).data)


# --- actions -------------------------------------------------------------------------------------

# An action handler gets the request, the transaction (visible to the user) and the validated
# input; it calls one service and returns a Response for a created object, or None for the
# transaction's detail.
Handler = Callable[..., Response | None]


def _action(
    *,
    summary: str,
    request_serializer: type | None = None,
    created: type | None = None,
    parsers: list | None = None,
    target: str = "",
) -> Callable[[Handler], Callable]:
    """Make a POST endpoint of a handler: load the transaction (404 for outsiders), check the
    input (400), call the handler (403/409 from the service) and answer with the created
    object (201) or the transaction's detail (200). `target` is a remark or payment whose
    id is in the URL; it is loaded within the transaction (404 otherwise)."""
    responses = {201: created} if created else {200: TransactionDetailSerializer}
    errors = (400, 403, 404, 409) if request_serializer else (403, 404, 409)

    def decorate(handler: Handler) -> Callable:
        @functools.wraps(handler)
        def view(request: Request, pk: int, **ids) -> Response:
            transaction = _transaction_for(request.user, pk)
            kwargs = {}
            if target == "remark":
                kwargs["remark"] = get_object_or_404(
                    Remark.objects.select_related("item"),
                    transaction=transaction,
                    pk=ids["remark_id"],
                )
            elif target == "payment":
                kwargs["payment"] = get_object_or_404(
                    FeePayment, transaction=transaction, pk=ids["payment_id"]
                )
            if request_serializer is not None:
                checklist = list(transaction.version.checklist.all())
                serializer = request_serializer(
                    data=request.data, context={"request": request, "checklist": checklist}
                )
                serializer.is_valid(raise_exception=True)
                kwargs["data"] = serializer.validated_data
            response = handler(request, transaction, **kwargs)
            return response if response is not None else _detail(request, pk)

        view = parser_classes(parsers or ANY_BODY)(view)
        view = api_view(["POST"])(view)
        return extend_schema(
            summary=summary,
            request=request_serializer,
            responses={**responses, **_errors(*errors)},
            tags=TAGS,
        )(view)

    return decorate


def _created(serializer_class: type, obj, request: Request) -> Response:
    return Response(
        serializer_class(obj, context={"request": request}).data, status=status.HTTP_201_CREATED
    )


@_action(
    summary="Upload a document",
    request_serializer=DocumentUploadSerializer,
    created=DocumentVersionSerializer,
    parsers=MULTIPART,
)
def document_upload(request: Request, transaction: Transaction, data: dict) -> Response:
    """Add a new version of one checklist item's document (earlier versions are kept)."""
    with FieldErrors("file"):
        document = services.transaction_document_upload(
            actor=request.user, transaction=transaction, item=data["item"], upload=data["file"]
        )
    return _created(DocumentVersionSerializer, document, request)


@_action(summary="Submit a draft")
def submit(request: Request, transaction: Transaction) -> None:
    """Submit a complete draft: it gets its reference and receipt; the department's clock
    starts. 409 `incomplete` names what is missing."""
    services.transaction_submit(actor=request.user, transaction=transaction)


@_action(summary="Resubmit")
def resubmit(request: Request, transaction: Transaction) -> None:
    """Send the transaction back after an incomplete return or after remarks."""
    services.transaction_resubmit(actor=request.user, transaction=transaction)


@_action(summary="Withdraw", request_serializer=WithdrawSerializer)
def withdraw(request: Request, transaction: Transaction, data: dict) -> None:
    """The customer withdraws the transaction before a decision."""
    services.transaction_withdraw(
        actor=request.user, transaction=transaction, reason=data["reason"]
    )


@_action(summary="Claim")
def claim(request: Request, transaction: Transaction) -> None:
    """Take unassigned work: an agent a new submission, a team reviewer a transaction waiting
    for technical review."""
    services.transaction_claim(actor=request.user, transaction=transaction)


@_action(summary="Assign", request_serializer=AssignSerializer)
def assign(request: Request, transaction: Transaction, data: dict) -> None:
    """Hand the current stage to a colleague who may do it."""
    services.transaction_assign(
        actor=request.user, transaction=transaction, assignee=data["assignee"]
    )


@_action(summary="Return as incomplete", request_serializer=ReturnIncompleteSerializer)
def return_incomplete(request: Request, transaction: Transaction, data: dict) -> None:
    """Return a submission to the customer, naming the missing documents."""
    services.transaction_return_incomplete(
        actor=request.user,
        transaction=transaction,
        missing_items=data["items"],
        note=data["note"],
    )


@_action(summary="Accept as complete")
def accept(request: Request, transaction: Transaction) -> None:
    """The submission is complete: on to technical review (cycle 1)."""
    services.transaction_accept_complete(actor=request.user, transaction=transaction)


@_action(
    summary="Write a remark", request_serializer=RemarkCreateSerializer, created=RemarkSerializer
)
def remark_create(request: Request, transaction: Transaction, data: dict) -> Response:
    """The assigned reviewer writes a remark in the current cycle."""
    remark = services.remark_add(
        actor=request.user, transaction=transaction, text=data["text"], item=data["item"]
    )
    return _created(RemarkSerializer, remark, request)


@_action(summary="Return with remarks")
def return_remarks(request: Request, transaction: Transaction) -> None:
    """Return the transaction to the customer with the open remarks."""
    services.transaction_return_remarks(actor=request.user, transaction=transaction)


@_action(summary="Approve")
def approve(request: Request, transaction: Transaction) -> None:
    """Approve: the fee becomes due (or, for a free service, the certificate may be issued)."""
    services.transaction_approve(actor=request.user, transaction=transaction)


@_action(summary="Reject", request_serializer=RejectSerializer)
def reject(request: Request, transaction: Transaction, data: dict) -> None:
    """Refuse the application, with reasons the customer reads."""
    services.transaction_reject(actor=request.user, transaction=transaction, reason=data["reason"])


@_action(
    summary="Declare the fee paid",
    request_serializer=PaySerializer,
    created=PaymentSerializer,
    parsers=ANY_BODY,
)
def pay(request: Request, transaction: Transaction, data: dict) -> Response:
    """Declare the fee paid at the counter or by bank transfer, with an optional proof."""
    with FieldErrors("proof"):
        payment = services.fee_payment_submit(
            actor=request.user,
            transaction=transaction,
            method=data["method"],
            payer_reference=data["payer_reference"],
            proof=data.get("proof"),
        )
    return _created(PaymentSerializer, payment, request)


@_action(summary="Issue the certificate")
def issue_certificate(request: Request, transaction: Transaction) -> None:
    """Issue the certificate (a PDF with a QR verification code, rendered after commit)."""
    services.transaction_issue_certificate(actor=request.user, transaction=transaction)


@_action(summary="Close")
def close(request: Request, transaction: Transaction) -> None:
    """File the transaction away once its certificate is issued."""
    services.transaction_close(actor=request.user, transaction=transaction)


@_action(
    summary="Answer a remark",
    request_serializer=RemarkAnswerSerializer,
    created=RemarkReplySerializer,
    target="remark",
)
def remark_answer(
    request: Request, transaction: Transaction, remark: Remark, data: dict
) -> Response:
    """Answer a remark in writing and/or with a new version of its document."""
    if data.get("file") is not None and remark.item is None:
        raise exceptions.ValidationError(
            {"file": [_("This remark is not about a document; answer it in writing.")]}
        )
    with FieldErrors("file"):
        reply = services.remark_answer(
            actor=request.user, remark=remark, text=data["text"], upload=data.get("file")
        )
    return _created(RemarkReplySerializer, reply, request)


@_action(summary="Resolve a remark", target="remark")
def remark_resolve(request: Request, transaction: Transaction, remark: Remark) -> None:
    """The reviewer closes a remark that the answer settled."""
    services.remark_resolve(actor=request.user, remark=remark)


@_action(summary="Confirm a payment", target="payment")
def payment_confirm(request: Request, transaction: Transaction, payment: FeePayment) -> None:
    """Finance (or the Customer Happiness Center) confirm the money arrived."""
    services.fee_payment_confirm(actor=request.user, payment=payment)


@_action(summary="Refuse a payment", request_serializer=RefuseSerializer, target="payment")
def payment_refuse(
    request: Request, transaction: Transaction, payment: FeePayment, data: dict
) -> None:
    """The payment could not be matched: the fee is due again, with the reason."""
    services.fee_payment_refuse(actor=request.user, payment=payment, note=data["note"])


T = "transactions/<int:pk>/"

urlpatterns = [
    path("services/", service_list, name="service-list"),
    path("services/<slug:code>/", service_detail, name="service-detail"),
    path("transactions/", TransactionListView.as_view(), name="transaction-list"),
    path(T, transaction_detail, name="transaction-detail"),
    path(f"{T}timeline/", transaction_timeline, name="transaction-timeline"),
    path(f"{T}documents/", document_upload, name="transaction-documents"),
    path(f"{T}remarks/", remark_create, name="transaction-remarks"),
    path(f"{T}remarks/<int:remark_id>/answer/", remark_answer, name="remark-answer"),
    path(f"{T}remarks/<int:remark_id>/resolve/", remark_resolve, name="remark-resolve"),
    path(f"{T}payments/<int:payment_id>/confirm/", payment_confirm, name="payment-confirm"),
    path(f"{T}payments/<int:payment_id>/refuse/", payment_refuse, name="payment-refuse"),
    *(
        path(f"{T}{name}/", view, name=f"transaction-{name}")
        for name, view in [
            ("submit", submit),
            ("resubmit", resubmit),
            ("withdraw", withdraw),
            ("claim", claim),
            ("assign", assign),
            ("return-incomplete", return_incomplete),
            ("accept", accept),
            ("return-remarks", return_remarks),
            ("approve", approve),
            ("reject", reject),
            ("pay", pay),
            ("issue-certificate", issue_certificate),
            ("close", close),
        ]
    ),
]

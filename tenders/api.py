"""The tenders REST API: the same operations the pages offer, to suppliers (eligible tenders,
documents, clarifications, their bid and receipts, objections) and to staff (drafts, publish,
answers, addenda, bid counts, the opening, the evaluation, the award and the contract). Every
change goes through one service; the tender is read through tenders.selectors.

Outsiders get 404 (the selectors filter to what the user may see), a wrong role 403, a wrong
status or time 409, bad input 400, all in portal.api's error format. Bid uploads are read into
memory only (tenders.views._common.MemoryOnlyUploadHandler): no plaintext on disk."""

import functools
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ClassificationCategory, Organization
from accounts.roles import Role
from portal.api import FieldErrors, error_responses
from portal.errors import DomainError
from tenders import selectors
from tenders.filters import TenderFilter
from tenders.models import (
    Bid,
    BoqItem,
    Clarification,
    CommitteeMember,
    Criterion,
    Objection,
    Tender,
    TenderDocument,
)
from tenders.serializers import (
    AddendumSerializer,
    AddendumWriteSerializer,
    AnswerSerializer,
    BidWriteSerializer,
    BoqItemSerializer,
    BoqItemWriteSerializer,
    ClarificationSerializer,
    CommitteeMemberSerializer,
    CommitteeWriteSerializer,
    ComplianceSerializer,
    ContractSerializer,
    CriterionSerializer,
    CriterionWriteSerializer,
    DeclarationSerializer,
    DocumentWriteSerializer,
    ObjectionSerializer,
    ObjectionWriteSerializer,
    OpenedBidSerializer,
    OwnBidSerializer,
    PassphraseSerializer,
    QuestionSerializer,
    ReasonSerializer,
    RecommendationWriteSerializer,
    ReplaceMemberSerializer,
    ScoreSheetSerializer,
    TenderDetailSerializer,
    TenderDocumentSerializer,
    TenderListSerializer,
    TenderWriteSerializer,
)
from tenders.services import (
    addenda,
    award,
    bids,
    clarifications,
    committee,
    evaluation,
    lifecycle,
    opening,
)
from tenders.views import _reads as reads
from tenders.views._common import MemoryOnlyUploadHandler

TAGS = ["tenders"]
JSON = [JSONParser]
MULTIPART = [MultiPartParser, FormParser]
ANY_BODY = [JSONParser, MultiPartParser, FormParser]

_errors = error_responses(
    not_found="No such tender (or the user may not see it).",
    conflict="Not allowed in the tender's current status or at this time; `code` says why.",
)


def memory_only_uploads(view: Callable) -> Callable:
    """Read a request's files into memory only, whatever their size (bids must never reach
    disk in clear). Set before DRF authenticates: its CSRF check may parse the body."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        request.upload_handlers = [MemoryOnlyUploadHandler(request)]
        return view(request, *args, **kwargs)

    return wrapper


class ServiceErrors(FieldErrors):
    """A service's ValidationError as a 400: its per-field messages under the request's field
    names (`names` maps the service's to the request's), anything else under `field`."""

    def __init__(self, field: str = "non_field_errors", names: dict[str, str] | None = None):
        super().__init__(field)
        self.names = names or {}

    def __exit__(self, exc_type, exc, tb):
        if (
            exc_type is not None
            and issubclass(exc_type, DjangoValidationError)
            and hasattr(exc, "error_dict")
        ):
            fields = {self.names.get(name, name): texts for name, texts in exc.message_dict.items()}
            raise exceptions.ValidationError(fields) from exc
        return super().__exit__(exc_type, exc, tb)


# The bid services' field names, as the bid endpoints' fields.
BID_FIELDS = {"offer": "total", "files": "technical_files"}


def _staff(user) -> bool:
    return selectors.is_tender_staff(user)


def _context(request: Request, **extra) -> dict:
    return {"request": request, "staff": _staff(request.user), **extra}


def _tender(request: Request, pk: int) -> Tender:
    return selectors.tender_get_for_user(user=request.user, pk=pk)


def _detail(request: Request, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    """The tender as the page shows it to this user (the same reads, the same hiding)."""
    user = request.user
    tender = _tender(request, pk)
    extra = {
        "allowed": selectors.allowed_actions(user=user, tender=tender),
        "documents": list(
            tender.documents.select_related("file", "addendum").order_by("kind", "-version")
        ),
    }
    if _staff(user):
        tender.bid_count = reads.bid_count(tender=tender)
        extra["committee"] = reads.committee(tender=tender)
        extra["bids"] = reads.bids_opened(tender=tender)
    else:
        organization = selectors.supplier_organization(user)
        bid = reads.bid_of(tender=tender, organization=organization)
        extra["my_bid"] = bid
        extra["issued"] = reads.issued_by_bid([bid] if bid else [])
    if tender.status in (Tender.Status.AWARDED, Tender.Status.CONTRACTED):
        extra["award"] = reads.award_of(tender=tender)
    data = TenderDetailSerializer(tender, context=_context(request, **extra)).data
    return Response(data, status=status_code)


# --- tenders -------------------------------------------------------------------------------------


def _lists(data: dict) -> dict:
    """The serializer's ids and codes as the services take them (unknown ones are a 400)."""
    values = dict(data)
    errors = {}
    if "categories" in values:
        codes = values.pop("categories")
        found = list(ClassificationCategory.objects.filter(code__in=codes))
        if len(found) != len(set(codes)):
            errors["categories"] = [_("Unknown classification category.")]
        values["categories"] = found
    if "invited" in values:
        ids = values.pop("invited")
        found = list(Organization.objects.filter(pk__in=ids))
        if len(found) != len(set(ids)):
            errors["invited"] = [_("Unknown organization.")]
        values["invited"] = found
    if errors:
        raise exceptions.ValidationError(errors)
    return values


class TenderListView(generics.ListCreateAPIView):
    """GET: the tenders the user may see — a supplier those it is eligible for (published or
    later), staff every tender with its live-bid count (a count only: before the opening nobody
    may know more). POST: a contracts engineer starts a draft."""

    filterset_class = TenderFilter
    serializer_class = TenderListSerializer

    def get_queryset(self) -> QuerySet[Tender]:
        if getattr(self, "swagger_fake_view", False):
            return Tender.objects.none()
        user = self.request.user
        if _staff(user):
            return reads.staff_tenders(user=user)
        return reads.supplier_tenders(user=user)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "staff": _staff(self.request.user)}

    @extend_schema(tags=TAGS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=TenderWriteSerializer,
        responses={201: TenderDetailSerializer, **_errors(400, 403)},
        tags=TAGS,
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        if not selectors.is_contracts_engineer(request.user):
            raise PermissionDenied
        serializer = TenderWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with ServiceErrors():
            tender = lifecycle.tender_create(
                actor=request.user, **_lists(serializer.validated_data)
            )
        return _detail(request, tender.pk, status_code=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: TenderDetailSerializer, **_errors(404)}, tags=TAGS)
@extend_schema(
    methods=["PATCH"],
    request=TenderWriteSerializer(partial=True),
    responses={200: TenderDetailSerializer, **_errors(400, 403, 404, 409)},
    tags=TAGS,
)
@api_view(["GET", "PATCH"])
@parser_classes(JSON)
def tender_detail(request: Request, pk: int) -> Response:
    """One tender with its documents, criteria, bill of quantities, addenda, the actions the
    user may take now and what the user may see of its bids. PATCH changes a draft."""
    if request.method == "PATCH":
        tender = _tender(request, pk)
        # Who may edit, and when, before the input is read (403/409 first).
        lifecycle.check_edit(user=request.user, tender=tender)
        serializer = TenderWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with ServiceErrors():
            lifecycle.tender_update(
                actor=request.user, tender=tender, **_lists(serializer.validated_data)
            )
    return _detail(request, pk)


@extend_schema(responses={200: ClarificationSerializer(many=True), **_errors(404)}, tags=TAGS)
@api_view(["GET"])
def clarification_list(request: Request, pk: int) -> Response:
    """The published clarifications, oldest first, without who asked; staff also get the
    questions waiting for an answer (with the asking organization)."""
    tender = _tender(request, pk)
    rows = reads.clarifications_published(tender=tender)
    if _staff(request.user):
        rows = reads.clarifications_unanswered(tender=tender) + rows
    return Response(ClarificationSerializer(rows, many=True, context=_context(request)).data)


@extend_schema(responses={200: TenderDocumentSerializer(many=True), **_errors(404)}, tags=TAGS)
@api_view(["GET"])
def document_list(request: Request, pk: int) -> Response:
    """Every version of every document of the tender, by kind, newest first."""
    tender = _tender(request, pk)
    rows = tender.documents.select_related("file", "addendum").order_by("kind", "-version")
    return Response(TenderDocumentSerializer(rows, many=True, context=_context(request)).data)


@extend_schema(responses={200: AddendumSerializer(many=True), **_errors(404)}, tags=TAGS)
@api_view(["GET"])
def addendum_list(request: Request, pk: int) -> Response:
    tender = _tender(request, pk)
    return Response(AddendumSerializer(tender.addenda.all(), many=True).data)


@extend_schema(
    responses={200: OpenedBidSerializer(many=True), **_errors(403, 404, 409)},
    tags=TAGS,
    operation_id="tenders_opened_bids_list",
)
@api_view(["GET"])
def opened_bid_list(request: Request, pk: int) -> Response:
    """The bids with their amounts, for the committee and contracts engineers, after the
    opening only (409 before: they are sealed)."""
    tender = _tender(request, pk)
    if not _staff(request.user):
        raise PermissionDenied
    if not tender.is_opened:
        raise DomainError(_("The bids are sealed until the opening."), code="sealed")
    return Response(
        OpenedBidSerializer(
            reads.bids_opened(tender=tender), many=True, context=_context(request)
        ).data
    )


@extend_schema(responses={200: ObjectionSerializer(many=True), **_errors(404)}, tags=TAGS)
@api_view(["GET"])
def objection_list(request: Request, pk: int) -> Response:
    """Staff: every objection; a supplier: its organization's."""
    tender = _tender(request, pk)
    organization = None if _staff(request.user) else selectors.supplier_organization(request.user)
    if organization is None and not _staff(request.user):
        return Response([])
    rows = reads.objections(tender=tender, organization=organization)
    return Response(ObjectionSerializer(rows, many=True).data)


class MyBidsView(generics.ListAPIView):
    """The bids of the user's organization, newest first, each with its receipts and letters."""

    serializer_class = OwnBidSerializer

    def get_queryset(self) -> QuerySet[Bid]:
        if getattr(self, "swagger_fake_view", False):
            return Bid.objects.none()
        return reads.my_bids(user=self.request.user).prefetch_related("files")

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        context = _context(request, issued=reads.issued_by_bid(list(page)))
        return self.get_paginated_response(OwnBidSerializer(page, many=True, context=context).data)

    @extend_schema(tags=TAGS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


# --- actions -------------------------------------------------------------------------------------
Handler = Callable[..., Response | None]


def _action(
    *,
    summary: str,
    request_serializer: type | None = None,
    created: type | None = None,
    parsers: list | None = None,
    target: tuple[type, str] | None = None,
    memory_only: bool = False,
    method: str = "POST",
) -> Callable[[Handler], Callable]:
    """Make an endpoint of a handler: load the tender (404 for outsiders), check the input
    (400), call the handler (403/409 from the service) and answer with the created object (201)
    or the tender's detail (200). `target` is (model, url kwarg) of a row of the tender."""
    responses = {201: created} if created else {200: TenderDetailSerializer}
    errors = (400, 403, 404, 409) if request_serializer else (403, 404, 409)

    def decorate(handler: Handler) -> Callable:
        @functools.wraps(handler)
        def view(request: Request, pk: int, **ids) -> Response:
            tender = _tender(request, pk)
            kwargs = {}
            if target is not None:
                model, key = target
                kwargs["row"] = reads.get_in(model, tender=tender, pk=ids[key])
            if request_serializer is not None:
                serializer = request_serializer(data=request.data, context={"request": request})
                serializer.is_valid(raise_exception=True)
                kwargs["data"] = serializer
            response = handler(request, tender, **kwargs)
            return response if response is not None else _detail(request, pk)

        view = parser_classes(parsers or ANY_BODY)(view)
        view = api_view([method])(view)
        view = extend_schema(
            summary=summary,
            request=request_serializer,
            responses={**responses, **_errors(*errors)},
            tags=TAGS,
        )(view)
        return memory_only_uploads(view) if memory_only else view

    return decorate


def _created(serializer_class: type, obj, request: Request) -> Response:
    return Response(
        serializer_class(obj, context=_context(request)).data, status=status.HTTP_201_CREATED
    )


# The draft's parts (contracts engineer, draft only).
@_action(
    summary="Add a criterion",
    request_serializer=CriterionWriteSerializer,
    created=CriterionSerializer,
)
def criterion_add(request: Request, tender: Tender, data) -> Response:
    with ServiceErrors():
        row = lifecycle.criterion_add(actor=request.user, tender=tender, **data.validated_data)
    return _created(CriterionSerializer, row, request)


@_action(summary="Remove a criterion", target=(Criterion, "item"), method="DELETE")
def criterion_remove(request: Request, tender: Tender, row) -> None:
    lifecycle.criterion_remove(actor=request.user, criterion=row)


@_action(
    summary="Add a bill-of-quantities line",
    request_serializer=BoqItemWriteSerializer,
    created=BoqItemSerializer,
)
def boq_item_add(request: Request, tender: Tender, data) -> Response:
    with ServiceErrors():
        row = lifecycle.boq_item_add(actor=request.user, tender=tender, **data.validated_data)
    return _created(BoqItemSerializer, row, request)


@_action(summary="Remove a bill-of-quantities line", target=(BoqItem, "item"), method="DELETE")
def boq_item_remove(request: Request, tender: Tender, row) -> None:
    lifecycle.boq_item_remove(actor=request.user, item=row)


@_action(
    summary="Add a document",
    request_serializer=DocumentWriteSerializer,
    created=TenderDocumentSerializer,
    parsers=MULTIPART,
)
def document_add(request: Request, tender: Tender, data) -> Response:
    values = data.validated_data
    with FieldErrors("file"):
        row = lifecycle.tender_document_add(
            actor=request.user,
            tender=tender,
            kind=values["kind"],
            title_ar=values["title_ar"],
            title_en=values["title_en"],
            upload=values["file"],
        )
    return _created(TenderDocumentSerializer, row, request)


@_action(summary="Remove a document", target=(TenderDocument, "item"), method="DELETE")
def document_remove(request: Request, tender: Tender, row) -> None:
    lifecycle.tender_document_remove(actor=request.user, document=row)


@_action(
    summary="Add a committee member",
    request_serializer=CommitteeWriteSerializer,
    created=CommitteeMemberSerializer,
)
def committee_add(request: Request, tender: Tender, data) -> Response:
    user = get_object_or_404(
        get_user_model(), pk=data.validated_data["user"], groups__name=Role.TENDER_COMMITTEE
    )
    row = committee.committee_member_add(actor=request.user, tender=tender, user=user)
    return _created(CommitteeMemberSerializer, row, request)


@_action(summary="Remove a committee member", target=(CommitteeMember, "item"), method="DELETE")
def committee_remove(request: Request, tender: Tender, row) -> None:
    committee.committee_member_remove(actor=request.user, member=row)


@_action(
    summary="Replace a committee member", request_serializer=ReplaceMemberSerializer, parsers=JSON
)
def committee_replace(request: Request, tender: Tender, data) -> None:
    """Before the deadline, replace a member who forgot the passphrase (or left): two other
    members' passphrases rebuild the key, which is split anew among the new committee."""
    # Who may replace, and when, before the people named are looked up (403/409 first).
    opening.check_replace_member(user=request.user, tender=tender)
    users = get_user_model().objects.in_bulk(
        [data.validated_data["old_user"], data.validated_data["new_user"]]
        + [row["user"] for row in data.validated_data["approvals"]]
    )

    def user(pk: int):
        if pk not in users:
            raise Http404
        return users[pk]

    with ServiceErrors("passphrase"):
        opening.committee_member_replace(
            actor=request.user,
            tender=tender,
            old_user=user(data.validated_data["old_user"]),
            new_user=user(data.validated_data["new_user"]),
            approvals=[
                (user(row["user"]), row["passphrase"]) for row in data.validated_data["approvals"]
            ],
        )


@_action(summary="Publish")
def publish(request: Request, tender: Tender) -> None:
    """Publish a ready draft (409 `not_ready` names what is missing)."""
    lifecycle.tender_publish(actor=request.user, tender=tender)


@_action(summary="Cancel", request_serializer=ReasonSerializer)
def cancel(request: Request, tender: Tender, data) -> None:
    lifecycle.tender_cancel(actor=request.user, tender=tender, reason=data.validated_data["reason"])


@_action(
    summary="Issue an addendum",
    request_serializer=AddendumWriteSerializer,
    created=AddendumSerializer,
    parsers=ANY_BODY,
)
def addendum_issue(request: Request, tender: Tender, data) -> Response:
    values = data.validated_data
    documents = []
    if values.get("document_file"):
        documents.append(
            {
                "kind": values["document_kind"],
                "title_ar": values.get("document_title_ar", ""),
                "title_en": values.get("document_title_en", ""),
                "upload": values["document_file"],
            }
        )
    with ServiceErrors():
        row = addenda.addendum_issue(
            actor=request.user,
            tender=tender,
            description_ar=values["description_ar"],
            description_en=values["description_en"],
            new_submission_deadline=values.get("new_submission_deadline"),
            documents=documents,
        )
    return _created(AddendumSerializer, row, request)


@_action(
    summary="Ask a question", request_serializer=QuestionSerializer, created=ClarificationSerializer
)
def clarification_ask(request: Request, tender: Tender, data) -> Response:
    """An eligible supplier asks, until the enquiries deadline; the answer is published to every
    eligible supplier without naming who asked."""
    with FieldErrors("question"):
        row = clarifications.clarification_ask(
            actor=request.user, tender=tender, question=data.validated_data["question"]
        )
    return _created(ClarificationSerializer, row, request)


@_action(
    summary="Answer and publish a question",
    request_serializer=AnswerSerializer,
    created=ClarificationSerializer,
    target=(Clarification, "item"),
)
def clarification_answer(request: Request, tender: Tender, row, data) -> Response:
    with FieldErrors("answer"):
        answered = clarifications.clarification_answer_publish(
            actor=request.user, clarification=row, answer=data.validated_data["answer"]
        )
    return _created(ClarificationSerializer, answered, request)


# The supplier's bid.
@extend_schema(responses={200: OwnBidSerializer, **_errors(404)}, tags=TAGS)
@api_view(["GET"])
def bid_mine(request: Request, pk: int) -> Response:
    """The organization's bid on the tender (its receipts; never its contents before the
    opening); 404 when it has none."""
    tender = _tender(request, pk)
    bid = reads.bid_of(tender=tender, organization=selectors.supplier_organization(request.user))
    if bid is None:
        raise Http404
    context = _context(request, issued=reads.issued_by_bid([bid]))
    return Response(OwnBidSerializer(bid, context=context).data)


def _own_bid_response(request: Request, bid: Bid, code: int) -> Response:
    bid = Bid.objects.select_related("tender").prefetch_related("files").get(pk=bid.pk)
    context = _context(request, issued=reads.issued_by_bid([bid]))
    return Response(OwnBidSerializer(bid, context=context).data, status=code)


@_action(
    summary="Submit a bid",
    request_serializer=BidWriteSerializer,
    created=OwnBidSerializer,
    parsers=MULTIPART,
    memory_only=True,
)
def bid_submit(request: Request, tender: Tender, data) -> Response:
    """Seal and store a whole bid (multipart), until the submission deadline; the receipt is
    issued with the salted hash of exactly what was submitted."""
    with ServiceErrors(names=BID_FIELDS):
        bid = bids.bid_submit(actor=request.user, tender=tender, **data.service_kwargs())
    return _own_bid_response(request, bid, status.HTTP_201_CREATED)


@_action(
    summary="Change the bid",
    request_serializer=BidWriteSerializer,
    created=OwnBidSerializer,
    parsers=MULTIPART,
    memory_only=True,
)
def bid_change(request: Request, tender: Tender, data) -> Response:
    """Replace the live bid with a whole new one (a new version and receipt)."""
    bid = reads.own_bid_or_404(tender=tender, user=request.user)
    with ServiceErrors(names=BID_FIELDS):
        changed = bids.bid_change(actor=request.user, bid=bid, **data.service_kwargs())
    return _own_bid_response(request, changed, status.HTTP_201_CREATED)


@_action(summary="Withdraw the bid")
def bid_withdraw(request: Request, tender: Tender) -> None:
    bids.bid_withdraw(
        actor=request.user, bid=reads.own_bid_or_404(tender=tender, user=request.user)
    )


@_action(summary="Reconfirm the bid after an addendum")
def bid_reconfirm(request: Request, tender: Tender) -> None:
    bids.bid_reconfirm(
        actor=request.user, bid=reads.own_bid_or_404(tender=tender, user=request.user)
    )


# The committee.
@_action(summary="Confirm the opening", request_serializer=PassphraseSerializer, parsers=JSON)
def open_confirm(request: Request, tender: Tender, data) -> None:
    """A committee member confirms with the opening passphrase after the opening time; the
    second member's confirmation opens every bid."""
    with FieldErrors("passphrase"):
        opening.tender_open_confirm(
            actor=request.user, tender=tender, passphrase=data.validated_data["passphrase"]
        )


@_action(summary="Declare conflicts of interest", request_serializer=DeclarationSerializer)
def declare(request: Request, tender: Tender, data) -> None:
    evaluation.conflict_declare(actor=request.user, tender=tender, **data.validated_data)


@_action(
    summary="Set a bid's technical compliance",
    request_serializer=ComplianceSerializer,
    target=(Bid, "bid"),
)
def compliance(request: Request, tender: Tender, row, data) -> None:
    evaluation.technical_compliance_set(actor=request.user, bid=row, **data.validated_data)


@_action(
    summary="Score a bid on the criteria",
    request_serializer=ScoreSheetSerializer,
    target=(Bid, "bid"),
    parsers=JSON,
)
def score(request: Request, tender: Tender, row, data) -> None:
    """The evaluator's score sheet for one bid (0-100 per criterion): all stored, or none."""
    sheet = [
        (reads.get_in(Criterion, tender=tender, pk=line["criterion"]), line["score"])
        for line in data.validated_data["scores"]
    ]
    evaluation.technical_scores_set(actor=request.user, bid=row, scores=sheet)


@_action(summary="Complete the technical evaluation")
def complete_technical(request: Request, tender: Tender) -> None:
    evaluation.tender_technical_complete(actor=request.user, tender=tender)


@_action(summary="Recommend a bid", request_serializer=RecommendationWriteSerializer)
def recommend(request: Request, tender: Tender, data) -> None:
    values = data.validated_data
    bid = reads.get_in(Bid, tender=tender, pk=values["bid"]) if values.get("bid") else None
    with FieldErrors("justification"):
        evaluation.recommendation_make(
            actor=request.user,
            tender=tender,
            bid=bid,
            justification=values.get("justification", ""),
        )


@_action(summary="Approve the recommendation")
def approve(request: Request, tender: Tender) -> None:
    evaluation.recommendation_approve(actor=request.user, tender=tender)


@_action(summary="Award")
def award_make(request: Request, tender: Tender) -> None:
    award.award_make(actor=request.user, tender=tender)


@_action(
    summary="Lodge an objection",
    request_serializer=ObjectionWriteSerializer,
    created=ObjectionSerializer,
)
def objection_lodge(request: Request, tender: Tender, data) -> Response:
    row = award.objection_lodge(actor=request.user, tender=tender, text=data.validated_data["text"])
    return _created(ObjectionSerializer, row, request)


@_action(
    summary="Answer an objection",
    request_serializer=AnswerSerializer,
    created=ObjectionSerializer,
    target=(Objection, "item"),
)
def objection_answer(request: Request, tender: Tender, row, data) -> Response:
    answered = award.objection_answer(
        actor=request.user, objection=row, answer=data.validated_data["answer"]
    )
    return _created(ObjectionSerializer, answered, request)


@_action(summary="Record the signed contract", request_serializer=ContractSerializer)
def contract_sign(request: Request, tender: Tender, data) -> None:
    award.contract_sign(actor=request.user, tender=tender, **data.validated_data)


T = "tenders/<int:pk>/"

urlpatterns = [
    path("tenders/", TenderListView.as_view(), name="tender-list"),
    path("tenders/bids/", MyBidsView.as_view(), name="tender-my-bids"),
    path(T, tender_detail, name="tender-detail"),
    path(f"{T}documents/", document_list, name="tender-documents"),
    path(f"{T}documents/add/", document_add, name="tender-document-add"),
    path(f"{T}documents/<int:item>/", document_remove, name="tender-document-remove"),
    path(f"{T}criteria/", criterion_add, name="tender-criteria"),
    path(f"{T}criteria/<int:item>/", criterion_remove, name="tender-criterion-remove"),
    path(f"{T}boq-items/", boq_item_add, name="tender-boq-items"),
    path(f"{T}boq-items/<int:item>/", boq_item_remove, name="tender-boq-item-remove"),
    path(f"{T}committee/", committee_add, name="tender-committee"),
    path(f"{T}committee/<int:item>/", committee_remove, name="tender-committee-remove"),
    path(f"{T}committee/replace/", committee_replace, name="tender-committee-replace"),
    path(f"{T}addenda/", addendum_list, name="tender-addenda"),
    path(f"{T}addenda/issue/", addendum_issue, name="tender-addendum-issue"),
    path(f"{T}clarifications/", clarification_list, name="tender-clarifications"),
    path(f"{T}clarifications/ask/", clarification_ask, name="tender-clarification-ask"),
    path(
        f"{T}clarifications/<int:item>/answer/",
        clarification_answer,
        name="tender-clarification-answer",
    ),
    path(f"{T}bid/", bid_mine, name="tender-bid"),
    path(f"{T}bid/submit/", bid_submit, name="tender-bid-submit"),
    path(f"{T}bid/change/", bid_change, name="tender-bid-change"),
    path(f"{T}bid/withdraw/", bid_withdraw, name="tender-bid-withdraw"),
    path(f"{T}bid/reconfirm/", bid_reconfirm, name="tender-bid-reconfirm"),
    path(f"{T}bids/", opened_bid_list, name="tender-bids"),
    path(f"{T}opening/confirm/", open_confirm, name="tender-open"),
    path(f"{T}evaluation/declare/", declare, name="tender-declare"),
    path(f"{T}bids/<int:bid>/compliance/", compliance, name="tender-bid-compliance"),
    path(f"{T}bids/<int:bid>/scores/", score, name="tender-bid-score"),
    path(
        f"{T}evaluation/complete-technical/", complete_technical, name="tender-complete-technical"
    ),
    path(f"{T}recommendation/", recommend, name="tender-recommend"),
    path(f"{T}recommendation/approve/", approve, name="tender-approve"),
    path(f"{T}award/", award_make, name="tender-award"),
    path(f"{T}objections/", objection_list, name="tender-objections"),
    path(f"{T}objections/lodge/", objection_lodge, name="tender-objection-lodge"),
    path(f"{T}objections/<int:item>/answer/", objection_answer, name="tender-objection-answer"),
    path(f"{T}publish/", publish, name="tender-publish"),
    path(f"{T}cancel/", cancel, name="tender-cancel"),
    path(f"{T}contract/", contract_sign, name="tender-contract"),
]

# The API's actions by the names of selectors.allowed_actions (the detail's `allowed_actions`
# uses the same names; test_allowed_actions holds this map to the URLs above).
ACTION_ENDPOINTS = {
    "edit": "tender-detail",
    "publish": "tender-publish",
    "cancel": "tender-cancel",
    "ask": "tender-clarification-ask",
    "answer": "tender-clarification-answer",
    "addendum": "tender-addendum-issue",
    "bid": "tender-bid-submit",
    "change-bid": "tender-bid-change",
    "withdraw-bid": "tender-bid-withdraw",
    "reconfirm-bid": "tender-bid-reconfirm",
    "open": "tender-open",
    "replace-member": "tender-committee-replace",
    "declare": "tender-declare",
    "score": "tender-bid-score",
    "complete-technical": "tender-complete-technical",
    "recommend": "tender-recommend",
    "approve": "tender-approve",
    "award": "tender-award",
    "object": "tender-objection-lodge",
    "answer-objection": "tender-objection-answer",
    "sign-contract": "tender-contract",
}

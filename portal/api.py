"""Shared API pieces: the JSON error format and the API root."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import DomainError
from portal.views import document_response, file_response


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The object is not in a state that allows this action."


def exception_handler(exc, context):
    """Every API error is {"error": {"code", "message", "fields"?}} with a translated message."""
    if isinstance(exc, DomainError):
        # A service refused the move in the object's current state: 409 with the error's code.
        exc = Conflict(detail=str(exc.message), code=exc.code)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(_("You do not have permission to do this."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "error": {
                "code": "invalid",
                "message": _("The data sent is not valid."),
                "fields": detail,
            }
        }
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = {
            "error": {
                "code": codes if isinstance(codes, str) else "error",
                "message": str(exc.detail) if hasattr(exc, "detail") else str(exc),
            }
        }
    return response


class ApiErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        required=False, help_text="Per-field messages (400 only).", child=serializers.JSONField()
    )


class ApiErrorSerializer(serializers.Serializer):
    """The error body every endpoint returns (written by exception_handler), for the schema."""

    error = ApiErrorDetailSerializer()


def error_responses(*, not_found: str, conflict: str):
    """The schema's error responses for an app's endpoints: 400/403 worded once here, 404 and
    409 in the app's words. Returns a function of the status codes an endpoint may give."""
    texts = {
        400: "Bad input; the error has per-field messages.",
        403: "The user's role does not allow this.",
        404: not_found,
        409: conflict,
    }

    def responses(*codes: int) -> dict:
        return {
            code: OpenApiResponse(ApiErrorSerializer, description=texts[code]) for code in codes
        }

    return responses


class FieldErrors:
    """Turn a service's django ValidationError (bad field values, a bad file) into a DRF one
    under `field`, so it is a 400 with per-field messages; the service has rolled back.

        with FieldErrors("file"):
            services.something(...)
    """

    def __init__(self, field: str):
        self.field = field

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            raise exceptions.ValidationError({self.field: detail}) from exc
        return False


# Names of the endpoints listed at the API root; each app adds its own as it lands.
ROOT_ENDPOINTS = [
    "auth-token",
    "me",
    "organization",
    "service-list",
    "transaction-list",
    "meeting-list",
    "meeting-slots",
    "session-list",
    "schema",
    "docs",
]


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request: Request) -> Response:
    links = {}
    for name in ROOT_ENDPOINTS:
        try:
            links[name] = request.build_absolute_uri(reverse(f"api:{name}"))
        except NoReverseMatch:
            continue
    return Response(links)


_BINARY = {
    (200, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file, as an attachment."
    ),
    404: OpenApiResponse(description="No such file, or the user may not see it."),
}


@extend_schema(responses=_BINARY, tags=["files"], operation_id="file_download")
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def file_download(request: Request, uuid) -> HttpResponse:
    """A private file (an uploaded document, a proof of payment) the user may see."""
    return file_response(user=request.user, uuid=uuid)


@extend_schema(
    responses={
        **_BINARY,
        409: OpenApiResponse(description="The PDF is still being generated; try again soon."),
    },
    tags=["files"],
    operation_id="document_download",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def document_download(request: Request, pk: int) -> HttpResponse:
    """An issued document's PDF (receipt, certificate) the user may see."""
    return document_response(user=request.user, pk=pk)

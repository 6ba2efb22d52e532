"""Shared API pieces: the JSON error format, what every operation's schema shares (errors,
pagination, one-of rules), strict filters and the API root."""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.http import Http404, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import DomainError
from portal.files import KINDS
from portal.views import document_response, file_response

# --- what every operation's schema shares ---------------------------------------------------------
# Defined before any @extend_schema below: settings name AutoSchema as DRF's schema class, and the
# decorators look it up while this module is still being imported.

# Errors any operation may give for reasons outside its own code, documented once here.
SHARED_ERRORS = {
    "401": "Not signed in: no token, or an expired or revoked one.",
    "403": "The user may not do this (a staff member must set up two-factor authentication "
    "first: `mfa_required`).",
    "400_body": "The body is not valid: malformed, or bad values (per-field messages).",
    "400_query": "A query parameter's value is not valid (per-parameter messages).",
    "415": "The body's media type is none of those the operation takes.",
    "404_page": "No such page: `page` is past the last one, or not a number from 1.",
}


# What DRF's CharField refuses beyond minLength: NUL characters always, and, where blanks are
# refused, a value of white space only (it is trimmed to ""). \s is written out with the
# characters Python's str.strip() also removes and ECMA's \s does not match (U+001C-U+001F).
NO_NUL_PATTERN = r"^[^\u0000]*$"
NOT_BLANK_PATTERN = r"^[^\u0000]*[^\s\u0000\u001c-\u001f][^\u0000]*$"


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus what the framework (rather than the view) refuses or
    answers: 401/403 for operations that need a signed-in user (the token, the staff MFA rule),
    400 for a body or for query filters, 404 for a page past the last; the text a CharField
    refuses; a body that must name one of several fields is required."""

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        plain_text = type(field) is serializers.CharField and not any(
            isinstance(v, RegexValidator) for v in field.validators
        )
        if direction == "request" and plain_text and not field.read_only:
            blank_refused = not field.allow_blank and field.trim_whitespace
            meta["pattern"] = NOT_BLANK_PATTERN if blank_refused else NO_NUL_PATTERN
        return meta

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        if isinstance(serializer, RequiredChoice) or (
            isinstance(serializer, type) and issubclass(serializer, RequiredChoice)
        ):
            required = True
        return schema, required

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, text in self._shared_errors().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ApiErrorSerializer, description=text), code
                )
        return dict(sorted(responses.items()))

    def _shared_errors(self) -> dict[str, str]:
        errors = {}
        auth = self.get_auth()
        if auth and {} not in auth:
            errors["401"] = SHARED_ERRORS["401"]
            errors["403"] = SHARED_ERRORS["403"]
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            errors["400"] = SHARED_ERRORS["400_body"]
            errors["415"] = SHARED_ERRORS["415"]
        if self.method == "GET" and self._is_list_view():
            if any(self._get_filter_parameters() or []):
                errors["400"] = SHARED_ERRORS["400_query"]
            if self._get_paginator() is not None:
                errors["404"] = SHARED_ERRORS["404_page"]
        return errors


class RequiredChoice:
    """A request serializer whose input must name exactly one (`schema_one_of`) or at least one
    (`schema_any_of`) of some fields; its own validate() enforces the rule, this puts it in the
    schema as a oneOf/anyOf of `required` lists."""

    schema_one_of: tuple[str, ...] = ()
    schema_any_of: tuple[str, ...] = ()


class RequiredChoiceSchema(OpenApiSerializerExtension):
    target_class = RequiredChoice
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            if self.target.schema_one_of:
                schema["oneOf"] = [{"required": [name]} for name in self.target.schema_one_of]
            if self.target.schema_any_of:
                schema["anyOf"] = [{"required": [name]} for name in self.target.schema_any_of]
        return schema


class KnoxTokenSubclassScheme(KnoxTokenScheme):
    """drf-spectacular's knox scheme for knox's TokenAuthentication and its subclasses too (the
    project's own, which skips knox's per-request sweep), so the schema keeps its token
    security and the 401s that come with it."""

    target_class = "knox.auth.TokenAuthentication"
    match_subclasses = True
    priority = -1


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error rather than "no filter"."""

    widget = forms.TextInput
    default_error_messages = {"invalid": gettext_lazy("Use true or false.")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        normal = str(value).strip().lower()
        if normal in ("true", "1"):
            return True
        if normal in ("false", "0"):
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value) -> None:
        return None


class FilterSet(django_filters.FilterSet):
    """A query filter set whose parameters, when given, must have a value: `?status=` is a 400
    like any other bad value, never a filter silently left out."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if name in self.data and self.data.get(name) == "":
                self.form.add_error(name, _("Give a value, or leave the parameter out."))
                valid = False
        return valid


class BooleanFilter(django_filters.BooleanFilter):
    """A boolean query filter whose bad values are a 400 (django-filter's own turns them into
    "no filter" and answers 200 with everything)."""

    field_class = StrictBooleanField


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
    "tender-list",
    "ocds-release-feed",
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


def _binary(media_types, *, description: str) -> dict:
    return {
        (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description)
        for media_type in media_types
    }


_NO_FILE = {
    404: OpenApiResponse(
        ApiErrorSerializer, description="No such file, or the user may not see it."
    )
}


@extend_schema(
    responses={
        # Uploads are stored with the type their content was recognised as (portal.files).
        **_binary(
            sorted({kind.mime for kind in KINDS.values()}),
            description="The file, as an attachment, with the type its content was checked as.",
        ),
        **_NO_FILE,
    },
    tags=["files"],
    operation_id="file_download",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def file_download(request: Request, uuid) -> HttpResponse:
    """A private file (an uploaded document, a proof of payment) the user may see."""
    return file_response(user=request.user, uuid=uuid)


@extend_schema(
    responses={
        **_binary(["application/pdf"], description="The PDF, as an attachment."),
        **_NO_FILE,
        409: OpenApiResponse(
            ApiErrorSerializer, description="The PDF is still being generated; try again soon."
        ),
    },
    tags=["files"],
    operation_id="document_download",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def document_download(request: Request, pk: int) -> HttpResponse:
    """An issued document's PDF (receipt, certificate) the user may see."""
    return document_response(user=request.user, pk=pk)

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from accounts import selectors, services
from accounts.adapters import login_attempts_key
from accounts.roles import is_staff_member
from accounts.serializers import (
    MeSerializer,
    OrganizationSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from portal.api import ApiErrorSerializer
from portal.net import client_ip


class TokenThrottle(SimpleRateThrottle):
    """Requests to the token endpoint per client address, signed in or not (failed passwords
    are limited per account and address by allauth's `login_failed` rate limit as well)."""

    scope = "auth_token"
    rate = "20/min"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class CredentialsInBody(BaseAuthentication):
    """The token endpoint signs no one in from a header or a session: the body carries the
    credentials. It still names the scheme, or DRF would turn every 401 here into a 403."""

    def authenticate(self, request):
        return None

    def authenticate_header(self, request) -> str:
        return "Token"


class OTPFailed(exceptions.AuthenticationFailed):
    default_code = "otp_invalid"


class MFARequired(exceptions.PermissionDenied):
    default_code = "mfa_required"


def _too_many_attempts() -> exceptions.Throttled:
    return exceptions.Throttled(
        detail=_("Too many failed sign-in attempts. Try again later."),
        code="too_many_login_attempts",
    )


def _check_totp(request: Request, *, user, email: str, code: str) -> None:
    """Staff must give a valid TOTP code (and staff without TOTP get no token); so must anyone
    else who has set TOTP up, or a password alone would get around their second step."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        if is_staff_member(user):
            raise MFARequired(_("Set up two-factor authentication before requesting an API token."))
        return
    if not code:
        raise OTPFailed(_("Enter the code from your authenticator app (otp)."), code="otp_required")
    if not TOTP(authenticator).validate_code(code):
        # A wrong code counts as a failed sign-in, so the second step cannot be guessed either.
        ratelimit.consume(request._request, action="login_failed", key=login_attempts_key(email))
        raise OTPFailed(_("The authenticator code is wrong or has already been used."))


@extend_schema(
    request=TokenRequestSerializer,
    responses={
        200: TokenResponseSerializer,
        401: OpenApiResponse(
            ApiErrorSerializer,
            description="invalid_credentials, email_unverified, otp_required or otp_invalid.",
        ),
        403: OpenApiResponse(
            ApiErrorSerializer, description="mfa_required: staff must set up TOTP first."
        ),
        429: OpenApiResponse(ApiErrorSerializer, description="Too many attempts."),
    },
    auth=[],
    tags=["auth"],
)
@api_view(["POST"])
@authentication_classes([CredentialsInBody])
@permission_classes([AllowAny])
@throttle_classes([TokenThrottle])
def auth_token(request: Request) -> Response:
    """Exchange an e-mail and password (and a TOTP code, `otp`, when the person has TOTP; staff
    must) for an API token that expires. Only its hash is stored: keep the token safe."""
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    email = serializer.validated_data["email"].lower()
    try:
        # allauth's own sign-in check: the same `login_failed` limits as the web form.
        user = get_adapter(request._request).authenticate(
            request._request, email=email, password=serializer.validated_data["password"]
        )
    except DjangoValidationError as exc:
        raise _too_many_attempts() from exc
    if user is None or not user.is_active:
        raise exceptions.AuthenticationFailed(
            _("The e-mail address or password is wrong."), code="invalid_credentials"
        )
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise exceptions.AuthenticationFailed(
            _("Confirm your e-mail address first."), code="email_unverified"
        )
    _check_totp(request, user=user, email=email, code=serializer.validated_data.get("otp", ""))
    token, secret = services.api_token_issue(actor=user)
    return Response({"token": secret, "expiry": token.expiry}, status=status.HTTP_200_OK)


@extend_schema(request=MeSerializer, responses=MeSerializer, tags=["accounts"])
@api_view(["GET", "PATCH"])
def me(request: Request) -> Response:
    """The signed-in person's profile; PATCH changes name, mobile and language."""
    if request.method == "PATCH":
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {
            "full_name": serializer.validated_data.get("full_name", request.user.full_name),
            "mobile": serializer.validated_data.get("mobile", request.user.mobile),
            "preferred_language": serializer.validated_data.get(
                "preferred_language", request.user.preferred_language
            ),
        }
        services.profile_update(actor=request.user, **data)
    return Response(MeSerializer(request.user).data)


@extend_schema(
    responses={
        200: OrganizationSerializer,
        404: OpenApiResponse(ApiErrorSerializer, description="The person has no organization."),
    },
    tags=["accounts"],
)
@api_view(["GET"])
def organization(request: Request) -> Response:
    """The signed-in person's organization (404 when they have none)."""
    org = selectors.organization_for_user(user=request.user)
    if org is None:
        raise exceptions.NotFound(_("You do not belong to an organization yet."))
    return Response(OrganizationSerializer(org).data)


urlpatterns = [
    path("auth/token/", auth_token, name="auth-token"),
    path("me/", me, name="me"),
    path("me/organization/", organization, name="organization"),
]

from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from accounts import selectors, services
from accounts.serializers import (
    MeSerializer,
    OrganizationSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)


class TokenThrottle(AnonRateThrottle):
    rate = "20/min"


@extend_schema(
    request=TokenRequestSerializer, responses={200: TokenResponseSerializer}, auth=[], tags=["auth"]
)
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([TokenThrottle])
def auth_token(request: Request) -> Response:
    """Exchange an e-mail and password for an API token (for integrators)."""
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    user = authenticate(
        request._request,
        email=serializer.validated_data["email"].lower(),
        password=serializer.validated_data["password"],
    )
    if user is None or not user.is_active:
        raise exceptions.AuthenticationFailed(
            _("The e-mail address or password is wrong."), code="invalid_credentials"
        )
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise exceptions.AuthenticationFailed(
            _("Confirm your e-mail address first."), code="email_unverified"
        )
    token, _created = Token.objects.get_or_create(user=user)
    return Response({"token": token.key})


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


@extend_schema(responses=OrganizationSerializer, tags=["accounts"])
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

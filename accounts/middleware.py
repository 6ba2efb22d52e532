from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import is_staff_member

# Paths a staff member may open before TOTP is set up: signing in and out, setting up MFA,
# switching language, static files and the health check.
_OPEN_PREFIXES = ("/static/", "/i18n/", "/healthz", "/favicon")
_OPEN_SEGMENTS = ("/accounts/",)


def _api_token_user(request):
    """The user of an API token: DRF authenticates tokens in the view, after this middleware,
    so without this look-up a token would bypass the MFA requirement."""
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed

    try:
        result = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None  # the view answers 401 itself
    return result[0] if result else None


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffMFAMiddleware:
    """Staff roles must have TOTP before any other page opens (STAFF_MFA_REQUIRED)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.STAFF_MFA_REQUIRED and self._blocked(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "mfa_required",
                            "message": _("Set up two-factor authentication first."),
                        }
                    },
                    status=403,
                )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _blocked(request) -> bool:
        user = getattr(request, "user", None)
        path = request.path
        if path.startswith("/api/") and not getattr(user, "is_authenticated", False):
            user = _api_token_user(request)
        if not user or not is_staff_member(user):
            return False
        if path.startswith(_OPEN_PREFIXES) or any(s in path for s in _OPEN_SEGMENTS):
            return False
        return not _has_totp(user)

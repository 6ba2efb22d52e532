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
        if not user or not is_staff_member(user):
            return False
        if path.startswith(_OPEN_PREFIXES) or any(s in path for s in _OPEN_SEGMENTS):
            return False
        return not _has_totp(user)

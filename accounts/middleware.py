from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import is_staff_member

# The views a staff member may open before TOTP is set up, by resolved view name (never by path,
# which any URL could contain): setting up TOTP (with the password check allauth asks for first),
# changing the password, signing out, switching language with the page's translations, and the
# health check. tests/accounts/test_url_walk.py walks every other URL.
MFA_SETUP_VIEWS = frozenset(
    {
        "mfa_activate_totp",
        "account_reauthenticate",
        "account_change_password",
        "account_logout",
        "set_language",
        "javascript-catalog",
        "healthz",
    }
)


def _api_token_user(request):
    """The user of an API token: DRF authenticates tokens in the view, after this middleware,
    so without this look-up a token would bypass the MFA requirement."""
    from rest_framework.exceptions import AuthenticationFailed

    from accounts.authentication import TokenAuthentication

    try:
        result = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None  # the view answers 401 itself
    return result[0] if result else None


def _signed_in_with_totp(request, user) -> bool:
    """A session that passed a TOTP code at sign-in (allauth records it): no query needed on
    each of the staff member's requests (issue 11). Tokens and sessions without that record
    are checked against the authenticators."""
    if not hasattr(request, "session"):
        return False
    from allauth.account.authentication import get_authentication_records

    records = get_authentication_records(request, user)
    return any(record.get("method") == "mfa" for record in records)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffMFAMiddleware:
    """Staff roles must have TOTP before any other view runs (STAFF_MFA_REQUIRED).

    It decides in process_view, once the URL has been resolved, so that it judges the view that
    will run rather than the text of the path.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.STAFF_MFA_REQUIRED or not self._blocked(request):
            return None
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

    @staticmethod
    def _blocked(request) -> bool:
        match = request.resolver_match
        if match is not None and match.view_name in MFA_SETUP_VIEWS:
            return False
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") and not getattr(user, "is_authenticated", False):
            user = _api_token_user(request)
        if not user or not is_staff_member(user):
            return False
        return not (_signed_in_with_totp(request, user) or _has_totp(user))

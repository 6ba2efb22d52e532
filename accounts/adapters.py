from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from accounts import services
from accounts.roles import is_staff_member
from portal.net import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """Every self-registered person is a customer and keeps the language they signed up in."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.preferred_language = (translation.get_language() or "ar")[:2]
        if commit:
            user.save()
            services.signup_record(actor=user)
        return user

    def get_login_redirect_url(self, request):
        """Where a sign-in lands (when no page asked for it): staff on their workspace,
        customers on their transactions."""
        if is_staff_member(request.user):
            return reverse(settings.STAFF_HOME_URL)
        return reverse(settings.CUSTOMER_HOME_URL)

    def get_client_ip(self, request) -> str:
        """allauth's rate limits count per address: the same address as the audit log."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth prefixes the login with the request's host; the web form and the API may be
        # served under different host names and must share one count per account.
        return login_attempts_key(credentials.get("email", ""))


def login_attempts_key(email: str) -> str:
    """The per-account key of allauth's `login_failed` rate limit."""
    return f"login:{email.lower()}"

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role, is_staff_member


class AccountAdapter(DefaultAccountAdapter):
    """Every self-registered person is a customer and keeps the language they signed up in."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.preferred_language = (translation.get_language() or "ar")[:2]
        if commit:
            user.save()
            user.groups.add(Group.objects.get(name=Role.CUSTOMER))
        return user

    def get_login_redirect_url(self, request):
        """Where a sign-in lands (when no page asked for it): staff on their workspace,
        customers on their transactions."""
        if is_staff_member(request.user):
            return reverse(settings.STAFF_HOME_URL)
        return reverse(settings.CUSTOMER_HOME_URL)

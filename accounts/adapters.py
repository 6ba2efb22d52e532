from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import Group
from django.utils import translation

from accounts.roles import Role


class AccountAdapter(DefaultAccountAdapter):
    """Every self-registered person is a customer and keeps the language they signed up in."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.preferred_language = (translation.get_language() or "ar")[:2]
        if commit:
            user.save()
            user.groups.add(Group.objects.get(name=Role.CUSTOMER))
        return user

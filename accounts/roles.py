"""Roles are Django groups (created by a data migration); this module names them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    HAPPINESS_AGENT = "happiness_agent", _("Customer Happiness Center agent")
    REVIEWER = "reviewer", _("Engineer / reviewer")
    CONTRACTS_ENGINEER = "contracts_engineer", _("Contracts engineer")
    TENDER_COMMITTEE = "tender_committee", _("Tender committee member")
    FINANCE_OFFICER = "finance_officer", _("Finance officer")


STAFF_ROLES = frozenset(r.value for r in Role if r is not Role.CUSTOMER)


def user_roles(user) -> frozenset[str]:
    """The role names of a user, read once per request object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._portal_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def is_staff_member(user) -> bool:
    """Department staff: any staff role, or a Django staff/superuser (administrators)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.is_staff or bool(user_roles(user) & STAFF_ROLES)


def staff_names_visible_to(user) -> bool:
    """Whether a user may see the personal names of department staff (who is assigned, who
    wrote a remark, who did what on a timeline). Customers deal with the department and its
    roles, not with named officials; staff see each other. Pages and the API both ask this one
    function (STYLE 17)."""
    return is_staff_member(user)

"""Writes on users and organizations. Each takes the acting user as actor=."""

from django.db import transaction

from accounts.models import Organization, User


class NotAllowed(Exception):
    pass


@transaction.atomic
def profile_update(*, actor: User, full_name: str, mobile: str, preferred_language: str) -> User:
    actor.full_name = full_name
    actor.mobile = mobile
    actor.preferred_language = preferred_language
    actor.save(update_fields=["full_name", "mobile", "preferred_language"])
    return actor


@transaction.atomic
def organization_create(*, actor: User, data: dict) -> Organization:
    """Register an organization; the person who registers it becomes its manager.

    Raises NotAllowed when the actor already belongs to an organization.
    """
    actor = User.objects.select_for_update().get(pk=actor.pk)
    if actor.organization_id:
        raise NotAllowed
    categories = data.pop("categories", [])
    organization = Organization.objects.create(**data)
    organization.categories.set(categories)
    actor.organization = organization
    actor.organization_role = User.OrganizationRole.MANAGER
    actor.save(update_fields=["organization", "organization_role"])
    return organization


@transaction.atomic
def organization_update(*, actor: User, organization: Organization, data: dict) -> Organization:
    """Change an organization's details. Raises NotAllowed unless the actor manages it."""
    if not (actor.manages_organization and actor.organization_id == organization.pk):
        raise NotAllowed
    categories = data.pop("categories", None)
    for field, value in data.items():
        setattr(organization, field, value)
    organization.save()
    if categories is not None:
        organization.categories.set(categories)
    return organization

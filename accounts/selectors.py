from django.db.models import QuerySet

from accounts.models import Organization, User


def organization_members(*, organization: Organization) -> QuerySet[User]:
    return organization.members.order_by("full_name")


def organization_for_user(*, user: User) -> Organization | None:
    if not user.organization_id:
        return None
    return Organization.objects.prefetch_related("categories").get(pk=user.organization_id)

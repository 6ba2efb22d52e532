from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from accounts.models import Organization, User
from portal.models import PrivateFile


def organization_members(*, organization: Organization) -> QuerySet[User]:
    return organization.members.order_by("full_name")


def organization_for_user(*, user: User) -> Organization | None:
    if not user.organization_id:
        return None
    return Organization.objects.prefetch_related("categories").get(pk=user.organization_id)


def organization_licence_files(*, organization: Organization) -> QuerySet[PrivateFile]:
    return PrivateFile.objects.filter(
        content_type=ContentType.objects.get_for_model(Organization),
        object_id=str(organization.pk),
        purpose="trade_licence",
    ).order_by("-uploaded_at")

import datetime

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Organization, User
from accounts.roles import Role

PASSWORD = "Test-pass-2026"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name_ar = factory.Sequence(lambda n: f"مكتب رقم {n}")
    name_en = factory.Sequence(lambda n: f"Office {n}")
    kind = Organization.Kind.CONSULTANT
    trade_licence_number = factory.Sequence(lambda n: f"SHJ-T-{n:06d}")
    trade_licence_expiry = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=200)
    )


def _add_role(user, create, role) -> None:
    user.save()
    if role:
        user.groups.add(Group.objects.get(name=role))
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified e-mail; `role` names the group to add."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.ae")
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    role = factory.PostGeneration(lambda user, create, role, **kw: _add_role(user, create, role))


class CustomerFactory(UserFactory):
    organization = factory.SubFactory(OrganizationFactory)
    organization_role = User.OrganizationRole.MANAGER
    role = factory.PostGeneration(
        lambda user, create, role, **kw: _add_role(user, create, role or Role.CUSTOMER)
    )

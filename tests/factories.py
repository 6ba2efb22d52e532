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


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified e-mail; `role` names the group to add."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.ae")
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        self.save()
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        EmailAddress.objects.get_or_create(
            user=self, email=self.email, defaults={"verified": True, "primary": True}
        )


class CustomerFactory(UserFactory):
    organization = factory.SubFactory(OrganizationFactory)
    organization_role = User.OrganizationRole.MANAGER
    role = Role.CUSTOMER

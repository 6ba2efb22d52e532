"""Stand-ins for the customer personas while tests/factories.py's CustomerFactory is broken.

`role = Role.CUSTOMER` in CustomerFactory replaces UserFactory's post-generation hook with a
plain attribute, so factory_boy passes role= to User() and every CustomerFactory() raises
TypeError. Delete this file once tests/factories.py is fixed.
"""

import pytest

from accounts.models import User
from accounts.roles import Role
from tests.factories import OrganizationFactory, UserFactory


def make_customer(**kwargs) -> User:
    return UserFactory(
        role=Role.CUSTOMER,
        organization=OrganizationFactory(),
        organization_role=User.OrganizationRole.MANAGER,
        **kwargs,
    )


@pytest.fixture
def customer(db):
    return make_customer(full_name="سارة المهيري", email="customer@example.ae")


@pytest.fixture
def other_customer(db):
    return make_customer(full_name="Other Customer", email="other@example.ae")

import pytest

from accounts.roles import Role
from tests.factories import UserFactory
from tests.meetings.factories import HostFactory
from tests.transactions.factories import transaction_at


@pytest.fixture(autouse=True)
def _private_files(private_media):
    return private_media


@pytest.fixture
def people(people):
    """tests/conftest.py's personas, the reviewer also a meeting host."""
    HostFactory(user=people.reviewer)
    return people


@pytest.fixture
def remarked(people, service):
    """A transaction returned to the customer with one open remark about its plan, held by
    the reviewer (who hosts meetings about it)."""
    return transaction_at("remarks_returned", service=service, people=people)


@pytest.fixture
def supervisor(people, service):
    """The supervisor of the team the reviewer (the usual host) works in: sees and may cancel
    the reviewer's meetings."""
    boss = UserFactory(role=Role.REVIEWER, email="supervisor@example.ae")
    service.team.supervisor = boss
    service.team.save(update_fields=["supervisor"])
    return boss

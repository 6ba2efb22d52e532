import pytest

from tests.transactions.factories import People, ServiceFactory


@pytest.fixture(autouse=True)
def _private_files(private_media):
    """Every transaction test stores uploads and PDFs in a temporary directory."""
    return private_media


@pytest.fixture
def service(db):
    return ServiceFactory()


@pytest.fixture
def people(service, customer, agent, reviewer, finance):
    """The personas, with the reviewer in the service's team."""
    return People(
        service=service, customer=customer, agent=agent, reviewer=reviewer, finance=finance
    )

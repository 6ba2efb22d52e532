import pytest


@pytest.fixture(autouse=True)
def _private_files(private_media):
    """Every transaction test stores uploads and PDFs in a temporary directory."""
    return private_media

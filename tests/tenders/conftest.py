"""Tender personas: a contracts engineer (tests/conftest.py), two committee members with opening
keys and known passphrases (a third without a key), eligible and ineligible suppliers."""

import pytest
from nacl.pwhash import argon2id

from tenders import sealing
from tests.tenders import factories as f


@pytest.fixture(autouse=True)
def _private_files(private_media, monkeypatch):
    # Tender documents, issued PDFs and bid ciphertexts go to a temporary private storage.
    from django.core.files.storage import storages

    from tenders.models import BidFile

    monkeypatch.setattr(BidFile._meta.get_field("ciphertext"), "storage", storages["private"])
    return private_media


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch):
    # Production cost is ~0.4 s and 256 MiB per derivation; the chain is the same at the
    # minimum. Each MemberKey stores its own limits, so keys made here open with them.
    monkeypatch.setattr(sealing, "OPSLIMIT", argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(sealing, "MEMLIMIT", argon2id.MEMLIMIT_MIN)


@pytest.fixture
def category(db):
    return f.category()


@pytest.fixture
def member_a(db):
    return f.committee_user(email="member.a@example.ae", passphrase=f.PASSPHRASES[0])


@pytest.fixture
def member_b(db):
    return f.committee_user(email="member.b@example.ae", passphrase=f.PASSPHRASES[1])


@pytest.fixture
def member_without_key(db):
    return f.committee_user(email="member.c@example.ae", passphrase=None)


@pytest.fixture
def committee(member_a, member_b):
    """The two members of every factory tender's committee, in order (PASSPHRASES aligned)."""
    return [member_a, member_b]


@pytest.fixture
def supplier(category):
    """An eligible supplier: a contractor of grade 2 in the tenders' category."""
    return f.supplier_user(email="supplier@example.ae", category=category)


@pytest.fixture
def other_supplier(category):
    """A second eligible supplier (another organization)."""
    return f.supplier_user(email="supplier2@example.ae", category=category)


@pytest.fixture
def ineligible_supplier(db):
    """A customer whose organization matches no factory tender (kind, grade and category)."""
    return f.supplier_user(
        email="ineligible@example.ae", kind="individual", grade="5", category=None
    )


@pytest.fixture
def people(contracts_engineer, committee, supplier, other_supplier, ineligible_supplier, category):
    return f.TenderPeople(
        engineer=contracts_engineer,
        committee=committee,
        supplier=supplier,
        other_supplier=other_supplier,
        ineligible_supplier=ineligible_supplier,
        category=category,
    )

"""The Django admin opens for every model, and the demo data seeds once and logs in."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts.management.commands.seed_demo import DEMO_PASSWORD, USERS
from accounts.models import Organization, User
from accounts.roles import Role
from portal.models import IssuedDocument
from tenders.demo import COMMITTEE, SUPPLIERS

# seed_demo hashes nine passwords per run; the default hasher makes that take seconds.
pytestmark = pytest.mark.usefixtures("fast_hasher")


def _changelists() -> list[str]:
    return [
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model in admin.site._registry
    ]


@pytest.mark.parametrize("url_name", _changelists())
def test_admin_changelist_opens_with_a_search(client, admin_user, url_name):
    client.force_login(admin_user)
    response = client.get(reverse(url_name), {"q": "x"})
    assert response.status_code == 200


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo")
    call_command("seed_demo")
    # seed_demo's people, and the tenders demo's committee member and suppliers it lacks.
    tender_people = {email for email, *_ in COMMITTEE + SUPPLIERS}
    assert User.objects.count() == len(USERS) + len(tender_people - {e for e, *_ in USERS})
    assert Organization.objects.count() == 2 + len(SUPPLIERS)


def test_every_demo_user_logs_in_with_the_printed_password(client, db, capsys):
    call_command("seed_demo")
    printed = capsys.readouterr().out
    assert DEMO_PASSWORD in printed
    for email, *_ in USERS:
        assert email in printed
        assert client.login(email=email, password=DEMO_PASSWORD), email
        client.logout()


def test_every_role_has_its_demo_user(db):
    call_command("seed_demo")
    for role in Role:
        assert Group.objects.get(name=role).user_set.exists(), role
    assert User.objects.filter(is_superuser=True, email="admin@demo.pwd.ae").exists()


def test_seed_demo_issues_receipts_whose_verify_page_works(
    client, db, private_media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    documents = list(IssuedDocument.objects.filter(kind="organization_receipt"))
    # one per demo organization, not one per run
    assert len(documents) == 2 + len(SUPPLIERS)
    for document in documents:
        assert document.status == IssuedDocument.Status.READY
        page = client.get(reverse("verify", args=[document.verification_code]))
        assert page.status_code == 200
        assert document.reference in page.content.decode()

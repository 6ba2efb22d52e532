"""What a transaction was promised at submission does not change under it: the checklist version
it started on (locked in admin and in the models once in use) and the fee (copied at submission,
charged at approval), like the SLA."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from tests.transactions.factories import draft, transaction_at
from transactions import services
from transactions.models import ChecklistItem, FormField, ServiceVersion, Transaction

S = Transaction.Status


# --- the fee ---------------------------------------------------------------------------------


def test_the_fee_is_fixed_at_submission_and_charged_at_approval(people, service):
    t = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    assert t.fee_amount == Decimal("1500.00")  # copied from the service at submission
    service.fee = Decimal("3000.00")  # the department raises the fee afterwards
    service.sla_days = 20
    service.save()

    approved = services.transaction_approve(actor=people.reviewer, transaction=t)

    assert (approved.status, approved.fee_amount, approved.sla_days) == (S.FEE_DUE, 1500, 5)
    services.fee_payment_submit(
        actor=people.customer, transaction=t, method="bank_transfer", payer_reference="FT-9"
    )
    assert t.payments.get().amount == Decimal("1500.00")


def test_a_service_made_free_after_submission_still_charges_its_fee(people, service):
    t = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    service.fee = Decimal("0.00")
    service.save()
    approved = services.transaction_approve(actor=people.reviewer, transaction=t)
    assert (approved.status, approved.fee_amount) == (S.FEE_DUE, Decimal("1500.00"))


def test_a_draft_takes_the_fee_of_the_day_it_is_submitted(people, service):
    t = draft(customer=people.customer, service=service)
    service.fee = Decimal("1750.00")
    service.save()
    submitted = services.transaction_submit(actor=people.customer, transaction=t)
    assert submitted.fee_amount == Decimal("1750.00")


def test_the_data_migration_gives_undecided_transactions_their_services_fee(people, service):
    undecided = transaction_at(S.UNDER_REVIEW, service=service, people=people)
    decided = transaction_at(S.FEE_DUE, service=service, people=people)
    draft_ = draft(customer=people.customer, service=service)
    # As the rows were before the fee was copied at submission.
    Transaction.objects.filter(pk__in=[undecided.pk, draft_.pk]).update(fee_amount=0)
    Transaction.objects.filter(pk=decided.pk).update(fee_amount=Decimal("999.00"))
    service.fee = Decimal("1600.00")
    service.save()

    migration = importlib.import_module("transactions.migrations.0003_fee_fixed_at_submission")
    migration.copy_fees(apps, None)

    fees = dict(Transaction.objects.values_list("pk", "fee_amount"))
    assert fees[undecided.pk] == Decimal("1600.00")
    assert fees[decided.pk] == Decimal("999.00")  # charged at its approval: kept
    assert fees[draft_.pk] == 0  # takes the fee when it is submitted


# --- the checklist version ----------------------------------------------------------------------


@pytest.fixture
def in_use(people, service) -> ServiceVersion:
    draft(customer=people.customer, service=service)  # even a draft was promised this list
    return service.versions.get()


def test_a_version_in_use_refuses_changes_to_its_items_and_fields(in_use):
    item = in_use.checklist.get(code="plan")
    item.mandatory = False
    with pytest.raises(ValidationError):
        item.save()
    with pytest.raises(ValidationError):
        item.full_clean()
    with pytest.raises(ValidationError):
        item.delete()
    with pytest.raises(ValidationError):
        ChecklistItem.objects.create(
            version=in_use, code="noc", name_ar="عدم ممانعة", name_en="NOC", kinds=["pdf"]
        )
    field = in_use.fields.get(code="area")
    field.required = True
    with pytest.raises(ValidationError):
        field.save()
    with pytest.raises(ValidationError):
        field.delete()
    with pytest.raises(ValidationError):
        FormField.objects.create(version=in_use, code="depth", label_ar="عمق", label_en="Depth")
    # Nor can an item be moved off it to a new version.
    version_2 = ServiceVersion.objects.create(service=in_use.service, number=2)
    item.refresh_from_db()
    item.version = version_2
    with pytest.raises(ValidationError):
        item.save()
    assert in_use.checklist.get(code="plan").mandatory is True
    assert in_use.checklist.count() == 2 and in_use.fields.count() == 2


def test_a_version_not_in_use_is_still_edited(db, service):
    version = service.versions.get()
    item = version.checklist.get(code="plan")
    item.mandatory = False
    item.save()
    FormField.objects.create(version=version, code="depth", label_ar="عمق", label_en="Depth")
    item.delete()
    assert version.checklist.count() == 1 and version.fields.count() == 3


def test_admin_shows_a_version_in_use_read_only(admin_client, in_use):
    url = f"/admin/transactions/serviceversion/{in_use.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert 'name="checklist-0-name_en"' not in html  # the inline rows are not inputs
    assert admin_client.post(url, {"checklist-0-name_en": "Changed"}).status_code == 403
    assert in_use.checklist.get(code="plan").name_en == "Site plan"
    delete = f"/admin/transactions/serviceversion/{in_use.pk}/delete/"
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403


def test_admin_edits_a_version_not_in_use(admin_client, service):
    version = service.versions.get()
    html = admin_client.get(
        f"/admin/transactions/serviceversion/{version.pk}/change/"
    ).content.decode()
    assert 'name="_save"' in html and 'name="checklist-0-name_en"' in html

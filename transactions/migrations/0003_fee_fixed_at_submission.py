"""The fee is now copied to the transaction at submission (it used to be read from the service
at approval). Transactions submitted but not yet decided get their service's current fee, which
is what approval would have charged them; decided ones already carry the fee they were charged."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

UNDECIDED = [
    "submitted",
    "completeness_check",
    "incomplete_returned",
    "under_review",
    "remarks_returned",
]


def copy_fees(apps, schema_editor):
    Service = apps.get_model("transactions", "Service")
    Transaction = apps.get_model("transactions", "Transaction")
    fee = Service.objects.filter(pk=OuterRef("service_id")).values("fee")[:1]
    Transaction.objects.filter(status__in=UNDECIDED).update(fee_amount=Subquery(fee))


class Migration(migrations.Migration):
    dependencies = [
        ("transactions", "0002_remark_returned_field_minimum"),
    ]

    operations = [
        # Going back leaves the copies: approval then overwrote them with the same value.
        migrations.RunPython(copy_fees, migrations.RunPython.noop),
    ]

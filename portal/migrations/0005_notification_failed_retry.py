"""Rows that the old outbox marked `failed` after five quick attempts were given up far too
early: put them back in the queue, to be retried now under the new backoff and age limit."""

from django.db import migrations


def failed_to_pending(apps, schema_editor):
    Notification = apps.get_model("portal", "Notification")
    Notification.objects.filter(status="failed").update(status="pending", next_attempt_at=None)


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_issued_document_failures_job_runs")]

    operations = [migrations.RunPython(failed_to_pending, migrations.RunPython.noop)]

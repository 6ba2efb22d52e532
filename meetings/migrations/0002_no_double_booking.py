"""On PostgreSQL, a host can never have two live meetings whose [starts_at, blocked_until)
ranges overlap: an exclusion constraint (btree_gist for the equality on host_id), checked by
the database even when many bookings for one slot arrive at the same moment.

SQLite (the embedded demo) has no exclusion constraints; there the booking service's checks
under its transaction are the guard."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE meetings_meeting ADD CONSTRAINT meeting_host_not_double_booked
    EXCLUDE USING gist (host_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&)
    WHERE (status IN ('scheduled', 'held'));
"""
DROP = "ALTER TABLE meetings_meeting DROP CONSTRAINT IF EXISTS meeting_host_not_double_booked;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]

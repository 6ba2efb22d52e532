"""DRF's plain `authtoken` (tokens stored in clear, never expiring) gave way to knox's hashed,
expiring tokens; its table still held every old token in clear, so it goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_team")]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop),
    ]

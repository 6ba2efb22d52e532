"""Roles are groups; classification categories are reference data every environment needs."""

from django.db import migrations

from accounts.reference_data import ROLES, ensure_reference_data


def forwards(apps, schema_editor):
    ensure_reference_data(apps)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, backwards)]

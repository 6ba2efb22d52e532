"""Staff roles may view issued documents and private files of customers (portal's views still
check the object); customers see only their own."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.reference_data import ensure_reference_data


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; this one needs them now.
    portal = apps.get_app_config("portal")
    portal.models_module = True
    create_permissions(portal, verbosity=0, apps=apps)
    ensure_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles_and_categories"), ("portal", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

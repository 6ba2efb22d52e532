"""Staff roles may view issued documents and private files of customers (portal's views still
check the object); customers see only their own."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF_ROLES = ["happiness_agent", "reviewer", "contracts_engineer", "tender_committee",
               "finance_officer"]
CODENAMES = ["view_issueddocument", "view_privatefile"]


def forwards(apps, schema_editor):
    portal = apps.get_app_config("portal")
    portal.models_module = True
    create_permissions(portal, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = list(Permission.objects.filter(content_type__app_label="portal",
                                           codename__in=CODENAMES))
    for group in Group.objects.filter(name__in=STAFF_ROLES):
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles_and_categories"), ("portal", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

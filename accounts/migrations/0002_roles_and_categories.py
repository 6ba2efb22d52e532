"""Roles are groups; classification categories are reference data every environment needs."""

from django.db import migrations

ROLES = [
    "customer",
    "happiness_agent",
    "reviewer",
    "contracts_engineer",
    "tender_committee",
    "finance_officer",
]

CATEGORIES = [
    ("buildings", "مباني", "Buildings"),
    ("roads", "طرق وجسور", "Roads and bridges"),
    ("infrastructure", "بنية تحتية وصرف", "Infrastructure and drainage"),
    ("electromechanical", "أعمال كهروميكانيكية", "Electromechanical works"),
    ("maintenance", "صيانة", "Maintenance"),
    ("landscaping", "تنسيق حدائق", "Landscaping"),
    ("supplies", "توريدات", "Supplies"),
    ("consultancy", "استشارات هندسية", "Engineering consultancy"),
]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Category = apps.get_model("accounts", "ClassificationCategory")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for code, name_ar, name_en in CATEGORIES:
        Category.objects.update_or_create(code=code, defaults={"name_ar": name_ar,
                                                               "name_en": name_en})


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, backwards)]

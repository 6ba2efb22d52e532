"""Reference data every environment needs: the role groups, the classification categories and
the staff roles' view permissions. Written by the data migrations and re-ensured after every
migrate/flush (post_migrate), so a flushed test database or a fresh one always has them."""

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

# Staff may list issued documents and private files (e.g. in admin); downloads are decided per
# object by portal.files.private_file_get_for_user and portal.documents.document_get_for_user.
STAFF_PERMISSIONS = {
    role: ["portal.view_issueddocument", "portal.view_privatefile"]
    for role in ROLES
    if role != "customer"
}


def ensure_reference_data(apps) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Category = apps.get_model("accounts", "ClassificationCategory")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for code, name_ar, name_en in CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name_ar": name_ar, "name_en": name_en})
    for role, perms in STAFF_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found:
                group.permissions.add(found)


def on_post_migrate(sender, apps=None, **kwargs) -> None:
    # migrate passes the migration state's apps; flush (e.g. between tests) passes none.
    if apps is None:
        from django.apps import apps
    ensure_reference_data(apps)

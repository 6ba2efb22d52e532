from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import ClassificationCategory, Organization, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "organization",
        "preferred_language",
        "is_active",
        "is_staff",
        "last_login",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups", "preferred_language"]
    search_fields = [
        "email",
        "full_name",
        "mobile",
        "organization__name_ar",
        "organization__name_en",
    ]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal details"), {"fields": ("full_name", "mobile", "preferred_language")}),
        (_("Organization"), {"fields": ("organization", "organization_role")}),
        (
            _("Roles and permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "password1", "password2", "groups"),
            },
        ),
    )


class MemberInline(admin.TabularInline):
    model = User
    fields = ["email", "full_name", "organization_role"]
    readonly_fields = ["email", "full_name"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = [
        "name_en",
        "name_ar",
        "kind",
        "trade_licence_number",
        "trade_licence_expiry",
        "classification_grade",
    ]
    list_filter = ["kind", "classification_grade", "categories"]
    search_fields = ["name_en", "name_ar", "trade_licence_number", "email"]
    filter_horizontal = ["categories"]
    date_hierarchy = "created_at"
    inlines = [MemberInline]


@admin.register(ClassificationCategory)
class ClassificationCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_ar"]
    search_fields = ["code", "name_en", "name_ar"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ar", "name_en", "supervisor"]
    search_fields = ["code", "name_ar", "name_en"]
    list_select_related = ["supervisor"]
    autocomplete_fields = ["supervisor"]
    filter_horizontal = ["members"]

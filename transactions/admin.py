"""The catalogue is edited here. Transactions are read-only: their state only changes through
the services (the portal's pages and API), so the audit trail stays whole."""

from django.contrib import admin

from transactions.models import (
    ChecklistItem,
    FeePayment,
    FormField,
    Service,
    ServiceVersion,
    Transaction,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_ar",
        "name_en",
        "category",
        "team",
        "fee",
        "sla_days",
        "is_active",
    ]
    list_filter = ["category", "team", "is_active"]
    search_fields = ["code", "name_ar", "name_en"]
    list_select_related = ["team"]


def _in_use(version: ServiceVersion | None) -> bool:
    return version is not None and version.in_use


class _VersionPartInline(admin.TabularInline):
    """The items and fields of a version in use are shown, never added, changed or removed
    (the models refuse it too)."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return not _in_use(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _in_use(obj) and super().has_delete_permission(request, obj)


class ChecklistItemInline(_VersionPartInline):
    model = ChecklistItem


class FormFieldInline(_VersionPartInline):
    model = FormField


@admin.register(ServiceVersion)
class ServiceVersionAdmin(admin.ModelAdmin):
    """A new checklist is a new version; transactions keep the version they started on. A
    version in use is history: read-only here, changed by publishing a new version."""

    list_display = ["service", "number", "published_at"]
    list_select_related = ["service"]
    inlines = [ChecklistItemInline, FormFieldInline]

    def has_change_permission(self, request, obj=None):
        return not _in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _in_use(obj) and super().has_delete_permission(request, obj)


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ["reference", "service", "applicant", "status", "assignee", "due_date"]
    list_filter = ["status", "service"]
    search_fields = ["reference", "title", "applicant__email", "applicant__full_name"]
    list_select_related = ["service", "applicant", "assignee"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FeePayment)
class FeePaymentAdmin(admin.ModelAdmin):
    list_display = ["transaction", "amount", "method", "status", "created_at"]
    list_filter = ["status", "method"]
    list_select_related = ["transaction"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

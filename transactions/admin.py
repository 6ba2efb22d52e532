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


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0


class FormFieldInline(admin.TabularInline):
    model = FormField
    extra = 0


@admin.register(ServiceVersion)
class ServiceVersionAdmin(admin.ModelAdmin):
    """A new checklist is a new version; transactions keep the version they started on."""

    list_display = ["service", "number", "published_at"]
    list_select_related = ["service"]
    inlines = [ChecklistItemInline, FormFieldInline]

    def get_readonly_fields(self, request, obj=None):
        # A version in use is history: change the checklist by publishing a new version.
        if obj is not None and obj.transactions.exists():
            return ["service", "number"]
        return []


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

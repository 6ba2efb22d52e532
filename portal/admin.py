from django.contrib import admin

from portal.models import AuditEvent, Holiday, IssuedDocument, Notification, PrivateFile


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "actor",
        "verb",
        "content_type",
        "object_id",
        "from_status",
        "to_status",
        "ip",
    ]
    list_filter = ["verb", "content_type", "to_status"]
    search_fields = ["object_id", "actor__email", "verb"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "content_type"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "recipient",
        "kind",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "read_at",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["recipient__email", "kind", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "kind", "title_en", "owner", "status", "issued_at"]
    list_filter = ["kind", "status"]
    search_fields = ["reference", "verification_code", "owner__email", "title_en", "title_ar"]
    date_hierarchy = "issued_at"
    list_select_related = ["owner"]
    exclude = ["pdf"]


@admin.register(PrivateFile)
class PrivateFileAdmin(ReadOnlyAdmin):
    list_display = [
        "original_name",
        "purpose",
        "content_type_detected",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["purpose", "content_type_detected"]
    search_fields = ["original_name", "sha256", "uploaded_by__email"]
    list_select_related = ["uploaded_by"]
    exclude = ["file"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name_en", "name_ar"]
    search_fields = ["name_en", "name_ar"]
    date_hierarchy = "date"

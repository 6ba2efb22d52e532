from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import documents, notifications
from portal.models import AuditEvent, Holiday, IssuedDocument, JobRun, Notification, PrivateFile


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
        "next_attempt_at",
        "sent_at",
        "read_at",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["recipient__email", "kind", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    actions = ["retry_now"]

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("portal.change_notification")

    @admin.action(
        description=_("Retry the selected undeliverable notifications now"),
        permissions=["retry"],
    )
    def retry_now(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = notifications.notifications_retry(actor=request.user, ids=ids)
        self.message_user(
            request,
            ngettext(
                "%(count)d notification queued again.",
                "%(count)d notifications queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def changelist_view(self, request, extra_context=None):
        undeliverable = notifications.notifications_undeliverable_count()
        if undeliverable:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notification is undeliverable: filter by status, fix the cause, "
                    "then retry it.",
                    "%(count)d notifications are undeliverable: filter by status, fix the "
                    "cause, then retry them.",
                    undeliverable,
                )
                % {"count": undeliverable},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "kind", "title_en", "owner", "status", "attempts", "issued_at"]
    list_filter = ["kind", "status"]
    search_fields = ["reference", "verification_code", "owner__email", "title_en", "title_ar"]
    date_hierarchy = "issued_at"
    list_select_related = ["owner"]
    exclude = ["pdf"]
    actions = ["retry_rendering"]

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("portal.change_issueddocument")

    @admin.action(
        description=_("Render the selected failed documents again"), permissions=["retry"]
    )
    def retry_rendering(self, request, queryset) -> None:
        count = 0
        for document in queryset.filter(status=IssuedDocument.Status.FAILED):
            documents.document_retry(actor=request.user, document=document)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d document queued for rendering again.",
                "%(count)d documents queued for rendering again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "key", "started_at", "finished_at", "result"]
    list_filter = ["name"]
    date_hierarchy = "started_at"


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

from django.contrib import admin

from meetings.models import HostProfile, Leave, Meeting, WeeklyHours


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    extra = 0


class LeaveInline(admin.TabularInline):
    model = Leave
    extra = 0


@admin.register(HostProfile)
class HostProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "is_active",
        "slot_minutes",
        "buffer_minutes",
        "min_notice_hours",
        "horizon_days",
    ]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    inlines = [WeeklyHoursInline, LeaveInline]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Read-only: meetings change through the portal's services (invitations, audit)."""

    list_display = ["reference", "kind", "host", "customer", "starts_at", "status", "rating"]
    list_filter = ["kind", "status", "topic"]
    search_fields = ["reference", "host__full_name", "customer__full_name", "customer__email"]
    list_select_related = ["host", "customer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Query-string filters of the meetings list. A bad value is a 400 naming the parameter, never a
silently ignored filter."""

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from meetings.models import Meeting
from portal.api import BooleanFilter, FilterSet


class MeetingFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=Meeting.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Meeting.Kind.choices)
    upcoming = BooleanFilter(
        method="filter_upcoming",
        help_text="true: not yet ended, soonest first; false: ended, latest first.",
    )

    class Meta:
        model = Meeting
        fields = ["status", "kind", "upcoming"]

    def filter_upcoming(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        now = timezone.now()
        if value:
            return queryset.filter(ends_at__gt=now).order_by("starts_at", "pk")
        if value is False:
            return queryset.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
        return queryset

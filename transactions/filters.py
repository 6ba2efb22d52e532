"""Query-string filters of the transactions list (the same choices the pages offer)."""

import django_filters
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from transactions.models import Transaction


class TransactionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Transaction.Status.choices)
    service = django_filters.CharFilter(field_name="service__code", help_text="Service code.")
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        validators=[RegexValidator(r"^(me|unassigned|\d+)$", _("Use me, unassigned or an id."))],
        help_text="me, unassigned or a user id.",
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="Only work past its due date."
    )
    # Read by the view, which starts from the staff work queue instead of everything visible.
    queue = django_filters.BooleanFilter(
        method="filter_queue",
        help_text="The staff work queue: work waiting on the department that the user's roles "
        "cover, soonest due first.",
    )

    class Meta:
        model = Transaction
        fields = ["status", "service", "assignee", "overdue", "queue"]

    def filter_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        # The due date is cleared whenever the department's clock stops, so a due date in the
        # past means the department is late.
        if value:
            return queryset.filter(due_date__lt=timezone.localdate())
        return queryset

    def filter_queue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset

"""Query-string filters of the transactions list (the same choices the pages offer). A bad
value is a 400 naming the parameter, never a silently ignored filter."""

import django_filters
from django.core.validators import RegexValidator, validate_slug
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from portal.api import BooleanFilter, FilterSet
from transactions.models import Transaction

ASSIGNEE_PATTERN = r"^(me|unassigned|[0-9]+)$"


@extend_schema_field({"type": "string", "pattern": ASSIGNEE_PATTERN})
class AssigneeFilter(django_filters.CharFilter):
    """me, unassigned or a user id; the schema carries the same pattern the filter checks."""


@extend_schema_field({"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"})
class ServiceCodeFilter(django_filters.CharFilter):
    """A service's code (a slug)."""


class TransactionFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=Transaction.Status.choices)
    service = ServiceCodeFilter(
        field_name="service__code", validators=[validate_slug], help_text="Service code."
    )
    assignee = AssigneeFilter(
        method="filter_assignee",
        validators=[RegexValidator(ASSIGNEE_PATTERN, _("Use me, unassigned or an id."))],
        help_text="me, unassigned or a user id.",
    )
    overdue = BooleanFilter(method="filter_overdue", help_text="Only work past its due date.")
    # Read by the view, which starts from the staff work queue instead of everything visible.
    queue = BooleanFilter(
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

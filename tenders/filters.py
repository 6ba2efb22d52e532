"""Query-string filters of the tenders list (the same choices the pages offer). A bad value is a
400 naming the parameter, never a silently ignored filter (portal.api.FilterSet)."""

import django_filters

from portal.api import FilterSet
from tenders.models import Tender


class TenderFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=Tender.Status.choices)
    category = django_filters.ChoiceFilter(choices=Tender.Category.choices)
    method = django_filters.ChoiceFilter(choices=Tender.Method.choices)

    class Meta:
        model = Tender
        fields = ["status", "category", "method"]

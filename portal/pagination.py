"""The API's pagination, in a module of its own: DRF imports the pagination class while it
defines its generic views, before portal.api (which imports them) can load.

Counts are capped: a reviewer or an agent may see a department's whole history, and counting
every row they may see took longer than the page itself at a year's scale (issue 11). A list
counts at most COUNT_CAP rows; past that, pages are offered up to the cap and filters narrow
the list.

A page is read in two steps: the ids of its rows first (the filter and the order alone, which an
index answers), then those rows with everything selected with them. One query doing both made
PostgreSQL join every visible row to its relations before it sorted and cut the page."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework import pagination

COUNT_CAP = 1_000


class CappedPaginator(Paginator):
    """Django's paginator, counting no further than COUNT_CAP rows (one bounded query:
    SELECT COUNT(*) FROM (... LIMIT COUNT_CAP))."""

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if not hasattr(object_list, "query"):
            return min(len(object_list), COUNT_CAP)
        if object_list.query.is_sliced:
            return min(object_list.count(), COUNT_CAP)
        # Without the order: PostgreSQL would otherwise sort the rows it counts.
        return object_list.order_by()[:COUNT_CAP].count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if not hasattr(rows, "query") or rows.query.is_sliced:
            return self._get_page(rows[bottom:top], number, self)
        return self._get_page(in_two_steps(rows, bottom, top), number, self)


def in_two_steps(rows: QuerySet, start: int = 0, stop: int | None = None) -> list:
    """rows[start:stop], read as the ids first (the filter and the order, no joins), then
    those rows with what they select (module docstring)."""
    ids = list(rows.values_list("pk", flat=True)[start:stop])
    by_id = {row.pk: row for row in rows.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


class Pagination(pagination.PageNumberPagination):
    """DRF's page numbers, with `page` documented as it is checked: from 1 (0, a negative
    number or a page past the last one is a 404, documented by portal.api.AutoSchema), and
    `count` capped at COUNT_CAP."""

    django_paginator_class = CappedPaginator

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"].update(
            maximum=COUNT_CAP,
            description=f"The number of results, counted up to {COUNT_CAP}: a longer list "
            f"reports {COUNT_CAP} and pages up to that many results; filter it to see the rest.",
        )
        return response

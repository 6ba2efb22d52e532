"""The API's pagination, in a module of its own: DRF imports the pagination class while it
defines its generic views, before portal.api (which imports them) can load."""

from rest_framework import pagination


class Pagination(pagination.PageNumberPagination):
    """DRF's page numbers, with `page` documented as it is checked: from 1 (0, a negative
    number or a page past the last one is a 404, documented by portal.api.AutoSchema)."""

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters

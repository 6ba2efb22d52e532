"""The staff work queue."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.decorators import staff_required
from portal.pagination import CappedPaginator
from transactions import selectors
from transactions.models import Service
from transactions.views._common import (
    PAGE_SIZE,
    S,
)

# --- the staff queue -----------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service"),
        queryset=Service.objects.none(),
        empty_label=gettext_lazy("All services"),
        required=False,
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    assignee = forms.ChoiceField(
        label=gettext_lazy("Assigned to"),
        choices=[
            ("", gettext_lazy("Anyone")),
            ("me", gettext_lazy("Me")),
            ("unassigned", gettext_lazy("Nobody yet")),
        ],
        required=False,
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)

    def __init__(self, *args, statuses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = selectors.services_published()
        self.fields["status"].choices = [("", gettext_lazy("All statuses"))] + [
            (value, label) for value, label in S.choices if value in statuses
        ]


@staff_required()
def staff_queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None, statuses=selectors.queue_statuses(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    queue = selectors.staff_queue(
        user=request.user,
        service=filters.get("service"),
        status=filters.get("status") or "",
        assignee=filters.get("assignee") or "",
        overdue=bool(filters.get("overdue")),
    )
    # The whole department's waiting work can be long: count it only up to the cap.
    page = CappedPaginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "transactions/queue.html",
        {"page": page, "form": form, "query": query.urlencode(), "today": timezone.localdate()},
    )

"""The public catalogue and the customer's applications: apply, edit, list."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import is_staff_member
from portal.pagination import CappedPaginator
from portal.public_cache import public_page
from transactions import selectors, services
from transactions.forms import (
    ApplicationForm,
)
from transactions.models import Service, Transaction
from transactions.sla import expected_completions
from transactions.views._common import (
    PAGE_SIZE,
    S,
    _add_service_errors,
    _get_transaction_for_user,
)

# --- the public catalogue ------------------------------------------------------------------------


@public_page("transactions.service", "accounts.team")
def catalogue(request: HttpRequest) -> HttpResponse:
    by_category: dict[str, list[Service]] = {}
    for service in selectors.services_published():
        by_category.setdefault(service.category, []).append(service)
    groups = [
        (label, by_category[value])
        for value, label in Service.Category.choices
        if value in by_category
    ]
    return render(request, "transactions/catalogue.html", {"groups": groups})


@public_page(
    "transactions.service",
    "transactions.serviceversion",
    "transactions.checklistitem",
    "transactions.formfield",
    "accounts.team",
)
def service_detail(request: HttpRequest, code: str) -> HttpResponse:
    service = selectors.service_get_published(code=code)
    version = selectors.service_current_version(service=service)
    return render(
        request,
        "transactions/service.html",
        {
            "service": service,
            "version": version,
            "checklist": list(version.checklist.all()) if version else [],
            "fields": list(version.fields.all()) if version else [],
            "is_staff": is_staff_member(request.user),
        },
    )


# --- the customer's applications -----------------------------------------------------------------


@login_required
def transaction_new(request: HttpRequest, code: str) -> HttpResponse:
    service = selectors.service_get_published(code=code)
    if is_staff_member(request.user):
        messages.error(request, _("Department staff cannot apply for services."))
        return redirect("transactions:service", code=service.code)
    version = selectors.service_current_version(service=service)
    if version is None:
        raise Http404
    form = ApplicationForm(request.POST or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            transaction = services.transaction_create(
                actor=request.user,
                service=service,
                title=form.cleaned_data["title"],
                data=form.data_values(),
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Your draft has been saved. Upload the documents, then submit it."),
            )
            return redirect("transactions:detail", pk=transaction.pk)
    return render(
        request,
        "transactions/application_form.html",
        {"form": form, "service": service, "transaction": None},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def transaction_edit(request: HttpRequest, pk: int) -> HttpResponse:
    transaction = _get_transaction_for_user(request, pk)
    if not selectors.is_customer_party(request.user, transaction):
        raise Http404
    if transaction.status not in Transaction.EDITABLE:
        messages.error(request, _("The application can no longer be changed."))
        return redirect("transactions:detail", pk=transaction.pk)
    form = ApplicationForm(
        request.POST or None,
        version=transaction.version,
        initial=ApplicationForm.initial_for(transaction),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.transaction_update(
                actor=request.user,
                transaction=transaction,
                title=form.cleaned_data["title"],
                data=form.data_values(),
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("The application has been saved."))
            return redirect("transactions:detail", pk=transaction.pk)
    return render(
        request,
        "transactions/application_form.html",
        {"form": form, "service": transaction.service, "transaction": transaction},
        status=400 if form.is_bound and form.errors else 200,
    )


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All statuses")), *S.choices],
        required=False,
    )


@login_required
def transaction_list(request: HttpRequest) -> HttpResponse:
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = CappedPaginator(
        selectors.customer_transactions(user=request.user, status=status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    expected_completions(page.object_list)
    return render(
        request,
        "transactions/list.html",
        {"page": page, "form": form, "status": status, "query": urlencode({"status": status})},
    )

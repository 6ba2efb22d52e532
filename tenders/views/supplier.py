"""The supplier's pages: the tenders it is eligible for, the bid form (submit or change) and
its bids with their receipts. The tender page itself is tenders.views.detail."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.pagination import CappedPaginator
from tenders import selectors
from tenders.forms import BidForm
from tenders.services import bids
from tenders.views import _reads as reads
from tenders.views._common import (
    PAGE_SIZE,
    S,
    is_tender_staff,
    memory_only_uploads,
    tender_for,
)


class SupplierFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All statuses")), *[c for c in S.choices if c[0] != S.DRAFT]],
        required=False,
    )


@login_required
def tender_list(request: HttpRequest) -> HttpResponse:
    if is_tender_staff(request.user):
        return redirect("tenders:dashboard")
    form = SupplierFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = CappedPaginator(
        reads.supplier_tenders(user=request.user, status=status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "tenders/list.html",
        {
            "page": page,
            "form": form,
            "status": status,
            "query": urlencode({"status": status}),
            "has_organization": selectors.supplier_organization(request.user) is not None,
        },
    )


@memory_only_uploads
@login_required
def bid_form(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit a bid, or change the live one (a new version with a new receipt: sealed offers
    cannot be shown again, so a change is a whole new offer)."""
    tender = tender_for(request, pk)
    allowed = selectors.allowed_actions(user=request.user, tender=tender)
    changing = "change-bid" in allowed
    if not changing and "bid" not in allowed:
        messages.error(request, _("Bids cannot be submitted for this tender now."))
        return redirect("tenders:detail", pk=tender.pk)
    boq_items = list(tender.boq_items.all())
    form = BidForm(request.POST or None, request.FILES or None, boq_items=boq_items)
    if request.method == "POST" and form.is_valid():
        try:
            if changing:
                bid = bids.bid_change(
                    actor=request.user,
                    bid=reads.own_bid_or_404(tender=tender, user=request.user),
                    **form.offer(),
                )
            else:
                bid = bids.bid_submit(actor=request.user, tender=tender, **form.offer())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Your bid has been sealed and stored (version %(version)s). Your receipt "
                    "is being issued; keep it: its code proves what you submitted."
                )
                % {"version": bid.version},
            )
            return redirect("tenders:detail", pk=tender.pk)
    return render(
        request,
        "tenders/bid_form.html",
        {"tender": tender, "form": form, "changing": changing},
        status=400 if form.is_bound and form.errors else 200,
    )


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the form: its field names map to the form's where they match."""
    if hasattr(error, "error_dict"):
        for code, texts in error.message_dict.items():
            name = BidForm.SERVICE_FIELDS.get(code, code if code in form.fields else None)
            form.add_error(name, texts)
    else:
        form.add_error(None, error)


@login_required
def my_bids(request: HttpRequest) -> HttpResponse:
    if selectors.supplier_organization(request.user) is None:
        raise Http404
    page = CappedPaginator(reads.my_bids(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    issued = reads.issued_by_bid(list(page.object_list))
    for bid in page.object_list:
        bid.issued = issued.get(bid.pk, [])
    return render(request, "tenders/my_bids.html", {"page": page, "query": ""})

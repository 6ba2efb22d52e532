from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from knox.models import AuthToken

from accounts import selectors, services
from accounts.decorators import staff_required
from accounts.forms import OrganizationForm, ProfileForm
from accounts.roles import user_roles
from accounts.workspace import panels_for
from portal.documents import documents_owned_by


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = services.profile_update(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile has been saved."))
        # Follow the person's chosen language at once.
        with translation.override(user.preferred_language):
            return redirect("accounts:profile")
    # The person's live API tokens; expired ones no longer work and are not shown.
    tokens = AuthToken.objects.filter(user=request.user, expiry__gt=timezone.now()).order_by(
        "-created"
    )
    return render(request, "accounts/profile.html", {"form": form, "api_tokens": tokens})


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    services.api_token_revoke(actor=request.user, token_id=token_id)
    messages.success(request, _("The API token has been revoked."))
    return redirect("accounts:profile")


@login_required
def organization(request: HttpRequest) -> HttpResponse:
    org = selectors.organization_for_user(user=request.user)
    can_edit = org is None or request.user.manages_organization
    form = None
    if can_edit:
        form = OrganizationForm(request.POST or None, request.FILES or None, instance=org)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            licence = data.pop("trade_licence_copy", None)
            if org is None:
                services.organization_create(actor=request.user, data=data, licence_file=licence)
                messages.success(
                    request,
                    _("Your organization has been registered. The receipt is being prepared."),
                )
            else:
                services.organization_update(
                    actor=request.user, organization=org, data=data, licence_file=licence
                )
                messages.success(request, _("The organization's details have been saved."))
            return redirect("accounts:organization")
    elif request.method == "POST":
        messages.error(request, _("Only the organization's manager can change its details."))
    members = selectors.organization_members(organization=org) if org else []
    return render(
        request,
        "accounts/organization.html",
        {
            "organization": org,
            "form": form,
            "members": members,
            "licence_files": selectors.organization_licence_files(organization=org) if org else [],
            "documents": documents_owned_by(user=request.user).filter(kind="organization_receipt"),
        },
    )


@staff_required()
def staff_home(request: HttpRequest) -> HttpResponse:
    """The member's day: each domain app's panel (accounts/workspace.py) — what waits in their
    queue by status, what is overdue, today's meetings.

    Queries: the roles (cached on the user for the header too), then each panel's own."""
    return render(
        request,
        "accounts/staff_home.html",
        {
            "roles": sorted(user_roles(request.user)),
            "panels": panels_for(user=request.user),
        },
    )

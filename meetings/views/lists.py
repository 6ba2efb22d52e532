"""The customer's meetings, and the open sessions they may register for."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import is_staff_member
from meetings import services
from meetings.forms import RegisterForm
from meetings.models import Meeting, Registration
from meetings.selectors import meetings_visible_to, sessions_open
from portal.pagination import CappedPaginator, in_two_steps
from portal.public_cache import public_page

PAGE_SIZE = 20


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    if is_staff_member(request.user):
        return redirect("meetings:calendar")
    now = timezone.now()
    mine = meetings_visible_to(user=request.user)
    coming = Q(status=Meeting.Status.SCHEDULED, ends_at__gte=now)
    upcoming = in_two_steps(mine.filter(coming).order_by("starts_at", "pk"))
    past = CappedPaginator(mine.exclude(coming).order_by("-starts_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "meetings/list.html",
        {"upcoming": upcoming, "past": past, "page": past, "query": ""},
    )


@public_page("meetings.meeting", "meetings.registration", "meetings.hostprofile", "accounts.user")
def session_list(request: HttpRequest) -> HttpResponse:
    """Public: open sessions are announced to everyone (the home page links here); registering
    needs an account, so anonymous visitors get a sign-in link that comes back here."""
    page = CappedPaginator(sessions_open(), PAGE_SIZE).get_page(request.GET.get("page"))
    sessions = page.object_list
    signed_in = request.user.is_authenticated
    registered = (
        set(
            Registration.objects.filter(
                customer=request.user, meeting__in=[s.pk for s in sessions]
            ).values_list("meeting_id", flat=True)
        )
        if signed_in
        else set()
    )
    staff = signed_in and is_staff_member(request.user)
    # Staff open the page of a session in their reach only (its registrations are personal).
    reach = (
        set(
            meetings_visible_to(user=request.user)
            .filter(pk__in=[s.pk for s in sessions])
            .values_list("pk", flat=True)
        )
        if staff
        else set()
    )
    for session in sessions:
        session.places_left = max(session.capacity - session.registered, 0)
        session.is_registered = session.pk in registered
        session.staff_may_open = session.pk in reach
    return render(
        request,
        "meetings/sessions.html",
        {
            "sessions": sessions,
            "page": page,
            "query": "",
            "viewer_is_staff": staff,
            "register_form": RegisterForm(),
        },
    )


def _session(pk: int) -> Meeting:
    session = Meeting.objects.filter(pk=pk, kind=Meeting.Kind.SESSION).first()
    if session is None:
        raise Http404
    return session


@require_POST
@login_required
def session_register(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    form = RegisterForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["question"]))
        return redirect("meetings:sessions")
    services.session_register(
        actor=request.user, session=session, question=form.cleaned_data["question"]
    )
    messages.success(
        request, _("You are registered. The invitation is in your e-mail; join from this page.")
    )
    return redirect("meetings:detail", pk=session.pk)


@require_POST
@login_required
def session_unregister(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(pk)
    services.session_unregister(actor=request.user, session=session)
    messages.success(request, _("Your place has been given back."))
    return redirect("meetings:sessions")

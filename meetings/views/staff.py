"""Staff pages: my calendar (day or week), a team's load, and announcing an open session."""

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.decorators import staff_required
from accounts.models import Team
from meetings import services
from meetings.forms import SessionForm
from meetings.models import Meeting
from meetings.selectors import DUBAI, host_calendar, is_active_host, team_load
from meetings.views._common import today
from portal.workdays import holidays_between, is_working_day

ONE_DAY = datetime.timedelta(days=1)


def _date(value: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return today()


def _period(
    view: str, day: datetime.date
) -> tuple[datetime.date, datetime.date, datetime.timedelta]:
    """The first and last day shown, and the step to the previous/next period. Weeks start on
    Monday (the UAE working week)."""
    if view == "day":
        return day, day, ONE_DAY
    start = day - datetime.timedelta(days=day.weekday())
    return start, start + datetime.timedelta(days=6), datetime.timedelta(days=7)


@staff_required()
def staff_calendar(request: HttpRequest) -> HttpResponse:
    view = "day" if request.GET.get("view") == "day" else "week"
    day = _date(request.GET.get("date"))
    first, last, step = _period(view, day)
    meetings = list(host_calendar(host=request.user, day_from=first, day_to=last))
    by_day: dict[datetime.date, list[Meeting]] = {
        first + datetime.timedelta(days=n): [] for n in range((last - first).days + 1)
    }
    now = timezone.now()
    for meeting in meetings:
        meeting.is_past = meeting.ends_at < now
        meeting.needs_minutes = meeting.status == Meeting.Status.SCHEDULED and (
            meeting.starts_at <= now
        )
        by_day[meeting.starts_at.astimezone(DUBAI).date()].append(meeting)
    if view == "week":
        # The week shows the working days (weekend and public holidays are data, portal.workdays)
        # and any other day that nevertheless has a meeting.
        holidays = holidays_between(first, last)
        by_day = {d: ms for d, ms in by_day.items() if ms or is_working_day(d, holidays)}
    is_host = is_active_host(user=request.user)
    return render(
        request,
        "meetings/calendar.html",
        {
            "view": view,
            "first": first,
            "last": last,
            "days": list(by_day.items()),
            "count": len(meetings),
            "today": today(),
            "is_host": is_host,
            "previous": urlencode({"view": view, "date": first - step}),
            "next": urlencode({"view": view, "date": first + step}),
            "this": urlencode({"view": view, "date": today()}),
            "as_day": urlencode({"view": "day", "date": day}),
            "as_week": urlencode({"view": "week", "date": day}),
        },
    )


@staff_required()
def staff_load(request: HttpRequest) -> HttpResponse:
    teams = list(Team.objects.order_by("code"))
    own = request.user.teams.order_by("code").values_list("code", flat=True).first()
    code = request.GET.get("team") or own
    team = next((t for t in teams if t.code == code), teams[0] if teams else None)
    first, last, step = _period("week", _date(request.GET.get("date")))
    rows = team_load(team=team, day_from=first, day_to=last) if team else []
    for row in rows:
        row["hours"] = round(row["minutes"] / 60, 1)
    query = {"team": team.code if team else ""}
    return render(
        request,
        "meetings/load.html",
        {
            "teams": teams,
            "team": team,
            "rows": rows,
            "first": first,
            "last": last,
            "total_meetings": sum(r["meetings"] for r in rows),
            "total_hours": round(sum(r["minutes"] for r in rows) / 60, 1),
            "previous": urlencode({**query, "date": first - step}),
            "next": urlencode({**query, "date": first + step}),
        },
    )


@staff_required()
def staff_session_new(request: HttpRequest) -> HttpResponse:
    is_host = is_active_host(user=request.user)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and is_host and form.is_valid():
        session = services.session_create(
            actor=request.user,
            title_ar=form.cleaned_data["title_ar"],
            title_en=form.cleaned_data["title_en"],
            agenda=form.cleaned_data["agenda"],
            starts_at=form.starts_at(),
            minutes=form.cleaned_data["minutes"],
            capacity=form.cleaned_data["capacity"],
        )
        messages.success(request, _("The session has been announced."))
        return redirect("meetings:detail", pk=session.pk)
    return render(
        request,
        "meetings/session_form.html",
        {"form": form, "is_host": is_host},
        status=400 if form.is_bound and form.errors else 200,
    )

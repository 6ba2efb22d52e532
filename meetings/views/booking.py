"""Booking a video meeting: about a transaction, one of its remarks, or a general enquiry to a
team; without a topic, the customer first chooses one."""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.models import Team
from accounts.roles import is_staff_member
from meetings import services
from meetings.forms import BookingForm, slots_by_day
from meetings.models import HostProfile
from meetings.selectors import (
    DUBAI,
    free_slots,
    hosts_for_team,
    hosts_for_transaction,
    teams_with_hosts,
)
from meetings.views._common import booking_window
from transactions import selectors as transaction_selectors
from transactions.models import Remark, Transaction


@dataclass
class Topic:
    """What the meeting is about, the hosts who may take it, and why it cannot be booked
    (empty when it can)."""

    query: dict
    transaction: Transaction | None = None
    remark: Remark | None = None
    team: Team | None = None
    hosts: list[HostProfile] = field(default_factory=list)
    refused: str = ""


def _pk(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


def _transaction_topic(request: HttpRequest, topic: Topic, pk: int) -> Topic:
    # 404 for anyone who may not see the transaction: it is not theirs to talk about.
    t = transaction_selectors.transaction_get_for_user(user=request.user, pk=pk)
    if not transaction_selectors.is_customer_party(request.user, t):
        raise Http404
    topic.transaction = t
    if not services.topic_is_open(t):
        topic.refused = str(services.TOPIC_CLOSED)
    else:
        topic.hosts = hosts_for_transaction(transaction=t)
    return topic


def _topic(request: HttpRequest) -> Topic | None:
    params = request.GET
    if params.get("remark"):
        pk = _pk(params["remark"])
        transaction_pk = (
            Remark.objects.filter(pk=pk).values_list("transaction_id", flat=True).first()
        )
        if transaction_pk is None:
            raise Http404
        topic = _transaction_topic(request, Topic(query={"remark": pk}), transaction_pk)
        visible = transaction_selectors.remarks_visible_to(
            user=request.user, transaction=topic.transaction
        )
        remark = next((r for r in visible if r.pk == pk), None)
        if remark is None:
            raise Http404
        remark.transaction = topic.transaction
        topic.remark = remark
        if remark.status != Remark.Status.OPEN and not topic.refused:
            topic.refused = _("This remark has been resolved; there is nothing left to discuss.")
        return topic
    if params.get("transaction"):
        pk = _pk(params["transaction"])
        return _transaction_topic(request, Topic(query={"transaction": pk}), pk)
    if params.get("team"):
        team = Team.objects.filter(code=params["team"]).first()
        if team is None:
            raise Http404
        return Topic(query={"team": team.code}, team=team, hosts=hosts_for_team(team=team))
    return None


def _choose_topic(request: HttpRequest) -> HttpResponse:
    teams = teams_with_hosts()
    open_transactions = transaction_selectors.customer_transactions(user=request.user).exclude(
        status__in=services.TOPIC_CLOSED_STATUSES
    )
    return render(
        request,
        "meetings/book_choose.html",
        {"teams": list(teams), "transactions": list(open_transactions)},
    )


def _selected_day(request: HttpRequest, form: BookingForm, days) -> datetime.date | None:
    """The day whose times are shown: the one of a time sent back with errors, the one asked
    for, or the first day with a free time."""
    wanted = form.data.get("starts_at") or request.GET.get("day") or ""
    try:
        day = datetime.date.fromisoformat(wanted[:10])
    except ValueError:
        day = None
    if day in days:
        return day
    return next(iter(days), None)


@login_required
def meeting_book(request: HttpRequest) -> HttpResponse:
    if is_staff_member(request.user):
        # Meetings are booked by customers; staff meet them in the meetings customers book.
        return render(request, "meetings/book.html", {"staff": True}, status=403)
    topic = _topic(request)
    if topic is None:
        return _choose_topic(request)
    if not topic.refused and not topic.hosts:
        topic.refused = _("No one can host this meeting at the moment.")
    day_from, day_to = booking_window()
    slots = (
        list(free_slots(hosts=topic.hosts, day_from=day_from, day_to=day_to))
        if not topic.refused
        else []
    )
    form = BookingForm(request.POST or None, request.FILES or None, slots=slots)
    if request.method == "POST" and not topic.refused and form.is_valid():
        try:
            meeting = services.meeting_book(
                actor=request.user,
                starts_at=form.cleaned_data["starts_at"],
                transaction=None if topic.remark else topic.transaction,
                remark=topic.remark,
                team=topic.team,
                agenda=form.cleaned_data["agenda"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            form.add_error("attachments", error)
        else:
            messages.success(
                request,
                _(
                    "Your meeting is booked for %(when)s (Dubai time). "
                    "The invitation is in your e-mail."
                )
                % {"when": meeting.starts_at.astimezone(DUBAI).strftime("%Y-%m-%d %H:%M")},
            )
            return redirect("meetings:detail", pk=meeting.pk)

    days = slots_by_day(slots)
    selected = _selected_day(request, form, days)
    # The radio buttons of the selected day only; the form accepts any offered time.
    day_choices = (
        [b for b in form["starts_at"] if str(b.data["value"]).startswith(selected.isoformat())]
        if selected
        else []
    )
    calendar = [
        {
            "day": day_from + datetime.timedelta(days=n),
            "count": len(days.get(day_from + datetime.timedelta(days=n), [])),
            "query": urlencode({**topic.query, "day": day_from + datetime.timedelta(days=n)}),
        }
        for n in range((day_to - day_from).days + 1)
    ]
    return render(
        request,
        "meetings/book.html",
        {
            "topic": topic,
            "form": form,
            "calendar": calendar,
            "selected_day": selected,
            "day_choices": day_choices,
            "action_query": urlencode(topic.query),
        },
        status=400 if form.is_bound and form.errors else 200,
    )

"""The meetings REST API: free slots, booking, the meeting's life (reschedule, cancel, minutes,
no-show, rating, attendance in the room), invitations and open sessions. Every change goes
through one service; every read through a selector.

Outsiders get 404 (the selectors filter to what the user may see), a wrong role 403, a rule of
the meeting or of the booking 409 with its code (too_soon, too_far, slot_taken, too_late,
full...) and bad input 400, all in portal.api's error format.
"""

import functools
from collections.abc import Callable

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Team
from accounts.roles import is_staff_member
from meetings import services
from meetings.filters import MeetingFilter
from meetings.ics import meeting_ics
from meetings.jitsi import room_opens_at, room_token
from meetings.models import Attendance, HostProfile, Meeting, Registration
from meetings.selectors import (
    free_slots,
    hosts_for_team,
    hosts_for_transaction,
    meeting_attachments,
    meeting_get_for_user,
    meeting_is_participant,
    meetings_visible_to,
    sessions_open,
)
from meetings.serializers import (
    AttendanceEventSerializer,
    AttendanceStaySerializer,
    CancelSerializer,
    MeetingBookJsonSerializer,
    MeetingBookSerializer,
    MeetingDetailSerializer,
    MeetingListSerializer,
    MinutesSerializer,
    RateSerializer,
    RegisterSerializer,
    RescheduleSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    SlotQuerySerializer,
    SlotsSerializer,
)
from portal.api import FieldErrors, error_responses
from transactions.models import Remark
from transactions.selectors import remarks_visible_to, transactions_visible_to

TAGS = ["meetings"]
SESSION_TAGS = ["sessions"]
ANY_BODY = [JSONParser, MultiPartParser, FormParser]
S = Meeting.Status


_errors = error_responses(
    not_found="No such meeting or topic (or the user may not see it).",
    conflict=(
        "Refused by the meeting's status or the booking rules; `code` says which "
        "(too_soon, too_far, slot_taken, too_late, no_reason, full, room_closed...)."
    ),
)


# --- topics and free slots -----------------------------------------------------------------------


def _topic_for(
    user, *, transaction: int | None = None, remark: int | None = None, team: str | None = None
) -> dict:
    """The topic as meeting_book takes it ({"transaction": ...}, {"remark": ...} or
    {"team": ...}), loaded with what choosing its hosts reads; 404 when the user may not see
    it (a remark of the cycle under review is the reviewer's note until returned)."""
    if transaction is not None:
        found = (
            transactions_visible_to(user=user)
            .select_related("service__team", "assignee")
            .filter(pk=transaction)
            .first()
        )
        if found is None:
            raise Http404
        return {"transaction": found}
    if remark is not None:
        note = (
            Remark.objects.select_related("transaction__service__team", "transaction__assignee")
            .filter(pk=remark, transaction__in=transactions_visible_to(user=user))
            .first()
        )
        if note is None or note not in remarks_visible_to(user=user, transaction=note.transaction):
            raise Http404
        return {"remark": note}
    return {"team": get_object_or_404(Team, code=team)}


def _hosts(topic: dict) -> list[HostProfile]:
    if "team" in topic:
        return hosts_for_team(team=topic["team"])
    transaction = topic.get("transaction") or topic["remark"].transaction
    # The check meeting_book runs, so the slots are never ones booking would refuse.
    services.check_topic_open(transaction)
    return hosts_for_transaction(transaction=transaction)


@extend_schema(
    parameters=[SlotQuerySerializer],
    responses={200: SlotsSerializer, **_errors(400, 404, 409)},
    tags=TAGS,
)
@api_view(["GET"])
def meeting_slots(request: Request) -> Response:
    """The free start times for a meeting about a transaction, one of its remarks or a team's
    general enquiry: the hosts' weekly hours less holidays, leave, their meetings with their
    buffers, the minimum notice and the booking horizon."""
    query = SlotQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    params = query.validated_data
    topic = _topic_for(
        request.user,
        transaction=params.get("transaction"),
        remark=params.get("remark"),
        team=params.get("team"),
    )
    slots = free_slots(hosts=_hosts(topic), day_from=params["from"], day_to=params["to"])
    return Response(
        SlotsSerializer({"from": params["from"], "to": params["to"], "slots": list(slots)}).data
    )


# --- meetings: reading ---------------------------------------------------------------------------


def _detail(request: Request, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    user = request.user
    meeting = (
        meetings_visible_to(user=user).select_related("host__meeting_profile").filter(pk=pk).first()
    )
    if meeting is None:
        raise Http404
    staff = is_staff_member(user)
    participant = meeting_is_participant(user=user, meeting=meeting)
    context: dict = {"request": request}
    if participant or staff:
        # The download lets in whoever sees the meeting (Meeting.user_can_view_files).
        context["files"] = meeting_attachments(meeting=meeting)
        # The room (and a token for it) only for those who take part: other staff may look
        # at the meeting, not enter it.
        if participant and meeting.status in Meeting.LIVE:
            context["room"] = {
                "domain": settings.JITSI_DOMAIN,
                "name": meeting.room_name,
                "opens_at": room_opens_at(meeting),
                "jwt": room_token(meeting=meeting, user=user),
            }
    if meeting.kind == Meeting.Kind.SESSION:
        if staff:
            rows = list(meeting.registrations.select_related("customer"))
            context["registrations"] = rows
            context["registered"] = len(rows)
        else:
            context["registered"] = meeting.registrations.count()
    if staff:
        context["attendance"] = Attendance.objects.filter(meeting=meeting).select_related("user")
    # The services' own checks: the API offers exactly what the action endpoints accept.
    context["allowed_actions"] = services.allowed_actions(user=user, meeting=meeting)
    return Response(MeetingDetailSerializer(meeting, context=context).data, status=status_code)


class MeetingListView(generics.ListCreateAPIView):
    """GET: the meetings the user may see (customers: those they booked or registered for and
    their organization's appointments; staff: all), latest first unless `upcoming` is given.
    POST: book a meeting at one of the free slots (customers)."""

    filterset_class = MeetingFilter
    serializer_class = MeetingListSerializer
    parser_classes = ANY_BODY

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        return meetings_visible_to(user=self.request.user).order_by("-starts_at", "-pk")

    @extend_schema(tags=TAGS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={
            "application/json": MeetingBookJsonSerializer,
            "multipart/form-data": MeetingBookSerializer,
        },
        responses={201: MeetingDetailSerializer, **_errors(400, 403, 404, 409)},
        tags=TAGS,
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = MeetingBookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        topic = _topic_for(
            request.user,
            transaction=data.get("transaction"),
            remark=data.get("remark"),
            team=data.get("team"),
        )
        with FieldErrors("attachments"):
            meeting = services.meeting_book(
                actor=request.user,
                starts_at=data["starts_at"],
                agenda=data["agenda"],
                attachments=data["attachments"],
                **topic,
            )
        return _detail(request, meeting.pk, status_code=status.HTTP_201_CREATED)


@extend_schema(responses={200: MeetingDetailSerializer, **_errors(404)}, tags=TAGS)
@api_view(["GET"])
def meeting_detail(request: Request, pk: int) -> Response:
    """One meeting: its topic, agenda and files, minutes and rating; the video room (server,
    room, opening time and this user's JWT) for participants and staff; who registered for a
    session and each stay in the room, for staff; the actions the user may take now."""
    return _detail(request, pk)


@extend_schema(
    responses={
        (200, "text/calendar"): OpenApiResponse(
            OpenApiTypes.STR, description="The iCalendar invitation (or cancellation)."
        ),
        **_errors(404),
    },
    tags=TAGS,
    operation_id="meetings_invitation",
)
@api_view(["GET"])
def meeting_invitation(request: Request, pk: int) -> HttpResponse:
    """The meeting as an iCalendar file in Asia/Dubai time (METHOD:CANCEL once cancelled)."""
    meeting = meeting_get_for_user(user=request.user, pk=pk)
    if meeting.kind == Meeting.Kind.SESSION:
        # Registrants must not learn each other's names and addresses.
        registrant = meeting.host_id != request.user.pk and meeting_is_participant(
            user=request.user, meeting=meeting
        )
        attendees = [request.user] if registrant else []
    else:
        attendees = [meeting.customer]
    method = "CANCEL" if meeting.status == S.CANCELLED else "REQUEST"
    response = HttpResponse(
        meeting_ics(meeting=meeting, attendees=attendees, method=method),
        content_type=f"text/calendar; method={method}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{meeting.reference}.ics"'
    return response


# --- meetings: actions ---------------------------------------------------------------------------

# An action handler gets the request, the meeting (visible to the user) and the validated input;
# it calls one service and returns a Response of its own, or None for the meeting's detail.
Handler = Callable[..., Response | None]


def _action(
    *, summary: str, request_serializer: type | None = None, response: type | None = None
) -> Callable[[Handler], Callable]:
    """Make a POST endpoint of a handler: load the meeting (404 for outsiders), check the
    input (400), call the handler (403/409 from the service) and answer with the handler's
    response or the meeting's detail."""
    errors = (400, 403, 404, 409) if request_serializer else (403, 404, 409)

    def decorate(handler: Handler) -> Callable:
        @functools.wraps(handler)
        def view(request: Request, pk: int) -> Response:
            meeting = meeting_get_for_user(user=request.user, pk=pk)
            kwargs = {}
            if request_serializer is not None:
                serializer = request_serializer(data=request.data)
                serializer.is_valid(raise_exception=True)
                kwargs["data"] = serializer.validated_data
            answer = handler(request, meeting, **kwargs)
            return answer if answer is not None else _detail(request, pk)

        view = parser_classes(ANY_BODY)(view)
        view = api_view(["POST"])(view)
        return extend_schema(
            summary=summary,
            request=request_serializer,
            responses={200: response or MeetingDetailSerializer, **_errors(*errors)},
            tags=TAGS,
        )(view)

    return decorate


@_action(summary="Reschedule", request_serializer=RescheduleSerializer)
def reschedule(request: Request, meeting: Meeting, data: dict) -> None:
    """The customer moves their appointment to another free slot of the same host, up to the
    minimum notice (409 too_late)."""
    services.meeting_reschedule(actor=request.user, meeting=meeting, starts_at=data["starts_at"])


@_action(summary="Cancel", request_serializer=CancelSerializer)
def cancel(request: Request, meeting: Meeting, data: dict) -> None:
    """The customer cancels their appointment up to the minimum notice (409 too_late); staff
    cancel any meeting at any time, giving the reason (409 no_reason)."""
    services.meeting_cancel(actor=request.user, meeting=meeting, reason=data["reason"])


@_action(summary="Record the minutes", request_serializer=MinutesSerializer)
def minutes(request: Request, meeting: Meeting, data: dict) -> None:
    """The host records the minutes, outcome and follow-up once the meeting has started; the
    meeting is held and the minutes go on the transaction's timeline."""
    services.meeting_record_minutes(actor=request.user, meeting=meeting, **data)


@_action(summary="Record a no-show")
def no_show(request: Request, meeting: Meeting) -> None:
    """The host records that the customer did not come (once the meeting has started)."""
    services.meeting_mark_no_show(actor=request.user, meeting=meeting)


@_action(summary="Rate", request_serializer=RateSerializer)
def rate(request: Request, meeting: Meeting, data: dict) -> None:
    """The customer rates a meeting that was held, once (409 not_ratable)."""
    services.meeting_rate(
        actor=request.user, meeting=meeting, rating=data["rating"], comment=data["comment"]
    )


@_action(
    summary="Record joining or leaving the room",
    request_serializer=AttendanceEventSerializer,
    response=AttendanceStaySerializer,
)
def attendance(request: Request, meeting: Meeting, data: dict) -> Response:
    """The meeting page reports the IFrame API's join and leave events (a participant, while
    the room is open: 409 room_closed otherwise). A repeated join keeps the open stay."""
    stay = services.attendance_record(actor=request.user, meeting=meeting, event=data["event"])
    return Response(AttendanceStaySerializer({"stay": stay}).data)


# --- open sessions -------------------------------------------------------------------------------


class SessionListView(generics.ListCreateAPIView):
    """GET: open sessions still to come, soonest first; full ones too (places_left 0), as
    the sessions page lists them. POST: a host announces a session (it blocks their time like
    any meeting)."""

    serializer_class = SessionSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        mine = Registration.objects.filter(meeting=OuterRef("pk"), customer_id=self.request.user.pk)
        return sessions_open().annotate(is_registered=Exists(mine))

    @extend_schema(tags=SESSION_TAGS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SessionCreateSerializer,
        responses={201: MeetingDetailSerializer, **_errors(400, 403, 409)},
        tags=SESSION_TAGS,
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = SessionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_create(actor=request.user, **serializer.validated_data)
        return _detail(request, session.pk, status_code=status.HTTP_201_CREATED)


def _session(pk: int) -> Meeting:
    # Sessions are public: any signed-in user may find one to register.
    return get_object_or_404(Meeting, pk=pk, kind=Meeting.Kind.SESSION)


@extend_schema(
    request=RegisterSerializer,
    responses={201: MeetingDetailSerializer, **_errors(400, 403, 404, 409)},
    tags=SESSION_TAGS,
)
@api_view(["POST"])
@parser_classes(ANY_BODY)
def session_register(request: Request, pk: int) -> Response:
    """A customer takes a place, optionally sending a question in advance (409 full, closed
    or already_registered)."""
    serializer = RegisterSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    services.session_register(
        actor=request.user, session=_session(pk), question=serializer.validated_data["question"]
    )
    return _detail(request, pk, status_code=status.HTTP_201_CREATED)


@extend_schema(
    request=None,
    responses={
        204: OpenApiResponse(description="The place is given back."),
        **_errors(403, 404, 409),
    },
    tags=SESSION_TAGS,
)
@api_view(["POST"])
def session_unregister(request: Request, pk: int) -> Response:
    """A customer gives their place back before the session starts (403 when they have none,
    409 once it has started)."""
    services.session_unregister(actor=request.user, session=_session(pk))
    return Response(status=status.HTTP_204_NO_CONTENT)


M = "meetings/<int:pk>/"

urlpatterns = [
    path("meetings/", MeetingListView.as_view(), name="meeting-list"),
    path("meetings/slots/", meeting_slots, name="meeting-slots"),
    path(M, meeting_detail, name="meeting-detail"),
    path(f"{M}invitation.ics", meeting_invitation, name="meeting-invitation"),
    path(f"{M}reschedule/", reschedule, name="meeting-reschedule"),
    path(f"{M}cancel/", cancel, name="meeting-cancel"),
    path(f"{M}minutes/", minutes, name="meeting-minutes"),
    path(f"{M}no-show/", no_show, name="meeting-no-show"),
    path(f"{M}rate/", rate, name="meeting-rate"),
    path(f"{M}attendance/", attendance, name="meeting-attendance"),
    path("sessions/", SessionListView.as_view(), name="session-list"),
    path("sessions/<int:pk>/register/", session_register, name="session-register"),
    path("sessions/<int:pk>/unregister/", session_unregister, name="session-unregister"),
]

"""What the meetings API reads and writes. Read serializers only show what the view loaded
(the meeting from a selector; files, attendance and registrations put in the context); write
serializers only check input — the services decide and change state."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_field
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from meetings import services
from meetings.models import Attendance, Meeting, Registration
from portal.api import RequiredChoice
from transactions.serializers import (
    FileSerializer,
    PersonSerializer,
    TeamBriefSerializer,
    UploadField,
)

MAX_SLOT_DAYS = 31
DEFAULT_SLOT_DAYS = 14


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# --- named enums (other apps also have "status" and "kind" fields) -----------------------------


class _NamedChoiceField(serializers.ChoiceField):
    enum_name = ""


class MeetingStatusField(_NamedChoiceField):
    enum_name = "MeetingStatusEnum"

    def __init__(self, **kwargs):
        super().__init__(choices=Meeting.Status.choices, **kwargs)


class MeetingKindField(_NamedChoiceField):
    enum_name = "MeetingKindEnum"

    def __init__(self, **kwargs):
        super().__init__(choices=Meeting.Kind.choices, **kwargs)


class _NamedChoiceFieldSchema(OpenApiSerializerFieldExtension):
    """One named enum component per field class, instead of the enum post-processing's naming
    collision warning."""

    target_class = _NamedChoiceField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        name = self.target.enum_name
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


# --- free slots ---------------------------------------------------------------------------------


def _slot_query_validate(self, attrs: dict) -> dict:
    topics = [name for name in ("transaction", "remark", "team") if attrs.get(name) is not None]
    if len(topics) != 1:
        raise serializers.ValidationError(_("Give exactly one of transaction, remark or team."))
    day_from = attrs.get("from") or timezone.localdate()
    day_to = attrs.get("to") or day_from + datetime.timedelta(days=DEFAULT_SLOT_DAYS - 1)
    if day_to < day_from:
        raise serializers.ValidationError({"to": [_("Must not be before “from”.")]})
    if (day_to - day_from).days >= MAX_SLOT_DAYS:
        raise serializers.ValidationError(
            {"to": [_("Ask for at most %(days)s days at a time.") % {"days": MAX_SLOT_DAYS}]}
        )
    return {**attrs, "from": day_from, "to": day_to}


# `from` is a Python keyword, hence the classes built with type().
SlotQuerySerializer = type(
    "SlotQuerySerializer",
    (serializers.Serializer,),
    {
        "__doc__": "Which topic, and which Dubai dates (inclusive).",
        "transaction": serializers.IntegerField(
            required=False, help_text="A transaction id (one of transaction, remark, team)."
        ),
        "remark": serializers.IntegerField(required=False, help_text="A remark id."),
        "team": serializers.SlugField(required=False, help_text="A team code (general enquiry)."),
        "from": serializers.DateField(required=False, help_text="First day; default today."),
        "to": serializers.DateField(
            required=False,
            help_text=f"Last day; default: {DEFAULT_SLOT_DAYS} days in all; "
            f"at most {MAX_SLOT_DAYS}.",
        ),
        "validate": _slot_query_validate,
    },
)

SlotsSerializer = type(
    "SlotsSerializer",
    (serializers.Serializer,),
    {
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "slots": serializers.ListField(
            child=serializers.DateTimeField(),
            help_text="Free start times, Dubai time with its offset, earliest first. Booking "
            "accepts exactly these (until someone else takes one).",
        ),
    },
)


# --- meetings: reading --------------------------------------------------------------------------


class TransactionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class MeetingListSerializer(serializers.ModelSerializer):
    """One row of a list: the meeting and what meetings_visible_to selects with it."""

    kind = MeetingKindField(read_only=True)
    status = MeetingStatusField(read_only=True)
    status_display = serializers.CharField(source="get_status_display")
    title = serializers.CharField()
    host = PersonSerializer()
    customer = PersonSerializer(allow_null=True)
    transaction = TransactionBriefSerializer(allow_null=True)
    team = TeamBriefSerializer(allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "reference",
            "kind",
            "topic",
            "title",
            "title_ar",
            "title_en",
            "status",
            "status_display",
            "host",
            "customer",
            "transaction",
            "remark",
            "team",
            "capacity",
            "starts_at",
            "ends_at",
            "url",
        ]

    def get_url(self, obj: Meeting) -> str:
        return _absolute(self.context.get("request"), reverse("api:meeting-detail", args=[obj.pk]))


class RoomSerializer(serializers.Serializer):
    domain = serializers.CharField(help_text="The Jitsi Meet server (for its IFrame API).")
    name = serializers.CharField(help_text="The room name.")
    opens_at = serializers.DateTimeField(help_text="Participants may join from this time.")
    jwt = serializers.CharField(
        allow_null=True,
        help_text="This user's token for this one room (moderator for staff); null when the "
        "server runs without JWT authentication.",
    )


class AttendanceSerializer(serializers.ModelSerializer):
    user = PersonSerializer()
    seconds = serializers.IntegerField(help_text="0 while the stay is still open.")

    class Meta:
        model = Attendance
        fields = ["id", "user", "joined_at", "left_at", "seconds"]


class RegistrationSerializer(serializers.ModelSerializer):
    customer = PersonSerializer()

    class Meta:
        model = Registration
        fields = ["id", "customer", "question", "created_at"]


# The actions meetings.services.allowed_actions names (one list, there).
MEETING_ACTIONS = list(services.MEETING_ACTIONS)


class MeetingDetailSerializer(MeetingListSerializer):
    """Everything about one meeting. The view puts in the context: `files`, `room` (only for
    participants and staff), `attendance` and `registrations` (staff), `registered` (the
    number, for sessions) and `allowed_actions`."""

    attachments = serializers.SerializerMethodField()
    room = serializers.SerializerMethodField()
    registered = serializers.SerializerMethodField()
    registrations = serializers.SerializerMethodField()
    attendance = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(MeetingListSerializer.Meta):
        fields = [
            *MeetingListSerializer.Meta.fields,
            "agenda",
            "attachments",
            "minutes",
            "outcome",
            "follow_up",
            "rating",
            "rating_comment",
            "cancelled_at",
            "cancel_reason",
            "room",
            "registered",
            "registrations",
            "attendance",
            "allowed_actions",
        ]

    @extend_schema_field(FileSerializer(many=True))
    def get_attachments(self, obj: Meeting) -> list:
        return FileSerializer(self.context.get("files", []), many=True, context=self.context).data

    @extend_schema_field(RoomSerializer(allow_null=True))
    def get_room(self, obj: Meeting) -> dict | None:
        room = self.context.get("room")
        return RoomSerializer(room).data if room is not None else None

    @extend_schema_field(
        serializers.IntegerField(allow_null=True, help_text="Sessions: places taken.")
    )
    def get_registered(self, obj: Meeting) -> int | None:
        return self.context.get("registered")

    @extend_schema_field(
        RegistrationSerializer(
            many=True,
            allow_null=True,
            help_text="Sessions, for staff: who registered and their questions.",
        )
    )
    def get_registrations(self, obj: Meeting) -> list | None:
        rows = self.context.get("registrations")
        return None if rows is None else RegistrationSerializer(rows, many=True).data

    @extend_schema_field(
        AttendanceSerializer(
            many=True, allow_null=True, help_text="For staff: each stay in the room."
        )
    )
    def get_attendance(self, obj: Meeting) -> list | None:
        rows = self.context.get("attendance")
        return None if rows is None else AttendanceSerializer(rows, many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(MEETING_ACTIONS)))
    def get_allowed_actions(self, obj: Meeting) -> list[str]:
        return self.context.get("allowed_actions", [])


class SessionSerializer(serializers.ModelSerializer):
    """An open session with places left (from sessions_open, annotated)."""

    title = serializers.CharField()
    host = PersonSerializer()
    registered = serializers.IntegerField(help_text="Places taken.")
    places_left = serializers.SerializerMethodField()
    is_registered = serializers.BooleanField(help_text="The user has a place.")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "reference",
            "title",
            "title_ar",
            "title_en",
            "agenda",
            "host",
            "starts_at",
            "ends_at",
            "capacity",
            "registered",
            "places_left",
            "is_registered",
        ]

    def get_places_left(self, obj: Meeting) -> int:
        return max(obj.capacity - obj.registered, 0)


class AttendanceStaySerializer(serializers.Serializer):
    stay = AttendanceSerializer(
        allow_null=True, help_text="The user's stay that the event opened or closed, if any."
    )


# --- writing ------------------------------------------------------------------------------------


class MeetingBookSerializer(RequiredChoice, serializers.Serializer):
    """The topic is exactly one of transaction, remark or team (a oneOf in the schema)."""

    schema_one_of = ("transaction", "remark", "team")

    starts_at = serializers.DateTimeField(help_text="One of the free slots.")
    transaction = serializers.IntegerField(
        required=False, help_text="A transaction id (one of transaction, remark, team)."
    )
    remark = serializers.IntegerField(required=False, help_text="A remark id.")
    team = serializers.SlugField(required=False, help_text="A team code (general enquiry).")
    agenda = serializers.CharField(required=False, allow_blank=True, default="")
    attachments = serializers.ListField(
        child=UploadField(),
        required=False,
        default=list,
        max_length=10,
        help_text="Files (multipart/form-data): PDF, images, drawings.",
    )

    def validate(self, attrs: dict) -> dict:
        topics = [n for n in ("transaction", "remark", "team") if attrs.get(n) is not None]
        if len(topics) != 1:
            raise serializers.ValidationError(_("Give exactly one of transaction, remark or team."))
        return attrs


class MeetingBookJsonSerializer(MeetingBookSerializer):
    """The booking as the schema describes it in JSON, which cannot carry files (the view
    checks both with MeetingBookSerializer)."""

    attachments = serializers.ListField(
        child=UploadField(),
        required=False,
        default=list,
        max_length=0,
        help_text="Files can only be sent as multipart/form-data.",
    )


class RescheduleSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="One of the free slots.")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required from staff."
    )


class MinutesSerializer(serializers.Serializer):
    minutes = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Meeting.Outcome.choices)
    follow_up = serializers.CharField(required=False, allow_blank=True, default="")


class RateSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(
        choices=Meeting.Rating.choices, help_text="1 dissatisfied, 2 neutral, 3 satisfied."
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AttendanceEventSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=["joined", "left"])


class SessionCreateSerializer(serializers.Serializer):
    title_ar = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200)
    agenda = serializers.CharField(required=False, allow_blank=True, default="")
    starts_at = serializers.DateTimeField()
    minutes = serializers.IntegerField(min_value=15, max_value=240, help_text="Its length.")
    capacity = serializers.IntegerField(min_value=1, max_value=500)


class RegisterSerializer(serializers.Serializer):
    question = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A question sent in advance."
    )

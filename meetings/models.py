"""Video meetings ("visual communication"): hosts' availability, one-to-one appointments and
open sessions (one host, many registered customers), both held in a Jitsi room."""

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Team
from transactions.models import Remark, Transaction


def _room_name() -> str:
    # Unguessable: the room name is the only thing between a stranger and the meeting when
    # the Jitsi server runs without JWT authentication.
    return "pwd-" + secrets.token_urlsafe(18).replace("_", "x").replace("-", "y").lower()


class HostProfile(models.Model):
    """A staff member who meets customers by video, with their booking rules."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="meeting_profile",
        verbose_name=_("host"),
    )
    is_active = models.BooleanField(_("takes bookings"), default=True)
    slot_minutes = models.PositiveSmallIntegerField(
        _("meeting length (minutes)"),
        default=30,
        validators=[MinValueValidator(10), MaxValueValidator(240)],
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer between meetings (minutes)"), default=10, validators=[MaxValueValidator(120)]
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice (hours)"), default=24, validators=[MaxValueValidator(24 * 14)]
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("bookable up to (days ahead)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )

    class Meta:
        ordering = ["user__full_name"]
        verbose_name = _("meeting host")
        verbose_name_plural = _("meeting hosts")

    def __str__(self) -> str:
        return str(self.user)


class WeeklyHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    host = models.ForeignKey(HostProfile, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("to"))

    class Meta:
        ordering = ["host", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="hours_end_after_start")
        ]
        verbose_name = _("weekly meeting hours")
        verbose_name_plural = _("weekly meeting hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Leave(models.Model):
    host = models.ForeignKey(HostProfile, on_delete=models.CASCADE, related_name="leaves")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["host", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="leave_end_after_start"
            )
        ]
        verbose_name = _("leave")
        verbose_name_plural = _("leaves")

    def __str__(self) -> str:
        return f"{self.host}: {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"


class Meeting(models.Model):
    """An appointment (one customer) or an open session (many registered customers).

    `blocked_until` is the end plus the host's buffer; on PostgreSQL an exclusion constraint
    (migration 0002) forbids two live meetings of one host whose [starts_at, blocked_until)
    overlap, so a host is never double-booked even under concurrent requests."""

    class Kind(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointment")
        SESSION = "session", _("Open session")

    class Topic(models.TextChoices):
        TRANSACTION = "transaction", _("A transaction")
        GENERAL = "general", _("General enquiry")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        NO_SHOW = "no_show", _("Customer did not attend")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("Settled in the meeting")
        FOLLOW_UP = "follow_up", _("Follow-up actions agreed")
        UNRESOLVED = "unresolved", _("Not settled")

    class Rating(models.IntegerChoices):
        DISSATISFIED = 1, _("Dissatisfied")
        NEUTRAL = 2, _("Neutral")
        SATISFIED = 3, _("Satisfied")

    LIVE = ("scheduled", "held")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="hosted_meetings",
        verbose_name=_("host"),
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("customer"),
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField(_("topic"), max_length=12, choices=Topic.choices)
    transaction = models.ForeignKey(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("transaction"),
    )
    remark = models.ForeignKey(
        Remark,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("remark"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    # An open session that explains a tender to its bidders (its minutes are published to them
    # as a clarification: meeting_record_minutes).
    tender = models.ForeignKey(
        "tenders.Tender",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prebid_sessions",
        verbose_name=_("tender"),
    )
    title_ar = models.CharField(_("title (Arabic)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    blocked_until = models.DateTimeField(editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    room_name = models.CharField(max_length=64, unique=True, default=_room_name, editable=False)
    ics_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ics_sequence = models.PositiveIntegerField(default=0, editable=False)

    minutes = models.TextField(_("minutes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    follow_up = models.TextField(_("follow-up actions"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("customer's rating"), choices=Rating.choices, null=True, blank=True
    )
    rating_comment = models.TextField(_("comment"), blank=True)

    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    reminded_24h_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_15m_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")) & Q(blocked_until__gte=F("ends_at")),
                name="meeting_times_in_order",
            ),
            models.CheckConstraint(
                condition=Q(kind="session") | Q(customer__isnull=False),
                name="appointment_has_customer",
            ),
        ]
        # The host's calendar and slot search (host, starts_at); the customer's lists (booked,
        # and the organization's appointments), the status filter and the API's newest-first
        # sort, so that no list reads the whole history (issue 11).
        indexes = [
            models.Index(fields=["host", "starts_at"]),
            models.Index(fields=["customer", "-starts_at"], name="meeting_customer_starts"),
            models.Index(fields=["organization", "-starts_at"], name="meeting_org_starts"),
            models.Index(fields=["status", "starts_at"], name="meeting_status_starts"),
            models.Index(fields=["-starts_at", "-id"], name="meeting_starts_desc"),
        ]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return self.reference

    @property
    def title(self) -> str:
        if self.title_ar or self.title_en:
            ar = (get_language() or "ar").startswith("ar")
            return (self.title_ar or self.title_en) if ar else (self.title_en or self.title_ar)
        if self.transaction_id:
            return f"{self.transaction.reference} — {self.transaction.service.name}"
        if self.team_id:
            return str(self.team.name)
        return str(self.get_topic_display())

    def user_can_view_files(self, user) -> bool:
        # Whoever may see the meeting (portal.files asks the object a file is attached to).
        from meetings.selectors import meeting_visible_to_user

        return meeting_visible_to_user(user=user, meeting=self)


class Registration(models.Model):
    """A customer's place in an open session, with the question they send in advance."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrations")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_registrations"
    )
    question = models.TextField(_("question in advance"), blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]  # two registrations in the same instant: in order
        constraints = [
            models.UniqueConstraint(fields=["meeting", "customer"], name="one_registration_each")
        ]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self) -> str:
        return f"{self.meeting} — {self.customer}"


class Attendance(models.Model):
    """One stay of one participant in the room, from the IFrame API's join/leave events."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(_("joined at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        ordering = ["joined_at"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")

    def __str__(self) -> str:
        return f"{self.meeting} {self.user} {self.joined_at:%H:%M}"

    @property
    def seconds(self) -> int:
        if self.left_at is None:
            return 0
        return max(int((self.left_at - self.joined_at).total_seconds()), 0)

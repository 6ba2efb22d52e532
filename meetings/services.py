"""Writes: booking, rescheduling, cancelling, sessions, minutes, ratings, attendance and
reminders. Each service locks what it changes, writes the audit events (on the meeting, and on
the transaction it is about, so its timeline shows the meeting) and queues the notifications
with their calendar invitations.

Errors: PermissionDenied for the wrong person or role, DomainError (409) for anything the
meeting's state or the booking rules refuse — SlotTaken when the time is no longer free.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from accounts.roles import is_staff_member
from meetings.ics import ics_attachment
from meetings.jitsi import room_is_open
from meetings.models import Attendance, HostProfile, Meeting, Registration
from meetings.selectors import (
    DUBAI,
    free_slots,
    hosts_for_team,
    hosts_for_transaction,
    least_loaded,
    meeting_in_staff_reach,
    meeting_is_participant,
    session_is_open,
)
from portal.audit import audit_record
from portal.errors import DomainError, TransitionNotAllowed
from portal.files import private_file_store, validate_upload
from portal.notifications import notify
from portal.references import reference_next
from portal.workflow import transition
from tenders.selectors import allowed_actions as tender_allowed_actions
from tenders.services.clarifications import clarification_publish_minutes
from transactions.models import Remark, Transaction
from transactions.selectors import is_customer_party, remarks_visible_to

ATTACHMENT_KINDS = ("pdf", "jpeg", "png", "dwg", "dxf")


class SlotTaken(DomainError):
    code = "slot_taken"
    default_message = _("This time is no longer available; please choose another.")


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _when(moment: datetime.datetime) -> str:
    return moment.astimezone(DUBAI).strftime("%Y-%m-%d %H:%M")


def _context(meeting: Meeting) -> dict:
    return {
        "reference": meeting.reference,
        "title_ar": meeting.title_ar,
        "title_en": meeting.title_en,
        "starts": _when(meeting.starts_at),
        "host": meeting.host.full_name,
    }


def _participants(meeting: Meeting) -> list[User]:
    if meeting.kind == Meeting.Kind.SESSION:
        return [r.customer for r in meeting.registrations.select_related("customer")]
    return [meeting.customer]


def _ics_attendees(meeting: Meeting, person: User) -> list[User]:
    # A session's invitation names only its recipient: registrants must not learn each
    # other's names and e-mail addresses from the ATTENDEE lines.
    if meeting.kind == Meeting.Kind.SESSION:
        return [] if person.pk == meeting.host_id else [person]
    return _participants(meeting)


def _notify(meeting: Meeting, kind: str, recipients: list[User], method: str = "", **extra):
    for person in recipients:
        # Links (in the e-mail and the invitation) in the recipient's own language.
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            _notify_one(meeting, kind, person, method, extra)


def _notify_one(meeting: Meeting, kind: str, person: User, method: str, extra: dict) -> None:
    attachments = []
    if method:
        attendees = _ics_attendees(meeting, person)
        attachments = [ics_attachment(meeting=meeting, attendees=attendees, method=method)]
    notify(
        recipient=person,
        kind=kind,
        obj=meeting,
        context={**_context(meeting), **extra},
        link=reverse("meetings:detail", args=[meeting.pk]),
        attachments=attachments,
    )


def _on_transaction(meeting: Meeting, *, actor, verb: str, label_ar: str, label_en: str, **data):
    """The meeting's step on the related transaction's timeline."""
    if meeting.transaction_id is None:
        return
    audit_record(
        actor=actor,
        verb=verb,
        obj=meeting.transaction,
        data={
            "label_ar": label_ar,
            "label_en": label_en,
            "meeting": meeting.reference,
            "starts": _when(meeting.starts_at),
            **data,
        },
    )


def _titles(*, transaction: Transaction | None, remark: Remark | None, team: Team | None):
    if transaction is not None:
        service = transaction.service
        ar = f"{transaction.reference} — {service.name_ar}"
        en = f"{transaction.reference} — {service.name_en}"
        if remark is not None:
            ar, en = f"ملاحظة على {ar}", f"Remark on {en}"
        return ar, en
    return f"استفسار: {team.name_ar}", f"Enquiry: {team.name_en}"


# --- who may do what, and when ------------------------------------------------------------------
# Each rule is written once, here: the services run these checks before they change anything,
# and allowed_actions asks the same checks for the buttons of the page and the API's
# `allowed_actions` (STYLE 16). The booking pages ask topic_is_open; the video room's window is
# meetings.jitsi.room_is_open; a session's registration window is selectors.session_is_open.

# A meeting is about a transaction the department is still working on with the customer.
TOPIC_CLOSED_STATUSES = frozenset({Transaction.Status.DRAFT, *Transaction.FINAL})
TOPIC_CLOSED = _("Meetings can be booked about submitted transactions that are still open.")

MEETING_ACTIONS = (
    "reschedule",
    "cancel",
    "minutes",
    "no-show",
    "rate",
    "attendance",
    "unregister",
)


def topic_is_open(transaction: Transaction) -> bool:
    return transaction.status not in TOPIC_CLOSED_STATUSES


def _lock_topic(transaction: Transaction) -> Transaction:
    """Lock the topic transaction's row and read its status afresh. Withdrawal and expiry lock
    the same row, so they serialise with bookings: either the booking commits first and the
    abandoned-transaction sweep cancels its meeting, or the booking sees the final status."""
    return (
        Transaction.objects.select_for_update(of=("self",))
        .select_related("service__team")
        .get(pk=transaction.pk)
    )


def check_topic_open(transaction: Transaction) -> None:
    """Raises DomainError (topic_closed) for a draft or a finished transaction."""
    if not topic_is_open(transaction):
        raise DomainError(TOPIC_CLOSED, code="topic_closed")


def _notice_hours(meeting: Meeting) -> int:
    """The host's minimum notice for changes, read once per meeting object (0 when the host
    has no profile)."""
    if not hasattr(meeting, "_notice_hours"):
        if Meeting.host.is_cached(meeting) and User.meeting_profile.is_cached(meeting.host):
            # Selected with the meeting (meetings_visible_to): no query.
            profile = getattr(meeting.host, "meeting_profile", None)
            hours = profile.min_notice_hours if profile else 0
        else:
            hours = (
                HostProfile.objects.filter(user_id=meeting.host_id)
                .values_list("min_notice_hours", flat=True)
                .first()
            )
        meeting._notice_hours = hours or 0
    return meeting._notice_hours


def _check_notice(meeting: Meeting) -> None:
    hours = _notice_hours(meeting)
    if timezone.now() > meeting.starts_at - datetime.timedelta(hours=hours):
        raise DomainError(
            _("Meetings can be changed or cancelled up to %(hours)s hours before they start.")
            % {"hours": hours},
            code="too_late",
        )


def _own_appointment(actor: User, meeting: Meeting) -> bool:
    return meeting.kind == Meeting.Kind.APPOINTMENT and meeting.customer_id == actor.pk


def _check_reschedule(actor: User, meeting: Meeting) -> None:
    _require(_own_appointment(actor, meeting))
    if meeting.status != Meeting.Status.SCHEDULED:
        raise TransitionNotAllowed
    _check_notice(meeting)


def _check_cancel(actor: User, meeting: Meeting) -> bool:
    """The customer up to the notice; the staff in the meeting's reach at any time. Returns
    whether the actor cancels as staff (who must give a reason)."""
    staff = meeting_in_staff_reach(user=actor, meeting=meeting)
    _require(staff or _own_appointment(actor, meeting))
    if meeting.status != Meeting.Status.SCHEDULED:
        raise TransitionNotAllowed
    if not staff:
        _check_notice(meeting)
    return staff


def _require_host(actor: User, meeting: Meeting) -> None:
    _require(meeting.host_id == actor.pk or actor.is_superuser)


def _check_started(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.SCHEDULED and timezone.now() < meeting.starts_at:
        raise DomainError(
            _("This can be recorded once the meeting has started (%(time)s, Dubai time).")
            % {"time": _when(meeting.starts_at)},
            code="not_started",
        )


def _check_minutes(actor: User, meeting: Meeting) -> None:
    _require_host(actor, meeting)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise TransitionNotAllowed
    _check_started(meeting)


def _check_no_show(actor: User, meeting: Meeting) -> None:
    _require_host(actor, meeting)
    _require(meeting.kind == Meeting.Kind.APPOINTMENT)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise TransitionNotAllowed
    _check_started(meeting)


def _check_rate(actor: User, meeting: Meeting) -> None:
    _require(_own_appointment(actor, meeting))
    if meeting.status != Meeting.Status.HELD or meeting.rating is not None:
        raise DomainError(_("This meeting cannot be rated now."), code="not_ratable")


def _check_attendance(actor: User, meeting: Meeting) -> None:
    _require(meeting_is_participant(user=actor, meeting=meeting))
    if not room_is_open(meeting):
        raise DomainError(_("The meeting room is not open."), code="room_closed")


def _check_unregister(actor: User, session: Meeting) -> None:
    _require(
        session.kind == Meeting.Kind.SESSION
        and session.host_id != actor.pk
        and meeting_is_participant(user=actor, meeting=session)
    )
    if not session_is_open(session):
        raise TransitionNotAllowed


_CHECKS = {
    "reschedule": _check_reschedule,
    "cancel": _check_cancel,
    "minutes": _check_minutes,
    "no-show": _check_no_show,
    "rate": _check_rate,
    "attendance": _check_attendance,
    "unregister": _check_unregister,
}


def allowed_actions(*, user, meeting: Meeting) -> list[str]:
    """What the user may do to the meeting now, in MEETING_ACTIONS order: the action's service
    would accept it (given valid input: a reason, the minutes). Asks each service's own check,
    so what pages and the API offer cannot drift from what the services accept."""
    if not getattr(user, "is_authenticated", False):
        return []
    allowed = []
    for action in MEETING_ACTIONS:
        try:
            _CHECKS[action](user, meeting)
        except (PermissionDenied, DomainError, Http404):
            continue
        allowed.append(action)
    return allowed


def _check_window(starts_at: datetime.datetime, hosts: list[HostProfile]) -> None:
    now = timezone.now()
    notice = min(h.min_notice_hours for h in hosts)
    horizon = max(h.horizon_days for h in hosts)
    if starts_at < now + datetime.timedelta(hours=notice):
        raise DomainError(
            _("Meetings must be booked at least %(hours)s hours ahead.") % {"hours": notice},
            code="too_soon",
        )
    if starts_at > now + datetime.timedelta(days=horizon):
        raise DomainError(
            _("Meetings can be booked up to %(days)s days ahead.") % {"days": horizon},
            code="too_far",
        )


def _lock_hosts(hosts: list[HostProfile]) -> list[HostProfile]:
    # One booking at a time per host (PostgreSQL row locks); the exclusion constraint on the
    # meetings table is the last guard.
    return list(
        HostProfile.objects.select_for_update(of=("self",))
        .filter(pk__in=[h.pk for h in hosts])
        .select_related("user")
        .prefetch_related("hours")
        .order_by("pk")
    )


def _save_slot(meeting: Meeting, **kwargs) -> None:
    try:
        with db_transaction.atomic():
            meeting.save(**kwargs)
    except IntegrityError as error:
        raise SlotTaken from error


@db_transaction.atomic
def meeting_book(
    *,
    actor: User,
    starts_at: datetime.datetime,
    transaction: Transaction | None = None,
    remark: Remark | None = None,
    team: Team | None = None,
    agenda: str = "",
    attachments=(),
) -> Meeting:
    """Book a video meeting about a transaction (or one of its remarks) or a general enquiry
    for a team. The transaction's reviewer hosts it when one holds it; otherwise the team's
    least-loaded free host does.

    Raises DomainError when the topic is not open for meetings, the time is too soon or too far
    ahead, or no host can take it (SlotTaken when it was just taken); ValidationError for an
    attachment that is not an accepted file."""
    _require(actor.is_authenticated and not is_staff_member(actor))
    for upload in attachments:
        validate_upload(upload, kinds=ATTACHMENT_KINDS)
    if remark is not None:
        # Fresh rows: the caller's remark may carry a stale transaction.
        remark = Remark.objects.select_related("transaction").get(pk=remark.pk)
        transaction = remark.transaction
    if transaction is not None:
        _require(is_customer_party(actor, transaction))
        transaction = _lock_topic(transaction)
        check_topic_open(transaction)
        if remark is not None:
            # Only a remark the customer can read and still has to settle: those of a cycle
            # under review are the reviewer's working notes.
            visible = remarks_visible_to(user=actor, transaction=transaction)
            if remark.pk not in {r.pk for r in visible}:
                raise Http404
            if remark.status != Remark.Status.OPEN:
                raise DomainError(
                    _("This remark is resolved; book about the transaction instead."),
                    code="remark_resolved",
                )
        hosts = hosts_for_transaction(transaction=transaction)
        topic, team = Meeting.Topic.TRANSACTION, transaction.service.team
    elif team is not None:
        hosts = hosts_for_team(team=team)
        topic = Meeting.Topic.GENERAL
    else:
        raise DomainError(_("Choose what the meeting is about."), code="no_topic")
    if not hosts:
        raise DomainError(_("No one can host this meeting at the moment."), code="no_hosts")
    _check_window(starts_at, hosts)
    hosts = _lock_hosts(hosts)
    day = starts_at.astimezone(DUBAI).date()
    free = free_slots(hosts=hosts, day_from=day, day_to=day).get(starts_at)
    if not free:
        raise SlotTaken
    host = least_loaded(hosts=free, around=starts_at)[0]
    title_ar, title_en = _titles(transaction=transaction, remark=remark, team=team)
    meeting = Meeting(
        reference=reference_next(prefix="MTG"),
        kind=Meeting.Kind.APPOINTMENT,
        host=host.user,
        customer=actor,
        organization=actor.organization,
        topic=topic,
        transaction=transaction,
        remark=remark,
        team=team,
        title_ar=title_ar,
        title_en=title_en,
        agenda=agenda.strip(),
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=host.slot_minutes),
        blocked_until=starts_at
        + datetime.timedelta(minutes=host.slot_minutes + host.buffer_minutes),
    )
    _save_slot(meeting)
    audit_record(actor=actor, verb="booked", obj=meeting, to_status=meeting.status)
    _on_transaction(
        meeting,
        actor=actor,
        verb="meeting_booked",
        label_ar="حجز اجتماع مرئي",
        label_en="Video meeting booked",
        note=meeting.agenda[:500],
    )
    _notify(meeting, "meeting_booked", [actor, host.user], method="REQUEST")
    # Files are written last (and were all checked first): a rollback cannot take a file off
    # the disk, so nothing that can still fail comes after one is written.
    for upload in attachments:
        private_file_store(
            actor=actor,
            upload=upload,
            purpose="meeting_attachment",
            attach_to=meeting,
            kinds=ATTACHMENT_KINDS,
        )
    return meeting


def _lock(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("host", "customer", "transaction__service")
        .get(pk=meeting.pk)
    )


def _profile(user: User) -> HostProfile:
    return HostProfile.objects.prefetch_related("hours").get(user=user)


@db_transaction.atomic
def meeting_reschedule(*, actor: User, meeting: Meeting, starts_at: datetime.datetime) -> Meeting:
    """The customer moves their appointment to another free time of the same host, up to the
    minimum notice; the invitation keeps its UID with a higher SEQUENCE."""
    meeting = _lock(meeting)
    _check_reschedule(actor, meeting)
    if meeting.transaction_id is not None:
        check_topic_open(_lock_topic(meeting.transaction))
    [profile] = _lock_hosts([_profile(meeting.host)])
    _check_window(starts_at, [profile])
    day = starts_at.astimezone(DUBAI).date()
    if starts_at not in free_slots(hosts=[profile], day_from=day, day_to=day, ignore=meeting):
        raise SlotTaken
    previous = meeting.starts_at
    meeting.starts_at = starts_at
    meeting.ends_at = starts_at + datetime.timedelta(minutes=profile.slot_minutes)
    meeting.blocked_until = meeting.ends_at + datetime.timedelta(minutes=profile.buffer_minutes)
    meeting.ics_sequence += 1
    meeting.reminded_24h_at = meeting.reminded_15m_at = None
    _save_slot(meeting)
    audit_record(
        actor=actor,
        verb="rescheduled",
        obj=meeting,
        data={"from": _when(previous), "to": _when(starts_at)},
    )
    _on_transaction(
        meeting,
        actor=actor,
        verb="meeting_rescheduled",
        label_ar="تغيير موعد الاجتماع المرئي",
        label_en="Video meeting rescheduled",
    )
    _notify(
        meeting,
        "meeting_rescheduled",
        [meeting.customer, meeting.host],
        method="REQUEST",
        previous=_when(previous),
    )
    return meeting


@db_transaction.atomic
def meeting_cancel(*, actor: User, meeting: Meeting, reason: str = "") -> Meeting:
    """The customer cancels their appointment up to the minimum notice; staff cancel any
    meeting or session at any time, with a reason. Everyone gets a METHOD:CANCEL invitation."""
    meeting = _lock(meeting)
    staff = _check_cancel(actor, meeting)
    if staff and not reason.strip():
        raise DomainError(_("Give the reason for cancelling."), code="no_reason")
    return _cancel(meeting, actor=actor, reason=reason.strip())


def _cancel(meeting: Meeting, *, actor: User | None, reason: str, **data) -> Meeting:
    """Cancel a locked, scheduled meeting: audit it (on the transaction too) and send everyone
    who was sent the invitation, the actor included, a METHOD:CANCEL with the reason."""
    # The actor too: only a CANCEL takes the event out of their calendar.
    recipients = [*_participants(meeting), meeting.host]
    meeting = transition(
        obj=meeting,
        to=Meeting.Status.CANCELLED,
        allowed_from=[Meeting.Status.SCHEDULED],
        actor=actor,
        verb="cancelled",
        timestamp_field="cancelled_at",
        changes={
            "cancelled_by": actor,
            "cancel_reason": reason,
            "ics_sequence": meeting.ics_sequence + 1,
        },
        data={"reason": reason, **data},
    )
    _on_transaction(
        meeting,
        actor=actor,
        verb="meeting_cancelled",
        label_ar="إلغاء الاجتماع المرئي",
        label_en="Video meeting cancelled",
        reason=reason,
    )
    _notify(
        meeting,
        "meeting_cancelled",
        recipients,
        method="CANCEL",
        reason=reason,
    )
    return meeting


def meetings_cancel_for_abandoned_transaction(*, transaction_id: int, status: str) -> int:
    """The customer withdrew the transaction or let it expire: its scheduled meetings are
    cancelled (host and customer get a METHOD:CANCEL invitation). Returns how many."""
    reason = {
        Transaction.Status.WITHDRAWN: _("The transaction was withdrawn."),
        Transaction.Status.EXPIRED: _("The transaction expired."),
    }[status]
    cancelled = 0
    ids = Meeting.objects.filter(
        transaction_id=transaction_id, status=Meeting.Status.SCHEDULED
    ).values_list("pk", flat=True)
    for pk in ids:
        with db_transaction.atomic():
            meeting = _lock(Meeting(pk=pk))
            if meeting.status != Meeting.Status.SCHEDULED:
                continue
            # Stored once for everyone: both languages.
            with translation.override("ar"):
                text = str(reason)
            with translation.override("en"):
                text = f"{text} / {reason}"
            _cancel(meeting, actor=None, reason=text, transaction_status=status)
            cancelled += 1
    return cancelled


def meetings_cancel_abandoned_sweep() -> int:
    """Cancel scheduled meetings whose transaction was withdrawn or has expired but whose
    cancel task never ran (the broker was down when the withdrawal committed, or the task used
    up its retries). The beat job's safety net; returns how many meetings it cancelled."""
    abandoned = [Transaction.Status.WITHDRAWN, Transaction.Status.EXPIRED]
    pairs = (
        Meeting.objects.filter(status=Meeting.Status.SCHEDULED, transaction__status__in=abandoned)
        .values_list("transaction_id", "transaction__status")
        .distinct()
    )
    return sum(
        meetings_cancel_for_abandoned_transaction(transaction_id=pk, status=status)
        for pk, status in pairs
    )


@db_transaction.atomic
def meeting_record_minutes(
    *, actor: User, meeting: Meeting, minutes: str, outcome: str, follow_up: str = ""
) -> Meeting:
    """The host records what was discussed, the outcome and the follow-up actions once the
    meeting has started; they appear on the transaction's timeline and the customer is asked
    to rate the meeting."""
    meeting = _lock(meeting)
    _check_minutes(actor, meeting)
    if not minutes.strip():
        raise DomainError(_("Write the minutes."), code="no_minutes")
    if outcome not in Meeting.Outcome.values:
        raise DomainError(_("Choose the outcome."), code="no_outcome")
    meeting = transition(
        obj=meeting,
        to=Meeting.Status.HELD,
        allowed_from=[Meeting.Status.SCHEDULED],
        actor=actor,
        verb="held",
        condition=lambda m: timezone.now() >= m.starts_at,
        changes={"minutes": minutes.strip(), "outcome": outcome, "follow_up": follow_up.strip()},
        data={"outcome": outcome},
    )
    outcome_label = Meeting.Outcome(outcome)
    _on_transaction(
        meeting,
        actor=actor,
        verb="meeting_held",
        label_ar="عُقد الاجتماع المرئي",
        label_en="Video meeting held",
        text=minutes.strip()[:2000],
        note=follow_up.strip()[:2000],
        outcome=str(outcome_label.value),
    )
    if meeting.tender_id:
        _publish_prebid_minutes(actor, meeting, minutes.strip())
    _notify(meeting, "meeting_held", _participants(meeting))
    return meeting


def _publish_prebid_minutes(actor: User, meeting: Meeting, minutes: str) -> None:
    """A pre-bid session's minutes go to every eligible supplier as a clarification (in this
    transaction: the minutes are recorded only if they are published)."""
    try:
        clarification_publish_minutes(actor=actor, tender=meeting.tender, text=minutes)
    except (TransitionNotAllowed, PermissionDenied):
        raise DomainError(
            _("The tender no longer takes clarifications: its minutes cannot be published."),
            code="tender_closed",
        ) from None


@db_transaction.atomic
def meeting_mark_no_show(*, actor: User, meeting: Meeting) -> Meeting:
    """The customer did not come: recorded once the meeting has started."""
    meeting = _lock(meeting)
    _check_no_show(actor, meeting)
    meeting = transition(
        obj=meeting,
        to=Meeting.Status.NO_SHOW,
        allowed_from=[Meeting.Status.SCHEDULED],
        actor=actor,
        verb="no_show",
        condition=lambda m: timezone.now() >= m.starts_at,
    )
    _on_transaction(
        meeting,
        actor=actor,
        verb="meeting_no_show",
        label_ar="لم يحضر المتعامل الاجتماع المرئي",
        label_en="Customer did not attend the video meeting",
    )
    return meeting


@db_transaction.atomic
def meeting_rate(*, actor: User, meeting: Meeting, rating: int, comment: str = "") -> Meeting:
    """The customer rates a meeting that was held, once."""
    meeting = _lock(meeting)
    _check_rate(actor, meeting)
    if rating not in Meeting.Rating.values:
        raise DomainError(_("Choose a rating."), code="bad_rating")
    meeting.rating = rating
    meeting.rating_comment = comment.strip()
    meeting.save(update_fields=["rating", "rating_comment", "updated_at"])
    audit_record(actor=actor, verb="rated", obj=meeting, data={"rating": rating})
    return meeting


@db_transaction.atomic
def attendance_record(*, actor: User, meeting: Meeting, event: str) -> Attendance | None:
    """A participant joined or left the room (from the IFrame API's events), while the room is
    open. Leaving closes their open stay; a repeated join is ignored."""
    meeting = _lock(meeting)
    _check_attendance(actor, meeting)
    now = timezone.now()
    open_stay = Attendance.objects.filter(meeting=meeting, user=actor, left_at__isnull=True).last()
    if event == "joined":
        return open_stay or Attendance.objects.create(meeting=meeting, user=actor, joined_at=now)
    if event == "left":
        if open_stay is not None:
            open_stay.left_at = now
            open_stay.save(update_fields=["left_at"])
        return open_stay
    raise DomainError(_("Unknown attendance event."), code="bad_event")


# --- open sessions -------------------------------------------------------------------------------


@db_transaction.atomic
def session_create(
    *,
    actor: User,
    title_ar: str,
    title_en: str,
    agenda: str,
    starts_at: datetime.datetime,
    minutes: int,
    capacity: int,
    tender=None,
) -> Meeting:
    """A host announces an open session (e.g. "How to take part in tenders"); it blocks their
    time like any meeting. With `tender`, it is that tender's pre-bid session: only while the
    host may answer the tender's clarifications (its contracts engineers, before the deadline),
    and its minutes are published to the bidders."""
    _require(is_staff_member(actor))
    if tender is not None and "answer" not in tender_allowed_actions(user=actor, tender=tender):
        raise DomainError(
            _(
                "Only a contracts engineer can announce a tender's pre-bid session, "
                "before its deadline."
            ),
            code="not_the_tender_engineer",
        )
    profile = HostProfile.objects.filter(user=actor, is_active=True).first()
    if profile is None:
        raise DomainError(_("Only meeting hosts can announce sessions."), code="not_a_host")
    [profile] = _lock_hosts([profile])
    if starts_at <= timezone.now():
        raise DomainError(_("Choose a time in the future."), code="in_the_past")
    if not (1 <= capacity <= 500) or not (15 <= minutes <= 240):
        raise DomainError(
            _("Capacity must be 1 to 500 and length 15 to 240 minutes."), code="bad_size"
        )
    session = Meeting(
        reference=reference_next(prefix="MTG"),
        kind=Meeting.Kind.SESSION,
        host=actor,
        topic=Meeting.Topic.GENERAL,
        title_ar=title_ar.strip(),
        title_en=title_en.strip(),
        agenda=agenda.strip(),
        capacity=capacity,
        tender=tender,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=minutes),
        blocked_until=starts_at + datetime.timedelta(minutes=minutes + profile.buffer_minutes),
    )
    clash = Meeting.objects.filter(
        host=actor,
        status__in=Meeting.LIVE,
        starts_at__lt=session.blocked_until,
        blocked_until__gt=starts_at,
    ).exists()
    if clash:
        raise SlotTaken
    _save_slot(session)
    audit_record(actor=actor, verb="session_announced", obj=session, to_status=session.status)
    return session


@db_transaction.atomic
def session_register(*, actor: User, session: Meeting, question: str = "") -> Registration:
    """A customer takes a place in an open session, optionally sending a question in
    advance. Raises DomainError when it is full, past, cancelled or they are registered."""
    _require(actor.is_authenticated and not is_staff_member(actor))
    session = _lock(session)
    if session.kind != Meeting.Kind.SESSION:
        raise DomainError(_("This is not an open session."), code="not_a_session")
    if not session_is_open(session):
        raise DomainError(_("Registration for this session is closed."), code="closed")
    if session.registrations.filter(customer=actor).exists():
        raise DomainError(_("You are already registered."), code="already_registered")
    if session.registrations.count() >= session.capacity:
        raise DomainError(_("This session is full."), code="full")
    registration = Registration.objects.create(
        meeting=session, customer=actor, question=question.strip()
    )
    audit_record(actor=actor, verb="registered", obj=session)
    _notify(session, "session_registered", [actor], method="REQUEST")
    return registration


@db_transaction.atomic
def session_unregister(*, actor: User, session: Meeting) -> None:
    """A customer gives their place back before the session starts."""
    session = _lock(session)
    _check_unregister(actor, session)
    session.registrations.filter(customer=actor).delete()
    audit_record(actor=actor, verb="unregistered", obj=session)
    attachment = ics_attachment(meeting=session, attendees=[actor], method="CANCEL")
    notify(
        recipient=actor,
        kind="session_unregistered",
        obj=session,
        context=_context(session),
        link=reverse("meetings:detail", args=[session.pk]),
        attachments=[attachment],
    )


# --- reminders (Celery beat) ---------------------------------------------------------------------

REMINDERS = [
    ("reminded_24h_at", datetime.timedelta(hours=24), "24h"),
    ("reminded_15m_at", datetime.timedelta(minutes=15), "15m"),
]


def reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Send the 24-hour and 15-minute reminders that are due, each once (guarded by its
    timestamp under a row lock). The 24-hour one is due from 24 hours before until the
    15-minute one takes over. Returns the number of reminders sent (per meeting)."""
    now = now or timezone.now()
    sent = 0
    for field, before, label in REMINDERS:
        latest = now + before
        earliest = now + (
            datetime.timedelta(minutes=15) if label == "24h" else datetime.timedelta()
        )
        due = Meeting.objects.filter(
            status=Meeting.Status.SCHEDULED,
            starts_at__gt=earliest,
            starts_at__lte=latest,
            **{f"{field}__isnull": True},
        ).values_list("pk", flat=True)
        for pk in due:
            with db_transaction.atomic():
                meeting = _lock(Meeting(pk=pk))
                if getattr(meeting, field) is not None or meeting.status != "scheduled":
                    continue
                setattr(meeting, field, now)
                meeting.save(update_fields=[field])
                _notify(
                    meeting,
                    "meeting_reminder",
                    [*_participants(meeting), meeting.host],
                    when=label,
                )
                sent += 1
    return sent

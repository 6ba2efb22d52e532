"""Demo data for meetings, appended to seed_demo's steps: the reviewer and the agent as hosts
(Monday–Thursday, 09:00–14:00), a meeting booked about a remark through the real service, a
past meeting with minutes, and an open session on taking part in tenders."""

import datetime

from django.utils import timezone

from accounts.models import Team, User
from meetings import services
from meetings.models import HostProfile, Meeting, WeeklyHours
from meetings.selectors import DUBAI, free_slots
from portal.audit import audit_record
from portal.references import reference_next
from tenders import demo as tenders_demo
from tenders.models import Tender
from transactions.models import Remark

HAPPINESS_TEAM = ("customer-happiness", "مركز سعادة المتعاملين", "Customer Happiness Center")


def _host(user: User) -> HostProfile:
    profile, created = HostProfile.objects.get_or_create(user=user)
    if created:
        for weekday in range(4):
            WeeklyHours.objects.create(
                host=profile,
                weekday=weekday,
                starts=datetime.time(9, 0),
                ends=datetime.time(14, 0),
            )
    return profile


def _working_day(day: datetime.date) -> datetime.date:
    while day.weekday() > 3:  # Monday to Thursday
        day += datetime.timedelta(days=1)
    return day


def _tender_prebid_session(contractor: User) -> None:
    """The pre-bid video session of the demo tender open for bids (tenders/demo.py): an open
    session linked to the tender (its minutes, once recorded, are published to the bidders as a
    clarification), hosted by the contracts engineer three working days ahead, with a supplier
    registered and a question sent in advance."""
    engineer = User.objects.get(email=tenders_demo.ENGINEER)
    tender = (
        Tender.objects.filter(created_by=engineer, status=Tender.Status.PUBLISHED)
        .order_by("pk")
        .first()
    )
    if tender is None or tender.prebid_sessions.exists():
        return
    _host(engineer)
    day = _working_day(timezone.localdate() + datetime.timedelta(days=3))
    session = services.session_create(
        actor=engineer,
        title_ar=f"الاجتماع التمهيدي للمناقصة {tender.reference}",
        title_en=f"Pre-bid meeting, tender {tender.reference}",
        agenda=(
            f"شرح نطاق المناقصة {tender.reference} وجدول الكميات وشروط ضمان العطاء، "
            "والإجابة عن أسئلة المتقدمين."
        ),
        starts_at=datetime.datetime.combine(day, datetime.time(10, 0), DUBAI),
        minutes=60,
        capacity=40,
        tender=tender,
    )
    services.session_register(
        actor=contractor, session=session, question="هل تُقبل زيارة الموقع قبل تقديم العطاء؟"
    )


def seed_meetings(stdout) -> None:
    reviewer = User.objects.get(email="reviewer@demo.pwd.ae")
    agent = User.objects.get(email="agent@demo.pwd.ae")
    customer = User.objects.get(email="customer@demo.pwd.ae")
    contractor = User.objects.get(email="contractor@demo.pwd.ae")
    reviewer_host = _host(reviewer)
    _host(agent)
    code, name_ar, name_en = HAPPINESS_TEAM
    team, _ = Team.objects.get_or_create(
        code=code, defaults={"name_ar": name_ar, "name_en": name_en, "supervisor": agent}
    )
    team.members.add(agent)
    if Meeting.objects.exists():
        return

    # A meeting about the open remark of the demo transaction, booked like a customer would.
    remark = Remark.objects.filter(
        transaction__applicant=customer, status=Remark.Status.OPEN
    ).first()
    if remark is not None:
        today = timezone.localdate()
        slots = free_slots(
            hosts=[reviewer_host],
            day_from=today,
            day_to=today + datetime.timedelta(days=14),
        )
        if slots:
            services.meeting_book(
                actor=customer,
                starts_at=next(iter(slots)),
                remark=remark,
                agenda="مناقشة ملاحظة تسليح الأعمدة في الطابق الأرضي.",
            )

    # A meeting held last week, with its minutes (past times cannot be booked, so it is
    # written directly, as the history it stands for).
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    starts = datetime.datetime.combine(last_week, datetime.time(10, 0), DUBAI)
    held = Meeting.objects.create(
        reference=reference_next(prefix="MTG"),
        kind=Meeting.Kind.APPOINTMENT,
        host=agent,
        customer=contractor,
        organization=contractor.organization,
        topic=Meeting.Topic.GENERAL,
        team=team,
        title_ar=f"استفسار: {team.name_ar}",
        title_en=f"Enquiry: {team.name_en}",
        agenda="كيف نجدد تصنيف المقاول إلكترونيًا؟",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(minutes=30),
        blocked_until=starts + datetime.timedelta(minutes=40),
        status=Meeting.Status.HELD,
        minutes="شرحنا للمتعامل خدمة تجديد التصنيف وقائمة مستنداتها خطوة بخطوة.",
        outcome=Meeting.Outcome.RESOLVED,
        rating=Meeting.Rating.SATISFIED,
    )
    audit_record(actor=agent, verb="held", obj=held, to_status=held.status)

    # An open session in the coming days.
    day = timezone.localdate() + datetime.timedelta(days=5)
    while day.weekday() > 3:
        day += datetime.timedelta(days=1)
    session = services.session_create(
        actor=agent,
        title_ar="كيف تشارك في المناقصات إلكترونياً",
        title_en="How to take part in tenders online",
        agenda="التسجيل، وشروط الأهلية، والاستيضاحات، والعطاءات المختومة، وضمانات العطاءات.",
        starts_at=datetime.datetime.combine(day, datetime.time(11, 0), DUBAI),
        minutes=60,
        capacity=30,
    )
    services.session_register(
        actor=contractor, session=session, question="هل يمكن تقديم ضمان العطاء إلكترونيًا؟"
    )
    _tender_prebid_session(contractor)
    stdout.write(
        "  meetings: 2 hosts, a booked and a held meeting, an open session, a tender's pre-bid "
        "session"
    )

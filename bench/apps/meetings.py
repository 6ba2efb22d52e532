"""Meetings: 50,000 a year at scale 1.0 over the same three years, hosted by the reviewers and
the Customer Happiness agents on their weekly hours (Monday to Thursday, 09:00-14:00), never
overlapping (the exclusion constraint of migration 0002 would refuse it); one in ten an open
session with registrations; past ones held, missed or cancelled, the next month scheduled."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType

from accounts.models import Team
from bench.registry import PUBLIC, BenchApp, Endpoint, SeedContext, register
from bench.seed import bulk
from meetings.models import HostProfile, Meeting, Registration, WeeklyHours
from meetings.selectors import DUBAI
from portal.models import AuditEvent
from transactions.models import Transaction

MEETINGS = 50_000
SLOT = datetime.timedelta(minutes=30)
BUFFER = datetime.timedelta(minutes=10)
DAY_SLOTS = 7  # 09:00-14:00 in 40-minute strides
HAPPINESS_TEAM = ("customer-happiness", "مركز سعادة المتعاملين", "Customer Happiness Center")


def _slots(ctx: SeedContext, hosts: list[int], wanted: int) -> list[tuple[int, datetime.datetime]]:
    """`wanted` distinct (host, start) pairs on working days from 3 years back to 30 days ahead,
    drawn without replacement so that no host has two meetings at once."""
    today = ctx.now.astimezone(DUBAI).date()
    days = [
        today + datetime.timedelta(days=d)
        for d in range(-3 * 365, 31)
        if (today + datetime.timedelta(days=d)).weekday() < 4
    ]
    capacity = len(days) * DAY_SLOTS * len(hosts)
    picks = ctx.rng.sample(range(capacity), min(wanted, capacity))
    out = []
    for p in picks:
        host = hosts[p % len(hosts)]
        day = days[(p // len(hosts)) // DAY_SLOTS]
        slot = (p // len(hosts)) % DAY_SLOTS
        start = datetime.datetime.combine(day, datetime.time(9), DUBAI) + slot * (SLOT + BUFFER)
        out.append((host, start))
    return out


def seed(ctx: SeedContext) -> None:
    rng, now = ctx.rng, ctx.now
    team, _ = Team.objects.get_or_create(
        code=HAPPINESS_TEAM[0],
        defaults={"name_ar": HAPPINESS_TEAM[1], "name_en": HAPPINESS_TEAM[2]},
    )
    bulk(
        Team.members.through,
        (Team.members.through(team_id=team.pk, user_id=u) for u in ctx.data["agents"]),
        ctx.counts,
    )
    hosts = ctx.data["agents"] + ctx.data["reviewers"]
    profiles = bulk(HostProfile, (HostProfile(user_id=u) for u in hosts), ctx.counts)
    bulk(
        WeeklyHours,
        (
            WeeklyHours(host=p, weekday=d, starts=datetime.time(9), ends=datetime.time(14))
            for p in profiles
            for d in range(4)
        ),
        ctx.counts,
    )
    customers = ctx.data["customers"]
    heavy = ctx.data["personas"]["customer"]
    # A few of each customer's transactions, to book meetings about.
    trx_of = {}
    for pk, applicant in Transaction.objects.exclude(status="draft").values_list(
        "pk", "applicant_id"
    )[: ctx.n(MEETINGS)]:
        trx_of.setdefault(applicant, pk)
    rows = []
    for n, (host, start) in enumerate(_slots(ctx, hosts, ctx.n(MEETINGS, minimum=40))):
        past = start < now
        # One in ten a session; more among the upcoming, so the open-sessions list is never empty.
        session = rng.random() < (0.1 if past else 0.3)
        customer = None if session else (heavy if rng.random() < 0.002 else rng.choice(customers))
        trx = trx_of.get(customer) if customer and rng.random() < 0.6 else None
        if past:
            status = rng.choices(["held", "no_show", "cancelled"], [75, 8, 17])[0]
        else:
            status = "scheduled"
        rows.append(
            Meeting(
                reference=f"MTG-{start.year}-{n:06d}",
                kind=Meeting.Kind.SESSION if session else Meeting.Kind.APPOINTMENT,
                host_id=host,
                customer_id=customer,
                organization_id=ctx.data["customer_org"].get(customer),
                topic=Meeting.Topic.TRANSACTION if trx else Meeting.Topic.GENERAL,
                transaction_id=trx,
                team=None if trx else team,
                title_ar="جلسة مفتوحة" if session else "",
                title_en="Open session" if session else "",
                capacity=rng.randint(10, 40) if session else 1,
                starts_at=start,
                ends_at=start + SLOT,
                blocked_until=start + SLOT + BUFFER,
                status=status,
                minutes="Discussed the remarks." if status == "held" else "",
                outcome=Meeting.Outcome.RESOLVED if status == "held" else "",
                rating=rng.choice([2, 3, 3, 3])
                if status == "held" and rng.random() < 0.4
                else None,
                cancelled_at=start - datetime.timedelta(days=1) if status == "cancelled" else None,
                created_at=start - datetime.timedelta(days=rng.uniform(1, 20)),
                updated_at=min(start + SLOT, now),
            )
        )
    # The pages' own meeting: the agent persona hosts the heavy customer next working day at
    # 14:00, outside the sampled 09:00-13:40 grid so that it overlaps nothing.
    day = ctx.now.astimezone(DUBAI).date() + datetime.timedelta(days=1)
    while day.weekday() >= 4:
        day += datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(14), DUBAI)
    agent = ctx.data["personas"]["agent"]
    rows.append(
        Meeting(
            reference="MTG-BENCH-000001",
            kind=Meeting.Kind.APPOINTMENT,
            host_id=agent,
            customer_id=heavy,
            organization_id=ctx.data["customer_org"][heavy],
            topic=Meeting.Topic.GENERAL,
            team=team,
            starts_at=start,
            ends_at=start + SLOT,
            blocked_until=start + SLOT + BUFFER,
            status="scheduled",
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )
    # And an open session the day after, so the sessions lists are never empty at any scale
    # (an empty list skips its prefetch, and the query counts would differ by data, not size).
    later = day + datetime.timedelta(days=1)
    while later.weekday() >= 4:
        later += datetime.timedelta(days=1)
    start = datetime.datetime.combine(later, datetime.time(14), DUBAI)
    rows.append(
        Meeting(
            reference="MTG-BENCH-000002",
            kind=Meeting.Kind.SESSION,
            host_id=agent,
            topic=Meeting.Topic.GENERAL,
            team=team,
            title_ar="جلسة مفتوحة",
            title_en="Open session",
            capacity=30,
            starts_at=start,
            ends_at=start + SLOT,
            blocked_until=start + SLOT + BUFFER,
            status="scheduled",
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )
    rows = bulk(Meeting, rows, ctx.counts)
    registrations = []
    for m in rows:
        if m.kind == Meeting.Kind.SESSION:
            for c in rng.sample(customers, min(len(customers), rng.randint(3, m.capacity))):
                registrations.append(
                    Registration(meeting_id=m.pk, customer_id=c, created_at=m.created_at)
                )
    bulk(Registration, registrations, ctx.counts)
    ct = ContentType.objects.get_for_model(Meeting)
    audits = []
    for m in rows:
        audits.append(
            AuditEvent(
                actor_id=m.customer_id or m.host_id,
                verb="session_announced" if m.kind == Meeting.Kind.SESSION else "booked",
                content_type=ct,
                object_id=str(m.pk),
                to_status="scheduled",
                created_at=m.created_at,
            )
        )
        if m.status != "scheduled":
            audits.append(
                AuditEvent(
                    actor_id=m.host_id,
                    verb={"held": "minutes_recorded", "no_show": "no_show"}.get(
                        m.status, "cancelled"
                    ),
                    content_type=ct,
                    object_id=str(m.pk),
                    from_status="scheduled",
                    to_status=m.status,
                    created_at=m.updated_at,
                )
            )
    bulk(AuditEvent, audits, ctx.counts)
    ctx.data["meeting_detail"] = rows[-2].pk


def endpoints(ctx: SeedContext) -> list[Endpoint]:
    today = ctx.now.astimezone(DUBAI).date()
    until = today + datetime.timedelta(days=13)
    detail = ctx.data["meeting_detail"]
    pages = [
        Endpoint("my meetings (customer)", "/ar/meetings/", "customer"),
        Endpoint("open sessions (customer)", "/ar/meetings/sessions/", "customer"),
        # Public since issue 12 (the home page links to it): the public budget applies.
        Endpoint("open sessions (anonymous)", "/ar/meetings/sessions/", None, PUBLIC),
        Endpoint("book a meeting (customer)", "/ar/meetings/book/", "customer", explain=False),
        Endpoint("staff calendar (agent)", "/ar/staff/meetings/", "agent"),
        Endpoint("staff load (agent)", "/ar/staff/meetings/load/", "agent"),
        Endpoint("meeting detail (agent)", f"/ar/meetings/{detail}/", "agent"),
        Endpoint("API meeting list (customer)", "/api/v1/meetings/", "customer", api=True),
        Endpoint("API session list (customer)", "/api/v1/sessions/", "customer", api=True),
        Endpoint(
            "API meeting slots, 14 days (customer)",
            f"/api/v1/meetings/slots/?team={HAPPINESS_TEAM[0]}&from={today}&to={until}",
            "customer",
            api=True,
        ),
        Endpoint("API meeting detail (agent)", f"/api/v1/meetings/{detail}/", "agent", api=True),
    ]
    pages.append(Endpoint("meeting detail (customer)", f"/ar/meetings/{detail}/", "customer"))
    pages.append(
        Endpoint(
            "API meeting detail (customer)", f"/api/v1/meetings/{detail}/", "customer", api=True
        )
    )
    return pages


register(BenchApp("meetings", seed, endpoints, after=("accounts", "transactions")))

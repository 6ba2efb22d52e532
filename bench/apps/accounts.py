"""Accounts: customer organizations with their managers, department staff in teams with the
roles and TOTP authenticators production requires, and the personas the load run signs in as."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.models import Organization, Team, User
from accounts.roles import Role
from bench.registry import PUBLIC, BenchApp, Endpoint, SeedContext, register
from bench.seed import bulk
from transactions.catalogue import catalogue_load

ORGANIZATIONS = 20_000  # at scale 1.0: "a year"
KINDS = [
    (Organization.Kind.INDIVIDUAL, 40),
    (Organization.Kind.CONSULTANT, 25),
    (Organization.Kind.DEVELOPER, 10),
    (Organization.Kind.CONTRACTOR, 20),
    (Organization.Kind.SUPPLIER, 5),
]


def seed(ctx: SeedContext) -> None:
    rng = ctx.rng
    password = make_password("bench-not-a-secret")  # one hash for all: hashing is slow
    catalogue_load()
    teams = list(Team.objects.all())
    kinds = [k for k, w in KINDS for _ in range(w)]
    n_orgs = ctx.n(ORGANIZATIONS, minimum=20)
    orgs = bulk(
        Organization,
        (
            Organization(
                name_ar=f"مؤسسة رقم {i}",
                name_en=f"Organization {i:06d}",
                kind=rng.choice(kinds),
                trade_licence_number=f"TL-{i:07d}",
                email=f"org{i}@bench.pwd.ae",
                created_at=ctx.now,
            )
            for i in range(n_orgs)
        ),
        ctx.counts,
    )
    customers = bulk(
        User,
        (
            User(
                email=f"customer{i}@bench.pwd.ae",
                full_name=f"Customer {i}",
                password=password,
                organization=org,
                organization_role=User.OrganizationRole.MANAGER,
                preferred_language=rng.choice(["ar", "ar", "en"]),
                date_joined=ctx.now,
            )
            for i, org in enumerate(orgs)
        ),
        ctx.counts,
    )
    groups = {g.name: g for g in Group.objects.all()}
    # Reviewers in every team (a queue each), Customer Happiness agents, finance officers.
    staff_spec = [(Role.REVIEWER, ctx.n(8, minimum=3)) for _ in teams]
    staff_spec += [(Role.HAPPINESS_AGENT, ctx.n(10, minimum=3)), (Role.FINANCE_OFFICER, 2)]
    staff, team_members, roles = [], [], []
    for index, (role, count) in enumerate(staff_spec):
        for j in range(count):
            staff.append(
                User(
                    email=f"{role}{index}-{j}@bench.pwd.ae",
                    full_name=f"{role} {index}-{j}",
                    password=password,
                    date_joined=ctx.now,
                )
            )
            roles.append((role, teams[index] if index < len(teams) else None))
    staff = bulk(User, staff, ctx.counts)
    through = User.groups.through
    links = [through(user_id=c.pk, group_id=groups[Role.CUSTOMER].pk) for c in customers]
    for user, (role, team) in zip(staff, roles, strict=True):
        links.append(through(user_id=user.pk, group_id=groups[role].pk))
        if team is not None:
            team_members.append(Team.members.through(user_id=user.pk, team_id=team.pk))
    bulk(through, links, ctx.counts)
    bulk(Team.members.through, team_members, ctx.counts)
    # Production requires TOTP of staff (STAFF_MFA_REQUIRED); the middleware asks only that
    # one exists, and the session the load run makes records that the second step passed.
    bulk(
        Authenticator,
        (
            Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": "bench"})
            for u in staff
        ),
        ctx.counts,
    )
    team_staff = {
        t.pk: [u.pk for u, (_, tm) in zip(staff, roles, strict=True) if tm == t] for t in teams
    }
    reviewers = [u for u, (r, t) in zip(staff, roles, strict=True) if r == Role.REVIEWER]
    agents = [u for u, (r, _) in zip(staff, roles, strict=True) if r == Role.HAPPINESS_AGENT]
    ctx.data.update(
        orgs=[o.pk for o in orgs],
        customers=[c.pk for c in customers],
        customer_org={c.pk: c.organization_id for c in customers},
        teams=team_staff,
        reviewers=[u.pk for u in reviewers],
        agents=[u.pk for u in agents],
        finance=[u.pk for u, (r, _) in zip(staff, roles, strict=True) if r == Role.FINANCE_OFFICER],
        personas={
            # The heavy customer is chosen by the transactions seeder (the most rows).
            "customer": customers[0].pk,
            "customer_light": customers[-1].pk,
            "reviewer": reviewers[0].pk,
            "agent": agents[0].pk,
        },
    )


def endpoints(ctx: SeedContext) -> list[Endpoint]:
    return [
        Endpoint("home", "/ar/", None, PUBLIC, explain=False),
        Endpoint("profile", "/ar/profile/", "customer", explain=False),
        Endpoint("organization", "/ar/organization/", "customer", explain=False),
        Endpoint("notifications", "/ar/notifications/", "customer"),
        Endpoint("staff home (reviewer)", "/ar/staff/", "reviewer"),
        Endpoint("API me", "/api/v1/me/", "customer", api=True, explain=False),
        Endpoint("API my organization", "/api/v1/me/organization/", "customer", api=True),
    ]


register(BenchApp("accounts", seed, endpoints))

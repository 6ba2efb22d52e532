"""The daily housekeeping (Celery beat): warn customers whose transaction has been idle on their
side, expire it after the configured days (warned first, once), and send each team supervisor
one digest a day of the team's overdue transactions."""

import datetime
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.roles import Role
from portal.models import AuditEvent, Notification
from tests.factories import UserFactory
from tests.transactions.factories import ServiceFactory, TeamFactory, make_idle, transaction_at
from transactions import services
from transactions.models import Transaction
from transactions.services.housekeeping import IDLE_STATUSES
from transactions.tasks import daily_housekeeping

S = Transaction.Status
DUBAI = ZoneInfo("Asia/Dubai")
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)  # a Monday


@contextmanager
def on(day: int):
    """`day` days after START (03:00 Dubai time, when beat runs the housekeeping)."""
    moment = START.replace(hour=3) + datetime.timedelta(days=day)
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def short_expiry(settings):
    settings.TRANSACTION_EXPIRY_DAYS = 20
    settings.TRANSACTION_EXPIRY_WARNING_DAYS = 5


def _kinds(t: Transaction) -> list[str]:
    return list(
        Notification.objects.filter(object_id=str(t.pk), recipient=t.applicant)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def _returned_on_day_0(status: str = S.REMARKS_RETURNED) -> Transaction:
    with on(0):
        return transaction_at(status)


# --- expiry -------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", IDLE_STATUSES)
def test_warned_once_then_expired_after_the_configured_days(db, short_expiry, status):
    t = _returned_on_day_0(status)
    before = _kinds(t)

    with on(14):  # 20 - 5 = 15 days idle before the warning
        assert services.transactions_warn_expiring() == 0
    with on(15):
        assert services.transactions_warn_expiring() == 1
        assert services.transactions_warn_expiring() == 0  # running twice sends nothing more
    with on(16):
        assert services.transactions_warn_expiring() == 0
    t.refresh_from_db()
    assert t.status == status
    assert t.expiry_warned_at is not None
    assert _kinds(t) == before + ["transaction_expiry_warning"]
    warning = Notification.objects.get(kind="transaction_expiry_warning")
    assert warning.context["expires_on"] == "2026-03-22"  # day 20
    assert warning.context["reference"] == t.reference
    assert AuditEvent.objects.filter(verb="expiry_warned", object_id=str(t.pk)).count() == 1

    with on(19):
        assert services.transactions_expire_idle() == 0
    with on(20):
        assert services.transactions_expire_idle() == 1
        assert services.transactions_expire_idle() == 0
        assert services.transactions_warn_expiring() == 0
    t.refresh_from_db()
    assert t.status == S.EXPIRED
    assert t.closed_at is not None
    assert _kinds(t) == before + ["transaction_expiry_warning", "transaction_expired"]
    event = AuditEvent.objects.get(verb="expired", object_id=str(t.pk))
    assert (event.from_status, event.to_status, event.actor) == (status, S.EXPIRED, None)


def test_the_limits_come_from_the_settings(db, settings):
    expiry, warning = settings.TRANSACTION_EXPIRY_DAYS, settings.TRANSACTION_EXPIRY_WARNING_DAYS
    assert expiry > warning > 0
    t = _returned_on_day_0()
    with on(expiry - warning - 1):
        assert services.transactions_warn_expiring() == 0
    with on(expiry - warning):
        assert services.transactions_warn_expiring() == 1
    with on(expiry - 1):
        assert services.transactions_expire_idle() == 0
    with on(expiry):
        assert services.transactions_expire_idle() == 1
    t.refresh_from_db()
    assert t.status == S.EXPIRED


def test_never_expired_without_a_warning(db, short_expiry):
    t = _returned_on_day_0()
    with on(30):
        assert services.transactions_expire_idle() == 0
    t.refresh_from_db()
    assert t.status == S.REMARKS_RETURNED
    assert "transaction_expired" not in _kinds(t)


def test_a_late_warning_still_gives_the_customer_the_warning_days(db, short_expiry):
    """If the housekeeping did not run for a while, the customer still gets the warning and the
    warning period before the transaction expires."""
    t = _returned_on_day_0()
    with on(30):
        result = daily_housekeeping.apply().get()
    t.refresh_from_db()
    assert result["warned"] == 1
    assert result["expired"] == 0
    assert t.status == S.REMARKS_RETURNED
    warning = Notification.objects.get(kind="transaction_expiry_warning")
    assert warning.context["expires_on"] >= "2026-04-06"  # not in the past: day 30 + 5
    with on(34):
        assert services.transactions_expire_idle() == 0
    with on(35):
        assert services.transactions_expire_idle() == 1


def test_the_customer_acting_restarts_the_idle_clock(db, short_expiry):
    t = _returned_on_day_0(S.REMARKS_RETURNED)
    with on(15):
        assert services.transactions_warn_expiring() == 1
    with on(16):
        people = t.people
        services.remark_answer(actor=people.customer, remark=t.remarks.get(), text="Done.")
        services.transaction_resubmit(actor=people.customer, transaction=t)
        services.remark_resolve(actor=people.reviewer, remark=t.remarks.get())
        services.transaction_approve(actor=people.reviewer, transaction=t)  # fee due: idle again
    t.refresh_from_db()
    assert t.status == S.FEE_DUE
    assert t.expiry_warned_at is None
    with on(25):  # 9 days since the customer's turn began again
        assert services.transactions_warn_expiring() == 0
        assert services.transactions_expire_idle() == 0
    with on(31):
        assert services.transactions_warn_expiring() == 1
    t.refresh_from_db()
    assert t.status == S.FEE_DUE


def test_answering_a_remark_without_resubmitting_restarts_the_idle_clock(db, short_expiry):
    """A customer still working on their answers is not idle: the warning no longer applies
    and the limit counts from their last action."""
    t = _returned_on_day_0(S.REMARKS_RETURNED)
    with on(15):
        assert services.transactions_warn_expiring() == 1
    with on(16):
        services.remark_answer(actor=t.people.customer, remark=t.remarks.get(), text="Working.")
    t.refresh_from_db()
    assert t.expiry_warned_at is None
    with on(25):  # day 0 + 20 has passed, but only 9 days since the answer
        assert services.transactions_expire_idle() == 0
        assert services.transactions_warn_expiring() == 0
    with on(31):
        assert services.transactions_warn_expiring() == 1
    with on(37):
        assert services.transactions_expire_idle() == 1
    t.refresh_from_db()
    assert t.status == S.EXPIRED


@pytest.mark.parametrize("status", [s for s in S if s not in IDLE_STATUSES])
def test_only_idle_customer_turn_statuses_are_warned_or_expired(db, status):
    t = transaction_at(status)
    notices = Notification.objects.count()
    make_idle(t, warned=False)
    assert services.transactions_warn_expiring() == 0
    make_idle(t, warned=True)
    assert services.transactions_expire_idle() == 0
    t.refresh_from_db()
    assert t.status == status
    assert Notification.objects.count() == notices


# --- overdue digest -----------------------------------------------------------------------------
def test_the_overdue_digest_goes_to_the_team_supervisor_once_a_day(db):
    supervisor = UserFactory(role=Role.REVIEWER, full_name="Team Supervisor")
    team = TeamFactory(supervisor=supervisor)
    service = ServiceFactory(team=team)
    other_team_service = ServiceFactory(team=TeamFactory(supervisor=UserFactory()))
    unsupervised = ServiceFactory(team=TeamFactory())
    with on(0):  # submitted Monday 2 March, due Tuesday 10 March (5 working days)
        late_review = transaction_at(S.UNDER_REVIEW, service=service)
        late_new = transaction_at(S.SUBMITTED, service=service)
        waiting_on_customer = transaction_at(S.REMARKS_RETURNED, service=service)
        transaction_at(S.UNDER_REVIEW, service=unsupervised)
        other = transaction_at(S.SUBMITTED, service=other_team_service)
    with on(7):  # submitted Monday 9 March, due Tuesday 17 March
        in_time = transaction_at(S.SUBMITTED, service=service)
    assert late_review.due_date == datetime.date(2026, 3, 10)

    with on(8):  # Tuesday 10: due today, not yet overdue
        assert services.transactions_notify_overdue() == 0
    with on(9):  # Wednesday 11
        assert services.transactions_notify_overdue() == 2  # this team's and the other team's
        assert services.transactions_notify_overdue() == 0  # once a day
    digests = Notification.objects.filter(kind="transactions_overdue", recipient=supervisor)
    [digest] = digests
    assert digest.subject == team
    assert digest.context["count"] == 2
    references = [row[0] for row in digest.context["items"]]
    assert sorted(references) == sorted([late_review.reference, late_new.reference])
    assert waiting_on_customer.reference not in references
    assert in_time.reference not in references
    [other_digest] = Notification.objects.filter(kind="transactions_overdue").exclude(
        recipient=supervisor
    )
    assert [row[0] for row in other_digest.context["items"]] == [other.reference]

    with on(10):  # the next day, still overdue: one more digest
        assert services.transactions_notify_overdue() == 2
        assert services.transactions_notify_overdue() == 0
    assert digests.all().count() == 2


def test_no_digest_when_nothing_is_overdue(db):
    supervisor = UserFactory()
    service = ServiceFactory(team=TeamFactory(supervisor=supervisor))
    with on(0):
        transaction_at(S.UNDER_REVIEW, service=service)
    with on(3):
        assert services.transactions_notify_overdue() == 0
    assert not Notification.objects.filter(kind="transactions_overdue").exists()


# --- the task -----------------------------------------------------------------------------------
def test_daily_housekeeping_returns_the_counts(db, short_expiry):
    supervisor = UserFactory()
    service = ServiceFactory(team=TeamFactory(supervisor=supervisor))
    with on(0):
        to_warn = transaction_at(S.INCOMPLETE_RETURNED, service=service)
        to_expire = transaction_at(S.FEE_DUE, service=service)
        transaction_at(S.UNDER_REVIEW, service=service)  # overdue from day 9
    with on(1):
        make_idle(to_expire)

    with on(15):
        assert daily_housekeeping.apply().get() == {
            "warned": 1,
            "expired": 1,
            "overdue_digests": 1,
        }
        assert daily_housekeeping.apply().get() == {
            "warned": 0,
            "expired": 0,
            "overdue_digests": 0,
        }
    to_warn.refresh_from_db()
    to_expire.refresh_from_db()
    assert (to_warn.status, to_expire.status) == (S.INCOMPLETE_RETURNED, S.EXPIRED)

"""What the outbox drills share: their own Redis (started and stopped by the drill, on a port
nobody else uses), a Celery worker on it, a queue that runs on a frozen clock, a mail server
that can refuse, and the figures every drill prints."""

import datetime
import heapq
import itertools
import re
import smtplib
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from portal.models import Notification
from tests.brokers import reset_broker_connections, xdist_worker_index

# One port per pytest-xdist worker (6385, 6405, 6425…), so drills never meet on one Redis.
DRILL_REDIS_PORT = 6385 + 20 * xdist_worker_index()
MESSAGE_ID = re.compile(r"<notification-(\d+)\.")


# --- a Redis of the drill's own -----------------------------------------------------------------
class DrillRedis:
    """redis-server on DRILL_REDIS_PORT, nothing saved to disk. Only this one is ever stopped;
    the machine's Redis (6379) is left alone."""

    def __init__(self, tmp_path, port: int = DRILL_REDIS_PORT):
        self.port = port
        self.dir = tmp_path
        self.url = f"redis://127.0.0.1:{port}/0"

    def _cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )

    def up(self) -> bool:
        return self._cli("ping").stdout.strip() == "PONG"

    def start(self) -> None:
        assert not self.up(), f"something already listens on {self.port}"
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.dir),
                "--pidfile",
                str(self.dir / f"redis-{self.port}.pid"),
                "--logfile",
                str(self.dir / f"redis-{self.port}.log"),
            ],
            check=True,
            timeout=10,
        )
        deadline = time.monotonic() + 10
        while not self.up():
            assert time.monotonic() < deadline, "the drill's Redis did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if not self.up():
            return
        self._cli("shutdown", "nosave")
        deadline = time.monotonic() + 10
        while self.up():
            assert time.monotonic() < deadline, "the drill's Redis did not stop"
            time.sleep(0.05)


@contextmanager
def celery_on(url: str, settings):
    """Point the portal's Celery app (normal, not eager, mode) at `url` for the block."""
    from portal.celery import app

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=url, task_always_eager=False)
    reset_broker_connections(app)
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield app
    finally:
        app.conf.update(saved)
        reset_broker_connections(app)


@contextmanager
def worker(app):
    """A real Celery worker (a thread, solo pool) consuming from the app's broker."""
    from celery.contrib.testing.worker import start_worker

    reset_broker_connections(app)
    app.connection_for_write().ensure_connection(max_retries=2)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
        yield w


# --- a queue on the frozen clock ----------------------------------------------------------------
class ClockQueue:
    """Stands in for the broker when the clock is frozen: `delay()` and
    `apply_async(countdown=)` of the delivery task put it in here, due at now (+ countdown);
    `run_due()` runs what is due, in order, the way a worker would (not eagerly)."""

    def __init__(self, monkeypatch):
        from portal import tasks

        self.task = tasks.deliver_notification
        self._heap: list = []
        self._seq = itertools.count()
        self.ran = 0
        monkeypatch.setattr(self.task, "delay", lambda pk: self._put(pk, 0))
        monkeypatch.setattr(
            self.task, "apply_async", lambda args, countdown=0: self._put(args[0], countdown)
        )

    def _put(self, pk: int, countdown: float) -> None:
        due = timezone.now() + datetime.timedelta(seconds=countdown)
        heapq.heappush(self._heap, (due, next(self._seq), pk))

    def run_due(self) -> None:
        while self._heap and self._heap[0][0] <= timezone.now():
            _, _, pk = heapq.heappop(self._heap)
            self.ran += 1
            self.task(pk)  # may put its own retry back in the queue

    def __len__(self) -> int:
        return len(self._heap)


# --- a mail server that can refuse --------------------------------------------------------------
class DrillMailBackend(BaseEmailBackend):
    """Refuses while `down` says so; otherwise keeps each message with when it arrived."""

    down = staticmethod(lambda: False)
    received: list[tuple[datetime.datetime, object]] = []
    refused = 0

    def send_messages(self, messages):
        if DrillMailBackend.down():
            DrillMailBackend.refused += 1
            raise smtplib.SMTPConnectError(421, "service not available")
        for message in messages:
            DrillMailBackend.received.append((timezone.now(), message))
        return len(messages)

    @classmethod
    def reset(cls, *, down=lambda: False) -> None:
        cls.down = staticmethod(down)
        cls.received = []
        cls.refused = 0


# --- the figures --------------------------------------------------------------------------------
def notification_of(message) -> Notification:
    """The outbox row an e-mail was sent for, from its Message-ID."""
    pk = MESSAGE_ID.match(message.extra_headers["Message-ID"])[1]
    return Notification.objects.get(pk=int(pk))


@dataclass
class Figures:
    sent: int  # notifications written by the portal (e-mail channel)
    delivered: int  # distinct notifications the mail server received
    duplicates: int  # messages received more than once (same Message-ID)
    out_of_order: int  # per recipient, a message received before one created earlier
    out_of_order_same_subject: int  # the same, about the same object
    delay: datetime.timedelta  # from the outage's end to the last delivery
    attempts_max: int = 0
    extra: dict = field(default_factory=dict)

    def report(self, title: str) -> None:
        print(
            f"\n[drill] {title}: sent={self.sent} delivered={self.delivered} "
            f"duplicates={self.duplicates} out_of_order={self.out_of_order} "
            f"out_of_order_same_subject={self.out_of_order_same_subject} "
            f"delay={self.delay.total_seconds():.1f}s attempts_max={self.attempts_max} "
            + " ".join(f"{k}={v}" for k, v in self.extra.items())
        )


def figures(
    *, messages: list, recovered_at: datetime.datetime, arrived: list[datetime.datetime]
) -> Figures:
    """`messages`: the e-mails in the order the mail server received them; `arrived`: when."""
    rows = {n.pk: n for n in Notification.objects.filter(channel=Notification.Channel.EMAIL)}
    ids = [int(MESSAGE_ID.match(m.extra_headers["Message-ID"])[1]) for m in messages]
    seen: set[int] = set()
    duplicates = 0
    by_recipient: dict = {}
    by_subject: dict = {}
    for pk in ids:
        if pk in seen:
            duplicates += 1
            continue
        seen.add(pk)
        row = rows[pk]
        by_recipient.setdefault(row.recipient_id, []).append(row)
        if row.content_type_id is not None:
            key = (row.recipient_id, row.content_type_id, row.object_id)
            by_subject.setdefault(key, []).append(row)

    def inversions(groups: dict) -> int:
        return sum(
            1
            for sequence in groups.values()
            for a, b in itertools.pairwise(sequence)
            if (a.created_at, a.pk) > (b.created_at, b.pk)
        )

    last = max(arrived) if arrived else recovered_at
    return Figures(
        sent=len(rows),
        delivered=len(seen),
        duplicates=duplicates,
        out_of_order=inversions(by_recipient),
        out_of_order_same_subject=inversions(by_subject),
        delay=max(last - recovered_at, datetime.timedelta(0)),
        attempts_max=max((r.attempts for r in rows.values()), default=0),
    )

"""Drill 13: a Celery worker is killed (SIGKILL) in the middle of rendering a PDF. The documents
sweep (run here every SWEEP seconds, as beat would) sees the attempt older than the render time
limit and queues the document again; a new worker renders it and the documents queued meanwhile;
each document exists exactly once, within the documented worst-case delay (time limit + sweep
interval + one render).

The drill starts its own redis-server on port 6386 (+20 per xdist worker; it stops only that
one) and real worker processes (`celery -A portal worker --pool solo`) on the test database.
The first worker's renders are made slow by this file run as a script (below): production code
has no test hook.
Short timings come from settings and the environment (render time limit 5 s, sweep every 5 s;
the broker's own redelivery, after the visibility timeout, is set later than that)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from portal.documents import document_issue, documents_sweep
from portal.models import IssuedDocument
from tests.brokers import reset_broker_connections, xdist_worker_index
from tests.factories import UserFactory

# One port per pytest-xdist worker (6386, 6406, 6426…), so drills never meet on one Redis.
PORT = 6386 + 20 * xdist_worker_index()
TIME_LIMIT, SWEEP, VISIBILITY_TIMEOUT = 5, 5, 120
DOCUMENTS = 4
# A worker process's start (Django, WeasyPrint) and one render, on a busy CI machine.
STARTUP_AND_RENDER = 30


class DrillRedis:
    def __init__(self, directory: Path):
        self.dir = directory
        self.url = f"redis://127.0.0.1:{PORT}/0"

    def _cli(self, *args: str) -> str:
        return subprocess.run(
            ["redis-cli", "-p", str(PORT), *args], capture_output=True, text=True, timeout=10
        ).stdout.strip()

    def start(self) -> None:
        assert self._cli("ping") != "PONG", f"something already listens on {PORT}"
        subprocess.run(
            ["redis-server", "--port", str(PORT), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "yes", "--dir", str(self.dir)]
            + ["--logfile", str(self.dir / "redis.log")],
            check=True,
            timeout=10,
        )
        deadline = time.monotonic() + 10
        while self._cli("ping") != "PONG":
            assert time.monotonic() < deadline, "the drill's Redis did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self._cli("ping") == "PONG":
            self._cli("shutdown", "nosave")


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# A Celery worker whose renders take DRILL_RENDER_SECONDS longer (run with `python -c`, so
# production code carries no test hook).
LAUNCHER = """
import os, sys, time
import django
django.setup()
from celery.bin.celery import main
from portal import documents
real, pause = documents.document_pdf_bytes, float(os.environ.get("DRILL_RENDER_SECONDS", "0"))
def slow(document):
    time.sleep(pause)
    return real(document)
documents.document_pdf_bytes = slow
sys.argv = ["celery", "-A", "portal", *sys.argv[1:]]
sys.exit(main())
"""


class Worker:
    def __init__(self, name: str, env: dict, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, "worker", "--pool", "solo", "--loglevel", "INFO"]
            + ["--hostname", f"{name}@drill", "--without-gossip", "--without-mingle"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait(condition, *, seconds: float, what: str, worker: Worker) -> float:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline or worker.process.poll() is not None:
            pytest.fail(f"{what} not within {seconds} s; worker log:\n{worker.log.read_text()}")
        time.sleep(0.2)
    return time.monotonic()


def _issue(owner, n: int) -> IssuedDocument:
    return document_issue(
        actor=owner,
        kind="organization_receipt",
        reference=f"ORG-2026-{900000 + n}",
        owner=owner,
        subject=None,
        title_ar="إيصال تسجيل جهة",
        title_en="Organization registration receipt",
        template="accounts/pdf/organization_receipt.html",
        snapshot={"name_ar": "جهة", "name_en": f"Entity {n}"},
        public_summary={"rows": []},
    )


@pytest.fixture
def drill_broker(tmp_path):
    from portal.celery import app

    redis = DrillRedis(tmp_path)
    redis.start()
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis.url, task_always_eager=False)
    reset_broker_connections(app)
    try:
        yield redis
    finally:
        app.conf.update(saved)
        reset_broker_connections(app)
        redis.stop()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_delays_the_document_but_never_duplicates_it(
    settings, tmp_path, private_media, drill_broker
):
    settings.CELERY_BROKER_URL = drill_broker.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.DOCUMENT_RENDER_TIME_LIMIT = TIME_LIMIT
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": drill_broker.url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "DOCUMENT_RENDER_TIME_LIMIT": str(TIME_LIMIT),
        "PRIVATE_MEDIA_ROOT": str(private_media),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PYTHONPATH": str(django_settings.BASE_DIR),
    }
    owner = UserFactory()
    slow = Worker("slow", {**env, "DRILL_RENDER_SECONDS": "600"}, tmp_path / "slow.log")
    try:
        with transaction.atomic():
            documents = [_issue(owner, n) for n in range(DOCUMENTS)]
        first = documents[0]

        def claimed() -> bool:
            first.refresh_from_db()
            return first.render_started_at is not None

        _wait(claimed, seconds=60, what="the first render", worker=slow)
        slow.process.send_signal(signal.SIGKILL)
        slow.process.wait(timeout=10)
        killed_at = time.monotonic()
    finally:
        slow.stop()

    bound = TIME_LIMIT + SWEEP + STARTUP_AND_RENDER
    fresh = Worker("fresh", env, tmp_path / "fresh.log")
    swept = {"at": time.monotonic(), "queued": 0}
    try:

        def all_ready() -> bool:
            if time.monotonic() - swept["at"] >= SWEEP:  # beat's sweep-documents
                swept["at"] = time.monotonic()
                swept["queued"] += documents_sweep()
            return not IssuedDocument.objects.exclude(status=IssuedDocument.Status.READY).exists()

        ready_at = _wait(all_ready, seconds=bound, what="every document ready", worker=fresh)
        # A redelivered copy still in flight must find nothing left to do.
        time.sleep(2)
    finally:
        fresh.stop()

    delay = ready_at - killed_at
    rows = list(IssuedDocument.objects.order_by("pk"))
    pdfs = sorted(p.name for p in private_media.rglob("*.pdf"))
    expected = sorted(f"{d.reference}.pdf" for d in rows)
    duplicates = len(pdfs) - len(set(pdfs)) + len(set(pdfs) - set(expected))
    print(
        f"\n[drill 13] documents expected={DOCUMENTS} rendered={len(pdfs)} "
        f"duplicates={duplicates} first_document_attempts={rows[0].attempts} "
        f"requeued_by_sweep={swept['queued']} delay_after_kill={delay:.1f}s (bound {bound}s "
        f"= time limit {TIME_LIMIT}s + sweep {SWEEP}s + start and render {STARTUP_AND_RENDER}s)"
    )
    assert [d.status for d in rows] == [IssuedDocument.Status.READY] * DOCUMENTS
    assert pdfs == expected  # one file per document, none stored twice
    assert rows[0].attempts == 2  # the killed attempt, then the one the sweep queued
    assert swept["queued"] >= 1
    assert delay <= bound

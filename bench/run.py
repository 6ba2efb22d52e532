"""The load run: sign the personas in, count and EXPLAIN each endpoint's queries, serve the
portal under gunicorn with production settings, drive every endpoint with wrk, check budgets.

Django must be set up (bench.__main__ does it, pointing DATABASE_URL at the bench database)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from accounts.models import User
from bench.registry import NOOP, PUBLIC, REFERENCE, Endpoint

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3  # as in the Dockerfile (WEB_CONCURRENCY)
NOOP_ENDPOINT = Endpoint("trivial view (no database)", "/bench/noop", None, NOOP, explain=False)
# The same view signed in: the floor under every signed-in endpoint (the middleware reads the
# session, the user and the user's roles before any view runs).
SIGNED_IN_NOOP_ENDPOINT = Endpoint(
    "trivial view, signed in (yardstick)", "/bench/noop", "customer", REFERENCE, explain=False
)


def personas(ids: dict[str, int]) -> dict[str, dict]:
    """A session that passed password and TOTP (as allauth records it), and an API token, for
    each persona, written straight into the bench database."""
    out = {}
    for name, pk in ids.items():
        user = User.objects.get(pk=pk)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        now = time.time()
        session["account_authentication_methods_user"] = str(user.pk)
        session["account_authentication_methods"] = [
            {"method": "password", "at": now, "email": user.email},
            {"method": "mfa", "at": now, "id": 0, "type": "totp"},
        ]
        session.create()
        _, token = AuthToken.objects.create(user=user)
        out[name] = {"session": session.session_key, "token": token, "user": user.pk}
    return out


def _headers(endpoint: Endpoint, people: dict) -> dict[str, str]:
    if endpoint.persona is None:
        return {}
    p = people[endpoint.persona]
    if endpoint.api:
        return {"Authorization": f"Token {p['token']}"}
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={p['session']}"}


def measure_queries(endpoint: Endpoint, people: dict) -> dict:
    """One request through the test client against the bench database: status, query count,
    and the SQL it ran (for EXPLAIN)."""
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    extra = {}
    if endpoint.persona is not None:
        p = people[endpoint.persona]
        if endpoint.api:
            extra["HTTP_AUTHORIZATION"] = f"Token {p['token']}"
        else:
            client.cookies[settings.SESSION_COOKIE_NAME] = p["session"]
    client.get(endpoint.path, **extra)  # warm: first-request caches are not what we measure
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(endpoint.path, **extra)
    return {
        "status": response.status_code,
        "queries": len(ctx.captured_queries),
        "sql": [q["sql"] for q in ctx.captured_queries],
    }


_SEQ = re.compile(r"Seq Scan on (\w+)")
# A sequential scan is flagged on a table this big; below, PostgreSQL rightly prefers one.
BIG_ROWS = 10_000


def _rows(cursor, table: str) -> float:
    cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
    row = cursor.fetchone()
    return row[0] if row else 0


def explain(sql_list: list[str], slow_ms: float = 5.0) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) every SELECT an endpoint ran; flag sequential scans of the big
    tables. Plans of fast queries without such a scan are kept short (first line)."""
    out = []
    with connection.cursor() as cursor:
        for sql in dict.fromkeys(sql_list):
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            try:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            except Exception as exc:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
                connection.rollback() if not connection.get_autocommit() else None
                out.append({"sql": sql[:300], "error": str(exc)[:200]})
                continue
            plan = "\n".join(row[0] for row in cursor.fetchall())
            ms = float(m.group(1)) if (m := re.search(r"Execution Time: ([\d.]+)", plan)) else 0
            seq = sorted({t for t in _SEQ.findall(plan) if _rows(cursor, t) >= BIG_ROWS})
            out.append(
                {
                    "sql": sql[:300],
                    "ms": ms,
                    "seq_scans": seq,
                    "plan": plan if (seq or ms >= slow_ms) else plan.splitlines()[0],
                }
            )
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(log) -> object:
    """The portal as the Dockerfile runs it (3 workers), on 127.0.0.1 and a free port."""
    from django.core.cache import cache

    cache.clear()  # the bench's own Redis database (bench.__main__): nothing cached before
    port = _free_port()
    logfile = open(ROOT / "var" / "bench-gunicorn.log", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-tmp-dir",
            "/dev/shm",  # noqa: S108 - as in the Dockerfile
            "--timeout",
            "60",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/bench/noop", timeout=2)  # noqa: S310 - http only
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("gunicorn exited; see var/bench-gunicorn.log") from None
                time.sleep(0.5)
        else:
            raise RuntimeError("gunicorn did not answer in 60 s")
        log(f"gunicorn ({WORKERS} workers) on {base}")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        logfile.close()


def warm(base: str, endpoint: Endpoint, people: dict, times: int = 3) -> None:
    """A few requests first, so every worker has its connection and caches before wrk counts."""
    request = urllib.request.Request(  # noqa: S310 - http only
        base + endpoint.path, headers=_headers(endpoint, people)
    )
    for _ in range(times):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 - http only


def wrk(base: str, endpoint: Endpoint, people: dict, seconds: int) -> dict:
    from bench.budgets import parse_wrk

    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    cmd = [
        "wrk",
        "-t2",
        "-c8",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(ROOT / "bench" / "wrk.lua"),
    ]
    for key, value in _headers(endpoint, people).items():
        cmd += ["-H", f"{key}: {value}"]
    cmd.append(base + endpoint.path)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=False)
    return parse_wrk(done.stdout)


def is_public(endpoint: Endpoint) -> bool:
    return endpoint.kind == PUBLIC


def profile(endpoints: list[Endpoint], people: dict, requests: int, top: int, log) -> None:
    """Each endpoint through the test client (production settings, no server): the mean time of
    a request, then where it went (cProfile, the functions with the most time of their own and
    the project's functions by cumulative time)."""
    import cProfile
    import io
    import pstats

    for endpoint in endpoints:
        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=True)
        extra = {}
        if endpoint.persona is not None:
            p = people[endpoint.persona]
            if endpoint.api:
                extra["HTTP_AUTHORIZATION"] = f"Token {p['token']}"
            else:
                client.cookies[settings.SESSION_COOKIE_NAME] = p["session"]
        for _ in range(5):
            client.get(endpoint.path, **extra)
        started = time.perf_counter()
        for _ in range(requests):
            client.get(endpoint.path, **extra)
        mean = (time.perf_counter() - started) / requests * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(endpoint.path, **extra)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(top)
        out.write("\n--- the project's own functions, by cumulative time ---\n")
        stats = pstats.Stats(profiler, stream=out)
        own = f"{ROOT}/(?!\\.venv)"  # a regular expression: the project, not its virtualenv
        stats.sort_stats("cumulative").print_stats(own, top)
        log(f"\n=== {endpoint.name} ({endpoint.path}): {mean:.2f} ms a request in-process ===")
        log(out.getvalue())

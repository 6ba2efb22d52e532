"""`python -m bench run [--scale S] [--out var/bench.json] [--growth] [--seconds N]`

Recreates the dedicated bench database (never the test or dev one), migrates and seeds it at the
scale, then measures every registered endpoint and checks the budgets; exits 1 when one fails.

While working on a page: `run --reuse [--only TEXT]` measures the database the last run seeded
(no seeding, no query-count comparison), and `profile TEXT` profiles the matching endpoints
in-process (cProfile) on it."""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from bench.budgets import KINDS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portal_bench"


def _environment(database_url: str) -> None:
    """Production settings, as the Dockerfile's image runs (DEBUG off), on the bench database."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["SECURE_COOKIES"] = "false"
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Rendered receipts go to the bench's own directory, not the dev server's files.
    os.environ["PRIVATE_MEDIA_ROOT"] = str(ROOT / "var" / "bench-private")
    os.environ.pop("CELERY_BROKER_URL", None)  # nothing queued: the run only reads
    # The cache (and so the sessions) in Redis, as in production; a database of its own, emptied
    # before each load run (run.gunicorn).
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")


def _recreate(database_url: str, *, template: bool) -> None:
    """Drop and create the bench database; from `<name>_migrated` when `template` (made by
    _keep_template after the run's first migrate), so later scales skip the migrations."""
    url = urlparse(database_url)
    name = url.path.lstrip("/")
    if not name.startswith("portal_bench"):
        raise SystemExit(
            f"refusing to drop {name!r}: the bench database's name starts portal_bench"
        )
    args = [
        "-h",
        url.hostname or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    subprocess.run(["dropdb", *args, "--if-exists", "--force", name], check=True)
    template_args = ["-T", f"{name}_migrated"] if template else []
    subprocess.run(["createdb", *args, *template_args, name], check=True)


def _keep_template(database_url: str) -> None:
    url = urlparse(database_url)
    name = url.path.lstrip("/")
    args = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432)]
    args += ["-U", url.username or "postgres"]
    subprocess.run(["dropdb", *args, "--if-exists", "--force", f"{name}_migrated"], check=True)
    subprocess.run(["createdb", *args, "-T", name, f"{name}_migrated"], check=True)


def _static_stale() -> bool:
    """collectstatic (with compression, minutes on this machine) only when an asset is newer
    than the manifest it last wrote."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [ROOT / "static", *ROOT.glob("*/static")]
    return any(f.stat().st_mtime > built for src in sources for f in src.rglob("*") if f.is_file())


def log(message: str) -> None:
    print(message, flush=True)


_migrated = False


def seed(scale: float, database_url: str) -> dict:
    """A fresh database at `scale`; returns the seed context's data and row counts."""
    global _migrated
    import django
    from django.core.management import call_command
    from django.db import connection, connections

    connections.close_all()
    _recreate(database_url, template=_migrated)
    django.setup()
    if not _migrated:
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        log(f"migrated in {time.monotonic() - started:.0f} s")
        connections.close_all()
        _keep_template(database_url)
        _migrated = True
    from django.utils import timezone

    from bench.registry import SeedContext, apps
    from bench.seed import timed

    ctx = SeedContext(scale=scale, rng=random.Random(11), now=timezone.now())
    started = time.monotonic()
    for app in apps():
        with timed(f"seeded {app.name}", log):
            app.seed(ctx)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    ctx.counts["_seconds"] = round(time.monotonic() - started, 1)
    log(f"seeded scale {scale} in {ctx.counts['_seconds']} s: {ctx.counts}")
    _remember(ctx, database_url)
    return ctx


def _seeded(database_url: str) -> Path:
    """Where the last seeding of that database left its scale, ids and counts."""
    return ROOT / "var" / f"bench-seeded-{urlparse(database_url).path.lstrip('/')}.json"


def _remember(ctx, database_url: str) -> None:
    """Keep what `--reuse` and `profile` need to address the seeded rows again: the values of
    ctx.data that JSON can hold (endpoints() read only those)."""
    data = {}
    for key, value in ctx.data.items():
        try:
            data[key] = json.loads(json.dumps(value))
        except TypeError:
            continue
    seeded = _seeded(database_url)
    seeded.parent.mkdir(parents=True, exist_ok=True)
    seeded.write_text(
        json.dumps(
            {
                "database": database_url,
                "scale": ctx.scale,
                "now": ctx.now.isoformat(),
                "data": data,
                "counts": ctx.counts,
            }
        )
    )


def reused(database_url: str):
    """The seed context of the database the last run seeded (for `--reuse` and `profile`)."""
    import datetime

    from bench.registry import SeedContext

    seeded = _seeded(database_url)
    if not seeded.exists():
        raise SystemExit(f"{seeded} is missing: seed with `python -m bench run` first")
    saved = json.loads(seeded.read_text())
    ctx = SeedContext(
        scale=saved["scale"],
        rng=random.Random(11),
        now=datetime.datetime.fromisoformat(saved["now"]),
        data=saved["data"],
        counts=saved["counts"],
    )
    ctx.counts["_reused"] = True
    log(f"reusing scale {ctx.scale} seeded at {saved['now']}: {ctx.counts}")
    return ctx


def endpoints(ctx, only: str | None = None) -> list:
    """The trivial views and every registered endpoint (those whose name contains `only`). An
    app registered after the reused database was seeded has no rows there: it is left out."""
    from bench import run
    from bench.registry import apps

    found = []
    for app in apps():
        try:
            found += app.endpoints(ctx)
        except KeyError as missing:
            if not ctx.counts.get("_reused"):
                raise
            log(f"  {app.name}: not in the reused database ({missing}); seed again to measure it")
    if only:
        found = [e for e in found if only.lower() in e.name.lower()]
    return [run.NOOP_ENDPOINT, run.SIGNED_IN_NOOP_ENDPOINT, *found]


def measure(
    ctx, *, seconds: int, explain: bool, skip_load: bool = False, only: str | None = None
) -> dict:
    from bench import run

    chosen = endpoints(ctx, only)
    people = run.personas(ctx.data["personas"])
    results = []
    for e in chosen:
        q = run.measure_queries(e, people)
        row = {
            "name": e.name,
            "path": e.path,
            "persona": e.persona or "anonymous",
            "kind": e.kind,
            "status": q["status"],
            "queries": q["queries"],
        }
        if explain and e.explain:
            row["explain"] = run.explain(q["sql"])
        results.append(row)
    if not skip_load:
        from django.db import connections

        connections.close_all()
        with run.gunicorn(log) as base:
            for e, row in zip(chosen, results, strict=True):
                run.warm(base, e, people)
                row.update(run.wrk(base, e, people, seconds))
                log(f"  {row['name']}: {row['rps']} req/s, p95 {row['p95_ms']:.1f} ms")
    return {"endpoints": results, "people": people}


def table(results: list[dict], noop_rps: float) -> str:
    head = f"{'endpoint':44} {'persona':10} {'req/s':>7} {'share':>6} "
    head += f"{'p50':>7} {'p95':>7} {'p99':>7} {'err':>4} {'q':>3}"
    lines = [head, "-" * len(head)]
    for r in results:
        share = r.get("rps", 0) / noop_rps if noop_rps else 0
        lines.append(
            f"{r['name'][:44]:44} {r['persona'][:10]:10} {r.get('rps', 0):7.1f} {share:6.1%} "
            f"{r.get('p50_ms', 0):7.1f} {r.get('p95_ms', 0):7.1f} {r.get('p99_ms', 0):7.1f} "
            f"{r.get('errors', 0):4d} {r['queries']:3d}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="seed, measure, check the budgets")
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = a year (default)")
    p.add_argument("--out", default="var/bench.json")
    p.add_argument("--seconds", type=int, default=4, help="wrk duration per endpoint")
    p.add_argument("--growth", action="store_true", help="also run at 10%% and 300%% of the scale")
    p.add_argument("--no-explain", action="store_true")
    p.add_argument("--no-workers", action="store_true", help="skip the receipts/e-mail figures")
    p.add_argument(
        "--small-scale",
        type=float,
        default=None,
        help="the small table the query counts are compared with (default: scale / 20)",
    )
    p.add_argument(
        "--enforce",
        default=",".join(KINDS),
        help=f"budget kinds that fail the run ({', '.join(KINDS)}; default all); "
        "the others are reported",
    )
    p.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database the last run seeded (no seeding, no query-count check)",
    )
    p.add_argument("--only", default=None, help="only the endpoints whose name contains this")
    prof = sub.add_parser("profile", help="cProfile the matching endpoints on the last seeding")
    prof.add_argument("only", help="the endpoints whose name contains this")
    prof.add_argument("--requests", type=int, default=200)
    prof.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    if args.command == "profile":
        database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
        _environment(database_url)
        sys.path.insert(0, str(ROOT))
        os.chdir(ROOT)
        import django

        django.setup()
        from bench import run

        ctx = reused(database_url)
        chosen = endpoints(ctx, args.only)[2:]
        if not chosen:
            parser.error(f"no endpoint's name contains {args.only!r}")
        run.profile(chosen, run.personas(ctx.data["personas"]), args.requests, args.top, log)
        return 0
    if args.reuse and args.growth:
        parser.error("--growth seeds each scale: it cannot --reuse")
    enforced = {k.strip() for k in args.enforce.split(",") if k.strip()}
    unknown = enforced - set(KINDS)
    if unknown:
        parser.error(f"unknown budget kinds: {', '.join(sorted(unknown))}")
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    _environment(database_url)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    started = time.monotonic()
    import django

    django.setup()
    from django.core.management import call_command

    if _static_stale():
        call_command("collectstatic", "--noinput", verbosity=0)
        log(f"collectstatic in {time.monotonic() - started:.0f} s")
    from bench import budgets, workers

    small_counts: dict[str, int] = {}
    if args.reuse:
        ctx = reused(database_url)
        args.scale = ctx.scale
    else:
        # The small table first: the query counts there are the reference the big one must match.
        small = args.small_scale if args.small_scale is not None else max(args.scale / 20, 0.002)
        ctx = seed(small, database_url)
        small_counts = {
            r["name"]: r["queries"]
            for r in measure(ctx, seconds=0, explain=False, skip_load=True, only=args.only)[
                "endpoints"
            ]
        }
    report: dict = {"scale": args.scale, "load_before": os.getloadavg()}
    scales = [args.scale]
    if args.growth:
        scales = [round(args.scale * f, 6) for f in (0.1, 1, 3)]
    growth: dict[str, dict[float, float]] = {}
    main_results = None
    for scale in scales:
        if not args.reuse:
            ctx = seed(scale, database_url)
        measured = measure(
            ctx,
            seconds=args.seconds,
            explain=scale == args.scale and not args.no_explain,
            only=args.only,
        )
        for r in measured["endpoints"]:
            growth.setdefault(r["name"], {})[scale] = r["p50_ms"]
        if scale == args.scale:
            main_results, main_ctx = measured["endpoints"], ctx
            report["rows"] = {k: v for k, v in ctx.counts.items()}
    for r in main_results:
        r["queries_small"] = small_counts.get(r["name"])
    noop_rps = next(r["rps"] for r in main_results if r["kind"] == "noop")
    for r in main_results:
        r["share"] = round(r["rps"] / noop_rps, 4) if noop_rps else 0
    failures = budgets.check(main_results, noop_rps)
    print()
    print(table(main_results, noop_rps))
    for r in main_results:
        for plan in r.get("explain", []):
            if plan.get("seq_scans") or plan.get("ms", 0) >= 5:
                print(
                    f"\nEXPLAIN {r['name']} ({plan.get('ms')} ms, "
                    f"seq scans: {plan.get('seq_scans')})"
                )
                print("  " + plan.get("sql", ""))
                print("  " + plan.get("plan", plan.get("error", "")).replace("\n", "\n  "))
    if args.growth:
        report["growth"] = {
            name: {
                "p50_ms": {str(s): v for s, v in by.items()},
                "times": round(budgets.growth(by), 2),
            }
            for name, by in growth.items()
        }
        print("\ngrowth of p50 latency (scale: ms):")
        for name, g in report["growth"].items():
            print(f"  {name[:44]:44} {g['p50_ms']}  x{g['times']}")
    if not args.no_workers:
        report["workers"] = workers.throughput(main_ctx)
        print(f"\nworkers: {report['workers']}")
    report.update(
        endpoints=main_results,
        noop_rps=noop_rps,
        failures=[str(f) for f in failures],
        load_after=os.getloadavg(),
        seconds=round(time.monotonic() - started, 1),
    )
    out = ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, default=str))
    print(f"\nwrote {out} in {report['seconds']} s; load average {report['load_after']}")
    reported = [f for f in failures if f.kind not in enforced]
    failed = [f for f in failures if f.kind in enforced]
    if reported:
        not_enforced = ", ".join(sorted(set(KINDS) - enforced))
        print(f"\nover budget, reported only (not enforced: {not_enforced}):")
        for f in reported:
            print(f"  {f}")
    if failed:
        print("\nBUDGETS FAILED:")
        for f in failed:
            print(f"  {f}")
        return 1
    print("enforced budgets pass" if reported else "all budgets pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())

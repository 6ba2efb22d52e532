"""The budgets and the arithmetic behind them, kept free of Django and of I/O so that
tests/bench/ can hold them to their numbers."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

# The budgets (issue 11). Changing one is a decision for the lead, not for a failing run.
P95_MS_MAX = 100.0
SIGNED_IN_SHARE_MIN = 0.15
PUBLIC_SHARE_MIN = 0.40

WRK_MARKER = "BENCHJSON "


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= pct <= 100:
        raise ValueError("pct must be within 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def parse_wrk(output: str) -> dict:
    """The figures bench/wrk.lua prints on its marker line, latencies converted to ms."""
    for line in output.splitlines():
        if line.startswith(WRK_MARKER):
            raw = json.loads(line[len(WRK_MARKER) :])
            seconds = raw["duration_us"] / 1e6
            return {
                "requests": raw["requests"],
                "seconds": round(seconds, 3),
                "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
                "p50_ms": raw["p50_us"] / 1000,
                "p95_ms": raw["p95_us"] / 1000,
                "p99_ms": raw["p99_us"] / 1000,
                "errors": raw["non2xx"] + raw["socket_errors"],
            }
    raise ValueError("wrk printed no result line")


# The kinds of budget, so a run can enforce some and only report the others. CI enforces all
# but "signed_in_share", which no signed-in page meets (README "Performance" says why).
KINDS = ("errors", "queries", "latency", "public_share", "signed_in_share")


@dataclass(frozen=True)
class Failure:
    endpoint: str
    budget: str
    detail: str
    kind: str = "latency"

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.budget} ({self.detail})"


def check(results: list[dict], noop_rps: float) -> list[Failure]:
    """Every budget each result breaks. A result has name, kind ("public", "signed_in", "noop"
    or "reference": a yardstick held to zero errors only), requests, rps, p95_ms, errors, and
    optionally queries / queries_small (the query count of the same endpoint on a much smaller
    table)."""
    failures = []
    for r in results:
        name = r["name"]
        if not r.get("requests"):
            failures.append(Failure(name, "requests answered", "none in the run", "errors"))
        if r.get("errors"):
            failures.append(
                Failure(name, "zero errors", f"{r['errors']} non-2xx or failed", "errors")
            )
        if r["kind"] in ("noop", "reference"):
            continue
        if r["p95_ms"] >= P95_MS_MAX:
            failures.append(
                Failure(name, f"p95 < {P95_MS_MAX:g} ms", f"{r['p95_ms']:.1f} ms", "latency")
            )
        public = r["kind"] == "public"
        minimum = PUBLIC_SHARE_MIN if public else SIGNED_IN_SHARE_MIN
        share = r["rps"] / noop_rps if noop_rps else 0.0
        if share < minimum:
            failures.append(
                Failure(
                    name,
                    f"throughput >= {minimum:.0%} of the trivial view",
                    f"{share:.1%}",
                    "public_share" if public else "signed_in_share",
                )
            )
        small = r.get("queries_small")
        if small is not None and r.get("queries") is not None and r["queries"] != small:
            failures.append(
                Failure(
                    name,
                    "query count independent of table size",
                    f"{r['queries']} queries vs {small} on the small table",
                    "queries",
                )
            )
    return failures


def growth(latencies: dict[float, float]) -> float:
    """How many times the latency grew from the smallest scale to the largest."""
    if len(latencies) < 2:
        return 1.0
    scales = sorted(latencies)
    first = latencies[scales[0]]
    return latencies[scales[-1]] / first if first else math.inf

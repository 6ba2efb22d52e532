"""The harness's pure logic: percentiles, reading wrk's line, and the budgets themselves (a
budget that cannot fail protects nothing, so each is shown failing just past its edge)."""

import pytest

from bench import budgets
from bench.budgets import check, parse_wrk, percentile


def _row(**over) -> dict:
    row = {
        "name": "page",
        "kind": "signed_in",
        "requests": 400,
        "rps": 40.0,
        "p95_ms": 50.0,
        "errors": 0,
        "queries": 6,
        "queries_small": 6,
    }
    return {**row, **over}


def test_percentile_interpolates_between_ranks():
    values = [10, 20, 30, 40, 50]
    assert percentile(values, 50) == 30
    assert percentile(values, 0) == 10
    assert percentile(values, 100) == 50
    assert percentile(values, 95) == pytest.approx(48.0)
    assert percentile([7], 99) == 7
    assert percentile([3, 1, 2], 50) == 2  # unsorted input


def test_percentile_refuses_nonsense():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_parse_wrk_reads_the_marker_line():
    out = (
        "Running 3s test @ http://127.0.0.1:8000/\n"
        'BENCHJSON {"requests": 300, "duration_us": 3000000, "p50_us": 12000, '
        '"p95_us": 45500, "p99_us": 80000, "non2xx": 2, "socket_errors": 1}\n'
    )
    r = parse_wrk(out)
    assert r["rps"] == 100.0
    assert (r["p50_ms"], r["p95_ms"], r["p99_ms"]) == (12.0, 45.5, 80.0)
    assert r["errors"] == 3
    with pytest.raises(ValueError):
        parse_wrk("wrk: connection refused\n")


def test_a_page_within_every_budget_passes():
    assert check([_row()], noop_rps=200.0) == []


def test_p95_at_the_limit_fails():
    failures = check([_row(p95_ms=budgets.P95_MS_MAX)], noop_rps=200.0)
    assert [f.budget for f in failures] == ["p95 < 100 ms"]
    assert check([_row(p95_ms=budgets.P95_MS_MAX - 0.1)], noop_rps=200.0) == []


def test_signed_in_share_of_the_trivial_view():
    assert check([_row(rps=30.0)], noop_rps=200.0) == []  # 15%
    [failure] = check([_row(rps=29.9)], noop_rps=200.0)
    assert "15%" in failure.budget


def test_public_pages_need_forty_percent():
    assert check([_row(kind="public", rps=80.0)], noop_rps=200.0) == []
    [failure] = check([_row(kind="public", rps=79.0)], noop_rps=200.0)
    assert "40%" in failure.budget


def test_any_error_fails_even_the_trivial_view():
    [failure] = check([_row(kind="noop", errors=1)], noop_rps=200.0)
    assert failure.budget == "zero errors"


def test_a_run_that_answered_nothing_fails():
    failures = check([_row(requests=0, rps=0.0, p95_ms=0.0)], noop_rps=200.0)
    assert "requests answered" in [f.budget for f in failures]


def test_query_count_must_not_grow_with_the_table():
    [failure] = check([_row(queries=7, queries_small=6)], noop_rps=200.0)
    assert failure.budget == "query count independent of table size"
    assert check([_row(queries_small=None)], noop_rps=200.0) == []


def test_growth_is_largest_over_smallest_scale():
    assert budgets.growth({0.1: 10.0, 1.0: 12.0, 3.0: 25.0}) == 2.5
    assert budgets.growth({1.0: 10.0}) == 1.0


def test_apps_seed_after_the_apps_they_point_at():
    from bench.registry import BenchApp, ordered

    def app(name, *after):
        return BenchApp(name, seed=None, endpoints=None, after=after)

    registered = {
        "meetings": app("meetings", "accounts", "transactions"),
        "accounts": app("accounts"),
        "tenders": app("tenders", "accounts"),
        "transactions": app("transactions", "accounts"),
    }
    names = [a.name for a in ordered(registered)]
    assert names.index("accounts") < names.index("transactions") < names.index("meetings")
    assert names.index("accounts") < names.index("tenders")
    with pytest.raises(ValueError, match="circle"):
        ordered({"a": app("a", "b"), "b": app("b", "a")})
    with pytest.raises(ValueError, match="not registered"):
        ordered({"a": app("a", "missing")})


def test_each_failure_names_its_kind_so_ci_can_enforce_some():
    from bench.budgets import check

    results = [
        {"name": "noop", "kind": "noop", "requests": 100, "rps": 1000, "p95_ms": 1, "errors": 0},
        {
            "name": "slow and erring",
            "kind": "signed_in",
            "requests": 10,
            "rps": 10,
            "p95_ms": 500,
            "errors": 2,
            "queries": 9,
            "queries_small": 7,
        },
        {"name": "public", "kind": "public", "requests": 10, "rps": 10, "p95_ms": 1, "errors": 0},
    ]
    kinds = sorted(f.kind for f in check(results, 1000))
    assert kinds == ["errors", "latency", "public_share", "queries", "signed_in_share"]
    assert set(kinds) == set(budgets.KINDS)


def test_a_yardstick_is_held_to_zero_errors_only():
    slow = {"name": "floor", "kind": "reference", "requests": 5, "rps": 1, "p95_ms": 900}
    assert check([{**slow, "errors": 0}], 1000) == []
    [failure] = check([{**slow, "errors": 1}], 1000)
    assert failure.kind == "errors"

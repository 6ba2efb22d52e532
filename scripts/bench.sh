#!/usr/bin/env bash
# The benchmark (bench/, README "Performance"): recreates the dedicated PostgreSQL database
# portal_bench (BENCH_DATABASE_URL to use another whose name starts portal_bench), seeds it at
# --scale (1.0 = a year), serves the portal under gunicorn with production settings, drives
# every read endpoint with wrk -c8, prints the table and EXPLAIN plans, writes --out (JSON) and
# exits 1 when a budget fails.
#   scripts/bench.sh [--scale 1.0] [--out var/bench.json] [--seconds 4] [--growth]
# Working on a page, against the database the last run seeded:
#   scripts/bench.sh --reuse --only "transaction detail"     (measure those endpoints again)
#   scripts/bench.sh profile "transaction detail"           (where their time goes, cProfile)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: wrk is missing (apt-get install -y wrk)" >&2
  exit 2
fi
if [ "${1:-}" = "profile" ]; then
  exec .venv/bin/python -m bench "$@"
fi
exec .venv/bin/python -m bench run "$@"

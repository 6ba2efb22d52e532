"""The benchmark: a seeder per app at a chosen scale, the load run under gunicorn + wrk, the
budgets (bench.budgets) and EXPLAIN of what each endpoint runs. Outside the test suite; run it
with `scripts/bench.sh` or `python -m bench run`."""

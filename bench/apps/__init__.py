"""One module per app: its seeder and its pages (see bench.registry)."""

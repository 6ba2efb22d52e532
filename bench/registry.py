"""Each app joins the benchmark by adding one module to bench/apps/: a seeder that bulk-fills its
tables at a scale, and the read endpoints it serves, each with the persona that reads them.

A module calls `register(BenchApp(...))` at import time, naming in `after` the apps whose rows
its own point at; every module in bench/apps/ is imported, and the seeders run in that order."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

PUBLIC, SIGNED_IN, NOOP = "public", "signed_in", "noop"
# A yardstick shown beside the others and held to no budget but zero errors.
REFERENCE = "reference"


@dataclass(frozen=True)
class Endpoint:
    """One read endpoint. `path` is absolute (with the language prefix for pages); `persona` a
    key of the personas the accounts seeder creates (None: anonymous); `kind` picks the budget
    (PUBLIC, SIGNED_IN or NOOP); `explain` marks a list or detail whose SQL is EXPLAINed."""

    name: str
    path: str
    persona: str | None
    kind: str = SIGNED_IN
    api: bool = False
    explain: bool = True


@dataclass
class SeedContext:
    """What seeders share: the scale, a seeded random generator, and `data`, where an app leaves
    the ids later apps and the page lists need (personas, teams, objects to open)."""

    scale: float
    rng: object
    now: object
    data: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    def n(self, full: int, minimum: int = 1) -> int:
        """`full` rows at scale 1.0, scaled, never fewer than `minimum`."""
        return max(minimum, round(full * self.scale))


@dataclass(frozen=True)
class BenchApp:
    name: str
    seed: Callable[[SeedContext], None]
    endpoints: Callable[[SeedContext], list[Endpoint]]
    after: tuple[str, ...] = ()


_APPS: dict[str, BenchApp] = {}


def register(app: BenchApp) -> BenchApp:
    _APPS[app.name] = app
    return app


def ordered(registered: dict[str, BenchApp]) -> list[BenchApp]:
    """Each app after the apps it names in `after` (a stable topological order)."""
    done: dict[str, BenchApp] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in path:
            raise ValueError(f"bench apps depend on each other in a circle: {path + (name,)}")
        if name not in registered:
            raise ValueError(f"bench app {path[-1]!r} needs {name!r}, which is not registered")
        for dependency in registered[name].after:
            visit(dependency, path + (name,))
        done[name] = registered[name]

    for name in sorted(registered):
        visit(name, ())
    return list(done.values())


def apps() -> list[BenchApp]:
    """Every app of bench/apps/ (importing a module registers it), in seeding order."""
    from bench import apps as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return ordered(_APPS)

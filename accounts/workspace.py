"""The staff workspace's panels. Each domain app registers, at start-up, the part of a staff
member's day it owns (the transactions queue, today's meetings), so the page in accounts shows
them without importing the apps (the import arrows point from the apps to accounts, as with
seed_demo's SEED_STEPS)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    order: int
    template: str
    # The panel's context for one staff member; None when the panel is not theirs to see.
    context: Callable[..., dict | None]


PANELS: list[Panel] = []


def register_panel(panel: Panel) -> None:
    if panel not in PANELS:
        PANELS.append(panel)
        PANELS.sort(key=lambda p: p.order)


def panels_for(*, user) -> list[dict]:
    """The panels this member sees, each as {"template", "context"}, in order."""
    shown = []
    for panel in PANELS:
        context = panel.context(user=user)
        if context is not None:
            shown.append({"template": panel.template, "context": context})
    return shown

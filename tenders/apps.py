from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TendersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tenders"
    verbose_name = _("Tenders")

    def ready(self) -> None:
        from accounts.management.commands.seed_demo import SEED_STEPS
        from tenders.demo import seed_tenders

        if seed_tenders not in SEED_STEPS:
            SEED_STEPS.append(seed_tenders)

        # The staff home's panel: tenders waiting on a contracts engineer or committee member.
        from accounts.workspace import Panel, register_panel
        from tenders.views.staff import staff_panel

        register_panel(Panel(order=30, template="tenders/_staff_panel.html", context=staff_panel))

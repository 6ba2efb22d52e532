from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransactionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transactions"
    verbose_name = _("Transactions")

    def ready(self) -> None:
        from accounts.management.commands.seed_demo import SEED_STEPS
        from transactions.demo import seed_transactions

        if seed_transactions not in SEED_STEPS:
            SEED_STEPS.append(seed_transactions)

        from accounts.workspace import Panel, register_panel

        register_panel(
            Panel(order=10, template="transactions/_staff_panel.html", context=_staff_panel)
        )


# Roles whose work arrives through the transactions queue (the staff workspace's panel).
QUEUE_ROLES = {"happiness_agent", "reviewer", "finance_officer"}


def _staff_panel(*, user) -> dict | None:
    from accounts.roles import user_roles
    from transactions.selectors import staff_queue_summary

    if not (user.is_superuser or QUEUE_ROLES & set(user_roles(user))):
        return None
    return {"queue": staff_queue_summary(user=user)}
